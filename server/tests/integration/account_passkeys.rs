//! The Account page's server functions: several passkeys per person, each signing in; renaming;
//! deleting (never the last, only after a recent sign-in); "Confirm it's you"; a counter that
//! goes backwards; "Sign out everywhere".

use app::auth::model::PasskeyChallenge;
use app::error::AppError;
use app::ids::PasskeyId;
use app::passkeys::model::{AccountOverview, LAST_PASSKEY_MESSAGE, SyncState};
use reqwest::StatusCode;
use serde_json::{Value, json};
use webauthn_rs_proto::{CreationChallengeResponse, RequestChallengeResponse};

use crate::harness::{Backend, TestApp, insert_member, on_both_databases};
use crate::passkey::TestPasskey;

on_both_databases!(
    each_of_several_passkeys_signs_in_until_it_is_deleted,
    renaming_checks_the_name_and_records_old_and_new,
    deleting_and_adding_need_a_recent_sign_in,
    how_recent_follows_gatehouse_recent_sign_in,
    a_counter_that_goes_backwards_is_refused_and_recorded,
    sign_out_everywhere_ends_every_session,
    signed_out_callers_get_401,
);

async fn account(app: &TestApp) -> AccountOverview {
    let (status, overview) = app.call::<AccountOverview>("get_account", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{overview:?}");
    overview.expect("account")
}

/// Adds a passkey through "Add passkey" in `app`'s browser; returns the passkey and its id.
pub async fn add_passkey(app: &TestApp, name: &str) -> (TestPasskey, PasskeyId) {
    let (status, started) = app
        .call::<PasskeyChallenge<CreationChallengeResponse>>("start_add_passkey", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{started:?}");
    let challenge = started.expect("challenge");
    let mut passkey = TestPasskey::new(&app.public_origin);
    let credential = passkey.register(challenge.options);
    let (status, added) = app
        .call::<PasskeyId>(
            "finish_add_passkey",
            json!({ "ceremony": challenge.ceremony, "credential": credential, "name": name }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{added:?}");
    (passkey, added.expect("added"))
}

async fn delete(app: &TestApp, passkey: &PasskeyId) -> (StatusCode, Result<(), AppError>) {
    app.call::<()>("delete_passkey", json!({ "passkey": passkey }))
        .await
}

/// Events of `name`: (group, actor email, old value, new value), oldest first.
async fn events(
    app: &TestApp,
    name: &str,
) -> Vec<(String, String, Option<String>, Option<String>)> {
    sqlx::query_as(
        "SELECT event_group_id, COALESCE(actor_email, ''), old_value, new_value FROM audit_events \
         WHERE event_name = $1 ORDER BY event_time, id",
    )
    .bind(name)
    .fetch_all(&app.db)
    .await
    .expect("events")
}

/// Makes the browser's session as old as a sign-in `secs` ago.
async fn age_verification(app: &TestApp, secs: i64) {
    sqlx::query("UPDATE sessions SET verified_at = verified_at - $1")
        .bind(secs)
        .execute(&app.db)
        .await
        .expect("age sessions");
}

async fn each_of_several_passkeys_signs_in_until_it_is_deleted(backend: Backend) {
    let Some((app, _db)) = TestApp::spawn(backend).await else {
        return;
    };
    let (mut first, _) = app.with_owner("ada@example.com").await;
    let overview = account(&app).await;
    assert_eq!(overview.email, "ada@example.com");
    assert_eq!(overview.passkeys.len(), 1);
    assert_eq!(overview.passkeys[0].name, "Passkey 1");
    assert_eq!(overview.passkeys[0].last_used_at, None);
    assert_eq!(overview.passkeys[0].sync, SyncState::ThisDeviceOnly);
    let first_id = overview.passkeys[0].id.clone();

    // "Add passkey" excludes the passkeys the person has.
    let (status, started) = app
        .call::<PasskeyChallenge<CreationChallengeResponse>>("start_add_passkey", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let excluded: Vec<Vec<u8>> = started
        .expect("challenge")
        .options
        .public_key
        .exclude_credentials
        .unwrap_or_default()
        .into_iter()
        .map(|credential| credential.id.to_vec())
        .collect();
    assert_eq!(excluded, vec![first.credential_id()]);

    let (mut second, second_id) = add_passkey(&app, "  Work laptop ").await;
    let (mut third, third_id) = add_passkey(&app, "").await;
    let names: Vec<String> = account(&app)
        .await
        .passkeys
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["Passkey 1", "Work laptop", "Passkey 3"]);
    let added = events(&app, "USER.CREATE.PASSKEY").await;
    assert_eq!(added.len(), 3, "setup's passkey and two added");
    let laptop = added
        .iter()
        .find(|event| {
            event
                .3
                .as_deref()
                .unwrap_or_default()
                .contains("Work laptop")
        })
        .expect("the named passkey's event");
    assert_eq!(laptop.1, "ada@example.com");

    // Each passkey signs in, in its own browser, and its use is recorded.
    let mut browsers = Vec::new();
    for passkey in [&mut first, &mut second, &mut third] {
        let browser = app.other_browser();
        let (status, _) = browser.sign_in(passkey).await;
        assert_eq!(status, StatusCode::OK);
        browsers.push(browser);
    }
    let used = account(&app).await;
    assert!(used.passkeys.iter().all(|p| p.last_used_at.is_some()));
    assert_eq!(
        used.current_passkey,
        Some(first_id.clone()),
        "setup's session used it"
    );
    assert_eq!(
        account(&browsers[1]).await.current_passkey,
        Some(second_id.clone())
    );

    // Deleting the first stops it signing in and signs out the other browser it signed in
    // (not this one); the others still work.
    let (status, deleted) = delete(&app, &first_id).await;
    assert_eq!((status, deleted), (StatusCode::OK, Ok(())));
    assert_eq!(browsers[0].current_user().await, None);
    assert!(browsers[1].current_user().await.is_some());
    assert!(
        app.current_user().await.is_some(),
        "the deleting session stays"
    );
    let browser = app.other_browser();
    let (status, refused) = browser.sign_in(&mut first).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        matches!(refused, Err(AppError::SignInFailed(ref m)) if m.contains("not registered")),
        "{refused:?}"
    );
    let (status, _) = browser.sign_in(&mut second).await;
    assert_eq!(status, StatusCode::OK);
    let removed = events(&app, "USER.DELETE.PASSKEY").await;
    assert_eq!(removed.len(), 1);
    assert!(
        removed[0]
            .2
            .as_deref()
            .unwrap_or_default()
            .contains("Passkey 1")
    );
    let consequence = removed[0].3.as_deref().unwrap_or_default();
    assert!(
        consequence.contains(r#""sessions_ended":1"#),
        "{consequence}"
    );

    // Deleting twice, or someone else's passkey: 404, nothing changes.
    let (status, _) = delete(&app, &first_id).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let tailnet = app.home_tailnet().await;
    let mia = insert_member(&app, &tailnet, "mia@example.com", "admin").await;
    let mia_browser = app.signed_in_as(&mia).await;
    let (status, _) = delete(&mia_browser, &second_id).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The last passkey cannot be deleted.
    let (status, _) = delete(&app, &third_id).await;
    assert_eq!(status, StatusCode::OK);
    let (status, last) = delete(&app, &second_id).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(last, Err(AppError::NotAllowed(LAST_PASSKEY_MESSAGE.into())));
    assert_eq!(account(&app).await.passkeys.len(), 1);
    assert_eq!(events(&app, "USER.DELETE.PASSKEY").await.len(), 2);
}

async fn renaming_checks_the_name_and_records_old_and_new(backend: Backend) {
    let Some((app, _db)) = TestApp::spawn(backend).await else {
        return;
    };
    let _ = app.with_owner("ada@example.com").await;
    let id = account(&app).await.passkeys[0].id.clone();
    let rename = |name: &'static str| {
        let (app, id) = (app.clone(), id.clone());
        async move {
            app.call::<()>("rename_passkey", json!({ "passkey": id, "name": name }))
                .await
        }
    };
    assert_eq!(rename("Phone").await, (StatusCode::OK, Ok(())));
    assert_eq!(account(&app).await.passkeys[0].name, "Phone");
    let renamed = events(&app, "USER.UPDATE.PASSKEY").await;
    assert_eq!(renamed.len(), 1);
    assert!(
        renamed[0]
            .2
            .as_deref()
            .unwrap_or_default()
            .contains("Passkey 1")
    );
    assert!(
        renamed[0]
            .3
            .as_deref()
            .unwrap_or_default()
            .contains("Phone")
    );

    // The same name changes and records nothing; a bad name is refused naming the field.
    assert_eq!(rename(" Phone ").await, (StatusCode::OK, Ok(())));
    for bad in ["   ", "line\nbreak"] {
        let (status, refused) = rename(bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused
                .expect_err("refused")
                .field_message("name")
                .is_some()
        );
    }
    let (status, _) = app
        .call::<()>(
            "rename_passkey",
            json!({ "passkey": id, "name": "x".repeat(65) }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(account(&app).await.passkeys[0].name, "Phone");
    assert_eq!(events(&app, "USER.UPDATE.PASSKEY").await.len(), 1);
}

async fn deleting_and_adding_need_a_recent_sign_in(backend: Backend) {
    let Some((app, _db)) = TestApp::spawn(backend).await else {
        return;
    };
    let (mut first, _) = app.with_owner("ada@example.com").await;
    let (_second, second_id) = add_passkey(&app, "Spare").await;
    assert!(account(&app).await.verified_until > app::context::now());

    age_verification(&app, 5 * 60).await;
    assert!(account(&app).await.verified_until <= app::context::now());
    let (status, refused) = delete(&app, &second_id).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(refused, Err(AppError::VerificationRequired));
    let (status, _) = app.call::<Value>("start_add_passkey", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(account(&app).await.passkeys.len(), 2);

    // "Confirm it's you" names the person's passkeys and refreshes this session.
    let (status, started) = app
        .call::<PasskeyChallenge<RequestChallengeResponse>>("start_verify_passkey", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let challenge = started.expect("challenge");
    assert_eq!(challenge.options.public_key.allow_credentials.len(), 2);
    let credential = first.confirm(challenge.options);
    let (status, confirmed) = app
        .call::<()>(
            "finish_verify_passkey",
            json!({ "ceremony": challenge.ceremony, "credential": credential }),
        )
        .await;
    assert_eq!((status, confirmed), (StatusCode::OK, Ok(())));
    assert_eq!(app.count("sessions").await, 1, "no new session");
    let (status, _) = delete(&app, &second_id).await;
    assert_eq!(status, StatusCode::OK);

    // Another person's passkey cannot confirm it's Ada.
    age_verification(&app, 5 * 60).await;
    let tailnet = app.home_tailnet().await;
    let mia = insert_member(&app, &tailnet, "mia@example.com", "admin").await;
    let mia_browser = app.signed_in_as(&mia).await;
    let (mut mias, _) = add_passkey(&mia_browser, "Mia's").await;
    let (_, started) = app
        .call::<PasskeyChallenge<RequestChallengeResponse>>("start_verify_passkey", json!({}))
        .await;
    let challenge = started.expect("challenge");
    let credential = mias.confirm(challenge.options);
    let (status, refused) = app
        .call::<()>(
            "finish_verify_passkey",
            json!({ "ceremony": challenge.ceremony, "credential": credential }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused:?}");
    assert!(account(&app).await.verified_until <= app::context::now());
}

async fn how_recent_follows_gatehouse_recent_sign_in(backend: Backend) {
    let Some(database) = crate::harness::TestDatabase::create(backend).await else {
        return;
    };
    let app = TestApp::spawn_with(&database, &[("GATEHOUSE_RECENT_SIGN_IN", "1h".into())]).await;
    let _ = app.with_owner("ada@example.com").await;
    let (_spare, spare) = add_passkey(&app, "Spare").await;
    let (_other, other) = add_passkey(&app, "Other").await;
    age_verification(&app, 10 * 60).await;
    assert_eq!(
        delete(&app, &spare).await.0,
        StatusCode::OK,
        "10 minutes is recent here"
    );
    age_verification(&app, 3_600).await;
    let (status, refused) = delete(&app, &other).await;
    assert_eq!(
        (status, refused),
        (StatusCode::FORBIDDEN, Err(AppError::VerificationRequired))
    );
}

async fn a_counter_that_goes_backwards_is_refused_and_recorded(backend: Backend) {
    let Some((app, _db)) = TestApp::spawn(backend).await else {
        return;
    };
    let (mut passkey, _) = app.with_owner("ada@example.com").await;
    let stored_counter = |app: TestApp| async move {
        let credential: String = sqlx::query_scalar("SELECT credential FROM passkeys")
            .fetch_one(&app.db)
            .await
            .expect("passkey");
        app::passkeys::server::counter(&serde_json::from_str(&credential).expect("passkey"))
    };
    let (status, _) = app.sign_in(&mut passkey).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.sign_in(&mut passkey).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        stored_counter(app.clone()).await,
        2,
        "each sign-in stores the counter"
    );

    // A copy of the passkey was used elsewhere meanwhile, and counted further.
    let credential: String = sqlx::query_scalar("SELECT credential FROM passkeys")
        .fetch_one(&app.db)
        .await
        .expect("passkey");
    let mut stored: Value = serde_json::from_str(&credential).expect("json");
    stored["cred"]["counter"] = json!(1000);
    sqlx::query("UPDATE passkeys SET credential = $1")
        .bind(stored.to_string())
        .execute(&app.db)
        .await
        .expect("counter");

    let browser = app.other_browser();
    let (status, refused) = browser.sign_in(&mut passkey).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        matches!(refused, Err(AppError::SignInFailed(ref m)) if m.contains("counter went backwards")),
        "{refused:?}"
    );
    assert_eq!(browser.current_user().await, None);
    let recorded = events(&app, "USER.LOGIN_REFUSED.PASSKEY_COUNTER").await;
    assert_eq!(recorded.len(), 1);
    assert!(
        recorded[0]
            .3
            .as_deref()
            .unwrap_or_default()
            .contains("1000")
    );
    assert_eq!(
        stored_counter(app.clone()).await,
        1000,
        "the stored counter stays"
    );
}

async fn sign_out_everywhere_ends_every_session(backend: Backend) {
    let Some((app, _db)) = TestApp::spawn(backend).await else {
        return;
    };
    let (mut passkey, _) = app.with_owner("ada@example.com").await;
    let laptop = app.other_browser();
    let phone = app.other_browser();
    for browser in [&laptop, &phone] {
        let (status, _) = browser.sign_in(&mut passkey).await;
        assert_eq!(status, StatusCode::OK);
    }
    assert_eq!(account(&app).await.sessions, 3);
    let tailnet = app.home_tailnet().await;
    let mia = insert_member(&app, &tailnet, "mia@example.com", "member").await;
    let mia_browser = app.signed_in_as(&mia).await;

    let (status, done) = phone.call::<()>("sign_out_everywhere", json!({})).await;
    assert_eq!((status, done), (StatusCode::OK, Ok(())));
    for browser in [&app, &laptop, &phone] {
        assert_eq!(browser.current_user().await, None);
    }
    assert!(
        mia_browser.current_user().await.is_some(),
        "only Ada's sessions end"
    );
    let recorded = events(&app, "USER.LOGOUT.ALL_SESSIONS").await;
    assert_eq!(recorded.len(), 1);
    assert!(recorded[0].3.as_deref().unwrap_or_default().contains("3"));
    let (status, _) = phone.call::<()>("sign_out_everywhere", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn signed_out_callers_get_401(backend: Backend) {
    let Some((app, _db)) = TestApp::spawn(backend).await else {
        return;
    };
    let _ = app.with_owner("ada@example.com").await;
    let id = account(&app).await.passkeys[0].id.clone();
    let stranger = app.other_browser();
    for (function, body) in [
        ("get_account", json!({})),
        ("start_add_passkey", json!({})),
        ("rename_passkey", json!({ "passkey": id, "name": "X" })),
        ("delete_passkey", json!({ "passkey": id })),
        ("start_verify_passkey", json!({})),
        ("sign_out_everywhere", json!({})),
    ] {
        let (status, _) = stranger.call::<Value>(function, body).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{function}");
    }
    assert_eq!(account(&app).await.passkeys[0].name, "Passkey 1");

    // The server-rendered page: 401 with a way to sign in, or the person's passkeys.
    let (status, _, body) = stranger.get_page("/account").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("Please sign in"));
    let (status, _, body) = app.get_page("/account").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("Passkeys") && body.contains("Passkey 1") && body.contains("Signed in here")
    );
}
