//! The "Configuration audit logs" page's server side: paging, filters, exports, retention and
//! who may read them.

use app::audit::model::{AUDIT_PAGE_SIZE, AuditLogOverview, AuditPage};
use app::ids::TailnetId;
use app::paging::Cursor;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Backend, TestApp, TestDatabase, insert_member, on_both_databases};
use crate::seed::{self, SeedEvent};

on_both_databases!(
    events_of_one_second_keep_the_order_they_happened_in,
    paging_visits_every_event_once_forwards_and_backwards,
    every_filter_is_answered_by_the_server,
    only_admin_roles_read_the_log,
    exports_hold_exactly_the_filtered_events,
    retention_removes_only_events_older_than_the_limit,
    user_text_in_events_is_escaped_on_the_page,
);

/// Seeded events are this far in the past, away from the setup's own events.
const SEEDED_AGO: i64 = 100_000;

async fn owner_app(backend: Backend) -> Option<(TestApp, TestDatabase, TailnetId)> {
    let (app, database) = TestApp::spawn(backend).await?;
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    Some((app, database, tailnet))
}

pub async fn list_events(
    app: &TestApp,
    tailnet: &TailnetId,
    filters: Value,
    page: Value,
) -> AuditPage {
    let (status, page) = app
        .call::<AuditPage>(
            "list_audit_events",
            json!({ "query": { "tailnet": tailnet, "filters": filters, "page": page } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page:?}");
    page.expect("a page of events")
}

/// Every event matching `filters`, following "Next" to the end.
async fn all_events(
    app: &TestApp,
    tailnet: &TailnetId,
    filters: Value,
) -> Vec<app::audit::model::AuditEventRow> {
    let mut rows = Vec::new();
    let mut page = list_events(app, tailnet, filters.clone(), json!("First")).await;
    loop {
        rows.extend(page.rows.clone());
        let Some(next) = page.next.clone() else { break };
        page = list_events(app, tailnet, filters.clone(), json!({ "After": next })).await;
    }
    rows
}

fn no_filters() -> Value {
    json!({ "from": null, "until": null, "actor": "", "event": null, "target": "" })
}

fn filters(changes: Value) -> Value {
    let mut filters = no_filters();
    if let (Some(base), Some(changes)) = (filters.as_object_mut(), changes.as_object()) {
        for (key, value) in changes {
            base.insert(key.clone(), value.clone());
        }
    }
    filters
}

async fn events_of_one_second_keep_the_order_they_happened_in(backend: Backend) {
    let Some((app, _database, tailnet)) = owner_app(backend).await else {
        return;
    };
    // Ten renames in a row, most of them within one second.
    let passkey = app::passkeys::server::list(
        &mut app.db.acquire().await.expect("connection"),
        &app.current_user().await.expect("Ada").user_id,
    )
    .await
    .expect("passkeys")[0]
        .id
        .clone();
    for n in 1..=10 {
        let (status, _) = app
            .call::<()>(
                "rename_passkey",
                json!({ "passkey": passkey, "name": format!("Name {n}") }),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let renames = filters(json!({ "event": "PasskeyRename" }));
    let names: Vec<String> = all_events(&app, &tailnet, renames)
        .await
        .into_iter()
        .map(|row| row.new_value.unwrap_or_default())
        .collect();
    let expected: Vec<String> = (1..=10)
        .rev()
        .map(|n| json!({ "passkey_id": passkey, "name": format!("Name {n}") }).to_string())
        .collect();
    assert_eq!(names, expected, "newest first, in the order they were made");
}

async fn paging_visits_every_event_once_forwards_and_backwards(backend: Backend) {
    let Some((app, _database, tailnet)) = owner_app(backend).await else {
        return;
    };
    let newest = app::context::now() - SEEDED_AGO;
    let mut events = seed::plain_events(130, newest);
    // Ties on the time are ordered by id, never skipped or repeated.
    for event in events.iter_mut().skip(40).take(12) {
        event.event_time = newest - 40;
    }
    seed::audit_events(&app.db, &tailnet, &events).await;
    // Another tailnet's events never show.
    let other = seed::tailnet(&app.db, "Other").await;
    seed::audit_events(&app.db, &other, &seed::plain_events(30, newest)).await;

    let mut forward: Vec<Vec<Cursor>> = Vec::new();
    let mut page = list_events(&app, &tailnet, no_filters(), json!("First")).await;
    assert_eq!(page.previous, None);
    loop {
        assert!(page.rows.len() <= AUDIT_PAGE_SIZE);
        forward.push(page.rows.iter().map(|row| row.cursor()).collect());
        let Some(next) = page.next.clone() else { break };
        page = list_events(&app, &tailnet, no_filters(), json!({ "After": next })).await;
        assert!(page.previous.is_some());
    }
    let all: Vec<Cursor> = forward.concat();
    // The 130 seeded events and setup's two (TAILNET.CREATE, USER.CREATE.PASSKEY).
    assert_eq!(all.len(), 132);
    let mut sorted = all.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(all, sorted, "newest first");
    sorted.dedup();
    assert_eq!(sorted.len(), all.len(), "no event twice");
    assert_eq!(forward.len(), 3);

    let mut backward = vec![page.rows.iter().map(|row| row.cursor()).collect::<Vec<_>>()];
    while let Some(previous) = page.previous.clone() {
        page = list_events(&app, &tailnet, no_filters(), json!({ "Before": previous })).await;
        backward.push(page.rows.iter().map(|row| row.cursor()).collect());
    }
    backward.reverse();
    assert_eq!(backward, forward);
}

async fn every_filter_is_answered_by_the_server(backend: Backend) {
    let Some((app, _database, tailnet)) = owner_app(backend).await else {
        return;
    };
    let newest = app::context::now() - SEEDED_AGO;
    seed::audit_events(&app.db, &tailnet, &seed::plain_events(130, newest)).await;

    let resent = all_events(&app, &tailnet, filters(json!({ "event": "InviteResend" }))).await;
    assert_eq!(resent.len(), 43, "events 1, 4, …, 127");
    assert!(
        resent
            .iter()
            .all(|e| e.event_name == "INVITE.RESEND.TAILNET_INVITE")
    );

    // Actor: anywhere in the name or email, ignoring case.
    let by_actor = all_events(&app, &tailnet, filters(json!({ "actor": "  ACTOR 2 " }))).await;
    assert_eq!(by_actor.len(), 43);
    assert!(
        by_actor
            .iter()
            .all(|e| e.actor.email.as_deref() == Some("actor2@example.com"))
    );
    let by_email = all_events(&app, &tailnet, filters(json!({ "actor": "actor1@" }))).await;
    assert_eq!(by_email.len(), 43);
    // The Owner's own setup events, found by her email.
    let ada = all_events(&app, &tailnet, filters(json!({ "actor": "ada@" }))).await;
    let names: Vec<&str> = ada.iter().map(|e| e.event_name.as_str()).collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"TAILNET.CREATE") && names.contains(&"USER.CREATE.PASSKEY"));

    let target = all_events(&app, &tailnet, filters(json!({ "target": "TARGET7@" }))).await;
    assert_eq!(target.len(), 1);
    assert_eq!(
        target[0].target.name.as_deref(),
        Some("target7@example.com")
    );
    // LIKE's wildcards are searched for literally.
    assert!(
        all_events(&app, &tailnet, filters(json!({ "target": "target_%" })))
            .await
            .is_empty()
    );

    // A time range: `from` included, `until` not.
    let range = all_events(
        &app,
        &tailnet,
        filters(json!({ "from": newest - 9, "until": newest + 1 })),
    )
    .await;
    assert_eq!(range.len(), 10);
    assert!(
        range
            .iter()
            .all(|e| (newest - 9..=newest).contains(&e.event_time))
    );
    let before = all_events(&app, &tailnet, filters(json!({ "until": newest - 9 }))).await;
    assert_eq!(before.len(), 120);

    // Filters combine.
    let logins_by_2 = all_events(
        &app,
        &tailnet,
        filters(json!({ "event": "UserLogin", "actor": "actor 2" })),
    )
    .await;
    assert_eq!(logins_by_2.len(), 43);
    let logins_by_0 = list_events(
        &app,
        &tailnet,
        filters(json!({ "event": "UserLogin", "actor": "actor 0" })),
        json!("First"),
    )
    .await;
    assert!(logins_by_0.rows.is_empty());
    assert_eq!((logins_by_0.previous, logins_by_0.next), (None, None));

    // Bad filters: 422 naming the field, nothing read.
    let query = |filters: Value| json!({ "query": { "tailnet": tailnet, "filters": filters, "page": "First" } });
    let (status, answer) = app
        .call::<AuditPage>(
            "list_audit_events",
            query(filters(json!({ "from": 100, "until": 100 }))),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        answer
            .expect_err("refused")
            .field_message("until")
            .is_some()
    );
    let (status, answer) = app
        .call::<AuditPage>(
            "list_audit_events",
            query(filters(json!({ "actor": "x".repeat(201) }))),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        answer
            .expect_err("refused")
            .field_message("actor")
            .is_some()
    );
}

async fn only_admin_roles_read_the_log(backend: Backend) {
    let Some((app, _database, tailnet)) = owner_app(backend).await else {
        return;
    };
    let roles = [
        ("admin", true),
        ("it_admin", true),
        ("network_admin", true),
        ("billing_admin", true),
        ("auditor", true),
        ("member", false),
    ];
    for (role, allowed) in roles {
        let user = insert_member(&app, &tailnet, &format!("{role}@example.com"), role).await;
        let browser = app.signed_in_as(&user).await;
        let (status, page) = browser
            .call::<AuditPage>(
                "list_audit_events",
                json!({ "query": { "tailnet": tailnet, "filters": no_filters(), "page": "First" } }),
            )
            .await;
        let (overview_status, _) = browser
            .call::<AuditLogOverview>("get_audit_log_overview", json!({ "tailnet": tailnet }))
            .await;
        let (page_status, _, html) = browser.get_page(&format!("/admin/{tailnet}/logs")).await;
        let (export_status, _, _) = browser
            .get_page(&format!("/admin/{tailnet}/logs/export?format=csv"))
            .await;
        if allowed {
            assert_eq!(status, StatusCode::OK, "{role}");
            assert!(!page.expect("events").rows.is_empty(), "{role}");
            assert_eq!(overview_status, StatusCode::OK, "{role}");
            assert_eq!(page_status, StatusCode::OK, "{role}");
            assert!(html.contains("Configuration audit logs"), "{role}");
            assert_eq!(export_status, StatusCode::OK, "{role}");
        } else {
            assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
            assert_eq!(overview_status, StatusCode::FORBIDDEN, "{role}");
            assert_eq!(page_status, StatusCode::FORBIDDEN, "{role}");
            assert!(html.contains("Only admins of this tailnet can see its audit logs"));
            assert_eq!(export_status, StatusCode::FORBIDDEN, "{role}");
        }
    }
    // Nobody signed in.
    let stranger = app.other_browser();
    let (status, _) = stranger
        .call::<AuditPage>(
            "list_audit_events",
            json!({ "query": { "tailnet": tailnet, "filters": no_filters(), "page": "First" } }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = stranger
        .get_page(&format!("/admin/{tailnet}/logs/export?format=json"))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn exports_hold_exactly_the_filtered_events(backend: Backend) {
    let Some((app, _database, tailnet)) = owner_app(backend).await else {
        return;
    };
    let newest = app::context::now() - SEEDED_AGO;
    // More than one export batch (1,000).
    let mut events = seed::plain_events(1_205, newest);
    events.push(SeedEvent {
        event_time: newest + 1,
        actor_name: "=HYPERLINK(\"http://evil.example\")".into(),
        actor_email: "mallory@example.com".into(),
        event_name: "USER.LOGIN",
        target_name: "Smith, Ada".into(),
        new_value: Some(r#"{"role":"admin"}"#.into()),
    });
    seed::audit_events(&app.db, &tailnet, &events).await;
    let total = 1_205 + 1 + 2;

    let (status, headers, csv) = app
        .get_page(&format!("/admin/{tailnet}/logs/export?format=csv"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    let disposition = headers["content-disposition"].to_str().expect("ascii");
    assert!(
        disposition.starts_with("attachment; filename=\"audit-log-"),
        "{disposition}"
    );
    assert!(disposition.ends_with(".csv\""));
    assert_eq!(headers["cache-control"], "no-store");
    let lines: Vec<&str> = csv.split_terminator("\r\n").collect();
    assert_eq!(lines[0], app::audit::export::CSV_COLUMNS.join(","));
    assert_eq!(lines.len(), 1 + total, "a header and every event");
    // Newest first: the setup events, then Mallory's, whose name cannot run as a formula.
    assert!(
        lines[3].contains(",\"'=HYPERLINK(\"\"http://evil.example\"\")\",mallory@example.com,"),
        "{}",
        lines[3]
    );
    assert!(lines[3].contains(",\"Smith, Ada\","));
    assert!(lines[3].contains(",\"{\"\"role\"\":\"\"admin\"\"}\","));

    // The same filters as the page, here an event name and an actor.
    let (status, headers, json_text) = app
        .get_page(&format!(
            "/admin/{tailnet}/logs/export?format=json&event=INVITE.RESEND.TAILNET_INVITE&actor=actor%201"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/json");
    let exported: Vec<Value> = serde_json::from_str(&json_text).expect("a JSON array");
    let page_rows = all_events(
        &app,
        &tailnet,
        filters(json!({ "event": "InviteResend", "actor": "actor 1" })),
    )
    .await;
    assert_eq!(exported.len(), page_rows.len());
    assert_eq!(exported.len(), 402, "n % 3 == 1 below 1,205");
    for (exported, shown) in exported.iter().zip(&page_rows) {
        assert_eq!(exported["event_id"], json!(shown.id));
        assert_eq!(exported["event_name"], "INVITE.RESEND.TAILNET_INVITE");
        assert_eq!(exported["actor"]["email"], "actor1@example.com");
        assert_eq!(
            exported["event_time"],
            json!(app::format::utc_timestamp(shown.event_time))
        );
    }

    // Nothing matches: still a valid, empty file.
    let (status, _, empty) = app
        .get_page(&format!(
            "/admin/{tailnet}/logs/export?format=json&actor=nobody"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_str::<Vec<Value>>(&empty).expect("JSON"),
        Vec::<Value>::new()
    );
    let (_, _, empty_csv) = app
        .get_page(&format!(
            "/admin/{tailnet}/logs/export?format=csv&actor=nobody"
        ))
        .await;
    assert_eq!(
        empty_csv.split_terminator("\r\n").count(),
        1,
        "the header only"
    );

    // Bad parameters name what is wrong.
    for query in [
        "format=xml",
        "format=csv&from=yesterday",
        "format=csv&event=USER.FLY",
        "format=csv&from=10&until=5",
    ] {
        let (status, _, body) = app
            .get_page(&format!("/admin/{tailnet}/logs/export?{query}"))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
    }
}

async fn retention_removes_only_events_older_than_the_limit(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let app = TestApp::spawn_with(
        &database,
        &[("GATEHOUSE_AUDIT_RETENTION", "30d".to_owned())],
    )
    .await;
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let (_, overview) = app
        .call::<AuditLogOverview>("get_audit_log_overview", json!({ "tailnet": tailnet }))
        .await;
    assert_eq!(overview.expect("overview").retention_days, 30);

    let now = app::context::now();
    let day = 86_400;
    let retention = app.settings.audit_retention_secs;
    assert_eq!(retention, 30 * day);
    // More old events than one purge batch (5,000), some just inside and just outside the limit.
    let mut events = seed::plain_events(11_000, now - 400 * day);
    let at = |count: usize, time: i64| {
        seed::plain_events(count, time)
            .into_iter()
            .map(move |event| SeedEvent {
                event_time: time,
                ..event
            })
    };
    events.extend(at(3, now - retention - 1));
    events.extend(at(4, now - retention));
    events.extend(at(5, now - day));
    seed::audit_events(&app.db, &tailnet, &events).await;
    // Another tailnet's old events go too, its recent ones stay.
    let other = seed::tailnet(&app.db, "Other").await;
    let mut other_events: Vec<SeedEvent> = at(7, now - 40 * day).collect();
    other_events.extend(at(2, now - 10 * day));
    seed::audit_events(&app.db, &other, &other_events).await;

    let removed = app::audit::server::purge_older_than(&app.db, now - retention)
        .await
        .expect("purge");
    assert_eq!(removed, 11_003 + 7);
    let kept: Vec<i64> = sqlx::query_scalar("SELECT event_time FROM audit_events")
        .fetch_all(&app.db)
        .await
        .expect("events");
    assert_eq!(
        kept.len(),
        4 + 5 + 2 + 2,
        "the last 30 days in both tailnets and setup's two events"
    );
    assert!(kept.iter().all(|time| *time >= now - retention));
    // Running again finds nothing more.
    let again = app::audit::server::purge_older_than(&app.db, now - retention)
        .await
        .expect("purge");
    assert_eq!(again, 0);
}

async fn user_text_in_events_is_escaped_on_the_page(backend: Backend) {
    let Some((app, _database, tailnet)) = owner_app(backend).await else {
        return;
    };
    let event = SeedEvent {
        event_time: app::context::now(),
        actor_name: "<img src=x onerror=alert(1)>".into(),
        actor_email: "mallory@example.com".into(),
        event_name: "USER.LOGIN",
        target_name: "<script>alert(2)</script>".into(),
        new_value: Some(r#"{"name":"<b>bold</b>"}"#.into()),
    };
    seed::audit_events(&app.db, &tailnet, &[event]).await;
    // Stored exactly as written.
    let stored: String = sqlx::query_scalar(
        "SELECT actor_name FROM audit_events WHERE actor_email = 'mallory@example.com'",
    )
    .fetch_one(&app.db)
    .await
    .expect("stored");
    assert_eq!(stored, "<img src=x onerror=alert(1)>");

    let (status, _, html) = app.get_page(&format!("/admin/{tailnet}/logs")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)"),
        "the name is shown as text"
    );
    assert!(!html.contains("<img src=x"));
    assert!(
        html.contains("&lt;script&gt;alert(2)&lt;/script&gt;")
            || html.contains("&lt;script>alert(2)&lt;/script>")
    );
    assert!(!html.contains("<script>alert(2)"));
    assert!(!html.contains("<b>bold</b>"));
}
