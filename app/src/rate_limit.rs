//! (ssr) Rate limits with their counters in the database, so every server of a deployment
//! counts the same requests and a restart forgets nothing. Each bucket counts in a sliding
//! window: the hits of the previous window weigh in for the part of it that still overlaps.

use std::net::IpAddr;

use sqlx::AnyPool;

use crate::error::AppError;

/// The window of per-client limits (look-ups, pre-sign-in requests).
pub const WINDOW_SECS: i64 = 60;

/// At most `max_hits` in any window of `window_secs`, per bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max_hits: i64,
    pub window_secs: i64,
}

/// The start of the window that holds `now` (windows are aligned to multiples of their length).
pub fn window_start(limit: Limit, now: i64) -> i64 {
    now - now.rem_euclid(limit.window_secs.max(1))
}

/// Whether `hits` in the current window and `previous_hits` in the one before stay within the
/// limit at `now`: the previous window counts for the share of it the sliding window still
/// covers. In whole numbers: previous × (window − elapsed) + hits × window ≤ max × window.
pub fn within(limit: Limit, previous_hits: i64, hits: i64, now: i64) -> bool {
    let window = limit.window_secs.max(1);
    let elapsed = now - window_start(limit, now);
    let weighted = previous_hits
        .saturating_mul(window - elapsed)
        .saturating_add(hits.saturating_mul(window));
    weighted <= limit.max_hits.saturating_mul(window)
}

/// How long a refused caller waits: until the current window ends (at least 1 s), when at
/// most the previous window's share is left.
pub fn retry_after(limit: Limit, now: i64) -> u64 {
    (window_start(limit, now) + limit.window_secs - now)
        .max(1)
        .unsigned_abs()
}

/// Counts one hit on `bucket` at `now`, or refuses it with `RateLimited` when the bucket is
/// full. One statement reads and writes the counter, so concurrent requests on any server never
/// both take the last place. Refused hits count too: a client that keeps trying stays refused.
pub async fn hit(db: &AnyPool, bucket: &str, limit: Limit, now: i64) -> Result<(), AppError> {
    let mut conn = db.acquire().await?;
    if take(&mut conn, bucket, limit, 1, now).await? {
        Ok(())
    } else {
        Err(AppError::RateLimited {
            retry_after_secs: retry_after(limit, now),
        })
    }
}

/// Adds `count` hits to `bucket` at `now` and says whether the bucket is still within `limit`.
/// Inside a caller's transaction the hits are undone with it when the caller gives up, which is
/// how allowances (such as the daily invitation emails) count only what was done.
pub async fn take(
    conn: &mut sqlx::AnyConnection,
    bucket: &str,
    limit: Limit,
    count: i64,
    now: i64,
) -> Result<bool, AppError> {
    let current = window_start(limit, now);
    let (hits, previous_hits): (i64, i64) = sqlx::query_as(
        "INSERT INTO rate_limits (bucket, window_start, hits, previous_hits, expires_at) \
         VALUES ($1, $2, $5, 0, $4) \
         ON CONFLICT (bucket) DO UPDATE SET \
             hits = CASE WHEN rate_limits.window_start = $2 THEN rate_limits.hits + $5 \
                         ELSE $5 END, \
             previous_hits = CASE WHEN rate_limits.window_start = $2 THEN rate_limits.previous_hits \
                                  WHEN rate_limits.window_start = $3 THEN rate_limits.hits \
                                  ELSE 0 END, \
             window_start = $2, \
             expires_at = $4 \
         RETURNING hits, previous_hits",
    )
    .bind(bucket)
    .bind(current)
    .bind(current - limit.window_secs)
    .bind(current + 2 * limit.window_secs)
    .bind(count)
    .fetch_one(&mut *conn)
    .await?;
    Ok(within(limit, previous_hits, hits, now))
}

/// The part of a client's address that its limits count by: the address itself for IPv4, its
/// /64 network for IPv6 (one subscriber commonly holds a whole /64). IPv4-mapped IPv6
/// addresses count as the IPv4 address they carry.
pub fn client_bucket(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            let network = std::net::Ipv6Addr::new(
                segments[0],
                segments[1],
                segments[2],
                segments[3],
                0,
                0,
                0,
                0,
            );
            format!("{network}/64")
        }
    }
}

