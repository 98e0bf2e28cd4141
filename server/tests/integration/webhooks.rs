//! Webhooks as admins and receivers see them: every event type fired by the real action
//! reaches a subscribed endpoint in Tailscale's shape, signed so that an independent check of
//! the documented scheme accepts it; chat formats have the shapes those services accept; who
//! may manage endpoints and what bad input gets.

use app::members::model::MemberChange;
use app::roles::Role;
use app::webhooks::model::{EndpointSecret, EventType, WebhooksPage};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::accept::{join_by_email, owner_app};
use crate::harness::{Backend, TestApp, TestDatabase, insert_member, on_both_databases};
use crate::webhook_receiver::{Receiver, verify};

/// An app whose Owner is signed in; webhooks may go to loopback (`allow_private`) or not.
pub(crate) async fn webhook_app(
    database: &TestDatabase,
    allow_private: bool,
) -> (TestApp, app::ids::TailnetId) {
    let allow = ("GATEHOUSE_WEBHOOK_ALLOW_PRIVATE", allow_private.to_string());
    owner_app(database, &[allow]).await
}

/// "Add endpoint" through the page's server function.
pub(crate) async fn add_endpoint(
    app: &TestApp,
    tailnet: &app::ids::TailnetId,
    url: &str,
    provider: &str,
    events: &[EventType],
) -> (StatusCode, Result<EndpointSecret, app::error::AppError>) {
    app.call::<EndpointSecret>(
        "add_webhook_endpoint",
        json!({ "endpoint": {
            "tailnet": tailnet, "url": url, "provider": provider, "subscriptions": events,
        } }),
    )
    .await
}

/// One round of the delivery worker at `now`, with this app's settings.
pub(crate) async fn deliver(app: &TestApp, now: i64) -> server::webhooks::DeliveryRound {
    let client =
        server::webhooks::http_client(app.settings.webhook_allow_private).expect("http client");
    server::webhooks::deliver_due(&app.db, &app.settings, &client, now)
        .await
        .expect("delivery round")
}

