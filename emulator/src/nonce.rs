//! The nonces seen recently, so that a captured request cannot be sent again.
//!
//! A request is accepted while its date is within the skew limit of the clock, so a replay of
//! it could be accepted up to twice that limit after it was first seen: each nonce is kept
//! that long. All entries live equally long, so they expire in the order they came and a
//! queue is enough. Memory is bounded by a capacity: when it is full of unexpired nonces,
//! new requests are refused (throttled) rather than old nonces forgotten, which would reopen
//! the door to replays.

use std::{
    collections::{HashSet, VecDeque},
    sync::Arc,
    time::{Duration, Instant},
};

const CENTURY: Duration = Duration::from_secs(100 * 365 * 86_400);

/// What [`NonceCache::check_and_remember`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Seen {
    /// First time: remembered now.
    New,
    /// Already seen within the window: a replay.
    Replayed,
    /// The cache is full of unexpired nonces; the oldest expires after this long.
    Full(Duration),
}

pub(crate) struct NonceCache {
    keep_for: Duration,
    capacity: usize,
    seen: HashSet<Arc<str>>,
    by_age: VecDeque<(Instant, Arc<str>)>,
}

impl NonceCache {
    pub(crate) fn new(keep_for: Duration, capacity: usize) -> NonceCache {
        NonceCache {
            keep_for,
            capacity: capacity.max(1),
            seen: HashSet::new(),
            by_age: VecDeque::new(),
        }
    }

    pub(crate) fn check_and_remember(&mut self, nonce: &str, now: Instant) -> Seen {
        self.forget_expired(now);
        if self.seen.contains(nonce) {
            return Seen::Replayed;
        }
        if self.seen.len() >= self.capacity {
            let wait = self
                .by_age
                .front()
                .map(|(expiry, _)| expiry.saturating_duration_since(now))
                .unwrap_or_default();
            return Seen::Full(wait);
        }
        // A window too long to represent is as good as forever: keep the nonce for a century.
        let expiry = now
            .checked_add(self.keep_for)
            .or_else(|| now.checked_add(CENTURY))
            .unwrap_or(now);
        let nonce: Arc<str> = Arc::from(nonce);
        self.seen.insert(nonce.clone());
        self.by_age.push_back((expiry, nonce));
        Seen::New
    }

    fn forget_expired(&mut self, now: Instant) {
        while let Some((expiry, _)) = self.by_age.front() {
            if *expiry > now {
                break;
            }
            if let Some((_, nonce)) = self.by_age.pop_front() {
                self.seen.remove(&nonce);
            }
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.seen.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_refused_the_second_time_until_it_expires() {
        let t0 = Instant::now();
        let mut cache = NonceCache::new(Duration::from_secs(10), 100);
        assert_eq!(cache.check_and_remember("a", t0), Seen::New);
        assert_eq!(
            cache.check_and_remember("a", t0 + Duration::from_secs(9)),
            Seen::Replayed
        );
        assert_eq!(
            cache.check_and_remember("a", t0 + Duration::from_secs(10)),
            Seen::New
        );
    }

    #[test]
    fn an_endless_window_does_not_overflow() {
        let mut cache = NonceCache::new(Duration::MAX, 10);
        assert_eq!(cache.check_and_remember("a", Instant::now()), Seen::New);
        assert_eq!(
            cache.check_and_remember("a", Instant::now()),
            Seen::Replayed
        );
    }

    #[test]
    fn memory_is_bounded() {
        let t0 = Instant::now();
        let mut cache = NonceCache::new(Duration::from_secs(10), 2);
        assert_eq!(cache.check_and_remember("a", t0), Seen::New);
        assert_eq!(
            cache.check_and_remember("b", t0 + Duration::from_secs(1)),
            Seen::New
        );
        assert_eq!(
            cache.check_and_remember("c", t0 + Duration::from_secs(4)),
            Seen::Full(Duration::from_secs(6))
        );
        assert_eq!(
            cache.check_and_remember("a", t0 + Duration::from_secs(4)),
            Seen::Replayed
        );
        assert_eq!(
            cache.check_and_remember("c", t0 + Duration::from_secs(10)),
            Seen::New
        );
        assert_eq!(cache.len(), 2);
    }
}
