//! (ssr) OAuth clients: generated (the `tskey-client-…` secret exists only in the answer; the
//! database keeps its SHA-256), listed, revoked, each change audited in its transaction; the
//! exchange of a client's id and secret for a one-hour access token; and the look-up of such
//! a token when it comes back.

use serde_json::json;
use sqlx::{AnyConnection, AnyPool};

use super::model::{
    API_TOKEN_PREFIX, CLIENT_SECRET_PREFIX, GeneratedOauthClient, OAUTH_TOKEN_LIFETIME_SECS,
    OauthClientSummary,
};
use super::tokens::DAY_SECS;
use crate::audit::model::EventName;
use crate::audit::{Actor, Change, Target};
use crate::authority::lock_actor_role;
use crate::delegation::{Delegation, Scope, Scopes, beyond_role, delegated_role};
use crate::error::AppError;
use crate::ids::TailnetId;
use crate::roles::{Permission, stored_role};
use crate::secrets::{SecretToken, random_token};
use crate::sql::begin_write;

/// Revoked clients stay listed this long.
const SHOWN_AFTER_REVOKED_SECS: i64 = 30 * DAY_SECS;
/// `last_used_at` is written at most this often.
const TOUCH_INTERVAL_SECS: i64 = 60;

/// A client's access token as handed out at the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub secret: String,
    pub scopes: Scopes,
    pub expires_in: i64,
}

/// Whom a live client access token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHolder {
    pub token_id: String,
    pub tailnet: TailnetId,
    pub description: String,
    pub delegation: Delegation,
}

/// Why the token endpoint refuses a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExchangeRefusal {
    /// Unknown client, wrong secret, or a revoked client.
    InvalidClient,
    /// A scope the client does not hold.
    InvalidScope(String),
}

/// 403 unless an OAuth client acting holds `scope` (a person's rights are checked by role).
fn require_scope(actor: &Actor, scope: Scope) -> Result<(), AppError> {
    match &actor.delegation {
        Some(delegation) if !delegation.scopes.grants(scope) => Err(AppError::Forbidden),
        _ => Ok(()),
    }
}

