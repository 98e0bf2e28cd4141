//! Accepting invites: a new account with a passkey, a signed-in person, the one-time race,
//! accept against delete, expiry, identical answers for unusable links, "Join external
//! tailnets", user approval, and the invite look-up rate limit.

use std::time::Instant;

use app::error::AppError;
use app::ids::{TailnetId, UserId};
use app::invites::model::{ALREADY_USED_MESSAGE, InviteLink, InvitePreview, Welcome};
use app::roles::{MemberStatus, Role};
use app::tailnets::model::JoinSettings;
use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{Backend, TestApp, TestDatabase, insert_member, on_both_databases, token_of};
use crate::invites::invite;
use crate::passkey::TestPasskey;
use crate::seed;

on_both_databases!(
    a_new_person_creates_an_account_with_a_passkey_and_joins,
    of_100_concurrent_accepts_exactly_one_wins,
    accept_racing_delete_never_leaves_a_deleted_invite_joined,
    an_invite_can_be_accepted_until_its_expiry_and_not_at_it,
    every_unusable_link_gets_the_same_answer,
    join_external_tailnets_decides_for_members_of_other_tailnets,
    with_user_approval_people_wait_until_an_admin_approves_or_removes_them,
    invite_look_ups_are_rate_limited_per_client_address_across_servers,
    behind_a_trusted_proxy_each_client_has_its_own_limit,
);

/// A server (with `vars`) whose tailnet "Example Co" has Ada as Owner, signed in.
pub(crate) async fn owner_app(
    database: &TestDatabase,
    vars: &[(&str, String)],
) -> (TestApp, TailnetId) {
    let app = TestApp::spawn_with(database, vars).await;
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    (app, tailnet)
}

pub(crate) async fn invite_link(app: &TestApp, tailnet: &TailnetId, role: &str) -> String {
    app.invite_link_token(tailnet, role).await
}

/// The token of the open email invite for `email`, through "Copy invite link".
async fn email_invite_token(app: &TestApp, tailnet: &TailnetId, email: &str) -> String {
    invite(app, tailnet, email, "member")
        .await
        .1
        .expect("invited");
    link_token(app, tailnet, email).await
}

/// The token of the open invite to `email`, through "Copy invite link".
pub(crate) async fn link_token(app: &TestApp, tailnet: &TailnetId, email: &str) -> String {
    let page = crate::invites::list(app, tailnet, json!({ "search": email })).await;
    let row = crate::invites::invite_rows(&page)
        .into_iter()
        .find(|row| row.email.as_deref() == Some(email))
        .map(|row| row.invite.clone())
        .expect("invite listed");
    let (_, link) = app
        .call::<InviteLink>(
            "copy_invite_link",
            json!({ "tailnet": tailnet, "invite": row }),
        )
        .await;
    token_of(&link.expect("link").url)
}

/// "Create account with passkey" through both server functions, in `browser`.
pub(crate) async fn sign_up(
    browser: &TestApp,
    token: &str,
    name: &str,
    email: &str,
    passkey: &mut TestPasskey,
) -> (StatusCode, Result<String, AppError>) {
    let (status, started) = browser
        .call::<app::auth::model::PasskeyChallenge<webauthn_rs_proto::CreationChallengeResponse>>(
            "start_invite_sign_up",
            json!({ "token": token, "form": { "display_name": name, "email": email } }),
        )
        .await;
    let challenge = match started {
        Ok(challenge) => challenge,
        Err(error) => return (status, Err(error)),
    };
    let credential = passkey.register(challenge.options);
    browser
        .call::<String>(
            "finish_invite_sign_up",
            json!({ "ceremony": challenge.ceremony, "credential": credential }),
        )
        .await
}

/// A new person who opens `token` (a link invite) in their own browser and creates an account
/// with a passkey; their id.
pub(crate) async fn sign_up_with_link(
    app: &TestApp,
    token: &str,
    name: &str,
    email: &str,
) -> UserId {
    let browser = app.other_browser();
    let mut passkey = TestPasskey::new(&app.public_origin);
    let (status, answer) = sign_up(&browser, token, name, email, &mut passkey).await;
    assert_eq!(status, StatusCode::OK, "{answer:?}");
    browser.current_user().await.expect("signed in").user_id
}

