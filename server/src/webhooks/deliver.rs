//! Leasing endpoints with due events, sending them, and recording how it went.

use std::sync::Arc;
use std::time::Duration;

use app::error::AppError;
use app::settings::Settings;
use app::webhooks::address::{is_public, literal_address, private_refusal};
use app::webhooks::endpoints::open_secret;
use app::webhooks::model::{DeliveryState, ProviderType};
use serde_json::Value;
use sqlx::AnyPool;

use super::format::body;
use super::sign::{SIGNATURE_HEADER, signature};

/// How long a server may hold an endpoint before another may deliver to it; well above the
/// request timeout.
pub const LEASE_SECS: i64 = 60;
/// Events sent in one request, at most.
const EVENTS_PER_REQUEST: i64 = 20;
/// Endpoints leased per round, at most.
const ENDPOINTS_PER_ROUND: i64 = 50;
/// Of a receiver's answer to a failed delivery, only this much is kept.
const EXCERPT_CHARS: usize = 200;

/// The delay before retry number `attempts` (1 = after the first failure): 10 s doubling to
/// at most an hour.
pub fn retry_delay_secs(attempts: i64) -> i64 {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 12)).unwrap_or(12);
    (10_i64 << exponent).min(3_600)
}

/// What one round did, in events.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryRound {
    pub delivered: usize,
    pub failed_attempts: usize,
    /// Events given up on this round.
    pub given_up: usize,
}

impl DeliveryRound {
    fn add(&mut self, other: DeliveryRound) {
        self.delivered += other.delivered;
        self.failed_attempts += other.failed_attempts;
        self.given_up += other.given_up;
    }
}

/// An endpoint this server holds the lease of.
struct Leased {
    id: String,
    url: String,
    provider: ProviderType,
    secret_sealed: String,
    lease: String,
}

/// Leases every endpoint with a due event that no other server holds.
async fn lease_due_endpoints(db: &AnyPool, now: i64) -> Result<Vec<Leased>, AppError> {
    let candidates: Vec<String> = sqlx::query_scalar(
        "SELECT e.id FROM webhook_endpoints e \
         WHERE (e.leased_until IS NULL OR e.leased_until <= $1) \
           AND EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.endpoint_id = e.id \
                       AND d.state = $2 AND d.next_attempt_at <= $1) \
         ORDER BY e.id LIMIT $3",
    )
    .bind(now)
    .bind(DeliveryState::Pending.as_str())
    .bind(ENDPOINTS_PER_ROUND)
    .fetch_all(db)
    .await?;
    let mut leased = Vec::new();
    for id in candidates {
        let lease = uuid::Uuid::new_v4().to_string();
        // Whoever's update changes the row holds the endpoint; everyone else skips it.
        let row: Option<(String, String, String)> = sqlx::query_as(
            "UPDATE webhook_endpoints SET lease_id = $1, leased_until = $2 \
             WHERE id = $3 AND (leased_until IS NULL OR leased_until <= $4) \
             RETURNING url, provider_type, secret_sealed",
        )
        .bind(&lease)
        .bind(now + LEASE_SECS)
        .bind(&id)
        .bind(now)
        .fetch_optional(db)
        .await?;
        if let Some((url, provider, secret_sealed)) = row {
            leased.push(Leased {
                id,
                url,
                provider: ProviderType::parse(&provider).unwrap_or_default(),
                secret_sealed,
                lease,
            });
        }
    }
    Ok(leased)
}

/// How a request went.
enum Sent {
    /// A 2xx answer.
    Accepted(u16),
    /// Another status, with the start of the answer.
    Refused(u16, String),
    /// No answer: the reason.
    Unreachable(String),
}

