//! The email outbox worker: leases due rows, renders and sends them over SMTP, and records the
//! outcome. Rows are leased with a conditional update, so servers sharing a database never
//! send the same row twice; a failed send is retried later with a growing delay, so with SMTP
//! down nothing is lost.

use std::time::Duration;

use app::error::AppError;
use app::ids::InviteId;
use app::settings::Settings;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::AnyPool;

/// How long a server may take to send a leased row before another may try it.
pub const LEASE_SECS: i64 = 120;
/// Rows handled per round.
const BATCH: i64 = 20;

/// The delay before retry number `attempts` (1 = after the first failure): 15 s doubling to
/// at most an hour.
pub fn retry_delay_secs(attempts: i64) -> i64 {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 12)).unwrap_or(12);
    (15_i64 << exponent).min(3_600)
}

/// An SMTP connection pool and the sender address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// From `GATEHOUSE_SMTP_URL` (`smtp://host:port`, `smtps://…`, `?tls=required`) and
    /// `GATEHOUSE_MAIL_FROM` (default `Gatehouse <gatehouse@<public host>>`).
    pub fn new(smtp_url: &str, mail_from: Option<&str>, public_host: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| format!("GATEHOUSE_SMTP_URL: {e}"))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from_text = mail_from
            .map(str::to_owned)
            .unwrap_or_else(|| format!("Gatehouse <gatehouse@{public_host}>"));
        let from = from_text
            .parse::<Mailbox>()
            .map_err(|e| format!("GATEHOUSE_MAIL_FROM: '{from_text}' is not a sender ({e})"))?;
        Ok(Self { transport, from })
    }
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryRound {
    pub sent: usize,
    pub failed: usize,
    /// Rows with nothing left to send (the invite was accepted meanwhile).
    pub dropped: usize,
}

/// Sends every due row this server can lease, at time `now`.
pub async fn deliver_due(
    db: &AnyPool,
    settings: &Settings,
    mailer: &Mailer,
    now: i64,
) -> Result<DeliveryRound, AppError> {
    deliver_due_until(db, settings, mailer, now, || false).await
}

/// [`deliver_due`], leasing no further row once `stopping` says so: the row being sent is
/// finished and recorded, so no lease outlives the worker and no email goes out twice.
async fn deliver_due_until(
    db: &AnyPool,
    settings: &Settings,
    mailer: &Mailer,
    now: i64,
    stopping: impl Fn() -> bool,
) -> Result<DeliveryRound, AppError> {
    /// id, template, recipient, invite, recovery link, email code, the tailnet and person of
    /// an approval wait, attempts so far.
    type DueRow = (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        i64,
    );
    let due: Vec<DueRow> = sqlx::query_as(
        "SELECT id, template, recipient, invite_id, recovery_link_id, email_code_id, \
             waiting_tailnet_id, waiting_user_id, attempts \
         FROM email_outbox \
         WHERE sent_at IS NULL AND next_attempt_at <= $1 \
           AND (leased_until IS NULL OR leased_until <= $1) \
         ORDER BY next_attempt_at LIMIT $2",
    )
    .bind(now)
    .bind(BATCH)
    .fetch_all(db)
    .await?;
    let mut round = DeliveryRound::default();
    for (
        id,
        template,
        recipient,
        invite,
        recovery_link,
        email_code,
        waiting_in,
        waiting,
        attempts,
    ) in due
    {
        if stopping() {
            break;
        }
        let lease = uuid::Uuid::new_v4().to_string();
        // Whoever's update changes the row owns it; everyone else skips it.
        let leased = sqlx::query(
            "UPDATE email_outbox SET lease_id = $1, leased_until = $2, attempts = attempts + 1 \
             WHERE id = $3 AND sent_at IS NULL AND (leased_until IS NULL OR leased_until <= $4)",
        )
        .bind(&lease)
        .bind(now + LEASE_SECS)
        .bind(&id)
        .bind(now)
        .execute(db)
        .await?;
        if leased.rows_affected() != 1 {
            continue;
        }
        let email = if let (Some(tailnet), Some(person)) = (&waiting_in, &waiting) {
            app::members::approval_email::render(
                db,
                settings,
                &app::ids::TailnetId::from_raw(tailnet.clone()),
                &app::ids::UserId::from_raw(person.clone()),
            )
            .await?
        } else {
            match (&email_code, &invite, &recovery_link) {
                (Some(code), _, _) => {
                    app::invites::email_code::email_for(db, settings, &template, code).await?
                }
                (None, Some(invite), _) => {
                    app::invites::lookup::invite_email(
                        db,
                        settings,
                        &InviteId::from_raw(invite.clone()),
                    )
                    .await?
                }
                (None, None, Some(link))
                    if template == app::recovery::server::RECOVERY_USED_TEMPLATE =>
                {
                    app::recovery::server::recovery_used_email(db, link).await?
                }
                (None, None, Some(link)) => {
                    app::recovery::server::recovery_email(db, settings, link, now).await?
                }
                (None, None, None) => None,
            }
        };
        let outcome = match email {
            None => {
                round.dropped += 1;
                Ok(())
            }
            Some(email) => {
                let sent = send(mailer, &recipient, email).await;
                if sent.is_ok() {
                    round.sent += 1;
                }
                sent
            }
        };
        match outcome {
            Ok(()) => {
                if let Some(link) = &recovery_link {
                    app::recovery::server::forget_sealed_link(db, link).await?;
                }
                if let Some(code) = &email_code {
                    app::invites::email_code::forget_sealed_code(db, code).await?;
                }
                sqlx::query(
                    "UPDATE email_outbox SET sent_at = $1, leased_until = NULL, last_error = NULL \
                     WHERE id = $2 AND lease_id = $3",
                )
                .bind(now)
                .bind(&id)
                .bind(&lease)
                .execute(db)
                .await?;
            }
            Err(problem) => {
                round.failed += 1;
                let next = now + retry_delay_secs(attempts + 1);
                tracing::warn!(outbox = %id, attempts = attempts + 1, %problem, "email not delivered; will retry");
                sqlx::query(
                    "UPDATE email_outbox SET leased_until = NULL, next_attempt_at = $1, last_error = $2 \
                     WHERE id = $3 AND lease_id = $4",
                )
                .bind(next)
                .bind(problem)
                .bind(&id)
                .bind(&lease)
                .execute(db)
                .await?;
            }
        }
    }
    Ok(round)
}