/// Someone invited by email as `role` who creates an account with a passkey; their id.
pub(crate) async fn join_by_email(
    app: &TestApp,
    tailnet: &TailnetId,
    name: &str,
    email: &str,
    role: &str,
) -> UserId {
    let (status, sent) = invite(app, tailnet, email, role).await;
    assert_eq!(status, StatusCode::OK, "{sent:?}");
    let token = link_token(app, tailnet, email).await;
    sign_up_with_link(app, &token, name, email).await
}

pub(crate) async fn accept(
    browser: &TestApp,
    token: &str,
) -> (StatusCode, Result<String, AppError>) {
    browser
        .call::<String>("accept_invite", json!({ "token": token }))
        .await
}

pub(crate) async fn membership(
    app: &TestApp,
    tailnet: &TailnetId,
    user: &UserId,
) -> Option<(String, String)> {
    sqlx::query_as("SELECT role, status FROM memberships WHERE tailnet_id = $1 AND user_id = $2")
        .bind(tailnet.as_str())
        .bind(user.as_str())
        .fetch_optional(&app.db)
        .await
        .expect("membership")
}

async fn event_count(app: &TestApp, tailnet: &TailnetId, name: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE tailnet_id = $1 AND event_name = $2",
    )
    .bind(tailnet.as_str())
    .bind(name)
    .fetch_one(&app.db)
    .await
    .expect("events")
}

async fn accepted_at(app: &TestApp, token: &str) -> Option<Option<i64>> {
    let hash = app::secrets::SecretToken::from_client(token.to_owned()).hash();
    sqlx::query_scalar("SELECT accepted_at FROM invites WHERE token_hash = $1")
        .bind(hash)
        .fetch_optional(&app.db)
        .await
        .expect("invite")
}

/// A second tailnet with `count` members of `role`, each in their home tailnet there.
pub(crate) async fn other_tailnet(
    app: &TestApp,
    name: &str,
    count: usize,
    role: &'static str,
) -> (TailnetId, Vec<UserId>) {
    let now = app::context::now();
    let (tailnet, _) = app::setup::server::create_tailnet(
        &app.db,
        &app::fields::TailnetName::parse(name).expect("name"),
        &app.settings,
        now,
    )
    .await
    .expect("tailnet");
    let members: Vec<seed::SeedMember> = (0..count)
        .map(|i| seed::SeedMember {
            name: format!("{name} person {i}"),
            email: format!(
                "person{i}@{}.example",
                name.to_lowercase().replace(' ', "-")
            ),
            role,
            status: "active",
            joined_at: now - i64::try_from(i).expect("small"),
            last_seen_at: None,
        })
        .collect();
    seed::members(&app.db, &tailnet, &members).await;
    let users: Vec<String> = sqlx::query_scalar(
        "SELECT user_id FROM memberships WHERE tailnet_id = $1 ORDER BY user_id",
    )
    .bind(tailnet.as_str())
    .fetch_all(&app.db)
    .await
    .expect("members");
    (tailnet, users.into_iter().map(UserId::from_raw).collect())
}

