//! Failed authentication, counted on the application's clock.
//!
//! - **Per address**: bad API tokens and wrong passwords from one client address, in a
//!   minute's window. Past the limit, the address's sign-ins wait for the window's end, except
//!   for a login that has signed in from that address before (a colleague behind the same
//!   office NAT). API tokens are always checked: a valid one is taken, a bad one is 401 (its
//!   96 random bits are not guessed; the count is a guesser's mark).
//! - **Per address and login**: five wrong passwords free, then a wait that doubles with
//!   each further one (1 s, 2 s, 4 s … at most 15 minutes) before that address may try that
//!   login again.
//! - **Per login**: wrong passwords from all addresses, each address counting for at most
//!   its five free ones until there are twenty; past twenty, every wrong password counts and
//!   the login waits as above for every address that has not signed in with it before. Many
//!   addresses then get no more tries than one.
//!
//! What is quiet for a day is forgotten; a sign-in remembers its address for 30 days. Each
//! server counts for itself by the same rule.

use chrono::{DateTime, TimeDelta, Utc};
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;

/// Failed authentications an address may make in one window, unless configured.
pub const FAILURES_PER_WINDOW: u32 = 30;
/// The address's window, in seconds.
const WINDOW: i64 = 60;
/// Wrong passwords an address may give for one login before it waits.
pub const PAIR_ALLOWANCE: u32 = 5;
/// Wrong passwords a login may receive, at most `PAIR_ALLOWANCE` from each address, before it
/// waits.
pub const ACCOUNT_ALLOWANCE: u32 = 20;
/// The longest wait, in seconds.
pub const LONGEST_WAIT: i64 = 15 * 60;
/// Failures quiet for this long are forgotten, in seconds.
const FORGET: i64 = 24 * 60 * 60;
/// How long a sign-in vouches for its address and login, in seconds.
const REMEMBER_SIGN_IN: i64 = 30 * 24 * 60 * 60;
/// Entries each table keeps at most; beyond, the longest quiet are forgotten first.
const REMEMBERED: usize = 100_000;

/// Failures of one address in its current window.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: DateTime<Utc>,
    failures: u32,
}

/// Wrong passwords in a row, and until when the next try waits.
#[derive(Debug, Clone, Copy)]
struct Backoff {
    failures: u32,
    until: DateTime<Utc>,
    last: DateTime<Utc>,
}

impl Backoff {
    fn new(now: DateTime<Utc>) -> Self {
        Self {
            failures: 0,
            until: now,
            last: now,
        }
    }

    /// Counts a failure; past `allowance`, the next try waits 1 s, 2 s, 4 s … at most
    /// `LONGEST_WAIT`.
    fn failed(&mut self, allowance: u32, now: DateTime<Utc>) {
        self.failures = self.failures.saturating_add(1);
        self.last = now;
        if let Some(over) = self.failures.checked_sub(allowance + 1) {
            let wait = 1i64.checked_shl(over.min(30)).unwrap_or(LONGEST_WAIT);
            self.until = now + TimeDelta::seconds(wait.min(LONGEST_WAIT));
        }
    }

    fn wait(&self, now: DateTime<Utc>) -> Option<u64> {
        seconds_until(self.until, now)
    }
}

/// Whole seconds from `now` to `until`, rounded up; `None` once it has passed.
fn seconds_until(until: DateTime<Utc>, now: DateTime<Utc>) -> Option<u64> {
    let left = (until - now).num_milliseconds();
    (left > 0).then(|| u64::try_from((left + 999) / 1000).unwrap_or(1))
}

/// A login as it is counted: trimmed, lower case, at most 64 characters.
fn login_key(login: &str) -> String {
    login
        .trim()
        .chars()
        .take(64)
        .collect::<String>()
        .to_lowercase()
}

/// Makes room in `map` for one more key: forgets what is stale, then the longest quiet.
fn make_room<K: Eq + Hash + Clone, V>(
    map: &mut HashMap<K, V>,
    key: &K,
    last: impl Fn(&V) -> DateTime<Utc>,
    stale: impl Fn(&V) -> bool,
) {
    if map.len() < REMEMBERED || map.contains_key(key) {
        return;
    }
    map.retain(|_, v| !stale(v));
    if map.len() >= REMEMBERED {
        let mut times: Vec<DateTime<Utc>> = map.values().map(&last).collect();
        let cut = times.len() / 10;
        let (_, oldest_kept, _) = times.select_nth_unstable(cut);
        let oldest_kept = *oldest_kept;
        map.retain(|_, v| last(v) >= oldest_kept);
        // Equal times may keep the table full: then forget it.
        if map.len() >= REMEMBERED {
            map.clear();
        }
    }
}

#[derive(Debug, Default)]
struct Tables {
    by_address: HashMap<IpAddr, Window>,
    by_pair: HashMap<(IpAddr, String), Backoff>,
    by_login: HashMap<String, Backoff>,
    signed_in: HashMap<(IpAddr, String), DateTime<Utc>>,
}

