//! Setup links: the first Owner creates a tailnet and is signed in; links work once, expire,
//! and bad links change nothing.

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{Backend, TestApp, on_both_databases, token_of};
use crate::passkey::TestPasskey;
use app::error::AppError;
use app::members::model::{UserListPage, UserListRow};
use app::roles::{MemberStatus, Role};
use app::setup::model::SetupLinkInfo;

on_both_databases!(
    setup_link_creates_the_owner_and_signs_them_in,
    a_setup_link_works_once,
    unknown_and_malformed_links_get_404_and_change_nothing,
    an_expired_link_gets_410,
    invalid_setup_input_is_refused_field_by_field,
    create_tailnet_links_prefill_the_name_and_make_an_owner,
    stale_setup_links_stop_working_once_their_tailnet_is_set_up,
);

async fn setup_link_creates_the_owner_and_signs_them_in(backend: Backend) {
    let Some((app, _db)) = TestApp::spawn(backend).await else {
        return;
    };
    let token = app.first_run_setup_token().await;

    let (status, info) = app
        .call::<SetupLinkInfo>("get_setup_link", json!({ "token": token }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        info,
        Ok(SetupLinkInfo {
            tailnet_name: None,
            kind: app::tailnets::model::TailnetKind::Organization
        })
    );

    let mut passkey = TestPasskey::new(&app.public_origin);
    let landing = app
        .complete_setup(&token, &mut passkey, "Ada@Example.com")
        .await
        .expect("setup succeeds");

    let user = app.current_user().await.expect("the Owner is signed in");
    assert_eq!(user.email, "ada@example.com");
    assert_eq!(user.display_name, "Ada Owner");
    let home = user.home().expect("home tailnet");
    assert_eq!(
        (home.role, home.status),
        (Role::Owner, MemberStatus::Active)
    );
    assert_eq!(home.tailnet_name, "Example Co");
    assert_eq!(landing, format!("/admin/{}/users", home.tailnet_id));

    let (status, page) = app
        .call::<UserListPage>(
            "list_users",
            json!({ "query": { "tailnet": home.tailnet_id, "status": null, "role": null, "search": "", "page": "First" } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let page = page.expect("members");
    assert_eq!(page.rows.len(), 1);
    let UserListRow::Member(owner) = &page.rows[0] else {
        panic!("the Owner is a member row: {page:?}");
    };
    assert_eq!(owner.email, "ada@example.com");
    assert!(
        owner.last_seen_at.is_some(),
        "signing in counts as being seen"
    );

    let (status, _, html) = app.get_page(&landing).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("ada@example.com"),
        "the Users page lists the Owner"
    );

    // Only hashes are stored: the token itself appears nowhere in the database.
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM setup_links")
        .fetch_all(&app.db)
        .await
        .expect("hashes");
    assert!(stored.iter().all(|hash| hash != &token && hash.len() == 64));
}

async fn a_setup_link_works_once(backend: Backend) {
    let Some((app, _db)) = TestApp::spawn(backend).await else {
        return;
    };
    let token = app.first_run_setup_token().await;
    let mut passkey = TestPasskey::new(&app.public_origin);
    app.complete_setup(&token, &mut passkey, "ada@example.com")
        .await
        .expect("first use");

    let (status, info) = app
        .call::<SetupLinkInfo>("get_setup_link", json!({ "token": token }))
        .await;
    assert_eq!(status, StatusCode::GONE);
    assert!(matches!(info, Err(AppError::Gone(ref m)) if m.contains("already been used")));

    let other = app.other_browser();
    let mut second = TestPasskey::new(&app.public_origin);
    let reuse = other
        .complete_setup(&token, &mut second, "eve@example.com")
        .await;
    assert!(matches!(reuse, Err(AppError::Gone(_))), "{reuse:?}");
    assert_eq!(app.count("users").await, 1);
    assert_eq!(app.count("tailnets").await, 1);

    let (status, _, html) = other.get_page(&format!("/setup/{token}")).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("already been used"));
}

async fn unknown_and_malformed_links_get_404_and_change_nothing(backend: Backend) {
    let Some((app, _db)) = TestApp::spawn(backend).await else {
        return;
    };
    let unknown = "A".repeat(43);
    for token in [unknown.as_str(), "short", "..%2F..%2Fetc"] {
        let (status, _, html) = app.get_page(&format!("/setup/{token}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{token}");
        assert!(html.contains("This setup link is not valid"), "{token}");
        let (status, result) = app
            .call::<serde_json::Value>(
                "start_setup",
                json!({ "token": token, "form": { "tailnet_name": "X", "display_name": "Y", "email": "y@example.com" } }),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(matches!(result, Err(AppError::NotFound(_))));
    }
    assert_eq!(app.count("tailnets").await, 0);
    assert_eq!(app.count("webauthn_ceremonies").await, 0);
}

async fn an_expired_link_gets_410(backend: Backend) {
    let Some((app, _db)) = TestApp::spawn(backend).await else {
        return;
    };
    let now = app::context::now();
    // Issued one TTL and one second ago: it expired a second ago.
    let ttl = app.settings.setup_link_ttl_secs;
    assert_eq!(
        ttl, 86_400,
        "setup links live a day, not the invites' 30 days"
    );
    let issued = now - ttl - 1;
    let link = app::setup::server::issue_setup_link(&app.db, None, &app.settings, issued)
        .await
        .expect("link");
    let (status, _, html) = app.get_page(&format!("/setup/{}", token_of(&link))).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("has expired"));

    // A minute before expiry it still works (the exact second is `setup_link_usable`'s unit
    // test: a request here may start a second after `now` was read).
    let fresh = app::setup::server::issue_setup_link(&app.db, None, &app.settings, now - ttl + 60)
        .await
        .expect("link");
    let (status, _) = app
        .call::<SetupLinkInfo>("get_setup_link", json!({ "token": token_of(&fresh) }))
        .await;
    assert_eq!(status, StatusCode::OK);
}

async fn invalid_setup_input_is_refused_field_by_field(backend: Backend) {
    let Some((app, _db)) = TestApp::spawn(backend).await else {
        return;
    };
    let token = app.first_run_setup_token().await;
    let (status, result) = app
        .call::<serde_json::Value>(
            "start_setup",
            json!({ "token": token, "form": { "tailnet_name": "", "display_name": "Ada", "email": "not-an-email" } }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let error = result.expect_err("refused");
    assert!(error.field_message("tailnet_name").is_some());
    assert!(
        error
            .field_message("email")
            .is_some_and(|m| m.contains("not-an-email"))
    );
    assert!(error.field_message("display_name").is_none());
    assert_eq!(app.count("webauthn_ceremonies").await, 0);
    // The link is still usable afterwards.
    let (status, _) = app
        .call::<SetupLinkInfo>("get_setup_link", json!({ "token": token }))
        .await;
    assert_eq!(status, StatusCode::OK);
}

async fn create_tailnet_links_prefill_the_name_and_make_an_owner(backend: Backend) {
    let Some((app, _db)) = TestApp::spawn(backend).await else {
        return;
    };
    let (_, _) = app.with_owner("first@example.com").await;
    let name = app::fields::TailnetName::parse("Second Tailnet").expect("name");
    let (tailnet, link) =
        app::setup::server::create_tailnet(&app.db, &name, &app.settings, app::context::now())
            .await
            .expect("tailnet");
    assert!(link.starts_with(&format!("{}/setup/", app.public_origin)));
    let owner = app.other_browser();
    let (_, info) = owner
        .call::<SetupLinkInfo>("get_setup_link", json!({ "token": token_of(&link) }))
        .await;
    assert_eq!(
        info,
        Ok(SetupLinkInfo {
            tailnet_name: Some("Second Tailnet".into()),
            kind: app::tailnets::model::TailnetKind::Organization
        })
    );
    let mut passkey = TestPasskey::new(&app.public_origin);
    owner
        .complete_setup(&token_of(&link), &mut passkey, "second@example.com")
        .await
        .expect("setup");
    let user = owner.current_user().await.expect("signed in");
    let home = user.home().expect("home");
    assert_eq!(home.tailnet_id, tailnet);
    assert_eq!(home.role, Role::Owner);
    assert_eq!(app.count("tailnets").await, 2);
}

/// A setup link row as an earlier server start would have left it; returns its token.
async fn leftover_first_run_link(app: &TestApp) -> String {
    let token = app::secrets::SecretToken::generate();
    let now = app::context::now();
    sqlx::query(
        "INSERT INTO setup_links (id, token_hash, tailnet_id, created_at, expires_at) \
         VALUES ($1, $2, NULL, $3, $4)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(token.hash())
    .bind(now)
    .bind(now + 3_600)
    .execute(&app.db)
    .await
    .expect("link");
    token.expose().to_owned()
}

async fn setup_link_status(app: &TestApp, token: &str) -> StatusCode {
    app.call::<SetupLinkInfo>("get_setup_link", json!({ "token": token }))
        .await
        .0
}

async fn stale_setup_links_stop_working_once_their_tailnet_is_set_up(backend: Backend) {
    let Some((app, _db)) = TestApp::spawn(backend).await else {
        return;
    };
    // Two servers started on the empty database at once, and each printed a link.
    let newer = app.first_run_setup_token().await;
    let older = leftover_first_run_link(&app).await;
    // Someone begins setting up with the older link...
    let stranger = app.other_browser();
    let (status, started) = stranger
        .call::<app::auth::model::PasskeyChallenge<webauthn_rs_proto::CreationChallengeResponse>>(
            "start_setup",
            json!({
                "token": older,
                "form": { "tailnet_name": "Mallory Co", "display_name": "Mal", "email": "mal@example.com" }
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let started = started.expect("ceremony");
    // ...while the operator completes setup with the newer one: the older link dies with it.
    let mut owner_key = TestPasskey::new(&app.public_origin);
    app.complete_setup(&newer, &mut owner_key, "ada@example.com")
        .await
        .expect("setup");
    let mut mallory_key = TestPasskey::new(&app.public_origin);
    let credential = mallory_key.register(started.options);
    let (status, finished) = stranger
        .call::<String>(
            "finish_setup",
            json!({ "ceremony": started.ceremony, "credential": credential }),
        )
        .await;
    assert!(status.is_client_error(), "{status}: {finished:?}");
    assert_eq!(setup_link_status(&app, &older).await, StatusCode::NOT_FOUND);
    assert_eq!(app.count("tailnets").await, 1);
    assert_eq!(app.count("users").await, 1);

    // A first-run link that reaches a database with a tailnet sets up nothing.
    let late = token_of(
        &app::setup::server::issue_setup_link(&app.db, None, &app.settings, app::context::now())
            .await
            .expect("link"),
    );
    assert_eq!(setup_link_status(&app, &late).await, StatusCode::GONE);
    let mut late_key = TestPasskey::new(&app.public_origin);
    let refused = stranger
        .complete_setup(&late, &mut late_key, "late@example.com")
        .await;
    assert!(
        matches!(&refused, Err(AppError::Gone(m)) if m.contains("already been set up")),
        "{refused:?}"
    );
    assert_eq!(app.count("tailnets").await, 1);

    // A create-tailnet link: a newer one replaces it, and once the tailnet has its Owner no
    // link for it works.
    let name = app::fields::TailnetName::parse("Ops").expect("name");
    let (ops, first_link) =
        app::setup::server::create_tailnet(&app.db, &name, &app.settings, app::context::now())
            .await
            .expect("tailnet");
    let second_link = app::setup::server::issue_setup_link(
        &app.db,
        Some(&ops),
        &app.settings,
        app::context::now(),
    )
    .await
    .expect("link");
    assert_eq!(
        setup_link_status(&app, &token_of(&first_link)).await,
        StatusCode::NOT_FOUND
    );
    let ops_browser = app.other_browser();
    let mut ops_key = TestPasskey::new(&app.public_origin);
    ops_browser
        .complete_setup(&token_of(&second_link), &mut ops_key, "bo@example.com")
        .await
        .expect("Ops is set up");
    let third_link = app::setup::server::issue_setup_link(
        &app.db,
        Some(&ops),
        &app.settings,
        app::context::now(),
    )
    .await
    .expect("link");
    assert_eq!(
        setup_link_status(&app, &token_of(&third_link)).await,
        StatusCode::GONE
    );
    let mut third_key = TestPasskey::new(&app.public_origin);
    let refused = app
        .other_browser()
        .complete_setup(&token_of(&third_link), &mut third_key, "eve@example.com")
        .await;
    assert!(matches!(refused, Err(AppError::Gone(_))), "{refused:?}");
    let owners: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM memberships WHERE tailnet_id = $1 AND role = 'owner'",
    )
    .bind(ops.as_str())
    .fetch_one(&app.db)
    .await
    .expect("owners");
    assert_eq!(owners, 1);
    assert_eq!(app.count("users").await, 2);
}
