//! (ssr) Sessions: a random token in a cookie, only its hash in the database, so any server
//! behind a load balancer knows who is signed in. Signing in and out is recorded in the audit
//! log of every tailnet the person belongs to.

use axum::http::{HeaderMap, HeaderValue, header};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use sqlx::{AnyConnection, AnyPool};

use super::model::{
    SESSION_ABSOLUTE_SECS, SESSION_TOUCH_INTERVAL_SECS, SignedInUser, session_is_live,
};
use super::server::{PersonRow, person_columns, person_from_rows, person_joins};
use crate::audit::model::EventName;
use crate::audit::{Actor, EventGroup, Target, record_for_person};
use crate::error::AppError;
use crate::ids::{PasskeyId, UserId};
use crate::secrets::SecretToken;
use crate::settings::Settings;
use crate::sql::begin_write;

/// A live session of a signed-in person.
#[derive(Debug, Clone)]
pub struct Session {
    pub token_hash: String,
    pub user_id: UserId,
    /// When this session last proved a passkey: at sign-in, or a later "Confirm it's you".
    pub verified_at: i64,
    /// The passkey it proved.
    pub passkey_id: Option<PasskeyId>,
}

/// Over https the `__Host-` prefix pins the cookie to this exact origin.
fn cookie_name(settings: &Settings) -> &'static str {
    if settings.uses_https() {
        "__Host-gatehouse_session"
    } else {
        "gatehouse_session"
    }
}

fn session_token(settings: &Settings, headers: &HeaderMap) -> Option<SecretToken> {
    let name = cookie_name(settings);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| SecretToken::from_client(value.to_owned()))
}

/// The session named by the request's cookie, if it is still live. Refreshes `last_seen_at`
/// at most once a minute.
pub async fn session_from_headers(
    db: &AnyPool,
    settings: &Settings,
    headers: &HeaderMap,
    now: i64,
) -> Result<Option<Session>, AppError> {
    let Some(token) = session_token(settings, headers) else {
        return Ok(None);
    };
    let token_hash = token.hash();
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT user_id, created_at, last_seen_at, verified_at, passkey_id FROM sessions \
         WHERE token_hash = $1",
    )
    .bind(&token_hash)
    .fetch_optional(db)
    .await?;
    match row {
        Some(row) => keep_alive(db, token_hash, row, now).await,
        None => Ok(None),
    }
}

/// [`session_from_headers`] together with the person it belongs to, with their tailnets and
/// roles, in one statement: what every page render needs first.
pub async fn signed_in_from_headers(
    db: &AnyPool,
    settings: &Settings,
    headers: &HeaderMap,
    now: i64,
) -> Result<Option<(Session, SignedInUser)>, AppError> {
    let Some(token) = session_token(settings, headers) else {
        return Ok(None);
    };
    let token_hash = token.hash();
    /// A session's row with one row of its person.
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        session: SessionRow,
        #[sqlx(flatten)]
        person: PersonRow,
    }
    let rows: Vec<Row> = sqlx::query_as(concat!(
        "SELECT s.user_id, s.created_at, s.last_seen_at, s.verified_at, s.passkey_id, ",
        person_columns!(),
        " FROM sessions s JOIN users u ON u.id = s.user_id ",
        person_joins!(),
        " WHERE s.token_hash = $1 ORDER BY t.name, t.id"
    ))
    .bind(&token_hash)
    .fetch_all(db)
    .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let session_row = first.session.clone();
    let Some(session) = keep_alive(db, token_hash, session_row, now).await? else {
        return Ok(None);
    };
    let person_rows = rows.into_iter().map(|row| row.person).collect();
    let person = person_from_rows(&session.user_id, person_rows)?;
    Ok(Some((session, person)))
}

/// A session's own columns.
#[derive(Clone, sqlx::FromRow)]
struct SessionRow {
    user_id: String,
    created_at: i64,
    last_seen_at: i64,
    verified_at: i64,
    passkey_id: Option<String>,
}

/// The session in `row` if it is still live (an expired one is deleted), with `last_seen_at`
/// (and its memberships' last activity) refreshed when a minute has passed.
async fn keep_alive(
    db: &AnyPool,
    token_hash: String,
    row: SessionRow,
    now: i64,
) -> Result<Option<Session>, AppError> {
    if !session_is_live(row.created_at, row.last_seen_at, now) {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(&token_hash)
            .execute(db)
            .await?;
        return Ok(None);
    }
    let user_id = UserId::from_raw(row.user_id);
    if now - row.last_seen_at >= SESSION_TOUCH_INTERVAL_SECS {
        let mut tx = begin_write(db).await?;
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(now)
            .bind(&token_hash)
            .execute(&mut *tx)
            .await?;
        touch_memberships(&mut tx, &user_id, now).await?;
        tx.commit().await?;
    }
    Ok(Some(Session {
        token_hash,
        user_id,
        verified_at: row.verified_at,
        passkey_id: row.passkey_id.map(PasskeyId::from_raw),
    }))
}