fn excerpt(text: &str) -> String {
    let short: String = text.chars().take(EXCERPT_CHARS).collect();
    short.trim().to_owned()
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    body: Vec<u8>,
    signature: String,
    allow_private: bool,
) -> Sent {
    let Ok(parsed) = url::Url::parse(url) else {
        return Sent::Unreachable("the URL no longer parses".to_owned());
    };
    // The resolver checks names; an address written in the URL is checked here.
    if let Some(address) = literal_address(&parsed)
        && !allow_private
        && !is_public(address)
    {
        return Sent::Unreachable(private_refusal(&address.to_string()));
    }
    let request = client
        .post(parsed)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature)
        .body(body);
    match request.send().await {
        Ok(mut response) => {
            let status = response.status().as_u16();
            if response.status().is_success() {
                return Sent::Accepted(status);
            }
            // Read only the start of the answer, never the whole of it.
            let mut start = Vec::new();
            while start.len() < EXCERPT_CHARS * 4 {
                match tokio::time::timeout(Duration::from_secs(2), response.chunk()).await {
                    Ok(Ok(Some(chunk))) => start.extend_from_slice(&chunk),
                    _ => break,
                }
            }
            Sent::Refused(status, excerpt(&String::from_utf8_lossy(&start)))
        }
        Err(error) => {
            // The innermost cause names what went wrong (refused, timed out, a private address).
            let mut cause: &dyn std::error::Error = &error;
            while let Some(inner) = cause.source() {
                cause = inner;
            }
            let reason = if error.is_timeout() {
                "no answer within 10 seconds".to_owned()
            } else {
                cause.to_string()
            };
            Sent::Unreachable(excerpt(&reason))
        }
    }
}

/// Sends the endpoint's due events in one request and records the outcome on each, then
/// gives the endpoint's lease back.
async fn deliver_to(
    db: &AnyPool,
    settings: &Settings,
    client: &reqwest::Client,
    endpoint: Leased,
    now: i64,
) -> Result<DeliveryRound, AppError> {
    let due: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT id, event, give_up_at, attempts FROM webhook_deliveries \
         WHERE endpoint_id = $1 AND state = $2 AND next_attempt_at <= $3 \
         ORDER BY created_at, id LIMIT $4",
    )
    .bind(&endpoint.id)
    .bind(DeliveryState::Pending.as_str())
    .bind(now)
    .bind(EVENTS_PER_REQUEST)
    .fetch_all(db)
    .await?;
    let mut round = DeliveryRound::default();
    if !due.is_empty() {
        let events: Vec<Value> = due
            .iter()
            .filter_map(|(_, event, _, _)| serde_json::from_str(event).ok())
            .collect();
        let body = body(endpoint.provider, events, &settings.public_origin());
        let secret = open_secret(&settings.link_key, &endpoint.id, &endpoint.secret_sealed)?;
        // The time of sending, which the receiver compares with its clock.
        let header = signature(&secret, app::context::now(), &body);
        let allow = settings.webhook_allow_private;
        let sent = post(client, &endpoint.url, body, header, allow).await;
        for (id, _, give_up_at, attempts) in &due {
            let delivery = DueDelivery {
                id,
                attempts: *attempts,
                give_up_at: *give_up_at,
            };
            round.add(record(db, &endpoint, &delivery, &sent, now).await?);
        }
    }
    sqlx::query(
        "UPDATE webhook_endpoints SET lease_id = NULL, leased_until = NULL \
         WHERE id = $1 AND lease_id = $2",
    )
    .bind(&endpoint.id)
    .bind(&endpoint.lease)
    .execute(db)
    .await?;
    Ok(round)
}

/// The condition that this server still holds the endpoint ($1) with its lease ($2).
macro_rules! still_leased {
    () => {
        "EXISTS (SELECT 1 FROM webhook_endpoints WHERE id = $1 AND lease_id = $2)"
    };
}

/// An event being sent: its delivery row, the attempts before this one, and when to give up.
struct DueDelivery<'a> {
    id: &'a str,
    attempts: i64,
    give_up_at: i64,
}