/// Generates a client for `tailnet`, made by `actor`, with `scopes`: a person may give only
/// scopes their role could use, a client only scopes it holds itself.
pub async fn generate(
    db: &AnyPool,
    actor: &Actor,
    tailnet: &TailnetId,
    description: &str,
    scopes: &Scopes,
    now: i64,
) -> Result<GeneratedOauthClient, AppError> {
    require_scope(actor, Scope::OauthKeys)?;
    if scopes.is_empty() {
        return Err(AppError::Validation(vec![crate::error::FieldError::new(
            "scopes",
            super::model::NO_SCOPE,
        )]));
    }
    let mut tx = begin_write(db).await?;
    let role = lock_actor_role(&mut tx, tailnet, actor, Permission::ManageApiTokens).await?;
    if let Some(scope) = beyond_role(role, scopes) {
        return Err(AppError::NotAllowed(format!(
            "A {} cannot give the scope {}.",
            role.label(),
            scope.as_str()
        )));
    }
    if let Some(delegation) = &actor.delegation
        && !delegation.scopes.covers(scopes)
    {
        return Err(AppError::NotAllowed(
            "An OAuth client can only give scopes it holds itself.".to_owned(),
        ));
    }
    let id = format!("c{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
    let secret = format!("{CLIENT_SECRET_PREFIX}{id}-{}", random_token(32));
    let created_by = actor.created_by();
    sqlx::query(
        "INSERT INTO oauth_clients (id, tailnet_id, description, scopes, role, secret_hash, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(tailnet.as_str())
    .bind(description)
    .bind(scopes.to_text())
    .bind(delegated_role(role).as_str())
    .bind(SecretToken::from_client(secret.clone()).hash())
    .bind(&created_by)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let logged = json!({ "description": description, "scopes": scopes.to_text() });
    Change::new(actor, tailnet, now)
        .record(
            &mut tx,
            EventName::OauthClientCreate,
            Target::oauth_client(&id, description),
            None,
            Some(logged.to_string()),
        )
        .await?;
    tx.commit().await?;
    Ok(GeneratedOauthClient {
        client: OauthClientSummary {
            id,
            description: description.to_owned(),
            scopes: scopes.clone(),
            creator_email: created_by,
            created_at: now,
            revoked_at: None,
            last_used_at: None,
        },
        secret,
    })
}

type ClientRow = (
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
);

macro_rules! client_columns {
    () => {
        "SELECT id, description, scopes, created_by, created_at, revoked_at, last_used_at \
         FROM oauth_clients"
    };
}

fn client_of(row: ClientRow) -> Result<OauthClientSummary, AppError> {
    let (id, description, scopes, creator_email, created_at, revoked_at, last_used_at) = row;
    Ok(OauthClientSummary {
        id,
        description,
        scopes: Scopes::parse(&scopes).map_err(AppError::internal)?,
        creator_email,
        created_at,
        revoked_at,
        last_used_at,
    })
}

/// The tailnet's live clients (newest first), then those revoked in the last 30 days.
pub async fn list(
    conn: &mut AnyConnection,
    tailnet: &TailnetId,
    now: i64,
) -> Result<Vec<OauthClientSummary>, AppError> {
    let rows: Vec<ClientRow> = sqlx::query_as(concat!(
        client_columns!(),
        " WHERE tailnet_id = $1 AND (revoked_at IS NULL OR revoked_at > $2) \
         ORDER BY CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END, created_at DESC, id"
    ))
    .bind(tailnet.as_str())
    .bind(now - SHOWN_AFTER_REVOKED_SECS)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(client_of).collect()
}

/// One client of the tailnet (live or not).
pub async fn find(
    conn: &mut AnyConnection,
    tailnet: &TailnetId,
    id: &str,
) -> Result<Option<OauthClientSummary>, AppError> {
    let row: Option<ClientRow> = sqlx::query_as(concat!(
        client_columns!(),
        " WHERE tailnet_id = $1 AND id = $2"
    ))
    .bind(tailnet.as_str())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(client_of).transpose()
}

/// "Revoke": the client and every access token it was given stop working at once.
pub async fn revoke(
    db: &AnyPool,
    actor: &Actor,
    tailnet: &TailnetId,
    id: &str,
    now: i64,
) -> Result<(), AppError> {
    require_scope(actor, Scope::OauthKeys)?;
    let mut tx = begin_write(db).await?;
    lock_actor_role(&mut tx, tailnet, actor, Permission::ManageApiTokens).await?;
    let description: Option<String> = sqlx::query_scalar(
        "UPDATE oauth_clients SET revoked_at = $1 \
         WHERE id = $2 AND tailnet_id = $3 AND revoked_at IS NULL RETURNING description",
    )
    .bind(now)
    .bind(id)
    .bind(tailnet.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(description) = description else {
        return Err(AppError::NotFound(
            "That OAuth client does not exist or is already revoked.".to_owned(),
        ));
    };
    sqlx::query("DELETE FROM oauth_access_tokens WHERE client_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Change::new(actor, tailnet, now)
        .record(
            &mut tx,
            EventName::OauthClientRevoke,
            Target::oauth_client(id, &description),
            None,
            None,
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The token endpoint's work: a live client whose secret matches gets a one-hour access token
/// for `requested` scopes (all of its own when none are asked for).
pub async fn exchange(
    db: &AnyPool,
    client_id: &str,
    secret: &str,
    requested: Option<Scopes>,
    now: i64,
) -> Result<Result<IssuedToken, ExchangeRefusal>, AppError> {
    let hash = SecretToken::from_client(secret.to_owned()).hash();
    let held: Option<String> = sqlx::query_scalar(
        "SELECT scopes FROM oauth_clients \
         WHERE id = $1 AND secret_hash = $2 AND revoked_at IS NULL",
    )
    .bind(client_id)
    .bind(&hash)
    .fetch_optional(db)
    .await?;
    let Some(held) = held else {
        return Ok(Err(ExchangeRefusal::InvalidClient));
    };
    let held = Scopes::parse(&held).map_err(AppError::internal)?;
    let scopes = match requested {
        Some(requested) if !requested.is_empty() => {
            if let Some(extra) = requested.iter().find(|&scope| !held.grants(scope)) {
                return Ok(Err(ExchangeRefusal::InvalidScope(format!(
                    "the client does not hold the scope {}",
                    extra.as_str()
                ))));
            }
            requested
        }
        _ => held,
    };
    let token_id = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
    let secret = format!("{API_TOKEN_PREFIX}{token_id}-{}", random_token(32));
    let mut tx = begin_write(db).await?;
    sqlx::query(
        "INSERT INTO oauth_access_tokens (id, client_id, token_hash, scopes, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&token_id)
    .bind(client_id)
    .bind(SecretToken::from_client(secret.clone()).hash())
    .bind(scopes.to_text())
    .bind(now)
    .bind(now + OAUTH_TOKEN_LIFETIME_SECS)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE oauth_clients SET last_used_at = $1 WHERE id = $2")
        .bind(now)
        .bind(client_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Ok(IssuedToken {
        secret,
        scopes,
        expires_in: OAUTH_TOKEN_LIFETIME_SECS,
    }))
}

/// The client behind a presented access token, if the token is live and its client not
/// revoked.
pub async fn authenticate(
    db: &AnyPool,
    presented: &str,
    now: i64,
) -> Result<Option<ClientHolder>, AppError> {
    if !presented.starts_with(API_TOKEN_PREFIX) {
        return Ok(None);
    }
    let hash = SecretToken::from_client(presented.to_owned()).hash();
    /// The token's id and scopes; its client's id, tailnet, description, role, last use.
    type HolderRow = (String, String, String, String, String, String, Option<i64>);
    let row: Option<HolderRow> = sqlx::query_as(
        "SELECT t.id, t.scopes, c.id, c.tailnet_id, c.description, c.role, c.last_used_at \
             FROM oauth_access_tokens t JOIN oauth_clients c ON c.id = t.client_id \
             WHERE t.token_hash = $1 AND t.expires_at > $2 AND c.revoked_at IS NULL",
    )
    .bind(&hash)
    .bind(now)
    .fetch_optional(db)
    .await?;
    let Some((token_id, scopes, client_id, tailnet, description, role, last_used_at)) = row else {
        return Ok(None);
    };
    if last_used_at.is_none_or(|at| now - at >= TOUCH_INTERVAL_SECS) {
        sqlx::query("UPDATE oauth_clients SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(&client_id)
            .execute(db)
            .await?;
    }
    Ok(Some(ClientHolder {
        token_id,
        tailnet: TailnetId::from_raw(tailnet),
        description,
        delegation: Delegation {
            client_id,
            role: stored_role(&role)?,
            scopes: Scopes::parse(&scopes).map_err(AppError::internal)?,
        },
    }))
}

/// A client's access token by id: when it was made, when it ends, its scopes.
pub async fn find_token(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<(i64, i64, Scopes)>, AppError> {
    let row: Option<(i64, i64, String)> = sqlx::query_as(
        "SELECT created_at, expires_at, scopes FROM oauth_access_tokens WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|(created, expires, scopes)| {
        Ok((
            created,
            expires,
            Scopes::parse(&scopes).map_err(AppError::internal)?,
        ))
    })
    .transpose()
}

/// Forgets expired access tokens, and clients revoked more than 30 days ago.
pub async fn purge_ended(db: &AnyPool, now: i64) -> Result<u64, AppError> {
    let tokens = sqlx::query("DELETE FROM oauth_access_tokens WHERE expires_at <= $1")
        .bind(now)
        .execute(db)
        .await?;
    let clients = sqlx::query("DELETE FROM oauth_clients WHERE revoked_at <= $1")
        .bind(now - SHOWN_AFTER_REVOKED_SECS)
        .execute(db)
        .await?;
    Ok(tokens.rows_affected() + clients.rows_affected())
}
