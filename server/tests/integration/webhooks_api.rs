//! The webhook routes of the API v2, in Tailscale's paths and shapes, decoded by a third-party
//! Tailscale client's models: create (the secret once), list and read (never the secret),
//! change subscriptions, test, rotate (the old secret stops verifying), delete; each change
//! audited without its secret.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::api_v2::{Api, generate};
use crate::harness::{Backend, TestDatabase, on_both_databases};
use crate::webhook_receiver::{Receiver, verify};
use crate::webhooks::{deliver, webhook_app};

on_both_databases!(the_api_manages_webhooks_in_tailscales_paths_and_shapes);

async fn the_api_manages_webhooks_in_tailscales_paths_and_shapes(backend: Backend) {
    use tailscale_rest::models::webhook::{Webhook, WebhookList};

    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let (app, tailnet) = webhook_app(&database, true).await;
    let receiver = Receiver::start().await;
    let api = Api::new(&app, &generate(&app, &tailnet, 30).await.secret);
    let (status, created) = api
        .post(
            "/tailnet/-/webhooks",
            json!({ "endpointUrl": receiver.url, "providerType": "slack",
                    "subscriptions": ["userNeedsApproval", "userDeleted"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let created: Webhook = serde_json::from_value(created).expect("tailscale-rest's model");
    let id = created.endpoint_id.clone().expect("id");
    let secret = created
        .secret
        .clone()
        .expect("the secret, this once")
        .expose()
        .to_owned();
    assert_eq!(created.provider_type.as_deref(), Some("slack"));
    assert_eq!(
        created.creator_login_name.as_deref(),
        Some("ada@example.com")
    );

    let (status, listed) = api.get("/tailnet/-/webhooks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !listed.to_string().contains(&secret),
        "never a secret on a read"
    );
    let listed: WebhookList = serde_json::from_value(listed).expect("model");
    assert_eq!(listed.webhooks.expect("webhooks").len(), 1);
    let (status, one) = api.get(&format!("/webhooks/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(one.get("secret").is_none());

    let (status, changed) = api
        .send(
            Method::PATCH,
            &format!("/webhooks/{id}"),
            Some(json!({ "subscriptions": ["userCreated"] })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["subscriptions"], json!(["userCreated"]));
    let (status, refused) = api
        .send(
            Method::PATCH,
            &format!("/webhooks/{id}"),
            Some(json!({ "subscriptions": ["nodeCreated"] })),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("nodeCreated")),
        "{refused}"
    );

    let (status, _) = api.post(&format!("/webhooks/{id}/test"), json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    deliver(&app, app::context::now()).await;
    let first = receiver.received();
    assert_eq!(first.len(), 1);
    let header = first[0].signature.clone().expect("signed");
    assert!(verify(
        &secret,
        &header,
        &first[0].body,
        app::context::now(),
        300
    ));

    let (status, rotated) = api.post(&format!("/webhooks/{id}/rotate"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let new_secret = rotated["secret"].as_str().expect("new secret").to_owned();
    assert_ne!(new_secret, secret);
    api.post(&format!("/webhooks/{id}/test"), json!({})).await;
    deliver(&app, app::context::now()).await;
    let second = receiver.received().pop().expect("second test");
    let header = second.signature.clone().expect("signed");
    let now = app::context::now();
    assert!(verify(&new_secret, &header, &second.body, now, 300));
    assert!(
        !verify(&secret, &header, &second.body, now, 300),
        "the old secret no longer verifies"
    );

    let (status, _) = api
        .send(Method::DELETE, &format!("/webhooks/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = api.get(&format!("/webhooks/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Every change is in the audit log, and no secret is.
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT event_name FROM audit_events WHERE target_type = 'WEBHOOK_ENDPOINT' ORDER BY event_time, id",
    )
    .fetch_all(&app.db)
    .await
    .expect("events");
    assert_eq!(
        names,
        [
            "WEBHOOK_ENDPOINT.CREATE",
            "WEBHOOK_ENDPOINT.UPDATE.SUBSCRIPTIONS",
            "WEBHOOK_ENDPOINT.UPDATE.SECRET",
            "WEBHOOK_ENDPOINT.DELETE",
        ]
    );
    let values: Vec<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT old_value, new_value FROM audit_events")
            .fetch_all(&app.db)
            .await
            .expect("values");
    for (old, new) in values {
        for value in [old, new].into_iter().flatten() {
            assert!(
                !value.contains(&secret) && !value.contains(&new_secret),
                "{value}"
            );
        }
    }
    let sealed: Vec<String> = sqlx::query_scalar("SELECT secret_sealed FROM webhook_endpoints")
        .fetch_all(&app.db)
        .await
        .expect("sealed");
    assert!(sealed.is_empty(), "deleted");
}
