//! The API v2's users and tailnet settings: Tailscale's shapes, the console's rules through
//! the API (the Owner is never changed, nobody changes themselves, an IT admin gives no Admin),
//! and audit events with origin `CONFIG_API`.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::accept::other_tailnet;
use crate::api_v2::{Api, generate};
use crate::harness::{Backend, TestApp, insert_member, on_both_databases};

on_both_databases!(
    users_are_listed_and_changed_under_the_consoles_rules,
    settings_are_read_and_patched,
);

async fn api_id(app: &TestApp, email: &str) -> String {
    let id: i64 = sqlx::query_scalar("SELECT api_id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .expect("user");
    id.to_string()
}

async fn users_are_listed_and_changed_under_the_consoles_rules(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let bo = insert_member(&app, &tailnet, "bo@example.com", "member").await;
    let waiting = insert_member(&app, &tailnet, "wait@example.com", "member").await;
    sqlx::query("UPDATE memberships SET status = 'needs_approval' WHERE user_id = $1")
        .bind(waiting.as_str())
        .execute(&app.db)
        .await
        .expect("waiting");
    // Someone whose home is another tailnet is `shared` here.
    let (_, guests) = other_tailnet(&app, "Other Co", 1, "member").await;
    sqlx::query(
        "INSERT INTO memberships (tailnet_id, user_id, role, status, joined_at) \
         VALUES ($1, $2, 'auditor', 'active', 0)",
    )
    .bind(tailnet.as_str())
    .bind(guests[0].as_str())
    .execute(&app.db)
    .await
    .expect("guest");
    let api = Api::new(&app, &generate(&app, &tailnet, 30).await.secret);

    let (status, listed) = api.get("/tailnet/-/users").await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let users = listed["users"].as_array().expect("users").clone();
    assert_eq!(users.len(), 4);
    let ada = users
        .iter()
        .find(|u| u["loginName"] == "ada@example.com")
        .expect("ada");
    assert_eq!(ada["id"], json!(api_id(&app, "ada@example.com").await));
    assert_eq!(ada["displayName"], "Ada Owner");
    assert_eq!(ada["tailnetId"], "Example Co");
    assert_eq!(ada["type"], "member");
    assert_eq!(ada["role"], "owner");
    assert_eq!(ada["status"], "active");
    assert_eq!(ada["deviceCount"], 0);
    assert_eq!(ada["currentlyConnected"], false);
    assert!(ada["created"].as_str().expect("created").ends_with('Z'));
    let status_of = |email: &str| {
        users
            .iter()
            .find(|u| u["loginName"] == email)
            .map(|u| (u["type"].clone(), u["status"].clone(), u["role"].clone()))
    };
    assert_eq!(
        status_of("wait@example.com"),
        Some((json!("member"), json!("needs-approval"), json!("member")))
    );
    let guest = status_of("person0@other-co.example").expect("guest");
    assert_eq!((guest.0, guest.2), (json!("shared"), json!("auditor")));
    let (_, shared) = api.get("/tailnet/-/users?type=shared").await;
    assert_eq!(shared["users"].as_array().expect("users").len(), 1);
    let (_, auditors) = api.get("/tailnet/-/users?role=auditor").await;
    assert_eq!(auditors["users"].as_array().expect("users").len(), 1);
    assert_eq!(
        api.get("/tailnet/-/users?type=robots").await.0,
        StatusCode::BAD_REQUEST
    );

    let bo_id = api_id(&app, "bo@example.com").await;
    let (status, one) = api.get(&format!("/users/{bo_id}")).await;
    assert_eq!(
        (status, one["loginName"].clone()),
        (StatusCode::OK, json!("bo@example.com"))
    );
    // Another tailnet's person is not found here, nor is a made-up id.
    other_tailnet(&app, "Third Co", 1, "member").await;
    let outsider_id = api_id(&app, "person0@third-co.example").await;
    assert_eq!(
        api.get(&format!("/users/{outsider_id}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(api.get("/users/999999").await.0, StatusCode::NOT_FOUND);

    // Role, suspend, restore, approve, delete.
    let post = |path: String, body: Option<Value>| {
        let api = &api;
        async move { api.send(Method::POST, &path, body).await }
    };
    let (status, _) = post(
        format!("/users/{bo_id}/role"),
        Some(json!({ "role": "it-admin" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let role: String = sqlx::query_scalar("SELECT role FROM memberships WHERE user_id = $1")
        .bind(bo.as_str())
        .fetch_one(&app.db)
        .await
        .expect("role");
    assert_eq!(role, "it_admin");
    assert_eq!(
        post(format!("/users/{bo_id}/suspend"), None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        api.get(&format!("/users/{bo_id}")).await.1["status"],
        "suspended"
    );
    assert_eq!(
        post(format!("/users/{bo_id}/restore"), None).await.0,
        StatusCode::OK
    );
    let waiting_id = api_id(&app, "wait@example.com").await;
    assert_eq!(
        post(format!("/users/{waiting_id}/approve"), None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        api.get(&format!("/users/{waiting_id}")).await.1["status"],
        "active"
    );
    assert_eq!(
        post(format!("/users/{waiting_id}/delete"), None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        api.get(&format!("/users/{waiting_id}")).await.0,
        StatusCode::NOT_FOUND
    );

    // The console's rules hold: never the Owner, never oneself, never to Owner.
    let ada_id = api_id(&app, "ada@example.com").await;
    let (status, body) = post(format!("/users/{ada_id}/suspend"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("cannot change your own")
    );
    let (status, _) = post(
        format!("/users/{bo_id}/role"),
        Some(json!({ "role": "owner" })),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = post(
        format!("/users/{bo_id}/role"),
        Some(json!({ "role": "wizard" })),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // An IT admin's token may not suspend the Owner nor make an Admin.
    let it_browser = app.signed_in_as(&bo).await;
    let it_api = Api::new(&app, &generate(&it_browser, &tailnet, 1).await.secret);
    let guest_id = api_id(&app, "person0@other-co.example").await;
    let (status, _) = it_api
        .send(Method::POST, &format!("/users/{ada_id}/suspend"), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = it_api
        .send(
            Method::POST,
            &format!("/users/{guest_id}/role"),
            Some(json!({ "role": "admin" })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let origins: Vec<String> = sqlx::query_scalar(
        "SELECT origin FROM audit_events WHERE event_name IN ('USER.UPDATE.USER_ROLE', \
         'USER.SUSPEND', 'USER.RESTORE', 'USER.APPROVE', 'USER.DELETE')",
    )
    .fetch_all(&app.db)
    .await
    .expect("events");
    assert!(origins.len() >= 5, "{origins:?}");
    assert!(origins.iter().all(|o| o == "CONFIG_API"), "{origins:?}");
}

async fn settings_are_read_and_patched(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let api = Api::new(&app, &generate(&app, &tailnet, 30).await.secret);
    let (status, settings) = api.get("/tailnet/-/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        settings,
        json!({ "usersApprovalOn": false, "usersRoleAllowedToJoinExternalTailnets": "admin" })
    );
    // Only what is given changes; null is "unchanged"; device fields are ignored.
    let (status, changed) = api
        .send(
            Method::PATCH,
            "/tailnet/-/settings",
            Some(json!({ "usersApprovalOn": true, "aclsExternallyManagedOn": null, "devicesApprovalOn": true })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["usersApprovalOn"], true);
    assert_eq!(changed["usersRoleAllowedToJoinExternalTailnets"], "admin");
    let (status, changed) = api
        .send(
            Method::PATCH,
            "/tailnet/-/settings",
            Some(json!({ "usersApprovalOn": null, "usersRoleAllowedToJoinExternalTailnets": "member" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        changed,
        json!({ "usersApprovalOn": true, "usersRoleAllowedToJoinExternalTailnets": "member" })
    );
    let (status, _) = api
        .send(
            Method::PATCH,
            "/tailnet/-/settings",
            Some(json!({ "usersApprovalOn": false, "usersRoleAllowedToJoinExternalTailnets": "everyone" })),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        api.get("/tailnet/-/settings").await.1["usersApprovalOn"],
        true,
        "a refused PATCH changes nothing"
    );
    // A Network admin may turn approval off but not choose who joins external tailnets.
    let network = insert_member(&app, &tailnet, "net@example.com", "network_admin").await;
    let net_api = Api::new(
        &app,
        &generate(&app.signed_in_as(&network).await, &tailnet, 1)
            .await
            .secret,
    );
    let (status, _) = net_api
        .send(
            Method::PATCH,
            "/tailnet/-/settings",
            Some(json!({ "usersRoleAllowedToJoinExternalTailnets": "none" })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Both at once: one is not the Network admin's to change, so neither changes.
    let (status, _) = net_api
        .send(
            Method::PATCH,
            "/tailnet/-/settings",
            Some(json!({ "usersApprovalOn": false, "usersRoleAllowedToJoinExternalTailnets": "none" })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        api.get("/tailnet/-/settings").await.1["usersApprovalOn"],
        true
    );
    let (status, _) = net_api
        .send(
            Method::PATCH,
            "/tailnet/-/settings",
            Some(json!({ "usersApprovalOn": false })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let events: Vec<(String, String)> = sqlx::query_as(
        "SELECT event_name, origin FROM audit_events WHERE target_type = 'TAILNET' \
         AND event_name <> 'TAILNET.CREATE' ORDER BY event_time, id",
    )
    .fetch_all(&app.db)
    .await
    .expect("events");
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "TAILNET.ENABLE.USER_APPROVAL_REQUIRED",
            "TAILNET.UPDATE.JOIN_EXTERNAL_TAILNETS",
            "TAILNET.DISABLE.USER_APPROVAL_REQUIRED"
        ]
    );
    assert!(events.iter().all(|(_, origin)| origin == "CONFIG_API"));
}
