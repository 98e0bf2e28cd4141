//! "Leave tailnet": only tailnets joined after the home tailnet, only organizations' tailnets,
//! never by the Owner; access ends at once, and both tailnets log `TAILNET.LEAVE`.

use app::auth::model::SignedInUser;
use app::ids::{TailnetId, UserId};
use app::members::model::UsersOverview;
use app::tailnets::model::TailnetKind;
use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{Backend, TestApp, insert_member, on_both_databases};

on_both_databases!(
    an_organization_tailnet_joined_later_can_be_left,
    home_personal_and_owned_tailnets_cannot_be_left,
    no_right_crosses_from_one_tailnet_to_another,
);

/// Adds `user` to `tailnet` with `role`, as accepting an invite would.
pub async fn join(app: &TestApp, tailnet: &TailnetId, user: &UserId, role: &str) {
    sqlx::query(
        "INSERT INTO memberships (tailnet_id, user_id, role, status, joined_at) \
         VALUES ($1, $2, $3, 'active', $4)",
    )
    .bind(tailnet.as_str())
    .bind(user.as_str())
    .bind(role)
    .bind(app::context::now())
    .execute(&app.db)
    .await
    .expect("membership");
}

pub(crate) async fn tailnet(app: &TestApp, name: &str, kind: TailnetKind) -> TailnetId {
    app::setup::server::create_tailnet_of_kind(
        &app.db,
        &app::fields::TailnetName::parse(name).expect("name"),
        kind,
        &app.settings,
        app::context::now(),
    )
    .await
    .expect("tailnet")
    .0
}

async fn leave(browser: &TestApp, tailnet: &TailnetId) -> (StatusCode, String) {
    let (status, result) = browser
        .call::<()>("leave_tailnet", json!({ "tailnet": tailnet }))
        .await;
    (
        status,
        result.err().map(|e| e.to_string()).unwrap_or_default(),
    )
}

async fn leave_events(app: &TestApp, tailnet: &TailnetId) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT target_type, event_group_id FROM audit_events \
         WHERE tailnet_id = $1 AND event_name = 'TAILNET.LEAVE'",
    )
    .bind(tailnet.as_str())
    .fetch_all(&app.db)
    .await
    .expect("events")
}

async fn an_organization_tailnet_joined_later_can_be_left(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    let home = tailnet(&app, "Home", TailnetKind::Organization).await;
    let other = tailnet(&app, "Other", TailnetKind::Organization).await;
    let lea = insert_member(&app, &home, "lea@example.com", "admin").await;
    join(&app, &other, &lea, "auditor").await;
    let browser = app.signed_in_as(&lea).await;
    let user: SignedInUser = browser.current_user().await.expect("signed in");
    let offered: Vec<(String, bool)> = user
        .tailnets
        .iter()
        .map(|m| (m.tailnet_name.clone(), m.can_leave()))
        .collect();
    assert_eq!(
        offered,
        vec![("Home".into(), false), ("Other".into(), true)]
    );
    let (status, overview) = browser
        .call::<UsersOverview>("get_users_overview", json!({ "tailnet": other }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(overview.expect("overview").viewer.can_leave);

    assert_eq!(leave(&browser, &other).await.0, StatusCode::OK);
    // Access ends at once, in the same session.
    let (status, _) = browser
        .call::<UsersOverview>("get_users_overview", json!({ "tailnet": other }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Both tailnets log it, as one operation.
    let left = leave_events(&app, &other).await;
    let at_home = leave_events(&app, &home).await;
    assert_eq!(left.len(), 1);
    assert_eq!(at_home.len(), 1);
    assert_eq!(
        (left[0].0.as_str(), at_home[0].0.as_str()),
        ("USER", "TAILNET")
    );
    assert_eq!(left[0].1, at_home[0].1, "one event group");
    // Leaving again: no longer a member.
    assert_eq!(leave(&browser, &other).await.0, StatusCode::NOT_FOUND);
}

async fn home_personal_and_owned_tailnets_cannot_be_left(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    let home = tailnet(&app, "Home", TailnetKind::Organization).await;
    let personal = tailnet(&app, "Bea", TailnetKind::Personal).await;
    let owned = tailnet(&app, "Owned", TailnetKind::Organization).await;
    let lea = insert_member(&app, &home, "lea@example.com", "admin").await;
    join(&app, &personal, &lea, "member").await;
    join(&app, &owned, &lea, "owner").await;
    let browser = app.signed_in_as(&lea).await;
    for (tailnet, rule) in [
        (&home, "home tailnet"),
        (&personal, "personal"),
        (&owned, "Transfer ownership"),
    ] {
        let (status, message) = leave(&browser, tailnet).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{rule}: {message}");
        assert!(message.contains(rule), "{message}");
    }
    let memberships: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE user_id = $1")
            .bind(lea.as_str())
            .fetch_one(&app.db)
            .await
            .expect("memberships");
    assert_eq!(memberships, 3, "nothing changed");
    assert_eq!(app.count("audit_events").await, 0);
    // Nobody signed in: 401.
    assert_eq!(
        leave(&app.other_browser(), &home).await.0,
        StatusCode::UNAUTHORIZED
    );
}

/// Every tailnet-scoped server function answers for the tailnet the request names, with the
/// caller's role there: the Owner of one tailnet has no rights in another.
async fn no_right_crosses_from_one_tailnet_to_another(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let other = tailnet(&app, "Other", TailnetKind::Organization).await;
    let bea = insert_member(&app, &other, "bea@example.com", "member").await;
    let filters = json!({ "from": null, "until": null, "actor": "", "event": null, "target": "" });
    let calls = [
        ("get_users_overview", json!({ "tailnet": other })),
        (
            "list_users",
            json!({ "query": { "tailnet": other, "status": null, "role": null, "search": "", "page": "First" } }),
        ),
        (
            "invite_by_email",
            json!({ "invite": { "tailnet": other, "addresses": "x@example.com", "role": "member" } }),
        ),
        (
            "create_invite_link",
            json!({ "tailnet": other, "role": "member" }),
        ),
        (
            "manage_member",
            json!({ "tailnet": other, "user": bea, "change": "Remove" }),
        ),
        (
            "approve_user",
            json!({ "tailnet": other, "user": bea, "role": null }),
        ),
        ("get_general_settings", json!({ "tailnet": other })),
        (
            "set_user_approval",
            json!({ "tailnet": other, "enabled": true }),
        ),
        (
            "set_join_external_tailnets",
            json!({ "tailnet": other, "roles": [] }),
        ),
        ("get_audit_log_overview", json!({ "tailnet": other })),
        (
            "list_audit_events",
            json!({ "query": { "tailnet": other, "filters": filters, "page": "First" } }),
        ),
    ];
    for (function, body) in calls {
        let (status, _) = app.call::<serde_json::Value>(function, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{function}");
    }
    for path in ["users/export", "logs/export?format=csv"] {
        let (status, _, _) = app.get_page(&format!("/admin/{other}/{path}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(
        app.count("audit_events").await,
        2,
        "only setup's own events"
    );
}
