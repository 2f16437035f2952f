//! Notifications from the system when the window is in the background (a teammate
//! continued one of your shared sessions), behind [`Notifier`] so tests record them
//! instead. The system's notification service is called on a thread of its own, so a
//! slow or missing one never holds up a frame.

/// Tells the user something through the operating system.
pub trait Notifier: Send + Sync {
    fn notify(&self, title: &str, body: &str);
}

/// The system's notifications (the desktop notification service over D-Bus on Linux,
/// the Notification Center on macOS, toasts on Windows); a system without one shows
/// nothing, and the window's banner still says it.
pub struct SystemNotifier;

impl Notifier for SystemNotifier {
    fn notify(&self, title: &str, body: &str) {
        let (title, body) = (title.to_string(), body.to_string());
        let _ = std::thread::Builder::new()
            .name("zspark-notify".to_string())
            .spawn(move || {
                let _ = notify_rust::Notification::new()
                    .appname("zspark")
                    .summary(&title)
                    .body(&body)
                    .show();
            });
    }
}