impl Tables {
    /// Counts a failure of `client` in its window; answers the failures so far.
    fn address_failed(&mut self, client: IpAddr, now: DateTime<Utc>) -> u32 {
        let window = TimeDelta::seconds(WINDOW);
        make_room(
            &mut self.by_address,
            &client,
            |w| w.start,
            |w| now - w.start >= window,
        );
        let w = self.by_address.entry(client).or_insert(Window {
            start: now,
            failures: 0,
        });
        if now - w.start >= window || now < w.start {
            *w = Window {
                start: now,
                failures: 0,
            };
        }
        w.failures = w.failures.saturating_add(1);
        w.failures
    }

    /// How long `client` waits for its window's end, if it is over `limit`.
    fn address_wait(&self, client: IpAddr, limit: u32, now: DateTime<Utc>) -> Option<u64> {
        let w = self.by_address.get(&client)?;
        if w.failures < limit {
            return None;
        }
        seconds_until(w.start + TimeDelta::seconds(WINDOW), now)
    }

    fn vouched(&self, pair: &(IpAddr, String), now: DateTime<Utc>) -> bool {
        self.signed_in
            .get(pair)
            .is_some_and(|at| now - *at < TimeDelta::seconds(REMEMBER_SIGN_IN))
    }
}

/// The failures this server has seen.
#[derive(Debug)]
pub struct FailedAuth {
    limit: u32,
    tables: Mutex<Tables>,
}

impl Default for FailedAuth {
    fn default() -> Self {
        Self::new(FAILURES_PER_WINDOW)
    }
}

impl FailedAuth {
    /// `limit` failed authentications a minute per address.
    pub fn new(limit: u32) -> Self {
        Self {
            limit: limit.max(1),
            tables: Mutex::default(),
        }
    }

    fn tables(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a bad API token from `client`; answers its failures in the window. The token
    /// itself is answered 401 whatever the count: checking it was the work, and a valid token
    /// from the same address is always taken.
    pub fn token_failed(&self, client: IpAddr, now: DateTime<Utc>) -> u32 {
        self.tables().address_failed(client, now)
    }

    /// How long `client` must wait before its password for `login` is checked, if at all.
    pub fn sign_in_wait(&self, client: IpAddr, login: &str, now: DateTime<Utc>) -> Option<u64> {
        let t = self.tables();
        let pair = (client, login_key(login));
        let own = t.by_pair.get(&pair).and_then(|b| b.wait(now));
        if t.vouched(&pair, now) {
            return own;
        }
        let others = [
            t.by_login.get(&pair.1).and_then(|b| b.wait(now)),
            t.address_wait(client, self.limit, now),
        ];
        others.into_iter().chain([own]).flatten().max()
    }

    /// Counts a wrong password for `login` from `client`; answers the failures of the pair.
    pub fn password_failed(&self, client: IpAddr, login: &str, now: DateTime<Utc>) -> u32 {
        let mut t = self.tables();
        t.address_failed(client, now);
        let pair = (client, login_key(login));
        let forget = TimeDelta::seconds(FORGET);
        let stale = |b: &Backoff| now - b.last >= forget && now >= b.until;
        make_room(&mut t.by_pair, &pair, |b| b.last, stale);
        let b = t.by_pair.entry(pair.clone()).or_insert(Backoff::new(now));
        if stale(b) {
            *b = Backoff::new(now);
        }
        b.failed(PAIR_ALLOWANCE, now);
        let pair_failures = b.failures;
        // Until the login is past its allowance, each address counts against it for its free
        // tries only: one address cannot make the login wait for everyone. Past it, every
        // failure counts, so addresses that have used their free tries cannot take turns.
        make_room(&mut t.by_login, &pair.1, |b| b.last, stale);
        let a = t.by_login.entry(pair.1).or_insert(Backoff::new(now));
        if stale(a) {
            *a = Backoff::new(now);
        }
        if pair_failures <= PAIR_ALLOWANCE || a.failures >= ACCOUNT_ALLOWANCE {
            a.failed(ACCOUNT_ALLOWANCE, now);
        }
        pair_failures
    }

    /// Forgets the pair's wrong passwords and remembers that `login` signs in from `client`.
    pub fn password_succeeded(&self, client: IpAddr, login: &str, now: DateTime<Utc>) {
        let mut t = self.tables();
        let pair = (client, login_key(login));
        t.by_pair.remove(&pair);
        let remember = TimeDelta::seconds(REMEMBER_SIGN_IN);
        make_room(
            &mut t.signed_in,
            &pair,
            |at| *at,
            |at| now - *at >= remember,
        );
        t.signed_in.insert(pair, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t0: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
        t0 + TimeDelta::seconds(secs)
    }

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_796_608_800, 0).unwrap_or_default()
    }

