//! Bulk rows for list tests and the Users-page benchmark: members and open invites written
//! straight to the database in multi-row inserts.

use app::ids::TailnetId;
use sqlx::AnyPool;

/// One seeded member.
#[derive(Debug, Clone)]
pub struct SeedMember {
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub status: &'static str,
    pub joined_at: i64,
    pub last_seen_at: Option<i64>,
}

/// One seeded open invite.
#[derive(Debug, Clone)]
pub struct SeedInvite {
    pub email: Option<String>,
    pub role: &'static str,
    pub created_at: i64,
    pub expires_at: i64,
}

const BATCH: usize = 200;

fn placeholders(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| {
            let cells: Vec<String> = (1..=columns)
                .map(|column| format!("${}", row * columns + column))
                .collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn members(db: &AnyPool, tailnet: &TailnetId, members: &[SeedMember]) {
    let mut tx = db.begin().await.expect("transaction");
    for chunk in members.chunks(BATCH) {
        let ids: Vec<String> = chunk
            .iter()
            .map(|_| uuid::Uuid::new_v4().to_string())
            .collect();
        let sql = format!(
            "INSERT INTO users (id, webauthn_user_id, display_name, email, home_tailnet_id, created_at, api_id) VALUES {}",
            placeholders(chunk.len(), 7)
        );
        let first_api_id = app::api_ids::allocate_block(
            &mut tx,
            app::api_ids::ApiIdKind::User,
            i64::try_from(chunk.len()).expect("chunk"),
        )
        .await
        .expect("api ids");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for ((id, member), api_id) in ids.iter().zip(chunk).zip(first_api_id..) {
            query = query
                .bind(id.clone())
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(member.name.clone())
                .bind(member.email.clone())
                .bind(tailnet.as_str().to_owned())
                .bind(member.joined_at)
                .bind(api_id);
        }
        query.execute(&mut *tx).await.expect("users");
        let sql = format!(
            "INSERT INTO memberships (tailnet_id, user_id, role, status, joined_at, last_seen_at) VALUES {}",
            placeholders(chunk.len(), 6)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (id, member) in ids.iter().zip(chunk) {
            query = query
                .bind(tailnet.as_str().to_owned())
                .bind(id.clone())
                .bind(member.role)
                .bind(member.status)
                .bind(member.joined_at)
                .bind(member.last_seen_at);
        }
        query.execute(&mut *tx).await.expect("memberships");
    }
    tx.commit().await.expect("commit");
}

pub async fn invites(db: &AnyPool, tailnet: &TailnetId, invites: &[SeedInvite]) {
    let mut tx = db.begin().await.expect("transaction");
    for chunk in invites.chunks(BATCH) {
        let sql = format!(
            "INSERT INTO invites (id, tailnet_id, kind, email, role, token_hash, sealed_token, created_at, expires_at) VALUES {}",
            placeholders(chunk.len(), 9)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for invite in chunk {
            let kind = if invite.email.is_some() {
                "email"
            } else {
                "link"
            };
            query = query
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(tailnet.as_str().to_owned())
                .bind(kind)
                .bind(invite.email.clone())
                .bind(invite.role)
                .bind(uuid::Uuid::new_v4().to_string())
                .bind("sealed")
                .bind(invite.created_at)
                .bind(invite.expires_at);
        }
        query.execute(&mut *tx).await.expect("invites");
    }
    tx.commit().await.expect("commit");
}

/// `count` active members who joined one second apart, ending before `now`.
pub fn plain_members(count: usize, now: i64, prefix: &str) -> Vec<SeedMember> {
    (0..count)
        .map(|n| SeedMember {
            name: format!("{prefix} person {n}"),
            email: format!("{prefix}{n}@example.com"),
            role: "member",
            status: "active",
            joined_at: now - 10_000 - i64::try_from(n).unwrap_or(0),
            last_seen_at: Some(now - 60),
        })
        .collect()
}

/// `count` open email invites made one second apart, valid for a day more.
pub fn plain_invites(count: usize, now: i64, prefix: &str) -> Vec<SeedInvite> {
    (0..count)
        .map(|n| SeedInvite {
            email: Some(format!("{prefix}-invitee{n}@example.com")),
            role: "member",
            created_at: now - 5_000 - i64::try_from(n).unwrap_or(0),
            expires_at: now + 86_400,
        })
        .collect()
}

/// A tailnet without members, whose rows must never show in another tailnet's lists.
pub async fn tailnet(db: &AnyPool, name: &str) -> TailnetId {
    let id = TailnetId::generate();
    let mut conn = db.acquire().await.expect("connection");
    let api_id = app::api_ids::allocate(&mut conn, app::api_ids::ApiIdKind::Tailnet)
        .await
        .expect("api id");
    sqlx::query("INSERT INTO tailnets (id, name, created_at, api_id) VALUES ($1, $2, 0, $3)")
        .bind(id.as_str())
        .bind(name)
        .bind(api_id)
        .execute(&mut *conn)
        .await
        .expect("tailnet");
    id
}

/// One seeded audit event.
#[derive(Debug, Clone)]
pub struct SeedEvent {
    pub event_time: i64,
    pub actor_name: String,
    pub actor_email: String,
    pub event_name: &'static str,
    pub target_name: String,
    pub new_value: Option<String>,
}

pub async fn audit_events(db: &AnyPool, tailnet: &TailnetId, events: &[SeedEvent]) {
    let mut tx = db.begin().await.expect("transaction");
    for chunk in events.chunks(BATCH) {
        let sql = format!(
            "INSERT INTO audit_events (id, tailnet_id, event_time, event_group_id, origin, \
                 actor_id, actor_type, actor_name, actor_email, target_type, target_id, \
                 target_name, action, event_name, new_value, client_address) VALUES {}",
            placeholders(chunk.len(), 16)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for event in chunk {
            let action = event.event_name.split('.').nth(1).unwrap_or("UPDATE");
            query = query
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(tailnet.as_str().to_owned())
                .bind(event.event_time)
                .bind(uuid::Uuid::new_v4().to_string())
                .bind("ADMIN_CONSOLE")
                .bind(format!("actor-{}", event.actor_email))
                .bind("USER")
                .bind(event.actor_name.clone())
                .bind(event.actor_email.clone())
                .bind("USER")
                .bind(format!("target-{}", event.target_name))
                .bind(event.target_name.clone())
                .bind(action)
                .bind(event.event_name)
                .bind(event.new_value.clone())
                .bind("192.0.2.10");
        }
        query.execute(&mut *tx).await.expect("audit events");
    }
    tx.commit().await.expect("commit");
}

/// `count` events one second apart, newest at `newest`, cycling through three actors and
/// three event names: event `n` is by `actor{n % 3}` and targets `target{n}@example.com`.
pub fn plain_events(count: usize, newest: i64) -> Vec<SeedEvent> {
    const NAMES: [&str; 3] = [
        "INVITE.CREATE.TAILNET_INVITE",
        "INVITE.RESEND.TAILNET_INVITE",
        "USER.LOGIN",
    ];
    (0..count)
        .map(|n| SeedEvent {
            event_time: newest - i64::try_from(n).unwrap_or(0),
            actor_name: format!("Actor {}", n % 3),
            actor_email: format!("actor{}@example.com", n % 3),
            event_name: NAMES[n % 3],
            target_name: format!("target{n}@example.com"),
            new_value: None,
        })
        .collect()
}
