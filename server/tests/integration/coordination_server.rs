//! "Coordination server URL" in General settings: who may set it, what a valid one is, its
//! audit event, and where people are then told how to join the network (the welcome page, the
//! home page's data and the invite email).

use app::auth::model::SignedInUser;
use app::invites::model::Welcome;
use app::tailnets::model::JoinSettings;
use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{Backend, TestApp, insert_member, on_both_databases};

on_both_databases!(
    owner_admin_and_network_admin_set_the_url_others_are_refused,
    once_set_people_are_told_how_to_join_the_network,
);

async fn set(
    app: &TestApp,
    tailnet: &app::ids::TailnetId,
    url: &str,
) -> (StatusCode, Result<JoinSettings, app::error::AppError>) {
    app.call::<JoinSettings>(
        "set_coordination_server_url",
        json!({ "tailnet": tailnet, "url": url }),
    )
    .await
}

async fn owner_admin_and_network_admin_set_the_url_others_are_refused(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;

    let (status, saved) = set(&app, &tailnet, " https://Headscale.Example.com/ ").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        saved.expect("saved").coordination_server_url.as_deref(),
        Some("https://headscale.example.com")
    );
    // Bad input: a clear message at the field, and nothing changes.
    for bad in [
        "headscale.example.com",
        "http://headscale.example.com",
        "https://h.example.com/?a=1",
    ] {
        let (status, refused) = set(&app, &tailnet, bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(
            refused
                .expect_err("refused")
                .field_message("coordination_server_url")
                .is_some(),
            "{bad}"
        );
    }
    let stored: Option<String> =
        sqlx::query_scalar("SELECT coordination_server_url FROM tailnets WHERE id = $1")
            .bind(tailnet.as_str())
            .fetch_one(&app.db)
            .await
            .expect("stored");
    assert_eq!(stored.as_deref(), Some("https://headscale.example.com"));

    for (role, allowed) in [
        ("admin", true),
        ("network_admin", true),
        ("it_admin", false),
        ("billing_admin", false),
        ("auditor", false),
        ("member", false),
    ] {
        let user = insert_member(&app, &tailnet, &format!("{role}@example.com"), role).await;
        let browser = app.signed_in_as(&user).await;
        let (status, _) = set(&browser, &tailnet, "https://hs2.example.com").await;
        let expected = if allowed {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(status, expected, "{role}");
    }
    // Emptying it clears it; each change is one audit event with the old and new value.
    let (status, cleared) = set(&app, &tailnet, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cleared.expect("cleared").coordination_server_url, None);
    let events: Vec<(Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT old_value, new_value FROM audit_events \
         WHERE event_name = 'TAILNET.UPDATE.COORDINATION_SERVER_URL' ORDER BY event_time, id",
    )
    .fetch_all(&app.db)
    .await
    .expect("events");
    assert_eq!(
        events.len(),
        3,
        "set, changed by the Admin, cleared (the Network admin's change repeated the value)"
    );
    assert_eq!(
        events[0],
        (
            Some("null".to_owned()),
            Some("\"https://headscale.example.com\"".to_owned())
        )
    );
    assert_eq!(events[2].1.as_deref(), Some("null"));
}

async fn once_set_people_are_told_how_to_join_the_network(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let member = insert_member(&app, &tailnet, "bo@example.com", "member").await;
    let browser = app.signed_in_as(&member).await;

    let welcome = |browser: TestApp, tailnet: app::ids::TailnetId| async move {
        let (status, welcome) = browser
            .call::<Welcome>("get_welcome", json!({ "tailnet": tailnet }))
            .await;
        assert_eq!(status, StatusCode::OK);
        welcome.expect("welcome")
    };
    assert_eq!(
        welcome(browser.clone(), tailnet.clone())
            .await
            .coordination_server_url,
        None
    );
    let (status, _) = set(&app, &tailnet, "https://hs.example.com").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        welcome(browser.clone(), tailnet.clone())
            .await
            .coordination_server_url
            .as_deref(),
        Some("https://hs.example.com")
    );
    // The welcome page itself, rendered on the server, shows the command.
    let (status, _, html) = browser.get_page(&format!("/welcome/{tailnet}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("tailscale up --login-server https://hs.example.com"),
        "{html}"
    );
    // The home page's data carries it for the tailnet.
    let (_, person) = browser
        .call::<Option<SignedInUser>>("current_user", json!({}))
        .await;
    let person = person.expect("answer").expect("signed in");
    assert_eq!(
        person.tailnets[0].coordination_server_url.as_deref(),
        Some("https://hs.example.com")
    );

    // An invite email made now says how to join.
    let (status, _) = app
        .call::<serde_json::Value>(
            "invite_by_email",
            json!({ "invite": { "tailnet": tailnet, "addresses": "cy@example.com", "role": "member" } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let invite: String =
        sqlx::query_scalar("SELECT invite_id FROM email_outbox WHERE recipient = 'cy@example.com'")
            .fetch_one(&app.db)
            .await
            .expect("queued");
    let email = app::invites::lookup::invite_email(
        &app.db,
        &app.settings,
        &app::ids::InviteId::from_raw(invite),
    )
    .await
    .expect("rendered")
    .expect("an email");
    assert!(
        email
            .text
            .contains("tailscale up --login-server https://hs.example.com")
    );
    assert!(
        email
            .html
            .contains("tailscale up --login-server https://hs.example.com")
    );
}
