//! Per-client rate limiting of registration: a token bucket per client address, and the 429
//! `M_LIMIT_EXCEEDED` refusal with `retry_after_ms`. The server's `register` method checks it
//! with the client address of its request context ([`crate::server::Homeserver`]), so no
//! middleware has to recognise paths.
//!
//! # The bucket
//!
//! Each client has a bucket of at most `burst` tokens that refills at `per_second` tokens per
//! second; a registration request takes one token, and a request that finds less than one token
//! is refused with the exact time until one is available. The bucket is stored as a single
//! [`Instant`], the moment it will be full again (the "theoretical arrival time" of the generic
//! cell rate algorithm, which is the same token bucket written without fractions): with
//! `T = 1 / per_second`, the bucket holds `burst - (full_at - now) / T` tokens, so a request is
//! allowed when `full_at - now <= (burst - 1) * T`, moves `full_at` on by `T`, and otherwise
//! waits `full_at - now - (burst - 1) * T`. All of it is [`Duration`] arithmetic in whole
//! nanoseconds, so waiting exactly the announced time always succeeds.
//!
//! The clock is passed in ([`RateLimiter::check`] takes `now`), so the limiter is tested with
//! made-up instants instead of sleeping.
//!
//! # Clients
//!
//! A client is its IP address, with two normalisations so a client cannot multiply its limit:
//! an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is its IPv4 address, and an IPv6 address
//! counts as its `/64` prefix, the smallest block a site is normally given, from which a single
//! host can otherwise draw 2^64 addresses. Behind a reverse proxy every client has the proxy's
//! address: put the limit in the proxy then, or turn it off (`--no-rate-limit`).
//!
//! # Memory
//!
//! A bucket that is full again is the same as no bucket, so it is dropped: every
//! [`SWEEP_INTERVAL`] the full buckets are removed, and the map then only holds clients that
//! registered within the last `burst / per_second` seconds. On top of that the map never holds
//! more than `max_clients` buckets ([`DEFAULT_MAX_CLIENTS`]): when a new client arrives at a
//! full map, the full buckets are removed, and if that frees nothing, the eighth of the buckets
//! closest to full is (those clients get a fresh bucket, which is the least generous choice).
//!
//! Requests without a client address (an app served without
//! `into_make_service_with_connect_info`, as in-process tests do) are not limited.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Registrations per second a client regains by default.
pub const DEFAULT_RATE_PER_SECOND: f64 = 1.0;
/// Registrations a client may make at once by default. Generous enough for the interop scenario
/// (about 10 registrations from one address in a few seconds) and the integration tests.
pub const DEFAULT_BURST: u32 = 20;
/// The most clients the limiter keeps a bucket for by default (about 10 MB at most).
pub const DEFAULT_MAX_CLIENTS: usize = 100_000;
/// How often buckets that are full again are dropped.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(60);
/// The longest a bucket may take to fill up from empty (`burst / per_second`): one year.
pub const MAX_REFILL: Duration = Duration::from_secs(366 * 24 * 60 * 60);

/// A rate limit: `per_second` tokens regained per second, at most `burst` at once.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    per_second: f64,
    burst: u32,
}

/// Why a [`RateLimit`] is not usable.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RateLimitError {
    /// The rate is zero, negative, infinite or not a number.
    #[error("the rate must be a positive number of requests per second, not {0}")]
    Rate(f64),
    /// The burst is zero.
    #[error("the burst must be at least 1")]
    Burst,
    /// The bucket would take more than [`MAX_REFILL`] to fill up.
    #[error("a burst of {burst} at {per_second} per second takes more than a year to refill")]
    TooSlow {
        /// The rate.
        per_second: f64,
        /// The burst.
        burst: u32,
    },
}

impl Default for RateLimit {
    /// [`DEFAULT_RATE_PER_SECOND`] and [`DEFAULT_BURST`].
    fn default() -> Self {
        Self {
            per_second: DEFAULT_RATE_PER_SECOND,
            burst: DEFAULT_BURST,
        }
    }
}

impl RateLimit {
    /// A limit of `per_second` requests per second (fractions allowed: 0.1 is one per ten
    /// seconds) with bursts of up to `burst` requests.
    pub fn new(per_second: f64, burst: u32) -> Result<Self, RateLimitError> {
        let limit = Self { per_second, burst };
        limit.timing().map(|_| limit)
    }

    /// Requests per second.
    pub fn per_second(&self) -> f64 {
        self.per_second
    }

    /// Requests at once.
    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// The time one token takes to come back, and the tolerance `(burst - 1)` of those.
    fn timing(&self) -> Result<(Duration, Duration), RateLimitError> {
        if !(self.per_second.is_finite() && self.per_second > 0.0) {
            return Err(RateLimitError::Rate(self.per_second));
        }
        if self.burst == 0 {
            return Err(RateLimitError::Burst);
        }
        let too_slow = RateLimitError::TooSlow {
            per_second: self.per_second,
            burst: self.burst,
        };
        let interval = Duration::try_from_secs_f64(1.0 / self.per_second).map_err(|_| too_slow.clone())?;
        match interval.checked_mul(self.burst) {
            Some(refill) if refill <= MAX_REFILL => Ok((interval, interval.saturating_mul(self.burst - 1))),
            _ => Err(too_slow),
        }
    }
}