/// Creates a session row for `user`, signed in with `passkey`, and returns its token (for the
/// cookie only).
pub async fn start_session(
    conn: &mut AnyConnection,
    user: &UserId,
    passkey: Option<&PasskeyId>,
    now: i64,
) -> Result<SecretToken, AppError> {
    let token = SecretToken::generate();
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, verified_at, \
             passkey_id) VALUES ($1, $2, $3, $3, $3, $4)",
    )
    .bind(token.hash())
    .bind(user.as_str())
    .bind(now)
    .bind(passkey.map(PasskeyId::as_str))
    .execute(&mut *conn)
    .await?;
    touch_memberships(conn, user, now).await?;
    Ok(token)
}

/// Records that `user` was seen in their tailnets now: the Users page's "Last seen" column, and
/// what turns a member "Idle" after 28 days without it.
async fn touch_memberships(
    conn: &mut AnyConnection,
    user: &UserId,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query("UPDATE memberships SET last_seen_at = $1 WHERE user_id = $2")
        .bind(now)
        .bind(user.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Ends the session the request presented, if any, so signing in always starts a fresh one.
pub async fn end_presented_session(
    conn: &mut AnyConnection,
    settings: &Settings,
    headers: &HeaderMap,
) -> Result<(), AppError> {
    if let Some(token) = session_token(settings, headers) {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token.hash())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// "Sign out": ends `session` and records `USER.LOGOUT`, in one transaction. A session that
/// another request ended meanwhile writes no event.
pub async fn end_session(
    db: &AnyPool,
    session: &Session,
    client_address: Option<String>,
    now: i64,
) -> Result<(), AppError> {
    let mut tx = begin_write(db).await?;
    let ended = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(&session.token_hash)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if ended == 1 {
        record_session_event(
            &mut tx,
            &session.user_id,
            client_address,
            EventName::UserLogout,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Records a sign-in or sign-out in the log of every tailnet the person belongs to, as one
/// event group: each tailnet's admins see who came and went.
pub async fn record_session_event(
    conn: &mut AnyConnection,
    user: &UserId,
    client_address: Option<String>,
    event: EventName,
    now: i64,
) -> Result<(), AppError> {
    let actor = Actor::load(conn, user, client_address).await?;
    let target = Target::user(&actor.id, &actor.email);
    record_for_person(
        conn,
        &EventGroup::new(),
        &actor,
        &target,
        event,
        (None, None),
        now,
    )
    .await
}

fn set_cookie_header(value: String) {
    if let (Some(response), Ok(value)) = (
        use_context::<ResponseOptions>(),
        HeaderValue::from_str(&value),
    ) {
        response.append_header(header::SET_COOKIE, value);
    }
}

fn cookie_attributes(settings: &Settings, max_age: i64) -> String {
    let secure = if settings.uses_https() {
        "; Secure"
    } else {
        ""
    };
    format!("Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

pub fn set_session_cookie(settings: &Settings, token: &SecretToken) {
    let name = cookie_name(settings);
    let attributes = cookie_attributes(settings, SESSION_ABSOLUTE_SECS);
    set_cookie_header(format!("{name}={}; {attributes}", token.expose()));
}

pub fn clear_session_cookie(settings: &Settings) {
    set_cookie_header(session_cookie_cleared(settings));
}

/// The `Set-Cookie` value that removes the session cookie (for plain HTTP handlers).
pub fn session_cookie_cleared(settings: &Settings) -> String {
    let name = cookie_name(settings);
    format!("{name}=; {}", cookie_attributes(settings, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(public_url: &str) -> Settings {
        Settings {
            public_url: url::Url::parse(public_url).expect("url"),
            invite_ttl_secs: 60,
            setup_link_ttl_secs: 60,
            link_key: crate::secrets::LinkKey::from_bytes(&[7; 32]),
            email_delivery_configured: false,
            client_download_url: "https://tailscale.com/download".into(),
            invite_lookups_per_minute: 30,
            sign_in_attempts_per_minute: 60,
            invite_emails_per_day_per_tailnet: 1_000,
            invite_emails_per_day_per_person: 300,
            trusted_proxies: Vec::new(),
            audit_retention_secs: 90 * 86_400,
            recent_sign_in_secs: 300,
            webhook_allow_private: false,
        }
    }

    #[test]
    fn over_https_the_cookie_is_secure_and_host_bound() {
        let https = settings("https://gatehouse.example.com");
        assert_eq!(cookie_name(&https), "__Host-gatehouse_session");
        let attributes = cookie_attributes(&https, 10);
        assert!(attributes.contains("; Secure"));
        assert!(attributes.contains("Path=/"), "__Host- cookies need Path=/");
        assert!(
            !attributes.contains("Domain"),
            "__Host- cookies must not name a domain"
        );
    }

    #[test]
    fn over_plain_http_localhost_the_cookie_cannot_be_secure() {
        let http = settings("http://localhost:3000");
        assert_eq!(cookie_name(&http), "gatehouse_session");
        assert!(!cookie_attributes(&http, 10).contains("Secure"));
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let http = settings("http://localhost:3000");
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; gatehouse_session=abc; other=1"),
        );
        let token = session_token(&http, &headers).expect("token");
        assert_eq!(token.expose(), "abc");
        let https = settings("https://gatehouse.example.com");
        assert!(
            session_token(&https, &headers).is_none(),
            "over https only the __Host- cookie counts"
        );
    }
}