/// Records one event's attempt, if this server still holds the endpoint.
async fn record(
    db: &AnyPool,
    endpoint: &Leased,
    delivery: &DueDelivery<'_>,
    sent: &Sent,
    now: i64,
) -> Result<DeliveryRound, AppError> {
    let mut round = DeliveryRound::default();
    let (status, problem) = match sent {
        Sent::Accepted(status) => {
            sqlx::query(concat!(
                "UPDATE webhook_deliveries SET state = $3, attempts = attempts + 1, \
                     last_attempt_at = $4, last_status = $5, last_error = NULL, delivered_at = $4 \
                 WHERE id = $6 AND state = $7 AND ",
                still_leased!()
            ))
            .bind(&endpoint.id)
            .bind(&endpoint.lease)
            .bind(DeliveryState::Delivered.as_str())
            .bind(now)
            .bind(i64::from(*status))
            .bind(delivery.id)
            .bind(DeliveryState::Pending.as_str())
            .execute(db)
            .await?;
            round.delivered += 1;
            return Ok(round);
        }
        Sent::Refused(status, answer) => {
            let problem = if answer.is_empty() {
                format!("HTTP {status}")
            } else {
                format!("HTTP {status}: {answer}")
            };
            (Some(i64::from(*status)), problem)
        }
        Sent::Unreachable(reason) => (None, reason.clone()),
    };
    round.failed_attempts += 1;
    let attempts = delivery.attempts;
    let next = now + retry_delay_secs(attempts + 1);
    let state = if next > delivery.give_up_at {
        round.given_up += 1;
        DeliveryState::Failed
    } else {
        DeliveryState::Pending
    };
    tracing::warn!(
        endpoint = %endpoint.id, delivery = delivery.id, attempts = attempts + 1, %problem,
        given_up = state == DeliveryState::Failed, "webhook not delivered"
    );
    sqlx::query(concat!(
        "UPDATE webhook_deliveries SET state = $3, attempts = attempts + 1, \
             last_attempt_at = $4, last_status = $5, last_error = $6, next_attempt_at = $7 \
         WHERE id = $8 AND state = $9 AND ",
        still_leased!()
    ))
    .bind(&endpoint.id)
    .bind(&endpoint.lease)
    .bind(state.as_str())
    .bind(now)
    .bind(status)
    .bind(problem)
    .bind(next)
    .bind(delivery.id)
    .bind(DeliveryState::Pending.as_str())
    .execute(db)
    .await?;
    Ok(round)
}

/// Delivers every due event this server can lease an endpoint for, at time `now`, each
/// endpoint concurrently; returns when all of them are done.
pub async fn deliver_due(
    db: &AnyPool,
    settings: &Settings,
    client: &reqwest::Client,
    now: i64,
) -> Result<DeliveryRound, AppError> {
    let endpoints = lease_due_endpoints(db, now).await?;
    let results = futures::future::join_all(
        endpoints
            .into_iter()
            .map(|endpoint| deliver_to(db, settings, client, endpoint, now)),
    )
    .await;
    let mut round = DeliveryRound::default();
    for result in results {
        round.add(result?);
    }
    Ok(round)
}

/// Looks for due events every second until `stop` turns true. Each leased endpoint is
/// delivered to by a task of its own, so the next round does not wait for a slow receiver;
/// when stopping, the requests under way are finished (within the timeout) and recorded.
pub fn spawn_worker(
    db: AnyPool,
    settings: Arc<Settings>,
    client: reqwest::Client,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut under_way = tokio::task::JoinSet::new();
        let mut every = tokio::time::interval(Duration::from_secs(1));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = every.tick() => {}
                _ = stop.wait_for(|stopping| *stopping) => break,
            }
            while let Some(done) = under_way.try_join_next() {
                report(done);
            }
            let now = app::context::now();
            match lease_due_endpoints(&db, now).await {
                Ok(endpoints) => {
                    for endpoint in endpoints {
                        let (db, settings, client) = (db.clone(), settings.clone(), client.clone());
                        under_way.spawn(async move {
                            deliver_to(&db, &settings, &client, endpoint, now).await
                        });
                    }
                }
                Err(error) => tracing::warn!(%error, "leasing webhook endpoints failed"),
            }
        }
        while let Some(done) = under_way.join_next().await {
            report(done);
        }
    })
}

fn report(done: Result<Result<DeliveryRound, AppError>, tokio::task::JoinError>) {
    match done {
        Ok(Ok(round)) => {
            crate::metrics::record_webhook_deliveries(round.delivered, round.failed_attempts)
        }
        Ok(Err(error)) => tracing::warn!(%error, "a webhook delivery failed to record"),
        Err(error) => tracing::warn!(%error, "a webhook delivery task stopped"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(retry_delay_secs(1), 10);
        assert_eq!(retry_delay_secs(2), 20);
        assert_eq!(retry_delay_secs(3), 40);
        assert_eq!(retry_delay_secs(9), 2_560);
        assert_eq!(retry_delay_secs(10), 3_600);
        assert_eq!(retry_delay_secs(1_000), 3_600);
    }
}
