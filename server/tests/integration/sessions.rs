//! Sessions live in the database: two servers on one database act as one, and permissions
//! are checked per tailnet on the server.

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{Backend, TestApp, insert_member, on_both_databases};
use app::error::AppError;

use app::members::model::UsersOverview;
use app::roles::{Permission, Role};

on_both_databases!(
    a_session_made_on_one_server_works_on_another,
    the_session_cookie_is_http_only_and_same_site,
    members_and_strangers_cannot_see_the_users_page,
    housekeeping_removes_expired_sessions_and_ceremonies,
);

async fn a_session_made_on_one_server_works_on_another(backend: Backend) {
    let Some((first, database)) = TestApp::spawn(backend).await else {
        return;
    };
    let (mut passkey, _) = first.with_owner("ada@example.com").await;
    // A second server on the same database and public URL, as behind a load balancer; the
    // same browser (cookie jar) talks to it.
    let second = TestApp::spawn_behind(&database, &first).await;

    let user = second.current_user().await;
    assert_eq!(
        user.map(|u| u.email),
        Some("ada@example.com".into()),
        "the session works on both"
    );

    // A sign-in ceremony started on one server finishes on the other.
    let body = first.signed_sign_in(&mut passkey).await;
    let (status, _) = second.call::<String>("finish_sign_in", body).await;
    assert_eq!(status, StatusCode::OK);

    // Signing out on one ends the session on both.
    let (status, _) = second.call::<()>("sign_out", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first.current_user().await, None);
}

async fn the_session_cookie_is_http_only_and_same_site(backend: Backend) {
    let Some((app, _db)) = TestApp::spawn(backend).await else {
        return;
    };
    let (mut passkey, _) = app.with_owner("ada@example.com").await;
    let body = app.signed_sign_in(&mut passkey).await;
    let response = app
        .client
        .post(format!("{}/api/finish_sign_in", app.address))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("gatehouse_session="))
        .expect("session cookie")
        .to_owned();
    let token = cookie
        .trim_start_matches("gatehouse_session=")
        .split(';')
        .next()
        .unwrap_or_default();
    assert!(token.len() >= 22, "at least 128 bits: {token}");
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(cookie.contains("Path=/"));
    assert!(
        !cookie.contains("Secure"),
        "plain-http localhost cannot use Secure cookies"
    );
}

async fn members_and_strangers_cannot_see_the_users_page(backend: Backend) {
    let Some((app, _db)) = TestApp::spawn(backend).await else {
        return;
    };
    let (_, _) = app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;

    // A Member of the same tailnet, signed in through a real session row.
    let member_id = insert_member(&app, &tailnet, "bob@example.com", "member").await;
    let member = app.signed_in_as(&member_id).await;
    let (status, result) = member
        .call::<UsersOverview>("get_users_overview", json!({ "tailnet": tailnet }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(result, Err(AppError::Forbidden));
    let (status, _, html) = member.get_page(&format!("/admin/{tailnet}/users")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        html.contains("You don&#x27;t have access to this page")
            || html.contains("You don't have access to this page")
    );

    // Every role, against the permission table; and a suspended admin is refused.
    for (n, role) in Role::ALL
        .into_iter()
        .filter(|r| *r != Role::Owner)
        .enumerate()
    {
        let id = insert_member(&app, &tailnet, &format!("{n}@example.com"), role.as_str()).await;
        let browser = app.signed_in_as(&id).await;
        let (status, _) = browser
            .call::<UsersOverview>("get_users_overview", json!({ "tailnet": tailnet }))
            .await;
        let expected = if role.can(Permission::ViewMembers) {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(status, expected, "{role:?}");
    }
    let suspended = insert_member(&app, &tailnet, "sus@example.com", "admin").await;
    sqlx::query("UPDATE memberships SET status = 'suspended' WHERE user_id = $1")
        .bind(suspended.as_str())
        .execute(&app.db)
        .await
        .expect("suspend");
    let (status, _) = app
        .signed_in_as(&suspended)
        .await
        .call::<UsersOverview>("get_users_overview", json!({ "tailnet": tailnet }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a suspended Admin");

    // Nobody signed in, and an unknown tailnet.
    let (status, result) = app
        .other_browser()
        .call::<UsersOverview>("get_users_overview", json!({ "tailnet": tailnet }))
        .await;
    assert_eq!(
        (status, result),
        (StatusCode::UNAUTHORIZED, Err(AppError::Unauthenticated))
    );
    let (status, _) = app
        .call::<UsersOverview>(
            "get_users_overview",
            json!({ "tailnet": "no-such-tailnet" }),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "no hint whether a tailnet exists"
    );
}

async fn housekeeping_removes_expired_sessions_and_ceremonies(backend: Backend) {
    use app::auth::model::{CEREMONY_TTL_SECS, SESSION_IDLE_SECS};
    use app::auth::server::purge_expired;

    let Some((app, _db)) = TestApp::spawn(backend).await else {
        return;
    };
    let (_, _) = app.with_owner("ada@example.com").await;
    let (status, _) = app
        .call::<serde_json::Value>("start_sign_in", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.count("sessions").await, 1);
    assert_eq!(app.count("webauthn_ceremonies").await, 1);

    let now = app::context::now();
    let removed = purge_expired(&app.db, now).await.expect("purge");
    assert_eq!(removed, 0, "nothing has expired yet");
    assert_eq!(app.count("sessions").await, 1);

    let removed = purge_expired(&app.db, now + CEREMONY_TTL_SECS + 1)
        .await
        .expect("purge");
    assert_eq!(removed, 1, "the unfinished ceremony");
    assert_eq!(app.count("webauthn_ceremonies").await, 0);

    let removed = purge_expired(&app.db, now + SESSION_IDLE_SECS + 1)
        .await
        .expect("purge");
    assert_eq!(removed, 1, "the idle session");
    assert_eq!(app.count("sessions").await, 0);
}
