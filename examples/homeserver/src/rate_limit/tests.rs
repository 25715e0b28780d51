//! Unit tests of the limiter with made-up instants (no sleeping), and of the 429 answer.

use super::*;
use serde_json::Value;

const MS: Duration = Duration::from_millis(1);
const NS: Duration = Duration::from_nanos(1);

fn ip(address: &str) -> IpAddr {
    address.parse().unwrap()
}

fn limiter(per_second: f64, burst: u32) -> RateLimiter {
    RateLimiter::new(RateLimit::new(per_second, burst).unwrap())
}

/// Sends `n` requests from `client` at `now`; how many passed.
fn passes(limiter: &RateLimiter, client: IpAddr, now: Instant, n: usize) -> usize {
    (0..n).filter(|_| limiter.check(client, now).is_ok()).count()
}

#[test]
fn a_burst_passes_then_one_request_per_interval() {
    let limiter = limiter(2.0, 3); // a token every 500 ms, 3 at once
    let client = ip("192.0.2.1");
    let t0 = Instant::now();
    assert_eq!(passes(&limiter, client, t0, 3), 3);
    assert_eq!(limiter.check(client, t0), Err(500 * MS));
    assert_eq!(limiter.check(client, t0 + 200 * MS), Err(300 * MS));
    assert_eq!(limiter.check(client, t0 + 500 * MS - NS), Err(NS));
    assert_eq!(limiter.check(client, t0 + 500 * MS), Ok(()));
    assert_eq!(limiter.check(client, t0 + 500 * MS), Err(500 * MS));
    // A refused request costs nothing: the next token still comes at t0 + 1 s.
    assert_eq!(limiter.check(client, t0 + 999 * MS), Err(MS));
    assert_eq!(limiter.check(client, t0 + 1000 * MS), Ok(()));
}

#[test]
fn waiting_the_announced_time_is_always_enough_and_never_too_much() {
    for (per_second, burst) in [(1.0, 1), (3.0, 2), (0.7, 5), (1000.0, 10), (0.001, 1)] {
        let limiter = limiter(per_second, burst);
        let client = ip("198.51.100.7");
        let mut now = Instant::now();
        let mut refused = 0;
        for _ in 0..50 {
            match limiter.check(client, now) {
                Ok(()) => {}
                Err(wait) => {
                    refused += 1;
                    assert!(wait > Duration::ZERO);
                    assert_eq!(limiter.check(client, now + wait - NS), Err(NS), "{per_second}/s");
                    now += wait;
                    assert_eq!(limiter.check(client, now), Ok(()), "{per_second}/s after {wait:?}");
                }
            }
        }
        assert!(refused > 0, "{per_second}/s burst {burst}");
    }
}

#[test]
fn waiting_the_announced_whole_milliseconds_is_enough() {
    let limiter = limiter(3.0, 1); // 333.333333 ms per token: never a whole number of ms
    let client = ip("203.0.113.9");
    let mut now = Instant::now();
    assert_eq!(limiter.check(client, now), Ok(()));
    for _ in 0..20 {
        let wait = limiter.check(client, now).unwrap_err();
        let millis = ceil_millis(wait);
        assert!(millis >= 1);
        now += Duration::from_millis(millis);
        assert_eq!(limiter.check(client, now), Ok(()));
    }
}

#[test]
fn an_idle_bucket_refills_to_the_burst_and_no_further() {
    let limiter = limiter(1.0, 4);
    let client = ip("192.0.2.1");
    let t0 = Instant::now();
    assert_eq!(passes(&limiter, client, t0, 10), 4);
    assert_eq!(passes(&limiter, client, t0 + Duration::from_secs(2), 10), 2);
    assert_eq!(passes(&limiter, client, t0 + Duration::from_secs(3600), 10), 4);
}

#[test]
fn two_addresses_have_separate_buckets() {
    let limiter = limiter(1.0, 2);
    let (a, b) = (ip("192.0.2.1"), ip("192.0.2.2"));
    let t0 = Instant::now();
    assert_eq!(passes(&limiter, a, t0, 5), 2);
    assert!(limiter.check(a, t0).is_err());
    assert_eq!(passes(&limiter, b, t0, 5), 2, "b is not limited by a's requests");
    assert!(limiter.check(a, t0 + Duration::from_secs(1)).is_ok());
    assert!(limiter.check(b, t0 + Duration::from_secs(1)).is_ok());
    assert_eq!(limiter.tracked_clients(), 2);
}

