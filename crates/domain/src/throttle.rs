//! Brute-force protection: counts failed attempts per key (an e-mail, a
//! client address, later a conference room) and locks the key for a
//! growing time once the free attempts are used up. Counters live in the
//! database so every node sees them; they reset after an hour of quiet.

use async_trait::async_trait;
use kernel::{DomainError, DomainResult, Timestamp};

/// How strict one kind of key is.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Failures allowed before the first lock.
    pub free: i64,
    /// First lock; doubles with each further failure.
    pub base_secs: i64,
    pub max_secs: i64,
}

/// Login per e-mail address: 5 tries, then 30 s, 60 s … up to 15 min.
pub const LOGIN_PER_EMAIL: Policy = Policy {
    free: 5,
    base_secs: 30,
    max_secs: 900,
};

/// Login per client address: generous (offices share one address).
pub const LOGIN_PER_CLIENT: Policy = Policy {
    free: 30,
    base_secs: 30,
    max_secs: 900,
};

/// Counters older than this start again from zero.
pub const QUIET_RESET_SECS: i64 = 3600;

impl Policy {
    /// How long to lock after the `failures`-th failure, if at all.
    pub fn lock_secs(&self, failures: i64) -> Option<i64> {
        if failures < self.free {
            return None;
        }
        let exp = (failures - self.free).min(20) as u32;
        Some(self.base_secs.saturating_mul(1i64 << exp).min(self.max_secs))
    }
}

#[async_trait]
pub trait ThrottleStore: Send + Sync {
    /// When the key is locked until, if it is.
    async fn locked_until(&self, key: &str, now: Timestamp) -> DomainResult<Option<Timestamp>>;
    /// Counts a failure (starting again after `QUIET_RESET_SECS` of quiet)
    /// and returns the new count.
    async fn record_failure(&self, key: &str, now: Timestamp) -> DomainResult<i64>;
    async fn lock(&self, key: &str, until: Timestamp) -> DomainResult<()>;
    async fn reset(&self, key: &str) -> DomainResult<()>;
}

/// Refuses with `RateLimited` while any of the keys is locked.
pub async fn check(store: &dyn ThrottleStore, keys: &[&str], now: Timestamp) -> DomainResult<()> {
    let mut wait = 0;
    for key in keys {
        if let Some(until) = store.locked_until(key, now).await? {
            wait = wait.max((until.millis() - now.millis() + 999) / 1000);
        }
    }
    if wait > 0 {
        return Err(DomainError::RateLimited {
            retry_after_secs: wait as u64,
        });
    }
    Ok(())
}

/// Records a failure for each key under its policy, locking where due.
pub async fn fail(store: &dyn ThrottleStore, keys: &[(&str, Policy)], now: Timestamp) -> DomainResult<()> {
    for (key, policy) in keys {
        let failures = store.record_failure(key, now).await?;
        if let Some(secs) = policy.lock_secs(failures) {
            store.lock(key, now.plus_secs(secs)).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_grow_and_cap() {
        let p = LOGIN_PER_EMAIL;
        assert_eq!(p.lock_secs(4), None);
        assert_eq!(p.lock_secs(5), Some(30));
        assert_eq!(p.lock_secs(6), Some(60));
        assert_eq!(p.lock_secs(9), Some(480));
        assert_eq!(p.lock_secs(10), Some(900));
        assert_eq!(p.lock_secs(100), Some(900));
    }
}