async fn a_new_person_creates_an_account_with_a_passkey_and_joins(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let (app, tailnet) = owner_app(&database, &[]).await;
    let token = email_invite_token(&app, &tailnet, "grace@example.com").await;

    let invitee = app.other_browser();
    let mut passkey = TestPasskey::new(&app.public_origin);
    let (status, preview) = invitee
        .call::<InvitePreview>("inspect_invite", json!({ "token": token }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        preview.expect("preview").email.as_deref(),
        Some("grace@example.com")
    );

    // A missing name is refused before any passkey is made, and nothing changes.
    let (status, refused) = sign_up(&invitee, &token, " ", "", &mut passkey).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .expect_err("no name")
            .field_message("display_name")
            .is_some()
    );

    // The typed address does not matter for an email invite: the emailed link proved it.
    let started = Instant::now();
    let (status, welcome) = sign_up(
        &invitee,
        &token,
        "Grace Hopper",
        "someone-else@example.com",
        &mut passkey,
    )
    .await;
    let elapsed = started.elapsed();
    assert_eq!(status, StatusCode::OK, "{welcome:?}");
    assert_eq!(welcome.expect("joined"), format!("/welcome/{tailnet}"));
    eprintln!("create account with passkey and join (start + finish, HTTP): {elapsed:?}");

    let me = invitee
        .current_user()
        .await
        .expect("signed in by the sign-up");
    assert_eq!(me.email, "grace@example.com");
    assert_eq!(me.display_name, "Grace Hopper");
    let home = me.home().expect("home");
    assert_eq!(home.tailnet_id, tailnet);
    assert_eq!(
        (home.role, home.status),
        (Role::Member, MemberStatus::Active)
    );
    let (status, page) = invitee
        .call::<Welcome>("get_welcome", json!({ "tailnet": tailnet }))
        .await;
    assert_eq!(status, StatusCode::OK);
    let page = page.expect("welcome");
    assert_eq!(page.status, MemberStatus::Active);
    assert_eq!(page.client_download_url, "https://tailscale.com/download");
    assert_eq!(
        page.tailnet_path, "/",
        "a Member has no admin page to go to"
    );

    assert!(accepted_at(&app, &token).await.expect("row kept").is_some());
    assert_eq!(
        event_count(&app, &tailnet, "INVITE.ACCEPT.TAILNET_INVITE").await,
        1
    );
    assert_eq!(event_count(&app, &tailnet, "TAILNET.JOIN").await, 1);
    let (actor, address): (String, Option<String>) = sqlx::query_as(
        "SELECT actor_email, client_address FROM audit_events WHERE event_name = 'TAILNET.JOIN'",
    )
    .fetch_one(&app.db)
    .await
    .expect("event");
    assert_eq!(actor, "grace@example.com");
    assert_eq!(address.as_deref(), Some("127.0.0.1"));

    // The passkey signs Grace in later, from a fresh browser.
    let later = app.other_browser();
    let (status, landing) = later.sign_in(&mut passkey).await;
    assert_eq!((status, landing), (StatusCode::OK, Ok("/".to_owned())));

    // The link is used up: a second sign-up with it is refused and creates nobody.
    let users = app.count("users").await;
    let mut second = TestPasskey::new(&app.public_origin);
    let (status, _) = sign_up(
        &app.other_browser(),
        &token,
        "Mallory",
        "mallory@example.com",
        &mut second,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("users").await, users);
}

async fn of_100_concurrent_accepts_exactly_one_wins(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let vars = [("GATEHOUSE_INVITE_LOOKUPS_PER_MINUTE", "100000".to_owned())];
    let (app, tailnet) = owner_app(&database, &vars).await;
    // 100 Admins of another tailnet: its default "Join external tailnets" lets Admins go.
    let (home, people) = other_tailnet(&app, "Other Co", 100, "admin").await;
    let mut contenders = Vec::new();
    for person in people {
        let browser = app.signed_in_as(&person).await;
        contenders.push((person, browser));
    }
    for round in 1..=3 {
        let token = invite_link(&app, &tailnet, "member").await;
        let members_before = app.count("memberships").await;
        let started = Instant::now();
        let answers = futures::future::join_all(
            contenders
                .iter()
                .map(|(_, browser)| accept(browser, &token)),
        )
        .await;
        let elapsed = started.elapsed();
        let winners: Vec<usize> = answers
            .iter()
            .enumerate()
            .filter(|(_, (status, _))| *status == StatusCode::OK)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {answers:?}");
        for (i, (status, answer)) in answers.iter().enumerate() {
            if i != winners[0] {
                assert_eq!(*status, StatusCode::GONE, "round {round}");
                assert_eq!(
                    answer.as_ref().expect_err("lost").to_string(),
                    ALREADY_USED_MESSAGE
                );
            }
        }
        assert_eq!(app.count("memberships").await, members_before + 1);
        let (winner, _) = contenders.remove(winners[0]);
        assert_eq!(
            membership(&app, &tailnet, &winner).await,
            Some(("member".to_owned(), "active".to_owned()))
        );
        assert_eq!(
            event_count(&app, &tailnet, "INVITE.ACCEPT.TAILNET_INVITE").await,
            round
        );
        assert_eq!(event_count(&app, &home, "TAILNET.JOIN").await, round);
        eprintln!(
            "round {round}: {} concurrent accepts answered in {elapsed:?}",
            answers.len()
        );
        // The winner is a member now and sits out the next rounds.
        let extra = extra_admin(&app, &home, round).await;
        let browser = app.signed_in_as(&extra).await;
        contenders.push((extra, browser));
    }
}

