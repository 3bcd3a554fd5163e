//! Failed authentication, counted per client address: past a limit in a window, the address
//! is answered 429 without its tokens being checked, until the window ends. Each server
//! counts for itself, by the same rule (several servers behind a balancer let an address
//! that many more tries; tokens carry 96 random bits, so the limit is about load, not
//! guessing).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed attempts an address may make in one window, unless configured.
pub const FAILURES_PER_WINDOW: u32 = 30;
/// The window.
const WINDOW: Duration = Duration::from_secs(60);
/// Addresses remembered at most; beyond, the oldest windows are forgotten first.
const REMEMBERED: usize = 100_000;

/// The failures of each address in its current window.
#[derive(Debug)]
pub struct FailedAuth {
    limit: u32,
    by_client: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl Default for FailedAuth {
    fn default() -> Self {
        Self::new(FAILURES_PER_WINDOW)
    }
}

impl FailedAuth {
    /// `limit` failures a minute per address.
    pub fn new(limit: u32) -> Self {
        Self {
            limit,
            by_client: Mutex::default(),
        }
    }

    /// How long `client` must wait, if it is over the limit now.
    pub fn blocked(&self, client: IpAddr, now: Instant) -> Option<Duration> {
        let map = self.by_client.lock().unwrap_or_else(|e| e.into_inner());
        let (start, failures) = map.get(&client)?;
        let left = WINDOW
            .checked_sub(now.duration_since(*start))
            .filter(|l| !l.is_zero())?;
        (*failures >= self.limit).then_some(left)
    }

    /// Counts a failure of `client`; answers the failures in its window so far.
    pub fn failed(&self, client: IpAddr, now: Instant) -> u32 {
        let mut map = self.by_client.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= REMEMBERED && !map.contains_key(&client) {
            map.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
            if map.len() >= REMEMBERED {
                map.clear();
            }
        }
        let entry = map.entry(client).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_blocked_past_the_limit_until_its_window_ends() {
        let limits = FailedAuth::default();
        let (a, b) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        let t0 = Instant::now();
        for i in 1..=FAILURES_PER_WINDOW {
            assert_eq!(limits.blocked(a, t0), None);
            assert_eq!(limits.failed(a, t0), i);
        }
        let wait = limits.blocked(a, t0 + Duration::from_secs(10));
        assert_eq!(wait, Some(Duration::from_secs(50)));
        assert_eq!(
            limits.blocked(b, t0),
            None,
            "another address is not blocked"
        );
        assert_eq!(limits.blocked(a, t0 + WINDOW), None, "the window ended");
        assert_eq!(limits.failed(a, t0 + WINDOW), 1, "a new window");
    }
}
