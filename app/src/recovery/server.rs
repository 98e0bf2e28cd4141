//! (ssr) Issuing and using recovery links. Only a link's hash is kept (and, while its email
//! waits, the link sealed with the server key). Using one registers a new passkey, signs the
//! person in and ends their other sessions, in one transaction with its audit events.

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, AnyPool};
use webauthn_rs::prelude::Passkey;

use super::email::RecoveryEmail;
use super::model::{
    INVALID_RECOVERY_LINK_MESSAGE, IssuedRecoveryLink, IssuerMembership, RECOVERY_LINK_TTL_SECS,
    RecoveryLinkPreview, may_recover,
};
use crate::audit::model::EventName;
use crate::audit::{Actor, EventGroup, Target, record_for_person};
use crate::auth::ceremonies::CeremonyPurpose;
use crate::auth::model::PasskeyChallenge;
use crate::auth::sessions::{end_presented_session, set_session_cookie, start_session};
use crate::context::AppState;
use crate::error::AppError;
use crate::ids::{TailnetId, UserId};
use crate::passkeys::account::passkey_value;
use crate::passkeys::wire::{NewPasskey, PasskeyCreationOptions};
use crate::roles::{stored_role, stored_status};
use crate::secrets::SecretToken;
use crate::settings::Settings;
use crate::sql::begin_write;

pub fn recovery_url(settings: &Settings, token: &SecretToken) -> String {
    format!("{}/recover/{}", settings.public_origin(), token.expose())
}

pub(super) fn invalid_link() -> AppError {
    AppError::Gone(INVALID_RECOVERY_LINK_MESSAGE.into())
}

fn recovery_target(person: &UserId, email: &str) -> Target {
    Target::user(person, email).with_property("recovery_link")
}

/// Refuses unless `issuer` may reach `person` in every tailnet `person` belongs to (see
/// [`may_recover`]).
pub async fn check_reach(
    conn: &mut AnyConnection,
    issuer: &UserId,
    person: &UserId,
) -> Result<(), AppError> {
    type Row = (String, Option<String>, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT m.role, mine.role, mine.status FROM memberships m \
         LEFT JOIN memberships mine ON mine.tailnet_id = m.tailnet_id AND mine.user_id = $1 \
         WHERE m.user_id = $2",
    )
    .bind(issuer.as_str())
    .bind(person.as_str())
    .fetch_all(&mut *conn)
    .await?;
    for (role, issuer_role, issuer_status) in rows {
        let issuer = match (issuer_role, issuer_status) {
            (Some(role), Some(status)) => Some(IssuerMembership {
                role: stored_role(&role)?,
                status: stored_status(&status)?,
            }),
            _ => None,
        };
        may_recover(issuer, stored_role(&role)?).map_err(AppError::NotAllowed)?;
    }
    Ok(())
}

