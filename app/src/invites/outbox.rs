//! (ssr) Invitation emails as a change queues them: the daily allowances they count against,
//! and the outbox row the worker renders and sends, both in the change's transaction.

use sqlx::AnyConnection;

use crate::audit::Actor;
use crate::error::AppError;
use crate::ids::{InviteId, TailnetId};
use crate::settings::Settings;

/// Invitation emails count against daily allowances of the tailnet and of the person sending
/// them, inside the transaction that queues them: a refused batch counts nothing, and deleting
/// invites gives nothing back, so delete-and-invite-again cannot send more.
pub(super) async fn take_email_allowance(
    conn: &mut AnyConnection,
    settings: &Settings,
    actor: &Actor,
    tailnet: &TailnetId,
    emails: usize,
    now: i64,
) -> Result<(), AppError> {
    let emails = i64::try_from(emails).unwrap_or(i64::MAX);
    let day = |max_hits| crate::rate_limit::Limit {
        max_hits,
        window_secs: 86_400,
    };
    let allowances = [
        (
            format!("invite-emails:tailnet:{tailnet}"),
            day(settings.invite_emails_per_day_per_tailnet),
            "This tailnet",
        ),
        (
            format!("invite-emails:person:{}", actor.id),
            day(settings.invite_emails_per_day_per_person),
            "You",
        ),
    ];
    for (bucket, limit, who) in allowances {
        if !crate::rate_limit::take(conn, &bucket, limit, emails, now).await? {
            return Err(AppError::QuotaExceeded {
                message: format!(
                    "{who} may send at most {} invitation emails a day, and this would go over. \
                     Nobody was invited; try again later, or use Copy invite link.",
                    limit.max_hits
                ),
                retry_after_secs: crate::rate_limit::retry_after(limit, now),
            });
        }
    }
    Ok(())
}

/// Queues the invite's email; the worker renders and sends it.
pub(super) async fn enqueue_invite_email(
    conn: &mut AnyConnection,
    invite: &InviteId,
    recipient: &str,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO email_outbox (id, template, invite_id, recipient, created_at, next_attempt_at) \
         VALUES ($1, 'invite', $2, $3, $4, $4)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(invite.as_str())
    .bind(recipient)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
