//! (ssr) Reading and changing a tailnet's joining settings; each change reads the actor's
//! right again and is audited, in its own transaction, whichever door (console or API) it
//! came through.

use sqlx::{AnyConnection, AnyPool};

use super::model::{JoinSettings, TailnetKind, decode_roles, encode_roles};
use crate::audit::model::EventName;
use crate::audit::{Actor, Change, Target};
use crate::authority::lock_actor_role;
use crate::error::AppError;
use crate::ids::TailnetId;
use crate::roles::{Permission, Role};

/// A tailnet's name, kind and joining settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailnetRules {
    pub name: String,
    pub kind: TailnetKind,
    pub settings: JoinSettings,
}

impl TailnetRules {
    /// Whether the tailnet's "Join external tailnets" setting lets a member with `role` go.
    pub fn lets_join_external(&self, role: Role) -> bool {
        self.settings.join_external_roles.contains(&role)
    }
}

pub async fn load(conn: &mut AnyConnection, tailnet: &TailnetId) -> Result<TailnetRules, AppError> {
    type Row = (String, String, i64, String, Option<String>);
    let (name, kind, user_approval, join_external, coordination_server_url): Row = sqlx::query_as(
        "SELECT name, kind, user_approval, join_external_roles, coordination_server_url \
         FROM tailnets WHERE id = $1",
    )
    .bind(tailnet.as_str())
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| AppError::NotFound("This tailnet no longer exists.".into()))?;
    Ok(TailnetRules {
        name,
        kind: TailnetKind::parse(&kind)
            .ok_or_else(|| AppError::internal(format!("stored tailnet kind {kind}")))?,
        settings: JoinSettings {
            user_approval: user_approval != 0,
            join_external_roles: decode_roles(&join_external).map_err(AppError::internal)?,
            coordination_server_url,
        },
    })
}

/// Starts a change of the tailnet's row by writing it, so the transaction holds the write lock
/// (SQLite) or the row lock (PostgreSQL) before it reads: concurrent changes queue up, and the
/// old value each one logs is the one it replaced.
async fn lock_tailnet(conn: &mut AnyConnection, tailnet: &TailnetId) -> Result<(), AppError> {
    let locked = sqlx::query("UPDATE tailnets SET name = name WHERE id = $1")
        .bind(tailnet.as_str())
        .execute(&mut *conn)
        .await?;
    if locked.rows_affected() == 1 {
        Ok(())
    } else {
        Err(AppError::NotFound("This tailnet no longer exists.".into()))
    }
}

/// Opens a change of a setting: the tailnet's row and the actor's membership locked, the
/// actor's right to `permission` read again, and the settings as they were.
async fn begin_change(
    db: &AnyPool,
    actor: &Actor,
    tailnet: &TailnetId,
    permission: Permission,
) -> Result<(sqlx::Transaction<'static, sqlx::Any>, TailnetRules), AppError> {
    let mut tx = crate::sql::begin_write(db).await?;
    lock_tailnet(&mut tx, tailnet).await?;
    lock_actor_role(&mut tx, tailnet, actor, permission).await?;
    let before = load(&mut tx, tailnet).await?;
    Ok((tx, before))
}

fn json_value(value: impl serde::Serialize) -> Option<String> {
    serde_json::to_string(&value).ok()
}

/// A change of the joining settings: each `Some` is set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JoiningChange {
    /// "User approval" (Owner, Admin, Network admin).
    pub user_approval: Option<bool>,
    /// "Join external tailnets" (Owner, Admin, IT admin); empty is "None (disable)".
    pub join_external_roles: Option<Vec<Role>>,
}

