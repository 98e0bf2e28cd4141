//! The "OIDC clients" page's server functions: who may read and manage clients, what a valid
//! client is, secrets shown once and stored hashed, and an audit event per change that never
//! holds a secret.

use app::error::AppError;
use app::ids::TailnetId;
use app::oidc::model::{AddedOidcClient, OidcClientsPage};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::accept::other_tailnet;
use crate::harness::{Backend, TestApp, insert_member, on_both_databases};

on_both_databases!(
    admins_add_clients_whose_secret_is_shown_once,
    only_owner_admin_and_network_admin_manage_clients,
    callback_urls_must_be_https_or_loopback,
    secrets_are_regenerated_and_clients_deleted_within_their_tailnet,
);

fn headscale(tailnet: &TailnetId) -> Value {
    json!({ "client": {
        "tailnet": tailnet,
        "name": "Headscale",
        "callback_urls": "https://headscale.example.com/oidc/callback\n\nhttps://headscale.example.com/oidc/callback",
        "public": false,
        "require_pkce": false,
        "allowed_roles": ["owner", "admin", "network_admin", "it_admin", "billing_admin", "auditor", "member"],
    }})
}

async fn events(app: &TestApp, name: &str) -> Vec<(String, Option<String>, Option<String>)> {
    sqlx::query_as(
        "SELECT target_id, old_value, new_value FROM audit_events WHERE event_name = $1 \
         ORDER BY event_time",
    )
    .bind(name)
    .fetch_all(&app.db)
    .await
    .expect("events")
}

async fn admins_add_clients_whose_secret_is_shown_once(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let (status, added) = app
        .call::<AddedOidcClient>("add_oidc_client", headscale(&tailnet))
        .await;
    assert_eq!(status, StatusCode::OK);
    let added = added.expect("added");
    let secret = added.secret.expect("a confidential client has a secret");
    assert_eq!(secret.len(), 43, "256 random bits");
    assert_eq!(
        added.client.callback_urls,
        vec!["https://headscale.example.com/oidc/callback"],
        "blank lines and repeats are dropped"
    );
    assert!(added.client.allowed_roles.is_empty(), "every role");

    // Listed without its secret; stored as a hash.
    let (status, page) = app
        .call::<OidcClientsPage>("list_oidc_clients", json!({ "tailnet": tailnet }))
        .await;
    assert_eq!(status, StatusCode::OK);
    let page = page.expect("page");
    assert_eq!(page.issuer, app.public_origin);
    assert!(page.manages);
    assert_eq!(page.clients, vec![added.client.clone()]);
    assert!(
        !serde_json::to_string(&page)
            .expect("json")
            .contains(&secret)
    );
    let stored: Option<String> = sqlx::query_scalar("SELECT secret_hash FROM oidc_clients")
        .fetch_one(&app.db)
        .await
        .expect("row");
    let stored = stored.expect("a hash");
    assert_ne!(stored, secret);
    assert_eq!(stored.len(), 64, "SHA-256");

    // One event, naming the client, never its secret.
    let created = events(&app, "OIDC_CLIENT.CREATE").await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].0, added.client.id);
    let logged = created[0].2.clone().expect("the client's settings");
    assert!(
        logged.contains("Headscale") && !logged.contains(&secret),
        "{logged}"
    );

    // A public client has no secret and always uses PKCE.
    let mut public = headscale(&tailnet);
    public["client"]["public"] = json!(true);
    public["client"]["name"] = json!("Phone app");
    public["client"]["callback_urls"] = json!("http://127.0.0.1:8123/callback");
    let (_, added) = app.call::<AddedOidcClient>("add_oidc_client", public).await;
    let added = added.expect("added");
    assert_eq!(added.secret, None);
    assert!(added.client.public && added.client.require_pkce);
}

async fn only_owner_admin_and_network_admin_manage_clients(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    for (email, role, reads, manages) in [
        ("adm@example.com", "admin", true, true),
        ("net@example.com", "network_admin", true, true),
        ("it@example.com", "it_admin", true, false),
        ("aud@example.com", "auditor", true, false),
        ("bill@example.com", "billing_admin", true, false),
        ("mia@example.com", "member", false, false),
    ] {
        let user = insert_member(&app, &tailnet, email, role).await;
        let browser = app.signed_in_as(&user).await;
        let (status, page) = browser
            .call::<OidcClientsPage>("list_oidc_clients", json!({ "tailnet": tailnet }))
            .await;
        assert_eq!(status.is_success(), reads, "{role} reads: {status}");
        if let Ok(page) = page {
            assert_eq!(page.manages, manages, "{role}");
        }
        let before = app.count("oidc_clients").await;
        let (status, _) = browser
            .call::<AddedOidcClient>("add_oidc_client", headscale(&tailnet))
            .await;
        assert_eq!(status == StatusCode::OK, manages, "{role} adds: {status}");
        let expected = before + i64::from(manages);
        assert_eq!(app.count("oidc_clients").await, expected, "{role}");
    }
    // Another tailnet's admin cannot read or add here.
    let stranger = app.other_browser();
    let (status, _) = stranger
        .call::<OidcClientsPage>("list_oidc_clients", json!({ "tailnet": tailnet }))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Adding hands out a credential: a sign-in an hour old must be confirmed first.
    let owner = app.current_user().await.expect("signed in").user_id;
    crate::granting::stale_sessions(&app, &owner).await;
    let before = app.count("oidc_clients").await;
    let (status, refused) = app
        .call::<AddedOidcClient>("add_oidc_client", headscale(&tailnet))
        .await;
    assert_eq!(
        (status, refused.err()),
        (StatusCode::FORBIDDEN, Some(AppError::VerificationRequired))
    );
    assert_eq!(app.count("oidc_clients").await, before);
}

