//! A small, strict reader of server-sent-event text for tests that inspect a stream
//! they received (the scripted server's own tests, the bridge proxy's output).

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseFrame {
    /// The `event:` field, when the frame had one.
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

/// Splits complete SSE text into frames. Comment lines (`:`) are skipped; a trailing
/// frame without its blank line is not dispatched, as the SSE rules say.
pub fn parse_frames(text: &str) -> Vec<SseFrame> {
    let mut frames = Vec::new();
    let mut event = None;
    let mut data: Option<String> = None;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            if let Some(data) = data.take() {
                frames.push(SseFrame {
                    event: event.take(),
                    data,
                });
            }
            event = None;
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => event = Some(value.to_string()),
            "data" => match &mut data {
                Some(existing) => {
                    existing.push('\n');
                    existing.push_str(value);
                }
                None => data = Some(value.to_string()),
            },
            _ => {}
        }
    }
    frames
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_data_lines_skips_comments_and_drops_unterminated_frame() {
        let text = ": keep-alive\nevent: a\ndata: 1\ndata: 2\n\ndata: {\"x\":1}\r\n\r\ndata: cut";
        assert_eq!(
            parse_frames(text),
            vec![
                SseFrame {
                    event: Some("a".into()),
                    data: "1\n2".into()
                },
                SseFrame {
                    event: None,
                    data: "{\"x\":1}".into()
                },
            ]
        );
    }
}