#[test]
fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
    assert_eq!(
        client_key(ip("2001:db8::1")),
        client_key(ip("2001:db8::ffff:1234:5678:9"))
    );
    assert_eq!(client_key(ip("2001:db8::1")), ip("2001:db8::"));
    assert_ne!(client_key(ip("2001:db8::1")), client_key(ip("2001:db8:0:1::1")));
    assert_eq!(client_key(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
    assert_eq!(client_key(ip("192.0.2.1")), ip("192.0.2.1"));
    assert_eq!(client_key(ip("::1")), ip("::"));

    let limiter = limiter(1.0, 2);
    let t0 = Instant::now();
    assert_eq!(passes(&limiter, ip("2001:db8::1"), t0, 1), 1);
    assert_eq!(passes(&limiter, ip("2001:db8::2"), t0, 5), 1, "same /64, same bucket");
    assert_eq!(passes(&limiter, ip("2001:db8:0:1::1"), t0, 5), 2, "another /64");
    assert_eq!(passes(&limiter, ip("::ffff:192.0.2.1"), t0, 1), 1);
    assert_eq!(passes(&limiter, ip("192.0.2.1"), t0, 5), 1, "mapped IPv4 is IPv4");
}

#[test]
fn full_buckets_are_dropped_on_the_next_sweep() {
    let limiter = limiter(1.0, 5); // full again 1 s after one request
    let t0 = Instant::now();
    for i in 0..1000u32 {
        let client = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i));
        assert_eq!(limiter.check(client, t0), Ok(()));
    }
    assert_eq!(limiter.tracked_clients(), 1000);
    // Before the sweep interval nothing is swept, but nothing grows either.
    assert!(limiter.check(ip("192.0.2.1"), t0 + Duration::from_secs(2)).is_ok());
    assert_eq!(limiter.tracked_clients(), 1001);
    assert!(limiter.check(ip("192.0.2.1"), t0 + SWEEP_INTERVAL).is_ok());
    assert_eq!(
        limiter.tracked_clients(),
        1,
        "only the client that just registered is kept"
    );
}

#[test]
fn the_map_never_holds_more_than_max_clients() {
    let limit = RateLimit::new(1.0, 3).unwrap();
    let limiter = RateLimiter::with_max_clients(limit, 16);
    let t0 = Instant::now();
    let heavy = ip("192.0.2.1");
    assert_eq!(passes(&limiter, heavy, t0, 3), 3);
    for i in 0..10_000u32 {
        let client = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i));
        let now = t0 + Duration::from_micros(u64::from(i));
        assert_eq!(
            limiter.check(client, now),
            Ok(()),
            "a new client starts with a full bucket"
        );
        assert!(limiter.tracked_clients() <= 16);
    }
    // The emptiest bucket is the last to go: the heavy client is still limited.
    assert!(limiter.check(heavy, t0 + Duration::from_millis(20)).is_err());
}

#[test]
fn limits_are_validated() {
    assert_eq!(
        RateLimit::default(),
        RateLimit::new(DEFAULT_RATE_PER_SECOND, DEFAULT_BURST).unwrap()
    );
    assert_eq!(
        (RateLimit::default().per_second(), RateLimit::default().burst()),
        (1.0, 20)
    );
    for rate in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(
            matches!(RateLimit::new(rate, 10), Err(RateLimitError::Rate(_))),
            "{rate}"
        );
    }
    assert_eq!(RateLimit::new(1.0, 0), Err(RateLimitError::Burst));
    assert!(matches!(RateLimit::new(1e-9, 10), Err(RateLimitError::TooSlow { .. })));
    assert!(matches!(
        RateLimit::new(f64::MIN_POSITIVE, 1),
        Err(RateLimitError::TooSlow { .. })
    ));
    assert!(RateLimit::new(0.1, 1).is_ok());
    // A rate too high to measure in nanoseconds never limits.
    let limiter = limiter(1e12, 1);
    assert_eq!(passes(&limiter, ip("192.0.2.1"), Instant::now(), 100), 100);
    assert_eq!(limiter.tracked_clients(), 0);
}

#[test]
fn milliseconds_round_up() {
    assert_eq!(ceil_millis(Duration::ZERO), 0);
    assert_eq!(ceil_millis(NS), 1);
    assert_eq!(ceil_millis(MS), 1);
    assert_eq!(ceil_millis(MS + NS), 2);
    assert_eq!(ceil_millis(Duration::from_secs(3)), 3000);
}

#[tokio::test]
async fn the_answer_is_429_m_limit_exceeded_with_retry_after() {
    let error = limit_exceeded(Duration::from_micros(1_000_500));
    assert_eq!(error.code(), &matrix_registration::ErrorCode::LimitExceeded);
    assert_eq!(error.retry_after(), Some(Duration::from_millis(1001)));
    let response = error.into_http();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()[http::header::RETRY_AFTER], "2");
    assert_eq!(response.headers()[http::header::CONTENT_TYPE], "application/json");
    let body: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(body["errcode"], "M_LIMIT_EXCEEDED");
    assert_eq!(body["retry_after_ms"], 1001);
    assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "{body}");
    // Never 0, which a client would take as "retry at once".
    let response = limit_exceeded(Duration::ZERO).into_http();
    let body: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(body["retry_after_ms"], 1);
}
