//! When to try a call again, and how long to wait first.

use std::time::Duration;

/// How failed attempts are retried.
///
/// Only errors whose [`is_retryable`](crate::Error::is_retryable) is true are retried: timeouts,
/// transport failures, 429, 5xx, and `Conflict with underlay task`. Each attempt is signed
/// afresh, with a new date and nonce.
///
/// Which failures may have been applied by the service: a timeout, a transport failure after
/// the request was sent (a connection reset while waiting for the answer), and a 5xx from the
/// gateway while the service went on. The refusals (4xx) were not applied.
///
/// Retrying `attachNetworkInterface` after those is still safe: an interface attaches to one
/// instance at most, so the retry of an attach that was applied is refused with
/// `NetworkInterface has been attached on other device`
/// ([`ErrorKind::NetworkInterfaceInUse`](crate::ErrorKind::NetworkInterfaceInUse)) rather than
/// doubled. A caller that sees that kind after a retried timeout or 5xx should check where the
/// interface is attached before reporting failure: it may be attached to the instance asked for.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use jdcloud_vm::RetryConfig;
///
/// let retry = RetryConfig::standard()
///     .max_attempts(5)
///     .initial_backoff(Duration::from_millis(200))
///     .max_backoff(Duration::from_secs(10));
/// assert_eq!(retry.get_max_attempts(), 5);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryConfig {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self::standard()
    }
}

impl RetryConfig {
    /// Three attempts in all, exponential backoff with full jitter from 100 ms, capped at 5 s;
    /// `Retry-After` honoured up to the cap.
    pub fn standard() -> RetryConfig {
        RetryConfig {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
        }
    }

    /// One attempt: no retries.
    pub fn disabled() -> RetryConfig {
        RetryConfig {
            max_attempts: 1,
            ..RetryConfig::standard()
        }
    }

    /// Attempts in all, the first included; 0 is taken as 1.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The ceiling of the first backoff; it doubles with each retry.
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The largest wait between attempts, and the longest `Retry-After` that is honoured.
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// Attempts in all.
    pub fn get_max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The wait before attempt `attempt + 1`, after `attempt` failed attempts (1-based), or
    /// `None` when no attempt is left or the server asks to wait longer than the cap.
    pub(crate) fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        // Full jitter: uniform in [0, min(cap, initial * 2^(attempt-1))].
        let exp = attempt.saturating_sub(1).min(30);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1u32 << exp)
            .min(self.max_backoff);
        let jittered = ceiling.mul_f64(fastrand::f64());
        match retry_after {
            // Waiting less than the server asked only earns another refusal; waiting longer
            // than the cap is the caller's decision, so give the error back instead.
            Some(asked) if asked > self.max_backoff => None,
            Some(asked) => Some(asked.max(jittered)),
            None => Some(jittered),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_stays_under_its_exponential_ceiling_and_the_cap() {
        let r = RetryConfig::standard().max_attempts(10);
        for attempt in 1..10 {
            let d = r.delay(attempt, None).unwrap();
            let ceiling =
                Duration::from_millis(100 * (1 << (attempt - 1))).min(Duration::from_secs(5));
            assert!(d <= ceiling, "attempt {attempt}: {d:?} > {ceiling:?}");
        }
    }

    #[test]
    fn no_delay_once_the_attempts_are_spent() {
        let r = RetryConfig::standard();
        assert!(r.delay(2, None).is_some());
        assert!(r.delay(3, None).is_none());
        assert!(RetryConfig::disabled().delay(1, None).is_none());
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let r = RetryConfig::standard();
        assert!(r.delay(1, Some(Duration::from_secs(2))).unwrap() >= Duration::from_secs(2));
        assert_eq!(r.delay(1, Some(Duration::from_secs(60))), None);
    }
}
