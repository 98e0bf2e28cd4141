//! (ssr) Fixed-window rate limits with their counters in the database, so every server of a
//! deployment counts the same requests and a restart forgets nothing.

use sqlx::AnyPool;

use crate::error::AppError;

/// The window of every limit Gatehouse applies; housekeeping drops counters older than this.
pub const WINDOW_SECS: i64 = 60;

/// At most `max_hits` in any window of `window_secs`, per bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max_hits: i64,
    pub window_secs: i64,
}

/// How long a refused caller waits: until the window that refused them ends (at least 1 s).
pub fn retry_after(window_start: i64, limit: Limit, now: i64) -> u64 {
    window_start
        .saturating_add(limit.window_secs)
        .saturating_sub(now)
        .max(1)
        .unsigned_abs()
}

/// Counts one hit on `bucket` at `now`, or refuses it with `RateLimited` when the bucket's
/// window is full. One statement reads and writes the counter, so concurrent requests on any
/// server never both take the last place.
pub async fn hit(db: &AnyPool, bucket: &str, limit: Limit, now: i64) -> Result<(), AppError> {
    let (window_start, hits): (i64, i64) = sqlx::query_as(
        "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (bucket) DO UPDATE SET \
             hits = CASE WHEN rate_limits.window_start <= $3 THEN 1 \
                         ELSE rate_limits.hits + 1 END, \
             window_start = CASE WHEN rate_limits.window_start <= $3 THEN $2 \
                                 ELSE rate_limits.window_start END \
         RETURNING window_start, hits",
    )
    .bind(bucket)
    .bind(now)
    .bind(now - limit.window_secs)
    .fetch_one(db)
    .await?;
    if hits > limit.max_hits {
        return Err(AppError::RateLimited {
            retry_after_secs: retry_after(window_start, limit, now),
        });
    }
    Ok(())
}

/// Deletes counters whose window ended; runs in the background.
pub async fn purge_expired(db: &AnyPool, now: i64) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM rate_limits WHERE window_start <= $1")
            .bind(now - WINDOW_SECS)
            .execute(db)
            .await?
            .rows_affected(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_caller_waits_for_the_end_of_the_window() {
        let limit = Limit {
            max_hits: 3,
            window_secs: 60,
        };
        assert_eq!(retry_after(1_000, limit, 1_000), 60);
        assert_eq!(retry_after(1_000, limit, 1_059), 1);
        assert_eq!(retry_after(1_000, limit, 1_060), 1, "never zero");
    }
}