/// The key a client's bucket is stored under: its IPv4 address, or the `/64` of its IPv6
/// address (IPv4-mapped IPv6 addresses count as IPv4).
pub fn client_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        },
    }
}

/// The buckets and when to sweep them next.
#[derive(Debug, Default)]
struct Buckets {
    /// Each client's "full again at" instant; a client without an entry has a full bucket.
    full_at: HashMap<IpAddr, Instant>,
    /// When to drop the full buckets next (`None` until the first request).
    next_sweep: Option<Instant>,
}

impl Buckets {
    /// Drops every bucket that is full at `now`.
    fn drop_full(&mut self, now: Instant) {
        self.full_at.retain(|_, full_at| *full_at > now);
    }

    /// Makes room for one more bucket under `max_clients`: drops the full buckets, then, if that
    /// was not enough, the eighth (at least one) that are closest to full.
    fn make_room(&mut self, now: Instant, max_clients: usize) {
        self.drop_full(now);
        if self.full_at.len() < max_clients {
            return;
        }
        let mut times: Vec<Instant> = self.full_at.values().copied().collect();
        let evict = (times.len() / 8).max(1);
        let (_, &mut cutoff, _) = times.select_nth_unstable(evict - 1);
        let mut left = evict;
        self.full_at.retain(|_, full_at| {
            let keep = *full_at > cutoff || left == 0;
            if !keep {
                left -= 1;
            }
            keep
        });
    }
}

/// Token buckets per client address; see the [module documentation](self).
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    /// The time one token takes to come back (`1 / per_second`).
    interval: Duration,
    /// How far ahead of now `full_at` may be for a request to pass (`(burst - 1) * interval`).
    tolerance: Duration,
    max_clients: usize,
    buckets: Mutex<Buckets>,
}

impl RateLimiter {
    /// A limiter of `limit` per client, for at most [`DEFAULT_MAX_CLIENTS`] clients at once.
    pub fn new(limit: RateLimit) -> Self {
        Self::with_max_clients(limit, DEFAULT_MAX_CLIENTS)
    }

    /// A limiter of `limit` per client that keeps at most `max_clients` (at least 1) buckets.
    pub fn with_max_clients(limit: RateLimit, max_clients: usize) -> Self {
        // A `RateLimit` is only made by `new` or `default`, both valid: the fallback never runs.
        let (interval, tolerance) = limit.timing().unwrap_or((Duration::from_secs(1), Duration::ZERO));
        Self {
            limit,
            interval,
            tolerance,
            max_clients: max_clients.max(1),
            buckets: Mutex::new(Buckets::default()),
        }
    }

    /// The limit per client.
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Takes a token from the bucket of `client` at `now`: `Ok` if there was one, else how long
    /// until there is (never zero).
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let key = client_key(client);
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.next_sweep.is_none_or(|next| now >= next) {
            buckets.drop_full(now);
            buckets.next_sweep = now.checked_add(SWEEP_INTERVAL);
        }
        let full_at = buckets
            .full_at
            .get(&key)
            .copied()
            .map_or(now, |full_at| full_at.max(now));
        let ahead = full_at.saturating_duration_since(now);
        if ahead > self.tolerance {
            return Err(ahead - self.tolerance);
        }
        let full_at = full_at.checked_add(self.interval).unwrap_or(full_at);
        if full_at <= now {
            buckets.full_at.remove(&key); // a zero interval: the bucket never empties
            return Ok(());
        }
        if !buckets.full_at.contains_key(&key) && buckets.full_at.len() >= self.max_clients {
            buckets.make_room(now, self.max_clients);
        }
        buckets.full_at.insert(key, full_at);
        Ok(())
    }

    /// How many clients have a bucket that is not full (as of the last request).
    pub fn tracked_clients(&self) -> usize {
        self.buckets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .full_at
            .len()
    }
}

/// `duration` in whole milliseconds, rounded up, so waiting that long is always enough.
pub fn ceil_millis(duration: Duration) -> u64 {
    let millis = duration.as_nanos().div_ceil(1_000_000);
    u64::try_from(millis).unwrap_or(u64::MAX)
}

/// The 429 refusal: `M_LIMIT_EXCEEDED` with `retry_after_ms` and a `Retry-After` header in
/// whole seconds (both rounded up, never 0), as a typed Matrix error a server method returns
/// with `?`.
pub fn limit_exceeded(retry_after: Duration) -> matrix_registration::Error {
    matrix_registration::Error::limit_exceeded(retry_after, "Too many registration attempts, try again later")
}

#[cfg(test)]
mod tests;