/// One more Admin of `home`, so every round has 100 contenders.
async fn extra_admin(app: &TestApp, home: &TailnetId, round: i64) -> UserId {
    insert_member(
        app,
        home,
        &format!("extra{round}@other-co.example"),
        "admin",
    )
    .await
}

async fn accept_racing_delete_never_leaves_a_deleted_invite_joined(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let vars = [("GATEHOUSE_INVITE_LOOKUPS_PER_MINUTE", "100000".to_owned())];
    let (app, tailnet) = owner_app(&database, &vars).await;
    let (_, people) = other_tailnet(&app, "Other Co", 20, "admin").await;
    let (mut accepted, mut deleted) = (0, 0);
    for person in &people {
        let token = invite_link(&app, &tailnet, "member").await;
        let hash = app::secrets::SecretToken::from_client(token.clone()).hash();
        let invite: String = sqlx::query_scalar("SELECT id FROM invites WHERE token_hash = $1")
            .bind(&hash)
            .fetch_one(&app.db)
            .await
            .expect("invite");
        let browser = app.signed_in_as(person).await;
        let delete = app.call::<()>(
            "delete_invite",
            json!({ "tailnet": tailnet, "invite": invite }),
        );
        let ((accept_status, _), (delete_status, _)) =
            tokio::join!(accept(&browser, &token), delete);
        let joined = membership(&app, &tailnet, person).await.is_some();
        let row = accepted_at(&app, &token).await;
        match (accept_status, delete_status) {
            (StatusCode::OK, StatusCode::NOT_FOUND) => {
                accepted += 1;
                assert!(joined);
                assert!(
                    matches!(row, Some(Some(_))),
                    "an accepted invite keeps its row"
                );
            }
            (StatusCode::NOT_FOUND, StatusCode::OK) => {
                deleted += 1;
                assert!(!joined, "deleted but joined");
                assert_eq!(row, None);
            }
            other => panic!("accept and delete must not both win or both lose: {other:?}"),
        }
    }
    eprintln!("accept vs delete over 20 rounds: {accepted} accepted, {deleted} deleted");
}

async fn an_invite_can_be_accepted_until_its_expiry_and_not_at_it(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let (app, tailnet) = owner_app(&database, &[]).await;
    let (_, people) = other_tailnet(&app, "Other Co", 2, "admin").await;
    let created = app::context::now();
    let ttl = app.settings.invite_ttl_secs;
    let early = invite_link(&app, &tailnet, "member").await;
    let late = invite_link(&app, &tailnet, "member").await;
    // Both invites were made within this second or the next; pin their expiry to be exact.
    sqlx::query("UPDATE invites SET expires_at = $1")
        .bind(created + ttl)
        .execute(&app.db)
        .await
        .expect("expiry");
    let joined = app::invites::accept::accept_signed_in(
        &app.db,
        &people[0],
        None,
        &early,
        created + ttl - 1,
    )
    .await
    .expect("one second before expiry");
    assert_eq!(joined.tailnet, tailnet);
    let refused =
        app::invites::accept::accept_signed_in(&app.db, &people[1], None, &late, created + ttl)
            .await
            .expect_err("at expiry");
    assert_eq!(refused.status_code(), 404);
    assert_eq!(accepted_at(&app, &late).await, Some(None), "left unused");
    assert_eq!(membership(&app, &tailnet, &people[1]).await, None);
}

/// The page's HTML with this response's nonce (named by its Content-Security-Policy) blanked.
pub(crate) fn without_nonce(headers: &reqwest::header::HeaderMap, html: &str) -> String {
    let nonce = headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .and_then(|policy| policy.split("'nonce-").nth(1))
        .and_then(|rest| rest.split('\'').next())
        .expect("a page's policy names its nonce");
    html.replace(nonce, "NONCE")
}

