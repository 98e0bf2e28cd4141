//! Delivery that never loses an event and never delivers one twice: a receiver that is down
//! for a while gets every event once when it is back; two servers on one database deliver
//! each event once; a hanging receiver does not hold up another endpoint beyond its timeout;
//! private addresses are refused when saved and again when sent; a delivery that keeps
//! failing is given up after a day, keeps only the start of the answer, and "Retry" sends it.

use std::time::{Duration, Instant};

use app::webhooks::model::{EventType, GIVE_UP_AFTER_SECS, WebhooksPage};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Backend, TestApp, TestDatabase, on_both_databases};
use crate::webhook_receiver::Receiver;
use crate::webhooks::{add_endpoint, deliver, webhook_app};

/// "Test endpoint" `times` times.
async fn send_tests(app: &TestApp, tailnet: &app::ids::TailnetId, endpoint: &str, times: usize) {
    for _ in 0..times {
        let (status, answer) = app
            .call::<Value>(
                "test_webhook_endpoint",
                json!({ "tailnet": tailnet, "endpoint": endpoint }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{answer:?}");
    }
}

async fn page(app: &TestApp, tailnet: &app::ids::TailnetId) -> WebhooksPage {
    let (status, page) = app
        .call::<WebhooksPage>("list_webhooks", json!({ "tailnet": tailnet }))
        .await;
    assert_eq!(status, StatusCode::OK);
    page.expect("page")
}

on_both_databases!(a_receiver_down_for_a_while_gets_every_event_once_when_back);

async fn a_receiver_down_for_a_while_gets_every_event_once_when_back(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let (app, tailnet) = webhook_app(&database, true).await;
    let port = Receiver::free_port().await;
    let url = format!("http://127.0.0.1:{port}/hook");
    let (status, added) = add_endpoint(&app, &tailnet, &url, "", &[EventType::UserJoined]).await;
    assert_eq!(status, StatusCode::OK, "{added:?}");
    let endpoint = added.expect("added").endpoint.id;
    send_tests(&app, &tailnet, &endpoint, 3).await;

    let now = app::context::now();
    let round = deliver(&app, now).await;
    assert_eq!(
        (round.delivered, round.failed_attempts),
        (0, 3),
        "{round:?}"
    );
    let shown = page(&app, &tailnet).await;
    let deliveries = &shown.endpoints[0].deliveries;
    assert!(
        deliveries
            .iter()
            .all(|d| d.attempts == 1 && d.last_status.is_none())
    );
    assert!(
        deliveries
            .iter()
            .all(|d| d.next_attempt_at == Some(now + 10)),
        "{deliveries:?}"
    );
    assert!(
        deliveries[0]
            .last_error
            .as_deref()
            .is_some_and(|e| !e.is_empty())
    );
    // Backing off: nothing is tried before the next attempt is due.
    assert_eq!(deliver(&app, now + 5).await, Default::default());

    let receiver = Receiver::start_on(port).await;
    let round = deliver(&app, now + 11).await;
    assert_eq!(round.delivered, 3, "{round:?}");
    assert_eq!(receiver.events().len(), 3);
    assert_eq!(deliver(&app, now + 100_000).await.delivered, 0);
    assert_eq!(receiver.events().len(), 3, "each once");
    let shown = page(&app, &tailnet).await;
    for delivery in &shown.endpoints[0].deliveries {
        assert_eq!((delivery.attempts, delivery.last_status), (2, Some(200)));
        assert_eq!(delivery.next_attempt_at, None);
    }
}

on_both_databases!(two_servers_on_one_database_deliver_each_event_once);

async fn two_servers_on_one_database_deliver_each_event_once(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let (first, tailnet) = webhook_app(&database, true).await;
    let allow = [("GATEHOUSE_WEBHOOK_ALLOW_PRIVATE", "true".to_owned())];
    let second = TestApp::spawn_behind_with(&database, &first, &allow).await;
    let receivers = [Receiver::start().await, Receiver::start().await];
    for receiver in &receivers {
        let (status, added) = add_endpoint(
            &first,
            &tailnet,
            &receiver.url,
            "",
            &[EventType::UserInvited],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{added:?}");
    }
    for n in 0..30 {
        let (status, sent) =
            crate::invites::invite(&first, &tailnet, &format!("p{n}@example.com"), "member").await;
        assert_eq!(status, StatusCode::OK, "{sent:?}");
    }
    let now = app::context::now();
    // Both servers, several rounds each, at the same time.
    for _ in 0..3 {
        let (one, two) = tokio::join!(deliver(&first, now), deliver(&second, now));
        assert_eq!(one.failed_attempts + two.failed_attempts, 0);
    }
    for receiver in &receivers {
        let mut invited: Vec<String> = receiver
            .events()
            .iter()
            .map(|event| event["data"]["user"].as_str().expect("user").to_owned())
            .collect();
        assert_eq!(invited.len(), 30, "every event");
        invited.sort();
        invited.dedup();
        assert_eq!(invited.len(), 30, "each once");
    }
}

on_both_databases!(a_hanging_receiver_does_not_hold_up_another_endpoint);

async fn a_hanging_receiver_does_not_hold_up_another_endpoint(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let (app, tailnet) = webhook_app(&database, true).await;
    let (hanging, healthy) = (Receiver::start().await, Receiver::start().await);
    hanging.hang();
    for receiver in [&hanging, &healthy] {
        let (status, _) =
            add_endpoint(&app, &tailnet, &receiver.url, "", &[EventType::UserInvited]).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _) = crate::invites::invite(&app, &tailnet, "bo@example.com", "member").await;
    assert_eq!(status, StatusCode::OK);
    let started = Instant::now();
    let round = deliver(&app, app::context::now()).await;
    let took = started.elapsed();
    assert_eq!(
        (round.delivered, round.failed_attempts),
        (1, 1),
        "{round:?}"
    );
    let arrived = healthy.received()[0].at.duration_since(started);
    assert!(
        arrived < Duration::from_secs(3),
        "the healthy endpoint waited {arrived:?}"
    );
    assert!(
        took < Duration::from_secs(15),
        "the hanging one is cut off at its timeout: {took:?}"
    );
    let shown = page(&app, &tailnet).await;
    let cut_off = shown
        .endpoints
        .iter()
        .find(|entry| entry.endpoint.url == hanging.url)
        .expect("hanging endpoint");
    assert_eq!(
        cut_off.deliveries[0].last_error.as_deref(),
        Some("no answer within 10 seconds")
    );
}

on_both_databases!(private_addresses_are_refused_when_saved_and_when_sent);

async fn private_addresses_are_refused_when_saved_and_when_sent(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let (app, tailnet) = webhook_app(&database, false).await;
    let receiver = Receiver::start().await;
    let events = [EventType::UserInvited];
    for url in [
        receiver.url.clone(),
        "http://localhost:9/hook".to_owned(),
        "https://10.1.2.3/hook".to_owned(),
        "https://169.254.169.254/latest".to_owned(),
        "https://[::1]/hook".to_owned(),
        "https://100.100.100.100/hook".to_owned(),
    ] {
        let (status, refused) = add_endpoint(&app, &tailnet, &url, "", &events).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        let message = refused
            .expect_err("refused")
            .field_message("url")
            .expect("on the URL");
        assert!(
            message.contains("GATEHOUSE_WEBHOOK_ALLOW_PRIVATE"),
            "{message}"
        );
    }
    assert_eq!(app.count("webhook_endpoints").await, 0);

    // An endpoint saved while it pointed elsewhere (a name that now resolves to loopback, or
    // a server whose operator allowed private addresses then stopped): refused when sent.
    let owner = app.current_user().await.expect("signed in").user_id;
    let mut conn = app.db.acquire().await.expect("connection");
    let actor = app::audit::Actor::load(&mut conn, &owner, None)
        .await
        .expect("owner");
    drop(conn);
    let saved = app::webhooks::endpoints::ValidEndpoint {
        url: receiver.url.clone(),
        provider: app::webhooks::model::ProviderType::Tailscale,
        subscriptions: events.to_vec(),
    };
    let key = &app.settings.link_key;
    app::webhooks::endpoints::add(&app.db, key, &actor, &tailnet, saved, app::context::now())
        .await
        .expect("saved unchecked");
    let (status, _) = crate::invites::invite(&app, &tailnet, "bo@example.com", "member").await;
    assert_eq!(status, StatusCode::OK);
    let round = deliver(&app, app::context::now()).await;
    assert_eq!(round.failed_attempts, 1, "{round:?}");
    assert!(
        receiver.received().is_empty(),
        "nothing reached the private address"
    );
    let shown = page(&app, &tailnet).await;
    let error = shown.endpoints[0].deliveries[0]
        .last_error
        .clone()
        .unwrap_or_default();
    assert!(error.contains("GATEHOUSE_WEBHOOK_ALLOW_PRIVATE"), "{error}");
}

on_both_databases!(a_failing_delivery_is_given_up_after_a_day_and_retried_by_hand);

async fn a_failing_delivery_is_given_up_after_a_day_and_retried_by_hand(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let (app, tailnet) = webhook_app(&database, true).await;
    let receiver = Receiver::start().await;
    receiver.answer_with(500);
    let (status, added) =
        add_endpoint(&app, &tailnet, &receiver.url, "", &[EventType::UserInvited]).await;
    assert_eq!(status, StatusCode::OK);
    let endpoint = added.expect("added").endpoint.id;
    let (status, _) = crate::invites::invite(&app, &tailnet, "bo@example.com", "member").await;
    assert_eq!(status, StatusCode::OK);

    let start = app::context::now();
    let mut now = start;
    let mut attempts = 0;
    while now <= start + GIVE_UP_AFTER_SECS + 3_600 {
        attempts += deliver(&app, now).await.failed_attempts;
        now += 600;
    }
    let shown = page(&app, &tailnet).await;
    let delivery = shown.endpoints[0].deliveries[0].clone();
    assert_eq!(delivery.state, app::webhooks::model::DeliveryState::Failed);
    assert_eq!(delivery.attempts, i64::try_from(attempts).expect("count"));
    assert!(
        delivery.attempts > 10,
        "retried through the day: {}",
        delivery.attempts
    );
    assert_eq!(delivery.last_status, Some(500));
    let error = delivery.last_error.clone().expect("why");
    assert!(
        error.starts_with("HTTP 500: xxx") && error.len() < 300,
        "{error}"
    );
    assert_eq!(
        deliver(&app, now + 86_400).await,
        Default::default(),
        "given up"
    );

    // "Retry", once the receiver works again.
    receiver.answer_with(200);
    let before = receiver.received().len();
    let (status, answer) = app
        .call::<Value>(
            "retry_webhook_delivery",
            json!({ "tailnet": tailnet, "delivery": delivery.id }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer:?}");
    let round = deliver(&app, app::context::now()).await;
    assert_eq!(round.delivered, 1, "{round:?}");
    assert_eq!(receiver.received().len(), before + 1);
    let (status, _) = app
        .call::<Value>(
            "retry_webhook_delivery",
            json!({ "tailnet": tailnet, "delivery": delivery.id }),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a delivered event is not retried"
    );
    let retried: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE event_name = 'WEBHOOK_DELIVERY.RETRY' \
         AND target_id = $1",
    )
    .bind(&endpoint)
    .fetch_one(&app.db)
    .await
    .expect("count");
    assert_eq!(retried, 1);
}

on_both_databases!(redirects_are_not_followed);

async fn redirects_are_not_followed(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let (app, tailnet) = webhook_app(&database, true).await;
    let receiver = Receiver::start().await;
    receiver.answer_with(307);
    let (status, _) =
        add_endpoint(&app, &tailnet, &receiver.url, "", &[EventType::UserInvited]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = crate::invites::invite(&app, &tailnet, "bo@example.com", "member").await;
    assert_eq!(status, StatusCode::OK);
    let round = deliver(&app, app::context::now()).await;
    assert_eq!(round.failed_attempts, 1, "a redirect is not a delivery");
    assert_eq!(receiver.received().len(), 1, "and is not followed");
}