/// Replaces any unused link of `person` with a new one, queues its email when `email` is set,
/// and records `USER.CREATE.RECOVERY_LINK` in each of the person's tailnets.
async fn issue(
    conn: &mut AnyConnection,
    settings: &Settings,
    actor: &Actor,
    person: &UserId,
    issued_in: Option<&TailnetId>,
    email: bool,
    now: i64,
) -> Result<IssuedRecoveryLink, AppError> {
    let address: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(person.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no such person.".into()))?;
    let replaced = sqlx::query("DELETE FROM recovery_links WHERE user_id = $1 AND used_at IS NULL")
        .bind(person.as_str())
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let id = uuid::Uuid::new_v4().to_string();
    let token = SecretToken::generate();
    let expires_at = now + RECOVERY_LINK_TTL_SECS;
    let sealed = email.then(|| settings.link_key.seal(&token, &id));
    sqlx::query(
        "INSERT INTO recovery_links (id, token_hash, user_id, issued_by, tailnet_id, sealed_token, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(token.hash())
    .bind(person.as_str())
    .bind((actor.kind == crate::audit::ActorKind::User).then(|| actor.id.as_str()))
    .bind(issued_in.map(TailnetId::as_str))
    .bind(sealed.as_deref())
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await
    .map_err(|error| match error {
        // Another admin issued one for the same person at the same moment (PostgreSQL).
        sqlx::Error::Database(error) if error.is_unique_violation() => AppError::Conflict(
            "Another recovery link for this person was created a moment ago. Reload the page."
                .into(),
        ),
        other => other.into(),
    })?;
    if email {
        sqlx::query(
            "INSERT INTO email_outbox (id, template, recovery_link_id, recipient, created_at, \
                 next_attempt_at) VALUES ($1, 'recovery', $2, $3, $4, $4)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(&id)
        .bind(&address)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    let details = serde_json::json!({
        "expires_at": crate::format::utc_timestamp(expires_at),
        "emailed": email,
        "replaced_unused_links": replaced,
    });
    record_for_person(
        conn,
        &EventGroup::new(),
        actor,
        &recovery_target(person, &address),
        EventName::RecoveryLinkCreate,
        (None, Some(details.to_string())),
        now,
    )
    .await?;
    Ok(IssuedRecoveryLink {
        link: (!email).then(|| recovery_url(settings, &token)),
        expires_at,
        emailed: email,
    })
}

/// "Recovery link", issued by an admin of `tailnet` for one of its members.
pub async fn issue_by_admin(
    state: &AppState,
    actor: &Actor,
    tailnet: &TailnetId,
    person: &UserId,
    now: i64,
) -> Result<IssuedRecoveryLink, AppError> {
    if *person == actor.id {
        return Err(AppError::NotAllowed(
            "To add a passkey to your own account, use Add passkey on your Account page.".into(),
        ));
    }
    let mut tx = begin_write(&state.db).await?;
    let member: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM memberships WHERE tailnet_id = $1 AND user_id = $2")
            .bind(tailnet.as_str())
            .bind(person.as_str())
            .fetch_optional(&mut *tx)
            .await?;
    if member.is_none() {
        return Err(AppError::NotFound(
            "This person is not a member of this tailnet.".into(),
        ));
    }
    check_reach(&mut tx, &actor.id, person).await?;
    let email = state.settings.email_delivery_configured;
    let issued = issue(
        &mut tx,
        &state.settings,
        actor,
        person,
        Some(tailnet),
        email,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(issued)
}

/// `gatehouse recover --email`: a link for anyone, an Owner included, printed for the operator.
pub async fn issue_by_operator(
    db: &AnyPool,
    settings: &Settings,
    email: &crate::fields::EmailAddress,
    now: i64,
) -> Result<IssuedRecoveryLink, AppError> {
    let mut tx = begin_write(db).await?;
    let person: String = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("No account has the email address {email}.")))?;
    let issued = issue(
        &mut tx,
        settings,
        &Actor::operator(),
        &UserId::from_raw(person),
        None,
        false,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(issued)
}

/// A usable link: its id and person, found by the token's hash.
struct UsableLink {
    id: String,
    person: UserId,
    preview: RecoveryLinkPreview,
}

async fn find_usable(db: &AnyPool, token: String, now: i64) -> Result<UsableLink, AppError> {
    let hash = SecretToken::from_client(token).hash();
    let row: Option<(String, String, String, String, i64)> = sqlx::query_as(
        "SELECT r.id, r.user_id, u.display_name, u.email, r.expires_at FROM recovery_links r \
         JOIN users u ON u.id = r.user_id \
         WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > $2",
    )
    .bind(hash)
    .bind(now)
    .fetch_optional(db)
    .await?;
    let (id, person, display_name, email, expires_at) = row.ok_or_else(invalid_link)?;
    Ok(UsableLink {
        id,
        person: UserId::from_raw(person),
        preview: RecoveryLinkPreview {
            display_name,
            email,
            expires_at,
        },
    })
}

/// The recovery page's details; one answer for every unusable link.
pub async fn preview(
    db: &AnyPool,
    token: String,
    now: i64,
) -> Result<RecoveryLinkPreview, AppError> {
    Ok(find_usable(db, token, now).await?.preview)
}

/// What the recovery ceremony keeps for its second half.
#[derive(Serialize, Deserialize)]
struct RecoveryCeremony {
    link: String,
    person: UserId,
}

/// Starts registering the person's new passkey (excluding passkeys they still have).
pub async fn start(
    state: &AppState,
    token: String,
    now: i64,
) -> Result<PasskeyChallenge<PasskeyCreationOptions>, AppError> {
    let link = find_usable(&state.db, token, now).await?;
    let context = RecoveryCeremony {
        link: link.id,
        person: link.person,
    };
    crate::passkeys::server::start_registration_for(
        state,
        &context.person,
        CeremonyPurpose::Recovery,
        &context,
        now,
    )
    .await
}

/// Uses the link once: stores the new passkey, ends the person's other sessions and signs this
/// browser in. A link issued by an admin is checked again against the issuer's roles now.
pub async fn finish(
    state: &AppState,
    ceremony: String,
    credential: &NewPasskey,
    headers: &axum::http::HeaderMap,
    client_address: Option<String>,
    now: i64,
) -> Result<(), AppError> {
    let (passkey, context): (Passkey, RecoveryCeremony) = crate::accounts::finish_registration(
        state,
        CeremonyPurpose::Recovery,
        ceremony,
        credential,
        now,
    )
    .await?;
    let mut tx = begin_write(&state.db).await?;
    let claimed = sqlx::query(
        "UPDATE recovery_links SET used_at = $1, sealed_token = NULL \
         WHERE id = $2 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(&context.link)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if claimed != 1 {
        return Err(invalid_link());
    }
    let issuer: Option<String> =
        sqlx::query_scalar("SELECT issued_by FROM recovery_links WHERE id = $1")
            .bind(&context.link)
            .fetch_one(&mut *tx)
            .await?;
    if let Some(issuer) = issuer {
        check_reach(&mut tx, &UserId::from_raw(issuer), &context.person).await?;
    }
    let person = &context.person;
    let (passkey_id, name) =
        crate::passkeys::server::insert_passkey(&mut tx, person, &passkey, None, now).await?;
    let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(person.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    end_presented_session(&mut tx, &state.settings, headers).await?;
    let token = start_session(&mut tx, person, Some(&passkey_id), now).await?;
    let actor = Actor::load(&mut tx, person, client_address).await?;
    let group = EventGroup::new();
    let used = serde_json::json!({ "other_sessions_ended": ended });
    record_for_person(
        &mut tx,
        &group,
        &actor,
        &recovery_target(person, &actor.email),
        EventName::RecoveryLinkUse,
        (None, Some(used.to_string())),
        now,
    )
    .await?;
    record_for_person(
        &mut tx,
        &group,
        &actor,
        &Target::passkeys_of(&actor),
        EventName::PasskeyCreate,
        (None, passkey_value(&passkey_id, name.as_str())),
        now,
    )
    .await?;
    // The person hears of it at their own address, whoever used the link.
    if state.settings.email_delivery_configured {
        sqlx::query(
            "INSERT INTO email_outbox (id, template, recovery_link_id, recipient, created_at, \
                 next_attempt_at) VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(RECOVERY_USED_TEMPLATE)
        .bind(&context.link)
        .bind(&actor.email)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    set_session_cookie(&state.settings, &token);
    Ok(())
}

/// The outbox template of the email that tells a person their recovery link was used.
pub const RECOVERY_USED_TEMPLATE: &str = "recovery_used";

/// The email telling the person their account was recovered with a link, rendered now.
pub async fn recovery_used_email(
    db: &AnyPool,
    link: &str,
) -> Result<Option<crate::email::Email>, AppError> {
    let row: Option<(String, Option<i64>)> = sqlx::query_as(
        "SELECT u.display_name, r.used_at FROM recovery_links r \
         JOIN users u ON u.id = r.user_id WHERE r.id = $1",
    )
    .bind(link)
    .fetch_optional(db)
    .await?;
    Ok(row.and_then(|(display_name, used_at)| {
        used_at.map(|used_at| RecoveryEmail::render_used(&display_name, used_at))
    }))
}

/// The email for an outbox row of a recovery link, rendered now; `None` when the link was used,
/// replaced or expired meanwhile (nothing to send).
pub async fn recovery_email(
    db: &AnyPool,
    settings: &Settings,
    link: &str,
    now: i64,
) -> Result<Option<crate::email::Email>, AppError> {
    let row: Option<(String, String, i64, Option<String>)> = sqlx::query_as(
        "SELECT u.display_name, r.sealed_token, r.expires_at, t.name FROM recovery_links r \
         JOIN users u ON u.id = r.user_id LEFT JOIN tailnets t ON t.id = r.tailnet_id \
         WHERE r.id = $1 AND r.used_at IS NULL AND r.expires_at > $2 \
           AND r.sealed_token IS NOT NULL",
    )
    .bind(link)
    .bind(now)
    .fetch_optional(db)
    .await?;
    let Some((display_name, sealed, expires_at, tailnet)) = row else {
        return Ok(None);
    };
    let token = settings
        .link_key
        .open(&sealed, link)
        .map_err(AppError::internal)?;
    Ok(Some(RecoveryEmail::render(
        &display_name,
        tailnet.as_deref(),
        &recovery_url(settings, &token),
        expires_at,
    )))
}

/// Forgets the sealed link once its email was delivered: from then on only its hash is kept.
pub async fn forget_sealed_link(db: &AnyPool, link: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE recovery_links SET sealed_token = NULL WHERE id = $1")
        .bind(link)
        .execute(db)
        .await?;
    Ok(())
}

/// Deletes expired links (with a sealed copy whose email never went out, if any); the audit
/// log keeps their story. Runs in the background.
pub async fn purge_expired(db: &AnyPool, now: i64) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM recovery_links WHERE expires_at <= $1")
            .bind(now)
            .execute(db)
            .await?
            .rows_affected(),
    )
}
