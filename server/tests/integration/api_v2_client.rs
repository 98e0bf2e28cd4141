//! A third-party Tailscale API client, `tailscale-rest`, pointed at Gatehouse with nothing
//! changed but its base URL: it lists users, creates invites by email and as links, lists,
//! reads, resends and deletes them, reads and changes the two settings, and reads the
//! configuration audit log, decoding every answer into its own models. Each documented value
//! it knows (roles, statuses, types, origins) must be one Gatehouse sends.

use serde_json::{Value, json};
use tailscale_rest::models::logging::ConfigurationAuditLog;
use tailscale_rest::models::tailnet::TailnetSettings;
use tailscale_rest::models::user::{UserInvite, UserList};
use tailscale_rest::{ApiError, Client, ClientConfig, Credentials, Secret};

use crate::api_v2::generate;
use crate::harness::{Backend, TestApp, on_both_databases};

on_both_databases!(an_existing_tailscale_client_works_with_only_its_base_url_changed);

/// The values the client's vendored description documents for `place`.
fn known(place: &str) -> &'static [&'static str] {
    tailscale_rest::models::known_values()
        .find(|(name, _)| *name == place)
        .map(|(_, values)| *values)
        .unwrap_or_else(|| panic!("the client documents {place}"))
}

fn assert_known(place: &str, value: &Option<String>) {
    let value = value
        .as_deref()
        .unwrap_or_else(|| panic!("{place} is present"));
    assert!(
        known(place).contains(&value),
        "{place} = {value} is not a documented value"
    );
}

async fn an_existing_tailscale_client_works_with_only_its_base_url_changed(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let token = generate(&app, &tailnet, 30).await.secret;
    let mut config = ClientConfig::new(Credentials::ApiKey(Secret::new(token)));
    config.base_url = app.address.clone();
    // Short enough that a 429's Retry-After is reported rather than slept on.
    config.budget = std::time::Duration::from_secs(5);
    let client = Client::new(config).expect("client");

    // Users.
    let users: UserList = client
        .get(client.tailnet_path(None, "/users"))
        .send_as()
        .await
        .expect("users");
    let users = users.users.expect("users");
    assert_eq!(users.len(), 1);
    let ada = &users[0];
    assert_eq!(ada.login_name.as_deref(), Some("ada@example.com"));
    assert_known("User.role", &ada.role);
    assert_known("User.status", &ada.status);
    assert_known("User.type", &ada.user_type);
    assert_eq!(ada.device_count, Some(0));

    // Invites: by email and as a link, in one request.
    let created: Vec<UserInvite> = client
        .post(client.tailnet_path(None, "/user-invites"))
        .json(&json!([{ "email": "bo@example.com", "role": "member" }, { "role": "auditor" }]))
        .send_as()
        .await
        .expect("invites");
    assert_eq!(created.len(), 2);
    for invite in &created {
        assert_known("UserInvite.role", &invite.role);
        assert!(invite.tailnet_id.is_some() && invite.inviter_id.is_some());
    }
    assert_eq!(created[0].email.as_deref(), Some("bo@example.com"));
    let link = created[1].invite_url.clone().expect("a link to share");
    let listed: Vec<UserInvite> = client
        .get(client.tailnet_path(None, "/user-invites"))
        .send_as()
        .await
        .expect("list");
    assert_eq!(listed.len(), 2);
    let email_id = created[0].id.clone().expect("id");
    let link_id = created[1].id.clone().expect("id");
    let one: UserInvite = client
        .get(format!("/api/v2/user-invites/{link_id}"))
        .send_as()
        .await
        .expect("get");
    assert_eq!(one.invite_url.as_deref(), Some(link.as_str()));
    // Resent at once: the console's wait applies, and the client reads the refusal.
    let resent = client
        .post(format!("/api/v2/user-invites/{email_id}/resend"))
        .send()
        .await;
    assert!(
        matches!(
            resent,
            Err(ApiError::Status {
                status: 429,
                retry_after: Some(_),
                ..
            })
        ),
        "{resent:?}"
    );
    let deleted: Value = client
        .delete(format!("/api/v2/user-invites/{link_id}"))
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted, Value::Null);

    // Settings.
    let settings: TailnetSettings = client
        .get(client.tailnet_path(None, "/settings"))
        .send_as()
        .await
        .expect("settings");
    assert_eq!(settings.users_approval_on, Some(false));
    assert_known(
        "TailnetSettings.usersRoleAllowedToJoinExternalTailnets",
        &settings.users_role_allowed_to_join_external_tailnets,
    );
    let changed: TailnetSettings = client
        .patch(client.tailnet_path(None, "/settings"))
        .json(&json!({ "usersApprovalOn": true, "aclsExternallyManagedOn": null }))
        .send_as()
        .await
        .expect("patch");
    assert_eq!(changed.users_approval_on, Some(true));

    // The configuration audit log.
    let now = app::context::now();
    let log: Value = client
        .get(client.tailnet_path(None, "/logging/configuration"))
        .query("start", app::format::utc_timestamp(now - 3_600))
        .query("end", app::format::utc_timestamp(now + 3_600))
        .send()
        .await
        .expect("log");
    let entries: Vec<ConfigurationAuditLog> =
        serde_json::from_value(log["logs"].clone()).expect("entries in the client's model");
    assert!(!entries.is_empty());
    for entry in &entries {
        assert_known("ConfigurationAuditLog.type", &entry.log_type);
        assert_known("ConfigurationAuditLog.origin", &entry.origin);
        let actor = entry.actor.as_ref().expect("actor");
        assert_known("ConfigurationAuditLog.actor.type", &actor.actor_type);
    }
    assert!(
        entries
            .iter()
            .any(|e| e.origin.as_deref() == Some("CONFIG_API")),
        "the API's own changes are there"
    );
}