async fn every_unusable_link_gets_the_same_answer(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let (app, tailnet) = owner_app(&database, &[]).await;
    let (_, people) = other_tailnet(&app, "Other Co", 1, "admin").await;

    let used = invite_link(&app, &tailnet, "member").await;
    assert_eq!(
        accept(&app.signed_in_as(&people[0]).await, &used).await.0,
        StatusCode::OK
    );
    let expired = invite_link(&app, &tailnet, "member").await;
    sqlx::query("UPDATE invites SET expires_at = $1 WHERE accepted_at IS NULL")
        .bind(app::context::now() - 1)
        .execute(&app.db)
        .await
        .expect("expire");
    let deleted = invite_link(&app, &tailnet, "member").await;
    let hash = app::secrets::SecretToken::from_client(deleted.clone()).hash();
    sqlx::query("DELETE FROM invites WHERE token_hash = $1")
        .bind(hash)
        .execute(&app.db)
        .await
        .expect("delete");
    let unknown = "A".repeat(43);
    let malformed = "not-a-token".to_owned();

    let visitor = app.other_browser();
    let mut answers = Vec::new();
    for token in [&unknown, &malformed, &expired, &deleted, &used] {
        let response = visitor
            .client
            .post(format!("{}/api/inspect_invite", visitor.address))
            .header("content-type", "application/json")
            .body(json!({ "token": token }).to_string())
            .send()
            .await
            .expect("inspect");
        let status = response.status();
        let body = response.text().await.expect("body");
        let (page_status, headers, html) = visitor.get_page(&format!("/invite/{token}")).await;
        assert_eq!(
            headers.get("referrer-policy").and_then(|v| v.to_str().ok()),
            Some("no-referrer")
        );
        answers.push((status, body, page_status, without_nonce(&headers, &html)));
    }
    let first = &answers[0];
    assert_eq!(first.0, StatusCode::NOT_FOUND);
    assert_eq!(first.2, StatusCode::NOT_FOUND);
    assert!(first.3.contains("This invite is no longer valid."));
    for (i, answer) in answers.iter().enumerate().skip(1) {
        assert_eq!(answer.0, first.0, "API status of case {i}");
        assert_eq!(answer.1, first.1, "API body of case {i}");
        assert_eq!(answer.2, first.2, "page status of case {i}");
        assert_eq!(answer.3, first.3, "page body of case {i}");
    }
}

