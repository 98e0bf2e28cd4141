//! Recovery links: issued by an Owner, Admin or IT admin (never reaching more privilege than
//! theirs), or by `gatehouse recover`; used once within 24 hours to register a new passkey.

use app::auth::model::PasskeyChallenge;
use app::error::AppError;
use app::ids::{TailnetId, UserId};
use app::recovery::model::{IssuedRecoveryLink, RECOVERY_LINK_TTL_SECS, RecoveryLinkPreview};
use reqwest::StatusCode;
use serde_json::json;
use webauthn_rs_proto::CreationChallengeResponse;

use crate::harness::{Backend, TestApp, TestDatabase, insert_member, on_both_databases, token_of};
use crate::passkey::TestPasskey;
use crate::smtp::SmtpSink;

on_both_databases!(
    a_recovery_link_works_once_and_signs_in_with_a_new_passkey,
    a_recovery_link_expires_after_24_hours_and_a_new_one_replaces_it,
    recovery_links_never_reach_more_privilege_than_the_issuer,
    an_operator_recovers_an_owner_from_the_command_line,
    with_smtp_the_link_is_emailed_and_then_only_its_hash_is_kept,
);

pub async fn issue(
    admin: &TestApp,
    tailnet: &TailnetId,
    user: &UserId,
) -> (StatusCode, Result<IssuedRecoveryLink, AppError>) {
    admin
        .call(
            "issue_recovery_link",
            json!({ "tailnet": tailnet, "user": user }),
        )
        .await
}

/// Opens the link in `browser` and registers `passkey` with it; returns the final answer.
pub async fn recover(
    browser: &TestApp,
    token: &str,
    passkey: &mut TestPasskey,
) -> (StatusCode, Result<String, AppError>) {
    let (status, started) = browser
        .call::<PasskeyChallenge<CreationChallengeResponse>>(
            "start_recovery",
            json!({ "token": token }),
        )
        .await;
    let challenge = match started {
        Ok(challenge) => challenge,
        Err(error) => return (status, Err(error)),
    };
    let credential = passkey.register(challenge.options);
    browser
        .call(
            "finish_recovery",
            json!({ "ceremony": challenge.ceremony, "credential": credential }),
        )
        .await
}

async fn inspect(browser: &TestApp, token: &str) -> StatusCode {
    browser
        .call::<RecoveryLinkPreview>("inspect_recovery_link", json!({ "token": token }))
        .await
        .0
}

async fn event_names(app: &TestApp) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT event_name, actor_type, event_group_id FROM audit_events \
         WHERE event_name LIKE '%RECOVERY%' OR event_name = 'USER.CREATE.PASSKEY' \
         ORDER BY event_time, event_name",
    )
    .fetch_all(&app.db)
    .await
    .expect("events")
}

async fn passkeys_of(app: &TestApp, user: &UserId) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM passkeys WHERE user_id = $1")
        .bind(user.as_str())
        .fetch_one(&app.db)
        .await
        .expect("count")
}