/// Counts a request that presents a secret token (an invite or recovery link) against its
/// client's per-minute limit. Returns `false`, without counting or looking anything up, for a
/// request the visitor's browser made for another site's page (an image or script pointing at
/// a link): another site can neither use up a visitor's allowance nor learn from the answer.
pub async fn count_token_lookup(
    state: &crate::context::AppState,
    kind: &str,
    now: i64,
) -> Result<bool, AppError> {
    if crate::context::is_cross_site_subresource() {
        return Ok(false);
    }
    let client = crate::context::client_ip()
        .map(client_bucket)
        .unwrap_or_else(|| "unknown".to_owned());
    per_minute(
        state,
        &format!("{kind}:{client}"),
        state.settings.invite_lookups_per_minute,
        now,
    )
    .await?;
    Ok(true)
}

/// Counts a request made before anyone is signed in (starting or finishing a sign-in, setup,
/// recovery or an invitee's sign-up) against its client's per-minute limit: each start writes
/// a ceremony row, so without a limit anyone could fill the database.
pub async fn count_sign_in_attempt(
    state: &crate::context::AppState,
    now: i64,
) -> Result<(), AppError> {
    let client = crate::context::client_ip()
        .map(client_bucket)
        .unwrap_or_else(|| "unknown".to_owned());
    per_minute(
        state,
        &format!("sign-in:{client}"),
        state.settings.sign_in_attempts_per_minute,
        now,
    )
    .await
}

/// Counts one hit on `bucket` against at most `max_hits` in any minute.
async fn per_minute(
    state: &crate::context::AppState,
    bucket: &str,
    max_hits: i64,
    now: i64,
) -> Result<(), AppError> {
    let limit = Limit {
        max_hits,
        window_secs: WINDOW_SECS,
    };
    hit(&state.db, bucket, limit, now).await
}

/// Downloads (users, audit log) one tailnet may start per minute, across its admins and servers.
pub const EXPORTS_PER_MINUTE_PER_TAILNET: i64 = 10;

/// Counts a download of a whole list: each reads every row of a tailnet's list.
pub async fn count_export(
    state: &crate::context::AppState,
    tailnet: &crate::ids::TailnetId,
    now: i64,
) -> Result<(), AppError> {
    per_minute(
        state,
        &format!("export:{tailnet}"),
        EXPORTS_PER_MINUTE_PER_TAILNET,
        now,
    )
    .await
}

/// "Confirm it's you" attempts per person and minute: each writes a ceremony row.
pub const CONFIRMATIONS_PER_MINUTE: i64 = 10;

/// Counts a "Confirm it's you" start by the signed-in person.
pub async fn count_confirmation(
    state: &crate::context::AppState,
    user: &crate::ids::UserId,
    now: i64,
) -> Result<(), AppError> {
    per_minute(
        state,
        &format!("confirm:{user}"),
        CONFIRMATIONS_PER_MINUTE,
        now,
    )
    .await
}

/// Deletes counters no window needs any more; runs in the background.
pub async fn purge_expired(db: &AnyPool, now: i64) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM rate_limits WHERE expires_at <= $1")
            .bind(now)
            .execute(db)
            .await?
            .rows_affected(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_across_a_window_edge_gets_the_limit_once() {
        let limit = Limit {
            max_hits: 10,
            window_secs: 60,
        };
        let start = 6_000;
        // Ten hits at the end of one window: a fixed window would allow ten more at once.
        assert!(!within(limit, 10, 1, start));
        // Half-way through the next window, half of the previous hits still count.
        assert!(within(limit, 10, 5, start + 30));
        assert!(!within(limit, 10, 6, start + 30));
        assert!(within(limit, 0, 10, start + 59));
    }

    #[test]
    fn a_refused_caller_waits_for_the_end_of_the_window() {
        let limit = Limit {
            max_hits: 3,
            window_secs: 60,
        };
        assert_eq!(retry_after(limit, 6_000), 60);
        assert_eq!(retry_after(limit, 6_059), 1);
    }

    #[test]
    fn clients_count_by_address_and_ipv6_by_network() {
        let ip = |text: &str| text.parse::<IpAddr>().expect("ip");
        assert_eq!(client_bucket(ip("203.0.113.7")), "203.0.113.7");
        assert_eq!(client_bucket(ip("::ffff:203.0.113.7")), "203.0.113.7");
        assert_eq!(
            client_bucket(ip("2001:db8:1:2:aaaa::1")),
            client_bucket(ip("2001:db8:1:2:bbbb::9"))
        );
        assert_eq!(client_bucket(ip("2001:db8:1:2::1")), "2001:db8:1:2::/64");
        assert_ne!(
            client_bucket(ip("2001:db8:1:2::1")),
            client_bucket(ip("2001:db8:1:3::1"))
        );
    }
}