async fn send(mailer: &Mailer, recipient: &str, email: app::email::Email) -> Result<(), String> {
    let to = recipient
        .parse::<Mailbox>()
        .map_err(|e| format!("recipient: {e}"))?;
    let message = Message::builder()
        .from(mailer.from.clone())
        .to(to)
        .subject(email.subject)
        .multipart(MultiPart::alternative_plain_html(email.text, email.html))
        .map_err(|e| format!("building the message: {e}"))?;
    mailer
        .transport
        .send(message)
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

/// Delivered email is kept this long (for "Email not delivered yet" and troubleshooting).
pub const KEEP_SENT_SECS: i64 = 7 * 86_400;

/// Deletes outbox rows delivered more than a week before `now`; returns how many.
pub async fn purge_sent(db: &AnyPool, now: i64) -> Result<u64, AppError> {
    let removed =
        sqlx::query("DELETE FROM email_outbox WHERE sent_at IS NOT NULL AND sent_at < $1")
            .bind(now - KEEP_SENT_SECS)
            .execute(db)
            .await?;
    Ok(removed.rows_affected())
}

/// Delivers due email every two seconds until `stop` turns true; the task then ends after the
/// row it is sending, if any.
pub fn spawn_worker(
    db: AnyPool,
    settings: std::sync::Arc<Settings>,
    mailer: Mailer,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(2));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = every.tick() => {}
                _ = stop.wait_for(|stopping| *stopping) => break,
            }
            let stopping = || *stop.borrow();
            let round = deliver_due_until(&db, &settings, &mailer, app::context::now(), stopping);
            match round.await {
                Ok(round) => crate::metrics::record_deliveries(round.sent, round.failed),
                Err(error) => tracing::warn!(%error, "email delivery round failed"),
            }
            if *stop.borrow() {
                break;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(retry_delay_secs(1), 15);
        assert_eq!(retry_delay_secs(2), 30);
        assert_eq!(retry_delay_secs(3), 60);
        assert_eq!(retry_delay_secs(9), 3_600);
        assert_eq!(retry_delay_secs(1_000), 3_600);
    }
}