async fn a_recovery_link_works_once_and_signs_in_with_a_new_passkey(backend: Backend) {
    let Some((app, _db)) = TestApp::spawn(backend).await else {
        return;
    };
    let _ = app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let linus = insert_member(&app, &tailnet, "linus@example.com", "member").await;
    let old_session = app.signed_in_as(&linus).await;

    let (status, issued) = issue(&app, &tailnet, &linus).await;
    assert_eq!(status, StatusCode::OK, "{issued:?}");
    let issued = issued.expect("issued");
    assert!(!issued.emailed, "no SMTP configured");
    let now = app::context::now();
    assert!((issued.expires_at - now - RECOVERY_LINK_TTL_SECS).abs() <= 2);
    let token = token_of(issued.link.as_deref().expect("shown without SMTP"));
    assert!(
        issued
            .link
            .as_deref()
            .expect("shown without SMTP")
            .starts_with(&format!("{}/recover/", app.public_origin))
    );
    let stored: (String, Option<String>) =
        sqlx::query_as("SELECT token_hash, sealed_token FROM recovery_links")
            .fetch_one(&app.db)
            .await
            .expect("link");
    assert_ne!(stored.0, token, "only the hash is kept");
    assert_eq!(stored.1, None, "nothing to email, nothing sealed");

    let browser = app.other_browser();
    let (status, _, page) = browser.get_page(&format!("/recover/{token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Recover your account") && page.contains("linus@example.com"));
    let (status, preview) = browser
        .call::<RecoveryLinkPreview>("inspect_recovery_link", json!({ "token": token }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(preview.expect("preview").email, "linus@example.com");

    let mut new_passkey = TestPasskey::new(&app.public_origin);
    let (status, landing) = recover(&browser, &token, &mut new_passkey).await;
    assert_eq!(
        (status, landing),
        (StatusCode::OK, Ok("/account".to_owned()))
    );
    let person = browser.current_user().await.expect("signed in");
    assert_eq!(person.email, "linus@example.com");
    assert_eq!(old_session.current_user().await, None, "other sessions end");
    assert_eq!(passkeys_of(&app, &linus).await, 1);

    // Once only; the page says so with 410 too.
    assert_eq!(inspect(&browser, &token).await, StatusCode::GONE);
    let (status, _, page) = app
        .other_browser()
        .get_page(&format!("/recover/{token}"))
        .await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("Recovery link not valid"));
    let mut another = TestPasskey::new(&app.public_origin);
    let (status, _) = recover(&app.other_browser(), &token, &mut another).await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(passkeys_of(&app, &linus).await, 1);

    // The new passkey signs in.
    let (status, _) = app.other_browser().sign_in(&mut new_passkey).await;
    assert_eq!(status, StatusCode::OK);

    // Setup's passkey, the link issued, and the link used with the passkey it added (one group).
    let events = event_names(&app).await;
    let mut names: Vec<&str> = events.iter().map(|(name, _, _)| name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "USER.CREATE.PASSKEY",
            "USER.CREATE.PASSKEY",
            "USER.CREATE.RECOVERY_LINK",
            "USER.USE.RECOVERY_LINK"
        ]
    );
    let used_group = &events
        .iter()
        .find(|(name, _, _)| name == "USER.USE.RECOVERY_LINK")
        .expect("used")
        .2;
    let in_group: Vec<&str> = events
        .iter()
        .filter(|(_, _, group)| group == used_group)
        .map(|(name, _, _)| name.as_str())
        .collect();
    assert_eq!(in_group.len(), 2, "{in_group:?}");
    assert!(in_group.contains(&"USER.CREATE.PASSKEY"));
    let issuer: String = sqlx::query_scalar(
        "SELECT actor_email FROM audit_events WHERE event_name = 'USER.CREATE.RECOVERY_LINK'",
    )
    .fetch_one(&app.db)
    .await
    .expect("issuer");
    assert_eq!(issuer, "ada@example.com");
}

