//! (ssr) The email to approvers: when someone starts waiting for approval, each active member
//! who may approve them (Owner, Admin, IT admin) and has not turned it off on the Account page
//! gets one email naming the person, the tailnet and the role, with a link to the Users page
//! filtered to "Needs approval". The outbox rows are written in the transaction that makes the
//! person wait; each email is rendered when it is sent, and dropped if nobody waits any more.

use sqlx::{AnyConnection, AnyPool};

use crate::email::{Email, escape_html};
use crate::error::AppError;
use crate::ids::{TailnetId, UserId};
use crate::roles::{MemberStatus, Permission, Role};
use crate::settings::Settings;

/// The outbox template of these emails.
pub const TEMPLATE: &str = "needs_approval";

/// The Users page of `tailnet`, filtered to people waiting for approval.
pub fn waiting_list_url(settings: &Settings, tailnet: &TailnetId) -> String {
    format!(
        "{}/admin/{tailnet}/users?status=needs_approval",
        settings.public_origin()
    )
}

/// The roles that may approve people, and SQL placeholders for them from `$first` on.
fn approver_roles(first: usize) -> (Vec<&'static str>, String) {
    let roles: Vec<&'static str> = Role::ALL
        .into_iter()
        .filter(|role| role.can(Permission::ApproveUsers))
        .map(Role::as_str)
        .collect();
    let placeholders = (first..first + roles.len())
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ");
    (roles, placeholders)
}

/// Queues one email per approver of `tailnet` about `waiting`, inside the caller's transaction.
/// Returns how many were queued.
pub async fn enqueue(
    conn: &mut AnyConnection,
    tailnet: &TailnetId,
    waiting: &UserId,
    now: i64,
) -> Result<u64, AppError> {
    let (approvers, placeholders) = approver_roles(4);
    let sql = format!(
        "SELECT u.id, u.email FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.tailnet_id = $1 AND m.status = $2 AND m.user_id <> $3 \
           AND u.notify_needs_approval = 1 AND m.role IN ({placeholders}) ORDER BY u.id"
    );
    let mut query = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql))
        .bind(tailnet.as_str())
        .bind(MemberStatus::Active.as_str())
        .bind(waiting.as_str());
    for role in approvers {
        query = query.bind(role);
    }
    let recipients = query.fetch_all(&mut *conn).await?;
    let mut queued = 0;
    for (_, email) in recipients {
        queued += sqlx::query(
            "INSERT INTO email_outbox (id, template, recipient, created_at, next_attempt_at, \
                 waiting_tailnet_id, waiting_user_id) VALUES ($1, $2, $3, $4, $4, $5, $6)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(TEMPLATE)
        .bind(email)
        .bind(now)
        .bind(tailnet.as_str())
        .bind(waiting.as_str())
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok(queued)
}

/// The email of an outbox row about `waiting` in `tailnet`, rendered now; `None` when they no
/// longer wait (approved or removed meanwhile): nothing to send.
pub async fn render(
    db: &AnyPool,
    settings: &Settings,
    tailnet: &TailnetId,
    waiting: &UserId,
) -> Result<Option<Email>, AppError> {
    let row: Option<(String, String, String, String)> = sqlx::query_as(
        "SELECT u.display_name, u.email, m.role, t.name FROM memberships m \
         JOIN users u ON u.id = m.user_id JOIN tailnets t ON t.id = m.tailnet_id \
         WHERE m.tailnet_id = $1 AND m.user_id = $2 AND m.status = $3",
    )
    .bind(tailnet.as_str())
    .bind(waiting.as_str())
    .bind(MemberStatus::NeedsApproval.as_str())
    .fetch_optional(db)
    .await?;
    let Some((name, email, role, tailnet_name)) = row else {
        return Ok(None);
    };
    let role = crate::roles::stored_role(&role)?.label();
    let link = waiting_list_url(settings, tailnet);
    let subject = format!("{name} is waiting for approval in {tailnet_name}");
    let text = format!(
        "{name} ({email}) accepted an invitation to {tailnet_name} as {role} and is waiting \
         for approval.\n\nApprove or remove them on the Users page:\n{link}\n\n\
         You get this email because you may approve people in {tailnet_name}. Turn it off on \
         your Account page: \"Email me when someone needs approval\".\n"
    );
    let (name, email, tailnet_name) = (
        escape_html(&name),
        escape_html(&email),
        escape_html(&tailnet_name),
    );
    let html = format!(
        "<p><strong>{name}</strong> ({email}) accepted an invitation to {tailnet_name} as \
         {role} and is waiting for approval.</p>\
         <p><a href=\"{link}\">Approve or remove them on the Users page</a></p>\
         <p>You get this email because you may approve people in {tailnet_name}. Turn it off \
         on your Account page: \u{201c}Email me when someone needs approval\u{201d}.</p>"
    );
    Ok(Some(Email {
        subject,
        text,
        html,
    }))
}

/// Whether `person` gets these emails, when they may approve in some tailnet (`None`
/// otherwise: the setting does not concern them).
pub async fn preference(
    conn: &mut sqlx::AnyConnection,
    person: &UserId,
) -> Result<Option<bool>, AppError> {
    let (approvers, placeholders) = approver_roles(3);
    let sql = format!(
        "SELECT u.notify_needs_approval, \
             (SELECT COUNT(*) FROM memberships m WHERE m.user_id = u.id AND m.status = $2 \
                AND m.role IN ({placeholders})) \
         FROM users u WHERE u.id = $1"
    );
    let mut query = sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(sql))
        .bind(person.as_str())
        .bind(MemberStatus::Active.as_str());
    for role in approvers {
        query = query.bind(role);
    }
    let row = query.fetch_optional(&mut *conn).await?;
    Ok(row.and_then(|(on, approves)| (approves > 0).then_some(on != 0)))
}

/// Turns the emails on or off for `person`.
pub async fn set_preference(db: &AnyPool, person: &UserId, on: bool) -> Result<(), AppError> {
    sqlx::query("UPDATE users SET notify_needs_approval = $1 WHERE id = $2")
        .bind(i64::from(on))
        .bind(person.as_str())
        .execute(db)
        .await?;
    Ok(())
}
