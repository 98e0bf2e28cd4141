//! Signing in with a passkey (no user name), signing out, and refused sign-ins.

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{Backend, TestApp, on_both_databases};
use crate::passkey::TestPasskey;
use app::auth::model::PasskeyChallenge;
use app::error::AppError;
use webauthn_rs_proto::CreationChallengeResponse;

on_both_databases!(
    the_owner_signs_out_and_back_in_with_their_passkey,
    an_unknown_passkey_is_refused_with_a_clear_message,
    a_ceremony_cannot_be_replayed,
);

async fn the_owner_signs_out_and_back_in_with_their_passkey(backend: Backend) {
    let Some((app, _db)) = TestApp::spawn(backend).await else {
        return;
    };
    let (mut passkey, landing) = app.with_owner("ada@example.com").await;

    // Signing in again replaces the session the browser holds instead of adding one.
    let (status, _) = app.sign_in(&mut passkey).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.count("sessions").await,
        1,
        "the earlier session was ended"
    );
    assert!(app.current_user().await.is_some());

    let (status, signed_out) = app.call::<()>("sign_out", json!({})).await;
    assert_eq!((status, signed_out), (StatusCode::OK, Ok(())));
    assert_eq!(app.current_user().await, None);
    assert_eq!(
        app.count("sessions").await,
        0,
        "signing out deletes the session row"
    );

    let (status, _, _) = app.get_page(&landing).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the Users page needs a session"
    );

    let (status, destination) = app.sign_in(&mut passkey).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(destination, Ok(landing.clone()));
    assert_eq!(
        app.current_user().await.map(|u| u.email),
        Some("ada@example.com".into())
    );
    let (status, _, _) = app.get_page(&landing).await;
    assert_eq!(status, StatusCode::OK);

    let last_used: Option<i64> = sqlx::query_scalar("SELECT last_used_at FROM passkeys")
        .fetch_one(&app.db)
        .await
        .expect("passkey row");
    assert!(
        last_used.is_some(),
        "sign-in records when the passkey was used"
    );
}

async fn an_unknown_passkey_is_refused_with_a_clear_message(backend: Backend) {
    let Some((app, _db)) = TestApp::spawn(backend).await else {
        return;
    };
    let (_, _) = app.with_owner("ada@example.com").await;

    // A passkey created for a ceremony that never finished is unknown to Gatehouse.
    let stranger = app.other_browser();
    let token = stranger.first_run_setup_token_for_stranger().await;
    let (_, started) = stranger
        .call::<PasskeyChallenge<CreationChallengeResponse>>(
            "start_setup",
            json!({ "token": token, "form": { "tailnet_name": "Other", "display_name": "Eve", "email": "eve@example.com" } }),
        )
        .await;
    let mut unknown = TestPasskey::new(&app.public_origin);
    unknown.register(started.expect("started").options);

    let (status, result) = stranger.sign_in(&mut unknown).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        matches!(result, Err(AppError::SignInFailed(ref m)) if m.contains("not registered with Gatehouse")),
        "{result:?}"
    );
    assert_eq!(stranger.current_user().await, None);
}

async fn a_ceremony_cannot_be_replayed(backend: Backend) {
    let Some((app, _db)) = TestApp::spawn(backend).await else {
        return;
    };
    let (mut passkey, _) = app.with_owner("ada@example.com").await;
    let body = app.signed_sign_in(&mut passkey).await;
    let (first, _) = app.call::<String>("finish_sign_in", body.clone()).await;
    assert_eq!(first, StatusCode::OK);
    let (replay, result) = app
        .other_browser()
        .call::<String>("finish_sign_in", body)
        .await;
    assert_eq!(replay, StatusCode::GONE);
    assert!(matches!(result, Err(AppError::Gone(_))));
    assert_eq!(
        app.count("sessions").await,
        1,
        "the sign-in replaced setup's session; the replay made none"
    );
}

impl TestApp {
    /// A setup link for a second tailnet, so a stranger can begin (and abandon) registration.
    async fn first_run_setup_token_for_stranger(&self) -> String {
        let name = app::fields::TailnetName::parse("Other").expect("name");
        let (_, link) = app::setup::server::create_tailnet(
            &self.db,
            &name,
            &self.settings,
            app::context::now(),
        )
        .await
        .expect("tailnet");
        crate::harness::token_of(&link)
    }
}