async fn join_external_tailnets_decides_for_members_of_other_tailnets(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let (app, tailnet) = owner_app(&database, &[]).await;
    let (home, people) = other_tailnet(&app, "Other Co", 1, "member").await;
    let bea = &people[0];
    let home_admin = insert_member(&app, &home, "admin@other-co.example", "admin").await;
    let home_admin = app.signed_in_as(&home_admin).await;
    let bea_browser = app.signed_in_as(bea).await;
    let token = invite_link(&app, &tailnet, "auditor").await;

    // Default: only Owners and Admins of Other Co may join external tailnets.
    let (status, refused) = accept(&bea_browser, &token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let message = refused.expect_err("refused").to_string();
    assert!(message.contains("\"Join external tailnets\""), "{message}");
    assert!(message.contains("Other Co"), "{message}");
    assert_eq!(
        accepted_at(&app, &token).await,
        Some(None),
        "the invite stays unused"
    );
    assert_eq!(membership(&app, &tailnet, bea).await, None);
    assert_eq!(event_count(&app, &tailnet, "TAILNET.JOIN").await, 0);

    // A Member of Other Co may not change the setting; its Admin may.
    let (status, _) = bea_browser
        .call::<JoinSettings>(
            "set_join_external_tailnets",
            json!({ "tailnet": home, "roles": ["member"] }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, settings) = home_admin
        .call::<JoinSettings>(
            "set_join_external_tailnets",
            json!({ "tailnet": home, "roles": ["owner", "admin", "member"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        settings.expect("settings").join_external_roles,
        vec![Role::Owner, Role::Admin, Role::Member]
    );
    assert_eq!(
        event_count(&app, &home, "TAILNET.UPDATE.JOIN_EXTERNAL_TAILNETS").await,
        1
    );

    let (status, welcome) = accept(&bea_browser, &token).await;
    assert_eq!(status, StatusCode::OK, "{welcome:?}");
    assert_eq!(
        membership(&app, &tailnet, bea).await,
        Some(("auditor".to_owned(), "active".to_owned()))
    );
    // The join is in both logs, in one event group.
    assert_eq!(event_count(&app, &tailnet, "TAILNET.JOIN").await, 1);
    assert_eq!(event_count(&app, &home, "TAILNET.JOIN").await, 1);
    let groups: i64 = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT event_group_id) FROM audit_events \
         WHERE event_name IN ('TAILNET.JOIN', 'INVITE.ACCEPT.TAILNET_INVITE')",
    )
    .fetch_one(&app.db)
    .await
    .expect("groups");
    assert_eq!(groups, 1);
    // Bea's home is still Other Co.
    let me = bea_browser.current_user().await.expect("signed in");
    assert_eq!(me.home().expect("home").tailnet_id, home);

    // "None (disable)" stops even Admins.
    let (status, _) = home_admin
        .call::<JoinSettings>(
            "set_join_external_tailnets",
            json!({ "tailnet": home, "roles": [] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let second = invite_link(&app, &tailnet, "member").await;
    let (status, refused) = accept(&home_admin, &second).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(refused.expect_err("refused").to_string().contains("nobody"));

    // An email invite is for its address only.
    let for_grace = email_invite_token(&app, &tailnet, "grace@example.com").await;
    let (status, refused) = accept(&bea_browser, &for_grace).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        refused
            .expect_err("refused")
            .to_string()
            .contains("This invite is for grace@example.com")
    );

    // Someone already in the tailnet is told so, and the invite stays open.
    let third = invite_link(&app, &tailnet, "member").await;
    let (status, refused) = accept(&app, &third).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        refused
            .expect_err("member")
            .to_string()
            .contains("already a member")
    );
    assert_eq!(accepted_at(&app, &third).await, Some(None));
}

async fn with_user_approval_people_wait_until_an_admin_approves_or_removes_them(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let (app, tailnet) = owner_app(&database, &[]).await;
    let it_admin = insert_member(&app, &tailnet, "it@example.com", "it_admin").await;
    let it_admin = app.signed_in_as(&it_admin).await;
    let network_admin = insert_member(&app, &tailnet, "net@example.com", "network_admin").await;
    let network_admin = app.signed_in_as(&network_admin).await;

    // Owner, Admin and Network admin may turn "User approval" on; IT admin may not.
    let set = |browser: &TestApp, enabled: bool| {
        let browser = browser.clone();
        let tailnet = tailnet.clone();
        async move {
            browser
                .call::<JoinSettings>(
                    "set_user_approval",
                    json!({ "tailnet": tailnet, "enabled": enabled }),
                )
                .await
        }
    };
    assert_eq!(set(&it_admin, true).await.0, StatusCode::FORBIDDEN);
    let (status, settings) = set(&network_admin, true).await;
    assert_eq!(status, StatusCode::OK);
    assert!(settings.expect("settings").user_approval);
    assert_eq!(
        event_count(&app, &tailnet, "TAILNET.ENABLE.USER_APPROVAL_REQUIRED").await,
        1
    );

    // Two people accept and wait.
    let mut waiting = Vec::new();
    for (name, email) in [
        ("Linus", "linus@example.com"),
        ("Grace", "grace@example.com"),
    ] {
        let token = invite_link(&app, &tailnet, "member").await;
        let browser = app.other_browser();
        let mut passkey = TestPasskey::new(&app.public_origin);
        let (status, _) = sign_up(&browser, &token, name, email, &mut passkey).await;
        assert_eq!(status, StatusCode::OK);
        let me = browser.current_user().await.expect("signed in");
        assert_eq!(me.home().expect("home").status, MemberStatus::NeedsApproval);
        waiting.push((browser, me.user_id));
    }
    let (linus, linus_id) = &waiting[0];
    let (grace, grace_id) = &waiting[1];
    let (_, welcome) = linus
        .call::<Welcome>("get_welcome", json!({ "tailnet": tailnet }))
        .await;
    assert_eq!(
        welcome.expect("welcome").status,
        MemberStatus::NeedsApproval
    );
    // No access while waiting, even as an Auditor-to-be.
    let (status, _) = linus
        .call::<serde_json::Value>("get_users_overview", json!({ "tailnet": tailnet }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let page = crate::invites::list(&app, &tailnet, json!({ "status": "needs_approval" })).await;
    assert_eq!(page.rows.len(), 2);
    let active_before = active_users(&app, &tailnet).await;

    // A Member (Linus himself) cannot approve; Owner cannot be given; IT admin approves.
    let approve = |browser: &TestApp, user: &UserId, role: Option<&str>| {
        let (browser, user, tailnet) = (browser.clone(), user.clone(), tailnet.clone());
        let role = role.map(str::to_owned);
        async move {
            browser
                .call::<Role>(
                    "approve_user",
                    json!({ "tailnet": tailnet, "user": user, "role": role }),
                )
                .await
        }
    };
    assert_eq!(
        approve(linus, linus_id, None).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        approve(&it_admin, linus_id, Some("owner")).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        membership(&app, &tailnet, linus_id).await,
        Some(("member".to_owned(), "needs_approval".to_owned())),
        "a refused approval changes nothing"
    );
    let (status, role) = approve(&it_admin, linus_id, Some("auditor")).await;
    assert_eq!((status, role), (StatusCode::OK, Ok(Role::Auditor)));
    // Active at once, in the same session.
    let (status, _) = linus
        .call::<serde_json::Value>("get_users_overview", json!({ "tailnet": tailnet }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(active_users(&app, &tailnet).await, active_before + 1);
    assert_eq!(
        approve(&it_admin, linus_id, None).await.0,
        StatusCode::NOT_FOUND,
        "twice"
    );
    let (old, new): (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT old_value, new_value FROM audit_events WHERE event_name = 'USER.APPROVE'",
    )
    .fetch_one(&app.db)
    .await
    .expect("approve event");
    assert!(old.expect("old").contains("needs_approval"));
    assert!(new.expect("new").contains("auditor"));

    // "Remove": Grace leaves before ever joining; her account stays.
    let remove = |browser: &TestApp| {
        let (browser, user, tailnet) = (browser.clone(), grace_id.clone(), tailnet.clone());
        async move {
            browser
                .call::<()>(
                    "remove_waiting_user",
                    json!({ "tailnet": tailnet, "user": user }),
                )
                .await
        }
    };
    assert_eq!(remove(grace).await.0, StatusCode::FORBIDDEN);
    assert_eq!(remove(&it_admin).await.0, StatusCode::OK);
    assert_eq!(membership(&app, &tailnet, grace_id).await, None);
    assert_eq!(event_count(&app, &tailnet, "USER.DELETE").await, 1);
    assert_eq!(remove(&it_admin).await.0, StatusCode::NOT_FOUND);
    let (status, _) = grace
        .call::<Welcome>("get_welcome", json!({ "tailnet": tailnet }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Turned off, new people join as Active again.
    assert_eq!(set(&app, false).await.0, StatusCode::OK);
    assert_eq!(
        event_count(&app, &tailnet, "TAILNET.DISABLE.USER_APPROVAL_REQUIRED").await,
        1
    );
    // Setting the same value again changes nothing and logs nothing.
    assert_eq!(set(&app, false).await.0, StatusCode::OK);
    assert_eq!(
        event_count(&app, &tailnet, "TAILNET.DISABLE.USER_APPROVAL_REQUIRED").await,
        1
    );
    let token = invite_link(&app, &tailnet, "member").await;
    let mut passkey = TestPasskey::new(&app.public_origin);
    let browser = app.other_browser();
    assert_eq!(
        sign_up(&browser, &token, "Ken", "ken@example.com", &mut passkey)
            .await
            .0,
        StatusCode::OK
    );
    let me = browser.current_user().await.expect("signed in");
    assert_eq!(me.home().expect("home").status, MemberStatus::Active);
}

/// The active-user count the Users page shows `app`'s signed-in Owner.
async fn active_users(app: &TestApp, tailnet: &TailnetId) -> i64 {
    let (_, overview) = app
        .call::<app::members::model::UsersOverview>(
            "get_users_overview",
            json!({ "tailnet": tailnet }),
        )
        .await;
    overview
        .expect("the Owner sees the Users page")
        .active_users
}

async fn invite_look_ups_are_rate_limited_per_client_address_across_servers(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let vars = [("GATEHOUSE_INVITE_LOOKUPS_PER_MINUTE", "5".to_owned())];
    let (app, _) = owner_app(&database, &vars).await;
    let second = TestApp::spawn_with(&database, &vars).await;
    let probe = |server: &TestApp| {
        let server = server.clone();
        async move {
            server
                .client
                .post(format!("{}/api/inspect_invite", server.address))
                .header("content-type", "application/json")
                .body(json!({ "token": "B".repeat(43) }).to_string())
                .send()
                .await
                .expect("inspect")
        }
    };
    // Five look-ups, spread over two servers, use up the minute.
    for server in [&app, &second, &app, &second, &app] {
        assert_eq!(probe(server).await.status(), StatusCode::NOT_FOUND);
    }
    let refused = probe(&second).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&wait), "{wait}");
    let (status, headers, html) = app.get_page(&format!("/invite/{}", "C".repeat(43))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(headers.contains_key("retry-after"));
    assert!(html.contains("Too many attempts"));

    // The window slides and is counted in the database, with time as a parameter: a burst at
    // the end of one window and the start of the next gets the limit once, not twice.
    let limit = app::rate_limit::Limit {
        max_hits: 2,
        window_secs: 60,
    };
    let t = 1_000_020; // the start of a window
    for now in [t + 58, t + 59] {
        app::rate_limit::hit(&app.db, "test", limit, now)
            .await
            .expect("within");
    }
    let refused = app::rate_limit::hit(&app.db, "test", limit, t + 60).await;
    assert_eq!(
        refused,
        Err(AppError::RateLimited {
            retry_after_secs: 60
        })
    );
    app::rate_limit::hit(&app.db, "other", limit, t + 60)
        .await
        .expect("own bucket");
    // A whole window without hits, and the bucket is empty again.
    app::rate_limit::hit(&app.db, "test", limit, t + 180)
        .await
        .expect("after a quiet window");
}

/// `inspect_invite` for an unknown token, as forwarded by a proxy for `client`.
async fn probe_from(server: &TestApp, client: Option<&str>) -> StatusCode {
    let mut request = server
        .client
        .post(format!("{}/api/inspect_invite", server.address))
        .header("content-type", "application/json")
        .body(json!({ "token": "D".repeat(43) }).to_string());
    if let Some(client) = client {
        request = request.header("x-forwarded-for", client);
    }
    request.send().await.expect("inspect").status()
}

async fn behind_a_trusted_proxy_each_client_has_its_own_limit(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let limit = ("GATEHOUSE_INVITE_LOOKUPS_PER_MINUTE", "2".to_owned());
    // The tests' client connects from 127.0.0.1, which plays the load balancer here.
    let proxied = TestApp::spawn_with(
        &database,
        &[
            limit.clone(),
            ("GATEHOUSE_TRUSTED_PROXIES", "127.0.0.1".to_owned()),
        ],
    )
    .await;
    let direct = TestApp::spawn_with(&database, &[limit]).await;

    for _ in 0..2 {
        assert_eq!(
            probe_from(&proxied, Some("203.0.113.7")).await,
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(
        probe_from(&proxied, Some("203.0.113.7")).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another client behind the same proxy has its own counter, even when it forges the
    // first client's address to the left of what the proxy appended.
    assert_eq!(
        probe_from(&proxied, Some("203.0.113.7, 203.0.113.8")).await,
        StatusCode::NOT_FOUND
    );
    // Without GATEHOUSE_TRUSTED_PROXIES the header is ignored: every request counts for the
    // socket's address, so rotating the header does not escape the limit.
    for (i, expected) in [
        StatusCode::NOT_FOUND,
        StatusCode::NOT_FOUND,
        StatusCode::TOO_MANY_REQUESTS,
    ]
    .into_iter()
    .enumerate()
    {
        let forged = format!("198.51.100.{i}");
        assert_eq!(probe_from(&direct, Some(&forged)).await, expected);
    }
    let buckets: Vec<String> = sqlx::query_scalar("SELECT bucket FROM rate_limits ORDER BY bucket")
        .fetch_all(&direct.db)
        .await
        .expect("buckets");
    assert_eq!(
        buckets,
        vec![
            "invite:127.0.0.1",
            "invite:203.0.113.7",
            "invite:203.0.113.8"
        ]
    );
}
