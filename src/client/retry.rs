//! When to retry: only where safe (GETs, and 429/503 answers that carried no side effect),
//! with exponential backoff, jitter, and `Retry-After` honoured.

use crate::exchange::Exchange;
use std::time::Duration;

/// Retry policy.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff.
    pub base: Duration,
    /// Largest backoff, `Retry-After` included.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_retries: 3, base: Duration::from_millis(200), cap: Duration::from_secs(10) }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> RetryPolicy {
        RetryPolicy { max_retries: 0, ..RetryPolicy::default() }
    }

    /// The delay before the next attempt, or `None` to stop.
    pub fn delay(
        &self,
        attempt: u32,
        method: &str,
        exchange: &Exchange,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        if attempt >= self.max_retries {
            return None;
        }
        let safe_method = method == "GET";
        let retryable = match &exchange.response {
            // A write that got no answer may have happened: only GETs are repeated.
            Err(_) => safe_method,
            Ok(r) => match r.status {
                429 | 503 => true,
                502 | 504 => safe_method,
                _ => false,
            },
        };
        if !retryable {
            return None;
        }
        let backoff = self.base.saturating_mul(1u32 << attempt.min(16));
        let jitter = Duration::from_millis(fastrand::u64(0..=backoff.as_millis().min(1000) as u64 / 2 + 1));
        Some(retry_after.unwrap_or(backoff + jitter).min(self.cap))
    }
}

/// Parses `Retry-After` (seconds or an HTTP date).
pub(super) fn parse_retry_after(value: &str) -> Option<Duration> {
    if let Ok(secs) = value.trim().parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value.trim()).ok()?;
    Some(when.duration_since(std::time::SystemTime::now()).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_503_is_retried_with_its_retry_after() {
        let ex = Exchange::fake("op", "POST", "/", 503, json!({"error_code": "X", "error_msg": "busy"}));
        let p = RetryPolicy::default();
        assert_eq!(p.delay(0, "POST", &ex, Some(Duration::from_secs(2))), Some(Duration::from_secs(2)));
    }

    #[test]
    fn a_failed_write_is_never_repeated() {
        let ex = Exchange::fake("op", "POST", "/", 500, json!({}));
        assert_eq!(RetryPolicy::default().delay(0, "POST", &ex, None), None);
        let get = Exchange::fake("op", "GET", "/", 502, json!({}));
        assert!(RetryPolicy::default().delay(0, "GET", &get, None).is_some());
    }

    #[test]
    fn retries_stop_at_the_limit() {
        let ex = Exchange::fake("op", "GET", "/", 503, json!({}));
        assert_eq!(RetryPolicy::default().delay(3, "GET", &ex, None), None);
    }

    #[test]
    fn retry_after_parses_seconds() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("soon"), None);
    }
}