async fn a_recovery_link_expires_after_24_hours_and_a_new_one_replaces_it(backend: Backend) {
    let Some((app, _db)) = TestApp::spawn(backend).await else {
        return;
    };
    let _ = app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let linus = insert_member(&app, &tailnet, "linus@example.com", "member").await;
    let (_, first) = issue(&app, &tailnet, &linus).await;
    let first = token_of(first.expect("first").link.as_deref().expect("shown"));
    let issued_at = app::context::now();
    let preview = |now| app::recovery::server::preview(&app.db, first.clone(), now);
    assert!(
        preview(issued_at + RECOVERY_LINK_TTL_SECS - 5)
            .await
            .is_ok()
    );
    assert!(matches!(
        preview(issued_at + RECOVERY_LINK_TTL_SECS + 5).await,
        Err(AppError::Gone(_))
    ));

    // A link that expires between opening and finishing is refused; nothing is added.
    let browser = app.other_browser();
    let (status, started) = browser
        .call::<PasskeyChallenge<CreationChallengeResponse>>(
            "start_recovery",
            json!({ "token": first }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let challenge = started.expect("challenge");
    sqlx::query("UPDATE recovery_links SET expires_at = $1")
        .bind(app::context::now() - 1)
        .execute(&app.db)
        .await
        .expect("expire");
    let mut passkey = TestPasskey::new(&app.public_origin);
    let credential = passkey.register(challenge.options);
    let (status, _) = browser
        .call::<String>(
            "finish_recovery",
            json!({ "ceremony": challenge.ceremony, "credential": credential }),
        )
        .await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(passkeys_of(&app, &linus).await, 0);
    assert_eq!(browser.current_user().await, None);

    // A new link replaces an unused one.
    sqlx::query("UPDATE recovery_links SET expires_at = $1")
        .bind(app::context::now() + 3_600)
        .execute(&app.db)
        .await
        .expect("unexpire");
    let (_, second) = issue(&app, &tailnet, &linus).await;
    let second = token_of(second.expect("second").link.as_deref().expect("shown"));
    assert_eq!(inspect(&browser, &first).await, StatusCode::GONE);
    assert_eq!(inspect(&browser, &second).await, StatusCode::OK);
    assert_eq!(inspect(&browser, &"x".repeat(43)).await, StatusCode::GONE);
}

async fn recovery_links_never_reach_more_privilege_than_the_issuer(backend: Backend) {
    let Some((app, _db)) = TestApp::spawn(backend).await else {
        return;
    };
    let _ = app.with_owner("ada@example.com").await;
    let t = app.home_tailnet().await;
    let ada = app.current_user().await.expect("Ada").user_id;
    let ivy = insert_member(&app, &t, "ivy@example.com", "it_admin").await;
    let adam = insert_member(&app, &t, "adam@example.com", "admin").await;
    let nora = insert_member(&app, &t, "nora@example.com", "network_admin").await;
    let mel = insert_member(&app, &t, "mel@example.com", "member").await;
    let (ivy_browser, adam_browser, nora_browser, mel_browser) = (
        app.signed_in_as(&ivy).await,
        app.signed_in_as(&adam).await,
        app.signed_in_as(&nora).await,
        app.signed_in_as(&mel).await,
    );
    let events_before: i64 = app.count("audit_events").await;

    let refused = |(status, result): (StatusCode, Result<IssuedRecoveryLink, AppError>)| {
        assert!(
            matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{status}: {result:?}"
        );
        result.expect_err("refused")
    };
    // One refusal for every reason: it names no role and no other tailnet.
    let it_admin_to_admin = refused(issue(&ivy_browser, &t, &adam).await);
    assert_eq!(
        it_admin_to_admin.to_string(),
        app::recovery::model::RECOVERY_REFUSED_MESSAGE
    );
    refused(issue(&ivy_browser, &t, &ada).await);
    refused(issue(&adam_browser, &t, &ada).await);
    // Equal privilege is not enough: an Admin cannot take over a peer, nor an IT admin a
    // Network admin, who holds a right an IT admin lacks.
    let second_admin = insert_member(&app, &t, "adele@example.com", "admin").await;
    refused(issue(&adam_browser, &t, &second_admin).await);
    refused(issue(&ivy_browser, &t, &nora).await);
    assert_eq!(
        refused(issue(&nora_browser, &t, &mel).await),
        AppError::Forbidden
    );
    assert_eq!(
        refused(issue(&mel_browser, &t, &ivy).await),
        AppError::Forbidden
    );
    let own = refused(issue(&app, &t, &ada).await);
    assert!(own.to_string().contains("Add passkey"), "{own}");
    assert_eq!(
        app.count("audit_events").await,
        events_before,
        "refusals write nothing"
    );

    // Someone of another tailnet is not reachable from this one.
    let (other, _) = app::setup::server::create_tailnet(
        &app.db,
        &app::fields::TailnetName::parse("Other Co").expect("name"),
        &app.settings,
        app::context::now(),
    )
    .await
    .expect("tailnet");
    let stranger = insert_member(&app, &other, "sam@example.com", "member").await;
    let (status, _) = issue(&app, &t, &stranger).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A member here who is an Admin of a tailnet the Owner does not belong to.
    sqlx::query(
        "INSERT INTO memberships (tailnet_id, user_id, role, status, joined_at) \
         VALUES ($1, $2, 'admin', 'active', 0)",
    )
    .bind(other.as_str())
    .bind(mel.as_str())
    .execute(&app.db)
    .await
    .expect("second membership");
    let elsewhere = refused(issue(&app, &t, &mel).await);
    assert_eq!(
        elsewhere.to_string(),
        app::recovery::model::RECOVERY_REFUSED_MESSAGE,
        "the refusal does not reveal the other tailnet"
    );
    sqlx::query("DELETE FROM memberships WHERE tailnet_id = $1 AND user_id = $2")
        .bind(other.as_str())
        .bind(mel.as_str())
        .execute(&app.db)
        .await
        .expect("back to one tailnet");

    // Allowed: strictly less privilege, or the Owner.
    for (browser, user) in [(&ivy_browser, &mel), (&adam_browser, &ivy), (&app, &adam)] {
        let (status, result) = issue(browser, &t, user).await;
        assert_eq!(status, StatusCode::OK, "{result:?}");
    }

    // Checked again when used: Mel became an Admin after Ivy issued her link.
    let (_, link) = issue(&ivy_browser, &t, &mel).await;
    let token = token_of(link.expect("link").link.as_deref().expect("shown"));
    sqlx::query("UPDATE memberships SET role = 'admin' WHERE user_id = $1")
        .bind(mel.as_str())
        .execute(&app.db)
        .await
        .expect("promote");
    let mut passkey = TestPasskey::new(&app.public_origin);
    let browser = app.other_browser();
    let (status, result) = recover(&browser, &token, &mut passkey).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{result:?}");
    assert_eq!(passkeys_of(&app, &mel).await, 0);
    assert_eq!(
        inspect(&browser, &token).await,
        StatusCode::OK,
        "the link stays unused"
    );
}

async fn an_operator_recovers_an_owner_from_the_command_line(backend: Backend) {
    let Some((app, _db)) = TestApp::spawn(backend).await else {
        return;
    };
    let _ = app.with_owner("ada@example.com").await;
    let ada = app.current_user().await.expect("Ada").user_id;
    let issued = app::recovery::server::issue_by_operator(
        &app.db,
        &app.settings,
        &app::fields::EmailAddress::parse(" Ada@Example.com ").expect("email"),
        app::context::now(),
    )
    .await
    .expect("issued");
    let browser = app.other_browser();
    let mut passkey = TestPasskey::new(&app.public_origin);
    let (status, _) = recover(
        &browser,
        &token_of(issued.link.as_deref().expect("shown")),
        &mut passkey,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(browser.current_user().await.map(|u| u.user_id), Some(ada));
    let (actor_type, actor_id): (String, Option<String>) = sqlx::query_as(
        "SELECT actor_type, actor_id FROM audit_events WHERE event_name = 'USER.CREATE.RECOVERY_LINK'",
    )
    .fetch_one(&app.db)
    .await
    .expect("event");
    assert_eq!((actor_type.as_str(), actor_id), ("OPERATOR", None));

    let unknown = app::recovery::server::issue_by_operator(
        &app.db,
        &app.settings,
        &app::fields::EmailAddress::parse("nobody@example.com").expect("email"),
        app::context::now(),
    )
    .await;
    assert!(matches!(unknown, Err(AppError::NotFound(_))));
}

async fn with_smtp_the_link_is_emailed_and_then_only_its_hash_is_kept(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with(&database, &[("GATEHOUSE_SMTP_URL", sink.url())]).await;
    let _ = app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let linus = insert_member(&app, &tailnet, "linus@example.com", "member").await;
    let (_, issued) = issue(&app, &tailnet, &linus).await;
    let issued = issued.expect("issued");
    assert!(issued.emailed);
    let sealed: Option<String> = sqlx::query_scalar("SELECT sealed_token FROM recovery_links")
        .fetch_one(&app.db)
        .await
        .expect("link");
    assert!(sealed.is_some(), "sealed while the email waits");

    let round = app.deliver_mail(app::context::now()).await;
    assert_eq!((round.sent, round.failed), (1, 0));
    let mail = sink.received();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, ["linus@example.com"]);
    assert_eq!(mail[0].subject(), "Your Gatehouse recovery link");
    // The link reached the person's own address, and nobody else: the admin never saw it.
    assert_eq!(issued.link, None);
    assert!(mail[0].invite_link().contains("/recover/"));
    let (status, _) = app
        .other_browser()
        .call::<serde_json::Value>(
            "inspect_recovery_link",
            json!({ "token": token_of(&mail[0].invite_link()) }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "the emailed link works");
    let sealed: Option<String> = sqlx::query_scalar("SELECT sealed_token FROM recovery_links")
        .fetch_one(&app.db)
        .await
        .expect("link");
    assert_eq!(sealed, None, "after delivery only the hash is kept");
    let everything: Vec<(String,)> = sqlx::query_as(
        "SELECT COALESCE(new_value, '') || COALESCE(old_value, '') FROM audit_events",
    )
    .fetch_all(&app.db)
    .await
    .expect("audit text");
    assert!(everything.iter().all(|(text,)| !text.contains("/recover/")));

    // Linus uses it, and hears of it at his own address.
    let mut new_passkey = TestPasskey::new(&app.public_origin);
    let (status, _) = recover(
        &app.other_browser(),
        &token_of(&mail[0].invite_link()),
        &mut new_passkey,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let round = app.deliver_mail(app::context::now()).await;
    assert_eq!((round.sent, round.failed), (1, 0));
    let mail = sink.received();
    assert_eq!(mail.len(), 2);
    assert_eq!(mail[1].to, ["linus@example.com"]);
    assert_eq!(mail[1].subject(), "Your Gatehouse account was recovered");
}
