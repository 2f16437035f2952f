//! Requests per principal in a fixed window. With Redis configured the counters live
//! there (`zspark:rate:<principal>`), so the limit holds across instances; when Redis
//! does not answer, this instance counts alone until it does.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::hub::RedisLink;

pub struct RateLimiter {
    window: Duration,
    max: u32,
    counts: Mutex<HashMap<String, (Instant, u32)>>,
    redis: Option<RedisLink>,
}

/// Entries beyond this count trigger a sweep of expired windows.
const SWEEP_AT: usize = 10_000;

impl RateLimiter {
    pub fn new(window: Duration, max: u32, redis: Option<RedisLink>) -> Self {
        Self {
            window,
            max,
            counts: Mutex::new(HashMap::new()),
            redis,
        }
    }

    /// Counts a request by `key`; `Err(retry_after)` when over the limit.
    pub async fn check(&self, key: &str) -> Result<(), Duration> {
        if let Some(redis) = &self.redis {
            match redis
                .count_request(&format!("zspark:rate:{key}"), self.window)
                .await
            {
                Ok((count, left)) if count > u64::from(self.max) => return Err(left),
                Ok(_) => return Ok(()),
                Err(error) => tracing::debug!(%error, "rate limit counted on this instance"),
            }
        }
        self.check_locally(key)
    }

    fn check_locally(&self, key: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if counts.len() > SWEEP_AT {
            counts.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = counts.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.max {
            return Err(self.window.saturating_sub(now.duration_since(entry.0)));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key_and_resets_with_the_window() {
        let limiter = RateLimiter::new(Duration::from_secs(60), 2, None);
        assert!(limiter.check_locally("a").is_ok());
        assert!(limiter.check_locally("a").is_ok());
        let retry_after = limiter.check_locally("a").unwrap_err();
        assert!(retry_after <= Duration::from_secs(60) && retry_after > Duration::from_secs(50));
        assert!(
            limiter.check_locally("b").is_ok(),
            "others are not affected"
        );
        // The window of "a" began a minute ago.
        limiter.counts.lock().unwrap().get_mut("a").unwrap().0 -= Duration::from_secs(60);
        assert!(limiter.check_locally("a").is_ok());
    }
}