async fn callback_urls_must_be_https_or_loopback(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let add = |name: &str, urls: &str| {
        let mut body = headscale(&tailnet);
        body["client"]["name"] = json!(name);
        body["client"]["callback_urls"] = json!(urls);
        app.call::<AddedOidcClient>("add_oidc_client", body)
    };
    for (urls, says) in [
        ("", "at least one callback URL"),
        ("http://headscale.example.com/cb", "use https"),
        ("https://headscale.example.com/cb#top", "no #fragment"),
        (
            "https://user:pw@headscale.example.com/cb",
            "no user name or password",
        ),
        ("javascript:alert(1)", "use an https URL"),
        ("headscale.example.com/cb", "is not a URL"),
    ] {
        let (status, refused) = add("Headscale", urls).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{urls}");
        let message = refused
            .err()
            .and_then(|e| e.field_message("callback_urls"))
            .unwrap_or_default();
        assert!(message.contains(says), "{urls}: {message}");
    }
    // Too many URLs are refused before any is read, even a body's worth of them.
    for count in [11, 2_000] {
        let many: Vec<String> = (0..count)
            .map(|n| format!("https://h.example.com/{n}"))
            .collect();
        let started = std::time::Instant::now();
        let (status, refused) = add("Headscale", &many.join("\n")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{count}");
        let message = refused
            .err()
            .and_then(|e| e.field_message("callback_urls"))
            .unwrap_or_default();
        assert!(message.contains("at most 10"), "{count}: {message}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{count}"
        );
    }
    let (status, refused) = add("  ", "https://h.example.com/cb").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .err()
            .and_then(|e| e.field_message("name"))
            .is_some()
    );
    assert_eq!(app.count("oidc_clients").await, 0, "nothing was added");

    for loopback in [
        "http://localhost:8080/callback",
        "http://127.0.0.1/callback",
        "http://[::1]:9000/cb",
    ] {
        let (status, _) = add("Local app", loopback).await;
        assert_eq!(status, StatusCode::OK, "{loopback}");
    }
}

async fn secrets_are_regenerated_and_clients_deleted_within_their_tailnet(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let (_, added) = app
        .call::<AddedOidcClient>("add_oidc_client", headscale(&tailnet))
        .await;
    let added = added.expect("added");
    let client = added.client.id.clone();
    let hash = || async {
        sqlx::query_scalar::<_, Option<String>>(
            "SELECT secret_hash FROM oidc_clients WHERE id = $1",
        )
        .bind(&client)
        .fetch_one(&app.db)
        .await
        .expect("row")
    };
    let before = hash().await;
    let (status, secret) = app
        .call::<String>(
            "regenerate_oidc_client_secret",
            json!({ "tailnet": tailnet, "client": client }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let secret = secret.expect("secret");
    assert_ne!(Some(secret.clone()), added.secret);
    assert_ne!(hash().await, before, "the old secret stops working");
    let regenerated = events(&app, "OIDC_CLIENT.UPDATE.SECRET").await;
    assert_eq!(regenerated.len(), 1);
    assert_eq!(
        (regenerated[0].1.clone(), regenerated[0].2.clone()),
        (None, None)
    );

    // Another tailnet's admin sees nothing of it, and cannot touch it.
    let (other_tailnet, owners) = other_tailnet(&app, "Other", 1, "owner").await;
    let other = app.signed_in_as(&owners[0]).await;
    for function in ["regenerate_oidc_client_secret", "delete_oidc_client"] {
        let (status, _) = other
            .call::<Value>(
                function,
                json!({ "tailnet": other_tailnet, "client": client }),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{function}");
    }
    assert_eq!(app.count("oidc_clients").await, 1);

    let (status, _) = app
        .call::<()>(
            "delete_oidc_client",
            json!({ "tailnet": tailnet, "client": client }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.count("oidc_clients").await, 0);
    let deleted = events(&app, "OIDC_CLIENT.DELETE").await;
    assert_eq!(deleted.len(), 1);
    assert!(
        deleted[0]
            .1
            .as_deref()
            .unwrap_or_default()
            .contains("Headscale")
    );
    let (status, _) = app
        .call::<()>(
            "delete_oidc_client",
            json!({ "tailnet": tailnet, "client": client }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "gone");
}
