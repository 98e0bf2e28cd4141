//! The "General settings" page's server side: what each role reads and may change, the three
//! "Join external tailnets" choices, and the tailnet kind chosen at setup.

use app::tailnets::model::{GeneralSettings, JoinExternalChoice, JoinSettings, TailnetKind};
use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{Backend, TestApp, insert_member, on_both_databases, token_of};
use crate::passkey::TestPasskey;

on_both_databases!(
    each_role_reads_the_settings_and_may_change_only_its_own,
    the_three_join_external_choices_are_stored_and_read_back,
    the_kind_is_chosen_at_setup_and_kept,
);

async fn each_role_reads_the_settings_and_may_change_only_its_own(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    // (role, may change "Join external tailnets", may change "User approval")
    let table = [
        ("owner", true, true),
        ("admin", true, true),
        ("it_admin", true, false),
        ("network_admin", false, true),
        ("billing_admin", false, false),
        ("auditor", false, false),
    ];
    for (role, join_external, user_approval) in table {
        let browser = if role == "owner" {
            app.clone()
        } else {
            let user = insert_member(&app, &tailnet, &format!("{role}@example.com"), role).await;
            app.signed_in_as(&user).await
        };
        let (status, settings) = browser
            .call::<GeneralSettings>("get_general_settings", json!({ "tailnet": tailnet }))
            .await;
        assert_eq!(status, StatusCode::OK, "{role}");
        let settings = settings.expect("settings");
        assert_eq!(settings.name, "Example Co");
        assert_eq!(settings.kind, TailnetKind::Organization);
        assert_eq!(
            (
                settings.manages_join_external,
                settings.manages_user_approval
            ),
            (join_external, user_approval),
            "{role}"
        );
        // The server decides, whatever the page shows.
        let (status, _) = browser
            .call::<JoinSettings>(
                "set_join_external_tailnets",
                json!({ "tailnet": tailnet, "roles": ["owner", "admin"] }),
            )
            .await;
        assert_eq!(status.is_success(), join_external, "{role}: {status}");
        let (status, _) = browser
            .call::<JoinSettings>(
                "set_user_approval",
                json!({ "tailnet": tailnet, "enabled": false }),
            )
            .await;
        assert_eq!(status.is_success(), user_approval, "{role}: {status}");
        let (page_status, _, html) = browser
            .get_page(&format!("/admin/{tailnet}/settings"))
            .await;
        assert_eq!(page_status, StatusCode::OK, "{role}");
        assert!(
            html.contains("Join external tailnets") && html.contains("Manually approve new users")
        );
    }
    let member = insert_member(&app, &tailnet, "mia@example.com", "member").await;
    let member = app.signed_in_as(&member).await;
    let (status, _) = member
        .call::<GeneralSettings>("get_general_settings", json!({ "tailnet": tailnet }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, html) = member.get_page(&format!("/admin/{tailnet}/settings")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("Only admins of this tailnet can see its settings"));
}

async fn the_three_join_external_choices_are_stored_and_read_back(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let read = || async {
        app.call::<GeneralSettings>("get_general_settings", json!({ "tailnet": tailnet }))
            .await
            .1
            .expect("settings")
            .settings
            .join_external_roles
    };
    // The default is "Admin".
    assert_eq!(
        JoinExternalChoice::of_roles(&read().await),
        Some(JoinExternalChoice::Admin)
    );
    for choice in [
        JoinExternalChoice::Member,
        JoinExternalChoice::Nobody,
        JoinExternalChoice::Admin,
    ] {
        let (status, saved) = app
            .call::<JoinSettings>(
                "set_join_external_tailnets",
                json!({ "tailnet": tailnet, "roles": choice.roles() }),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(saved.expect("saved").join_external_roles, choice.roles());
        assert_eq!(JoinExternalChoice::of_roles(&read().await), Some(choice));
    }
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT new_value FROM audit_events WHERE event_name = 'TAILNET.UPDATE.JOIN_EXTERNAL_TAILNETS' \
         ORDER BY event_time, id",
    )
    .fetch_all(&app.db)
    .await
    .expect("events");
    assert_eq!(names.len(), 3, "one event per change: {names:?}");
}

async fn the_kind_is_chosen_at_setup_and_kept(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    // A personal tailnet, set up through the form.
    let token = app.first_run_setup_token().await;
    let mut passkey = TestPasskey::new(&app.public_origin);
    let (status, challenge) = app
        .call::<app::auth::model::PasskeyChallenge<webauthn_rs_proto::CreationChallengeResponse>>(
            "start_setup",
            json!({ "token": token, "form": {
                "tailnet_name": "Ada's tailnet", "kind": "personal",
                "display_name": "Ada", "email": "ada@example.com"
            } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let challenge = challenge.expect("challenge");
    let credential = passkey.register(challenge.options);
    let (status, _) = app
        .call::<String>(
            "finish_setup",
            json!({ "ceremony": challenge.ceremony, "credential": credential }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let tailnet = app.home_tailnet().await;
    let (_, settings) = app
        .call::<GeneralSettings>("get_general_settings", json!({ "tailnet": tailnet }))
        .await;
    assert_eq!(settings.expect("settings").kind, TailnetKind::Personal);

    // A tailnet the operator created as personal offers that kind on its setup page.
    let (_, link) = app::setup::server::create_tailnet_of_kind(
        &app.db,
        &app::fields::TailnetName::parse("Bea's").expect("name"),
        TailnetKind::Personal,
        &app.settings,
        app::context::now(),
    )
    .await
    .expect("tailnet");
    let (_, info) = app
        .other_browser()
        .call::<app::setup::model::SetupLinkInfo>(
            "get_setup_link",
            json!({ "token": token_of(&link) }),
        )
        .await;
    assert_eq!(info.expect("info").kind, TailnetKind::Personal);
}