/// Applies `change` in one transaction: the actor's right to each part is read again, and each
/// setting that really changes writes its event (one event group).
pub async fn change_joining(
    db: &AnyPool,
    actor: &Actor,
    tailnet: &TailnetId,
    change: &JoiningChange,
    now: i64,
) -> Result<JoinSettings, AppError> {
    let mut tx = crate::sql::begin_write(db).await?;
    lock_tailnet(&mut tx, tailnet).await?;
    if change.user_approval.is_some() {
        lock_actor_role(&mut tx, tailnet, actor, Permission::ManageUserApproval).await?;
    }
    if change.join_external_roles.is_some() {
        lock_actor_role(
            &mut tx,
            tailnet,
            actor,
            Permission::ManageJoinExternalTailnets,
        )
        .await?;
    }
    let before = load(&mut tx, tailnet).await?;
    if let Some(enabled) = change.user_approval {
        sqlx::query("UPDATE tailnets SET user_approval = $1 WHERE id = $2")
            .bind(i64::from(enabled))
            .bind(tailnet.as_str())
            .execute(&mut *tx)
            .await?;
    }
    if let Some(roles) = &change.join_external_roles {
        sqlx::query("UPDATE tailnets SET join_external_roles = $1 WHERE id = $2")
            .bind(encode_roles(roles))
            .bind(tailnet.as_str())
            .execute(&mut *tx)
            .await?;
    }
    let rules = load(&mut tx, tailnet).await?;
    let (old, new) = (&before.settings, &rules.settings);
    let record = Change::new(actor, tailnet, now);
    if old.user_approval != new.user_approval {
        // Named as the audit-log issue names them: one event name for each direction.
        let event_name = if new.user_approval {
            EventName::EnableUserApproval
        } else {
            EventName::DisableUserApproval
        };
        record
            .record(
                &mut tx,
                event_name,
                Target::tailnet(tailnet, &rules.name, Some("user_approval")),
                json_value(old.user_approval),
                json_value(new.user_approval),
            )
            .await?;
    }
    if old.join_external_roles != new.join_external_roles {
        record
            .record(
                &mut tx,
                EventName::UpdateJoinExternalTailnets,
                Target::tailnet(tailnet, &rules.name, Some("join_external_roles")),
                json_value(&old.join_external_roles),
                json_value(&new.join_external_roles),
            )
            .await?;
    }
    tx.commit().await?;
    Ok(rules.settings)
}

/// Turns "User approval" on or off.
pub async fn set_user_approval(
    db: &AnyPool,
    actor: &Actor,
    tailnet: &TailnetId,
    enabled: bool,
    now: i64,
) -> Result<JoinSettings, AppError> {
    let change = JoiningChange {
        user_approval: Some(enabled),
        ..JoiningChange::default()
    };
    change_joining(db, actor, tailnet, &change, now).await
}

/// Sets which roles may join external tailnets; an empty list is "None (disable)".
pub async fn set_join_external_roles(
    db: &AnyPool,
    actor: &Actor,
    tailnet: &TailnetId,
    roles: &[Role],
    now: i64,
) -> Result<JoinSettings, AppError> {
    let change = JoiningChange {
        join_external_roles: Some(roles.to_vec()),
        ..JoiningChange::default()
    };
    change_joining(db, actor, tailnet, &change, now).await
}

/// Sets or clears (`None`) the "Coordination server URL".
pub async fn set_coordination_server_url(
    db: &AnyPool,
    actor: &Actor,
    tailnet: &TailnetId,
    url: Option<&str>,
    now: i64,
) -> Result<JoinSettings, AppError> {
    let (mut tx, before) = begin_change(db, actor, tailnet, Permission::ManageOidcClients).await?;
    sqlx::query("UPDATE tailnets SET coordination_server_url = $1 WHERE id = $2")
        .bind(url)
        .bind(tailnet.as_str())
        .execute(&mut *tx)
        .await?;
    let rules = load(&mut tx, tailnet).await?;
    if before.settings.coordination_server_url != rules.settings.coordination_server_url {
        Change::new(actor, tailnet, now)
            .record(
                &mut tx,
                EventName::UpdateCoordinationServerUrl,
                Target::tailnet(tailnet, &rules.name, Some("coordination_server_url")),
                json_value(&before.settings.coordination_server_url),
                json_value(&rules.settings.coordination_server_url),
            )
            .await?;
    }
    tx.commit().await?;
    Ok(rules.settings)
}