    #[test]
    fn bad_tokens_make_the_address_wait_to_sign_in_for_a_minute() {
        let limits = FailedAuth::new(3);
        let (a, b) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        let t0 = t0();
        for i in 1..=3 {
            assert_eq!(limits.sign_in_wait(a, "erin", t0), None);
            assert_eq!(limits.token_failed(a, t0), i);
        }
        assert_eq!(limits.sign_in_wait(a, "erin", at(t0, 10)), Some(50));
        assert_eq!(limits.sign_in_wait(b, "erin", at(t0, 10)), None);
        assert_eq!(limits.sign_in_wait(a, "erin", at(t0, 60)), None);
        assert_eq!(limits.token_failed(a, at(t0, 60)), 1, "a new window");
    }

    #[test]
    fn a_pair_waits_twice_as_long_after_each_wrong_password_past_five() {
        let limits = FailedAuth::default();
        let a = IpAddr::from([10, 0, 0, 1]);
        let mut now = t0();
        for _ in 0..PAIR_ALLOWANCE {
            assert_eq!(limits.sign_in_wait(a, "alice", now), None);
            limits.password_failed(a, "alice", now);
        }
        let mut waits = Vec::new();
        for _ in 0..12 {
            limits.password_failed(a, " Alice ", now);
            let wait = limits.sign_in_wait(a, "ALICE", now).unwrap_or(0);
            waits.push(wait);
            now += TimeDelta::seconds(i64::try_from(wait).unwrap_or(0));
            assert_eq!(limits.sign_in_wait(a, "alice", now), None, "waited it out");
        }
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]);
        limits.password_succeeded(a, "alice", now);
        limits.password_failed(a, "alice", now);
        assert_eq!(limits.sign_in_wait(a, "alice", now), None, "a fresh start");
    }

    #[test]
    fn many_addresses_make_a_login_wait_but_not_where_it_signed_in_before() {
        let limits = FailedAuth::default();
        let home = IpAddr::from([10, 9, 9, 9]);
        let now = t0();
        limits.password_succeeded(home, "bob", now);
        let guessers = ACCOUNT_ALLOWANCE / PAIR_ALLOWANCE;
        for n in 0..guessers {
            let g = IpAddr::from([10, 0, 0, u8::try_from(n).unwrap_or(0)]);
            let extra = if n + 1 < guessers { 3 } else { 0 };
            for _ in 0..PAIR_ALLOWANCE + extra {
                limits.password_failed(g, "bob", now);
            }
        }
        let newcomer = IpAddr::from([10, 1, 1, 1]);
        assert_eq!(
            limits.sign_in_wait(newcomer, "bob", now),
            None,
            "the guessers' tries past their free ones did not count against bob"
        );
        limits.password_failed(newcomer, "bob", now);
        assert_eq!(limits.sign_in_wait(newcomer, "bob", now), Some(1));
        assert_eq!(limits.sign_in_wait(home, "bob", now), None, "vouched");
        assert_eq!(limits.sign_in_wait(newcomer, "carol", now), None);

        // Past the allowance, addresses that used their free tries cannot take turns: each
        // of their failures makes the login wait longer.
        let mut now = now;
        let mut waits = Vec::new();
        for n in 0..4u8 {
            now += TimeDelta::seconds(LONGEST_WAIT);
            let g = IpAddr::from([10, 0, 0, n]);
            assert_eq!(limits.sign_in_wait(g, "bob", now), None);
            limits.password_failed(g, "bob", now);
            waits.push(limits.sign_in_wait(newcomer, "bob", now));
        }
        assert_eq!(waits, [Some(2), Some(4), Some(8), Some(16)]);
    }

    #[test]
    fn a_busy_address_waits_except_for_logins_that_signed_in_there() {
        let limits = FailedAuth::new(10);
        let office = IpAddr::from([10, 0, 0, 1]);
        let now = t0();
        limits.password_succeeded(office, "colleague", now);
        for n in 0..10 {
            limits.password_failed(office, &format!("user{n}"), now);
        }
        assert_eq!(
            limits.sign_in_wait(office, "someone", at(now, 15)),
            Some(45)
        );
        assert_eq!(limits.sign_in_wait(office, "colleague", at(now, 15)), None);
        assert_eq!(limits.sign_in_wait(office, "someone", at(now, 60)), None);
    }

    #[test]
    fn a_quiet_day_forgets() {
        let limits = FailedAuth::default();
        let a = IpAddr::from([10, 0, 0, 1]);
        let now = t0();
        for _ in 0..PAIR_ALLOWANCE + 4 {
            limits.password_failed(a, "dave", now);
        }
        let later = at(now, FORGET);
        assert_eq!(limits.sign_in_wait(a, "dave", later), None);
        limits.password_failed(a, "dave", later);
        assert_eq!(
            limits.sign_in_wait(a, "dave", later),
            None,
            "counted afresh"
        );
    }

    #[test]
    fn tables_stay_bounded() {
        let limits = FailedAuth::default();
        let now = t0();
        for n in 0..(REMEMBERED as u32 + 10) {
            let a = IpAddr::from(n.to_be_bytes());
            limits.password_failed(a, "x", at(now, i64::from(n / 1000)));
        }
        let t = limits.tables();
        assert!(t.by_pair.len() <= REMEMBERED);
        assert!(t.by_address.len() <= REMEMBERED);
    }
}
