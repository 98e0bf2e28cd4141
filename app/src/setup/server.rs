//! (ssr) Issuing and consuming setup links, and creating a tailnet with its first Owner.

use sqlx::AnyPool;
use webauthn_rs::prelude::Passkey;

use super::model::{
    SetupLinkInfo, SetupLinkProblem, ValidSetup, setup_link_usable, token_is_well_formed,
};
use crate::accounts::{NewAccount, create_account};
use crate::audit::model::EventName;
use crate::audit::{Change, Target};
use crate::error::AppError;
use crate::fields::TailnetName;
use crate::ids::{TailnetId, UserId};
use crate::roles::{MemberStatus, Role};
use crate::secrets::SecretToken;
use crate::settings::Settings;
use crate::tailnets::model::TailnetKind;

/// Creates a setup link (for a new tailnet when `tailnet` is `None`) and returns its URL. It
/// replaces the unused links for the same tailnet (or the earlier first-run links), so only the
/// link printed last works, for `GATEHOUSE_SETUP_LINK_TTL`.
pub async fn issue_setup_link(
    db: &AnyPool,
    tailnet: Option<&TailnetId>,
    settings: &Settings,
    now: i64,
) -> Result<String, AppError> {
    let token = SecretToken::generate();
    let mut tx = crate::sql::begin_write(db).await?;
    delete_unused_links(&mut tx, tailnet.map(TailnetId::as_str)).await?;
    sqlx::query(
        "INSERT INTO setup_links (id, token_hash, tailnet_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(token.hash())
    .bind(tailnet.map(TailnetId::as_str))
    .bind(now)
    .bind(now.saturating_add(settings.setup_link_ttl_secs))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(format!(
        "{}/setup/{}",
        settings.public_origin(),
        token.expose()
    ))
}

/// Deletes the unused setup links of `tailnet` (`None`: the first-run links).
async fn delete_unused_links(
    conn: &mut sqlx::AnyConnection,
    tailnet: Option<&str>,
) -> Result<(), AppError> {
    match tailnet {
        Some(tailnet) => {
            sqlx::query("DELETE FROM setup_links WHERE tailnet_id = $1 AND used_at IS NULL")
                .bind(tailnet)
                .execute(&mut *conn)
                .await?
        }
        None => {
            sqlx::query("DELETE FROM setup_links WHERE tailnet_id IS NULL AND used_at IS NULL")
                .execute(&mut *conn)
                .await?
        }
    };
    Ok(())
}

/// A setup link is claimable only while it has something to set up: a first-run link while the
/// database has no tailnet, a create-tailnet link while its tailnet has no member. In SQL, for
/// the `setup_links` row `s`.
const STILL_SETS_UP: &str = "((s.tailnet_id IS NULL AND NOT EXISTS (SELECT 1 FROM tailnets)) \
     OR (s.tailnet_id IS NOT NULL AND NOT EXISTS \
         (SELECT 1 FROM memberships m WHERE m.tailnet_id = s.tailnet_id)))";

/// On a database without tailnets, a link that creates the first one.
pub async fn first_run_setup_link(
    db: &AnyPool,
    settings: &Settings,
    now: i64,
) -> Result<Option<String>, AppError> {
    let tailnets: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tailnets")
        .fetch_one(db)
        .await?;
    if tailnets > 0 {
        return Ok(None);
    }
    issue_setup_link(db, None, settings, now).await.map(Some)
}

/// Creates an organization's tailnet without an owner, and the setup link through which its
/// Owner claims it.
pub async fn create_tailnet(
    db: &AnyPool,
    name: &TailnetName,
    settings: &Settings,
    now: i64,
) -> Result<(TailnetId, String), AppError> {
    create_tailnet_of_kind(db, name, TailnetKind::Organization, settings, now).await
}

/// Creates a tailnet of `kind` without an owner, and its setup link
/// (`gatehouse create-tailnet --name … --kind …`).
pub async fn create_tailnet_of_kind(
    db: &AnyPool,
    name: &TailnetName,
    kind: TailnetKind,
    settings: &Settings,
    now: i64,
) -> Result<(TailnetId, String), AppError> {
    let id = TailnetId::generate();
    let mut tx = crate::sql::begin_write(db).await?;
    insert_tailnet(&mut tx, &id, name, kind, now).await?;
    tx.commit().await?;
    let link = issue_setup_link(db, Some(&id), settings, now).await?;
    Ok((id, link))
}

/// Inserts a tailnet row with its API id (in the caller's transaction).
async fn insert_tailnet(
    conn: &mut sqlx::AnyConnection,
    id: &TailnetId,
    name: &TailnetName,
    kind: TailnetKind,
    now: i64,
) -> Result<(), AppError> {
    let api_id = crate::api_ids::allocate(conn, crate::api_ids::ApiIdKind::Tailnet).await?;
    sqlx::query(
        "INSERT INTO tailnets (id, name, kind, created_at, api_id) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id.as_str())
    .bind(name.as_str())
    .bind(kind.as_str())
    .bind(now)
    .bind(api_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The link's tailnet name, or why the link cannot be used.
pub async fn inspect_setup_link(
    db: &AnyPool,
    token: &str,
    now: i64,
) -> Result<SetupLinkInfo, AppError> {
    if !token_is_well_formed(token) {
        return Err(SetupLinkProblem::Unknown.into());
    }
    let hash = SecretToken::from_client(token.to_owned()).hash();
    // Used at, expires at, and the tailnet's name and kind when the operator created it.
    type LinkRow = (Option<i64>, i64, Option<String>, Option<String>, i64);
    let row: Option<LinkRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT s.used_at, s.expires_at, t.name, t.kind, \
             CASE WHEN {STILL_SETS_UP} THEN 1 ELSE 0 END \
         FROM setup_links s LEFT JOIN tailnets t ON t.id = s.tailnet_id WHERE s.token_hash = $1"
    )))
    .bind(hash)
    .fetch_optional(db)
    .await?;
    let (used_at, expires_at, tailnet_name, kind, still_sets_up) =
        row.ok_or(SetupLinkProblem::Unknown)?;
    setup_link_usable(used_at, expires_at, now)?;
    if still_sets_up == 0 {
        return Err(SetupLinkProblem::Superseded.into());
    }
    Ok(SetupLinkInfo {
        tailnet_name,
        kind: kind
            .as_deref()
            .and_then(TailnetKind::parse)
            .unwrap_or_default(),
    })
}

/// On PostgreSQL, locks what a setup link would set up before it is claimed, so two links for
/// it completing at once take turns and the second finds it set up: every first-run link (the
/// rows, in one order) or the link's tailnet. SQLite's write transactions take turns already.
async fn lock_setup_target(
    conn: &mut sqlx::AnyConnection,
    token_hash: &str,
) -> Result<(), AppError> {
    if conn.backend_name() != "PostgreSQL" {
        return Ok(());
    }
    let target: Option<(Option<String>,)> =
        sqlx::query_as("SELECT tailnet_id FROM setup_links WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&mut *conn)
            .await?;
    match target {
        Some((Some(tailnet),)) => {
            sqlx::query("SELECT id FROM tailnets WHERE id = $1 FOR UPDATE")
                .bind(tailnet)
                .fetch_all(&mut *conn)
                .await?;
        }
        Some((None,)) => {
            sqlx::query(
                "SELECT id FROM setup_links WHERE tailnet_id IS NULL ORDER BY id FOR UPDATE",
            )
            .fetch_all(&mut *conn)
            .await?;
        }
        None => {}
    }
    Ok(())
}

/// The first Owner of a tailnet, as the setup ceremony produced them.
pub struct NewOwner<'a> {
    pub setup: &'a ValidSetup,
    pub webauthn_user_id: uuid::Uuid,
    pub passkey: &'a Passkey,
}

/// Consumes the setup link and, in the same transaction, creates (or names) the tailnet, the
/// Owner, their membership, their passkey and a session (ending any session the request
/// presented). Returns the Owner and the session token.
pub async fn complete_setup(
    db: &AnyPool,
    settings: &Settings,
    request_headers: &axum::http::HeaderMap,
    token_hash: &str,
    owner: NewOwner<'_>,
    client_address: Option<String>,
    now: i64,
) -> Result<(UserId, SecretToken), AppError> {
    let NewOwner {
        setup,
        webauthn_user_id,
        passkey,
    } = owner;
    let mut tx = crate::sql::begin_write(db).await?;
    lock_setup_target(&mut tx, token_hash).await?;
    // The conditional update decides: of two concurrent completions exactly one sees a row, and
    // a link whose tailnet has been set up meanwhile sees none.
    let claimed: Option<(Option<String>,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE setup_links SET used_at = $1 \
         WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 AND id IN \
             (SELECT s.id FROM setup_links s WHERE s.token_hash = $2 AND {STILL_SETS_UP}) \
         RETURNING tailnet_id"
    )))
    .bind(now)
    .bind(token_hash)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((tailnet,)) = claimed else {
        let row: Option<(Option<i64>, i64)> =
            sqlx::query_as("SELECT used_at, expires_at FROM setup_links WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&mut *tx)
                .await?;
        let problem = match row {
            Some((used_at, expires_at)) => setup_link_usable(used_at, expires_at, now)
                .err()
                .unwrap_or(SetupLinkProblem::Superseded),
            None => SetupLinkProblem::Unknown,
        };
        return Err(problem.into());
    };
    // The other unused links for the same target die with this one.
    delete_unused_links(&mut tx, tailnet.as_deref()).await?;

    let tailnet = match tailnet {
        Some(existing) => {
            let tailnet = TailnetId::from_raw(existing);
            sqlx::query("UPDATE tailnets SET name = $1, kind = $2 WHERE id = $3")
                .bind(setup.tailnet_name.as_str())
                .bind(setup.kind.as_str())
                .bind(tailnet.as_str())
                .execute(&mut *tx)
                .await?;
            tailnet
        }
        None => {
            let tailnet = TailnetId::generate();
            insert_tailnet(&mut tx, &tailnet, &setup.tailnet_name, setup.kind, now).await?;
            tailnet
        }
    };

    let account = NewAccount {
        display_name: &setup.display_name,
        email: &setup.email,
        // The operator handed this setup link to the person: their address is taken as given.
        email_verified: true,
        webauthn_user_id,
        passkey,
    };
    let created = create_account(&mut tx, &account, &tailnet, now).await?;
    let user = created.user.clone();
    sqlx::query(
        "INSERT INTO memberships (tailnet_id, user_id, role, status, joined_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(tailnet.as_str())
    .bind(user.as_str())
    .bind(Role::Owner.as_str())
    .bind(MemberStatus::Active.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let actor = created.actor(&account, client_address);
    let change = Change::new(&actor, &tailnet, now);
    change
        .record(
            &mut tx,
            EventName::TailnetCreate,
            Target::tailnet(&tailnet, setup.tailnet_name.as_str(), None),
            None,
            Some(
                serde_json::json!({
                    "name": setup.tailnet_name.as_str(),
                    "kind": setup.kind.as_str(),
                    "owner": setup.email.as_str(),
                })
                .to_string(),
            ),
        )
        .await?;
    created.record_passkey(&mut tx, &change).await?;
    crate::auth::sessions::end_presented_session(&mut tx, settings, request_headers).await?;
    let session =
        crate::auth::sessions::start_session(&mut tx, &user, Some(&created.passkey), now).await?;
    tx.commit().await?;
    Ok((user, session))
}