async fn manage(
    app: &TestApp,
    tailnet: &app::ids::TailnetId,
    user: &app::ids::UserId,
    change: MemberChange,
) {
    let (status, answer) = app
        .call::<Value>(
            "manage_member",
            json!({ "tailnet": tailnet, "user": user, "change": change }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{change:?}: {answer:?}");
}

on_both_databases!(every_event_reaches_a_subscribed_endpoint_signed_in_tailscales_shape);

async fn every_event_reaches_a_subscribed_endpoint_signed_in_tailscales_shape(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let (app, tailnet) = webhook_app(&database, true).await;
    let receiver = Receiver::start().await;
    let (status, added) = add_endpoint(&app, &tailnet, &receiver.url, "", &EventType::ALL).await;
    assert_eq!(status, StatusCode::OK, "{added:?}");
    let secret = added.expect("added").secret;
    assert!(secret.len() >= 43, "256 random bits");

    // Bo joins; approval goes on; Cy joins and waits; she is approved; Bo's role changes, he
    // is suspended, restored and removed.
    let bo = join_by_email(&app, &tailnet, "Bo", "bo@example.com", "member").await;
    let (status, _) = app
        .call::<Value>(
            "set_user_approval",
            json!({ "tailnet": tailnet, "enabled": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let cy = join_by_email(&app, &tailnet, "Cy", "cy@example.com", "auditor").await;
    let (status, _) = app
        .call::<Value>(
            "approve_user",
            json!({ "tailnet": tailnet, "user": cy, "role": null }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    manage(&app, &tailnet, &bo, MemberChange::ChangeRole(Role::ItAdmin)).await;
    manage(&app, &tailnet, &bo, MemberChange::Suspend).await;
    manage(&app, &tailnet, &bo, MemberChange::Restore).await;
    manage(&app, &tailnet, &bo, MemberChange::Remove).await;
    assert!(
        receiver.received().is_empty(),
        "nothing is sent by the change itself"
    );

    let round = deliver(&app, app::context::now()).await;
    assert_eq!(round.delivered, 12, "{round:?}");
    let requests = receiver.received();
    assert_eq!(
        requests.len(),
        1,
        "one endpoint's due events go in one request"
    );
    let request = &requests[0];
    assert_eq!(request.content_type.as_deref(), Some("application/json"));
    let header = request.signature.as_deref().expect("signed");
    let now = app::context::now();
    assert!(verify(&secret, header, &request.body, now, 300), "{header}");
    assert!(!verify("another secret", header, &request.body, now, 300));
    assert!(
        !verify(&secret, header, b"[]", now, 300),
        "the body is signed"
    );
    assert!(
        !verify(&secret, header, &request.body, now + 3_600, 300),
        "old is refused"
    );

    let events = request.events();
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["type"].as_str().expect("type"))
        .collect();
    assert_eq!(
        types,
        [
            "userInvited",
            "userCreated",
            "userJoined",
            "userInvited",
            "userCreated",
            "userJoined",
            "userNeedsApproval",
            "userApproved",
            "userRoleUpdated",
            "userSuspended",
            "userRestored",
            "userDeleted",
        ],
        "in the order they happened"
    );
    let name: String = sqlx::query_scalar("SELECT name FROM tailnets WHERE id = $1")
        .bind(tailnet.as_str())
        .fetch_one(&app.db)
        .await
        .expect("tailnet name");
    for event in &events {
        assert_eq!(event["version"], 1);
        assert_eq!(event["tailnet"], name.as_str());
        let timestamp = event["timestamp"].as_str().expect("timestamp");
        assert!(chrono_like(timestamp), "{timestamp}");
        assert!(event["message"].as_str().is_some_and(|m| !m.is_empty()));
        let url = event["data"]["url"].as_str().expect("url");
        assert!(
            url.starts_with(&format!("{}/admin/{tailnet}/users", app.public_origin)),
            "{url}"
        );
    }
    let waiting = events
        .iter()
        .find(|e| e["type"] == "userNeedsApproval")
        .expect("userNeedsApproval");
    assert_eq!(waiting["data"]["user"], "cy@example.com");
    assert_eq!(waiting["data"]["displayName"], "Cy");
    assert_eq!(waiting["data"]["role"], "auditor");
    assert_eq!(
        waiting["message"],
        format!("cy@example.com needs approval to join {name}")
    );
    let role_change = events
        .iter()
        .find(|e| e["type"] == "userRoleUpdated")
        .expect("role");
    assert_eq!(role_change["data"]["role"], "it-admin");
    assert_eq!(role_change["data"]["actor"], "ada@example.com");

    // Delivered once: later rounds send nothing more.
    assert_eq!(
        deliver(&app, app::context::now() + 100_000).await.delivered,
        0
    );
    assert_eq!(receiver.received().len(), 1);
}

/// `2026-11-29T10:00:00Z`.
fn chrono_like(text: &str) -> bool {
    text.len() == 20 && text.ends_with('Z') && text.as_bytes()[10] == b'T'
}

on_both_databases!(chat_formats_have_the_shapes_those_services_accept);

async fn chat_formats_have_the_shapes_those_services_accept(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let (app, tailnet) = webhook_app(&database, true).await;
    let mut receivers = Vec::new();
    for provider in ["slack", "mattermost", "googlechat", "discord"] {
        let receiver = Receiver::start().await;
        let events = [EventType::UserNeedsApproval];
        let (status, added) = add_endpoint(&app, &tailnet, &receiver.url, provider, &events).await;
        assert_eq!(status, StatusCode::OK, "{added:?}");
        receivers.push((provider, receiver, added.expect("added").secret));
    }
    let (status, _) = app
        .call::<Value>(
            "set_user_approval",
            json!({ "tailnet": tailnet, "enabled": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    join_by_email(&app, &tailnet, "Cy", "cy@example.com", "member").await;
    deliver(&app, app::context::now()).await;
    let users = format!(
        "{}/admin/{tailnet}/users?q=cy%40example.com",
        app.public_origin
    );
    for (provider, receiver, secret) in receivers {
        let requests = receiver.received();
        assert_eq!(requests.len(), 1, "{provider}");
        let request = &requests[0];
        let header = request.signature.as_deref().expect("signed");
        assert!(verify(
            &secret,
            header,
            &request.body,
            app::context::now(),
            300
        ));
        let body = request.json();
        let object = body.as_object().expect("one message object");
        // Slack, Mattermost and Google Chat take `text`; Discord takes `content`.
        let field = if provider == "discord" {
            "content"
        } else {
            "text"
        };
        assert_eq!(object.len(), 1, "{provider}: {body}");
        let text = object[field].as_str().expect("a string");
        assert!(
            text.starts_with("cy@example.com needs approval to join"),
            "{text}"
        );
        assert!(text.contains(&users), "{provider}: {text}");
    }
}

on_both_databases!(admins_manage_endpoints_other_admins_read_members_are_refused);

async fn admins_manage_endpoints_other_admins_read_members_are_refused(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let (app, tailnet) = webhook_app(&database, true).await;
    let receiver = Receiver::start().await;
    let events = [EventType::UserJoined];
    for (email, role, manages) in [
        ("it@example.com", "it_admin", true),
        ("net@example.com", "network_admin", true),
        ("auditor@example.com", "auditor", false),
        ("billing@example.com", "billing_admin", false),
    ] {
        let person = insert_member(&app, &tailnet, email, role).await;
        let browser = app.signed_in_as(&person).await;
        let (status, page) = browser
            .call::<WebhooksPage>("list_webhooks", json!({ "tailnet": tailnet }))
            .await;
        assert_eq!(status, StatusCode::OK, "{role} reads");
        assert_eq!(page.expect("page").manages, manages, "{role}");
        let (status, _) = add_endpoint(&browser, &tailnet, &receiver.url, "", &events).await;
        let expected = if manages {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(status, expected, "{role} adds");
    }
    let member = insert_member(&app, &tailnet, "member@example.com", "member").await;
    let member = app.signed_in_as(&member).await;
    let (status, _) = member
        .call::<WebhooksPage>("list_webhooks", json!({ "tailnet": tailnet }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Bad input: a clear message on the field, nothing stored.
    let before = app.count("webhook_endpoints").await;
    let (status, refused) =
        add_endpoint(&app, &tailnet, "http://hooks.example.com/x", "", &events).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let refused = refused.expect_err("refused");
    assert_eq!(
        refused.field_message("url").as_deref(),
        Some("Use https (http only for localhost).")
    );
    let (status, refused) = add_endpoint(&app, &tailnet, &receiver.url, "", &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused
            .expect_err("refused")
            .field_message("subscriptions")
            .as_deref(),
        Some("Choose at least one event.")
    );
    assert_eq!(app.count("webhook_endpoints").await, before);
}

on_both_databases!(a_member_who_leaves_is_reported_to_the_tailnet_they_left);

async fn a_member_who_leaves_is_reported_to_the_tailnet_they_left(backend: Backend) {
    use app::tailnets::model::TailnetKind;

    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let (app, tailnet) = webhook_app(&database, true).await;
    let receiver = Receiver::start().await;
    let events = [EventType::UserLeftTailnet];
    let (status, added) = add_endpoint(&app, &tailnet, &receiver.url, "", &events).await;
    assert_eq!(status, StatusCode::OK, "{added:?}");
    let secret = added.expect("added").secret;
    let home = crate::leave::tailnet(&app, "Home", TailnetKind::Organization).await;
    let lea = insert_member(&app, &home, "lea@example.com", "member").await;
    crate::leave::join(&app, &tailnet, &lea, "member").await;
    let browser = app.signed_in_as(&lea).await;
    let (status, answer) = browser
        .call::<()>("leave_tailnet", json!({ "tailnet": tailnet }))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer:?}");
    deliver(&app, app::context::now()).await;
    let requests = receiver.received();
    assert_eq!(requests.len(), 1);
    let header = requests[0].signature.as_deref().expect("signed");
    assert!(verify(
        &secret,
        header,
        &requests[0].body,
        app::context::now(),
        300
    ));
    let event = &requests[0].events()[0];
    assert_eq!(event["type"], "userLeftTailnet");
    assert_eq!(event["data"]["user"], "lea@example.com");
    assert_eq!(event["data"]["actor"], "lea@example.com");
}
