//! Who may give a role, on every path that gives one (invites by email and link, resend and
//! copy link, approve, remove-waiting, change role), checked against the actor's membership as
//! it stands inside the change's transaction; invites that outlive their inviter's right; and
//! suspended members, who can neither leave nor join elsewhere.

use app::audit::Actor;
use app::context::Verification;
use app::error::AppError;
use app::ids::{TailnetId, UserId};
use app::invites::model::{InviteLink, InvitePreview};
use app::members::model::MemberChange;
use app::roles::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::accept::membership;
use crate::harness::{Backend, TestApp, insert_member, on_both_databases, token_of};
use crate::invites::{invite, invite_rows, list};

on_both_databases!(
    an_it_admin_cannot_give_or_take_admin_anywhere,
    open_invites_stop_working_when_their_inviter_loses_the_right,
    the_actor_is_read_again_inside_the_change,
    two_admins_demoting_each_other_at_once_never_both_succeed,
    a_suspended_member_can_neither_leave_nor_join_other_tailnets,
    high_impact_changes_need_a_recent_passkey_sign_in,
);

async fn set_status(app: &TestApp, tailnet: &TailnetId, user: &UserId, status: &str) {
    sqlx::query("UPDATE memberships SET status = $1 WHERE tailnet_id = $2 AND user_id = $3")
        .bind(status)
        .bind(tailnet.as_str())
        .bind(user.as_str())
        .execute(&app.db)
        .await
        .expect("status");
}

async fn link(browser: &TestApp, tailnet: &TailnetId, role: &str) -> (StatusCode, Option<String>) {
    let (status, link) = browser
        .call::<InviteLink>(
            "create_invite_link",
            json!({ "tailnet": tailnet, "role": role }),
        )
        .await;
    (status, link.ok().map(|link| token_of(&link.url)))
}

async fn inspect(browser: &TestApp, token: &str) -> StatusCode {
    browser
        .call::<InvitePreview>("inspect_invite", json!({ "token": token }))
        .await
        .0
}

async fn change(
    browser: &TestApp,
    tailnet: &TailnetId,
    user: &UserId,
    change: serde_json::Value,
) -> StatusCode {
    browser
        .call::<()>(
            "manage_member",
            json!({ "tailnet": tailnet, "user": user, "change": change }),
        )
        .await
        .0
}

/// Counts of everything a refused grant must leave as it was.
async fn snapshot(app: &TestApp) -> (i64, i64, i64, i64) {
    (
        app.count("invites").await,
        app.count("email_outbox").await,
        app.count("memberships").await,
        app.count("audit_events").await,
    )
}

async fn an_it_admin_cannot_give_or_take_admin_anywhere(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let it_admin = insert_member(&app, &tailnet, "it@example.com", "it_admin").await;
    let it = app.signed_in_as(&it_admin).await;
    // The Owner's open email invite for an Admin, as the IT admin finds it on the Users page.
    invite(&app, &tailnet, "boss@example.com", "admin")
        .await
        .1
        .expect("the Owner invites an Admin");
    let page = list(&it, &tailnet, json!({})).await;
    let admin_invite = invite_rows(&page)[0].invite.clone();
    // Two people wait for approval: one invited as Admin, one as Member.
    let waiting_admin = insert_member(&app, &tailnet, "wait-admin@example.com", "admin").await;
    let waiting_member = insert_member(&app, &tailnet, "wait-member@example.com", "member").await;
    set_status(&app, &tailnet, &waiting_admin, "needs_approval").await;
    set_status(&app, &tailnet, &waiting_member, "needs_approval").await;

    let before = snapshot(&app).await;
    let admin_invite_body = json!({ "tailnet": tailnet, "invite": admin_invite });
    let refusals: Vec<(&str, serde_json::Value)> = vec![
        (
            "invite_by_email",
            json!({ "invite": { "tailnet": tailnet, "addresses": "new@example.com", "role": "admin" } }),
        ),
        (
            "create_invite_link",
            json!({ "tailnet": tailnet, "role": "admin" }),
        ),
        // A working Admin link in an IT admin's hands is an Admin: neither copy nor resend it.
        ("copy_invite_link", admin_invite_body.clone()),
        ("resend_invite", admin_invite_body),
        (
            "approve_user",
            json!({ "tailnet": tailnet, "user": waiting_admin, "role": null }),
        ),
        (
            "approve_user",
            json!({ "tailnet": tailnet, "user": waiting_admin, "role": "member" }),
        ),
        (
            "approve_user",
            json!({ "tailnet": tailnet, "user": waiting_member, "role": "admin" }),
        ),
        (
            "remove_waiting_user",
            json!({ "tailnet": tailnet, "user": waiting_admin }),
        ),
    ];
    for (endpoint, body) in refusals {
        let (status, result) = it.call::<serde_json::Value>(endpoint, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{endpoint} {body}: {result:?}"
        );
        let message = result.expect_err("refused").to_string();
        assert!(message.contains("Admin"), "{endpoint}: {message}");
    }
    assert_eq!(
        snapshot(&app).await,
        before,
        "a refused grant changes nothing"
    );
    assert_eq!(
        membership(&app, &tailnet, &waiting_admin).await,
        Some(("admin".into(), "needs_approval".into()))
    );

    // Within the rule, the same IT admin gives every other role on each path.
    assert_eq!(link(&it, &tailnet, "it_admin").await.0, StatusCode::OK);
    assert_eq!(
        invite(&it, &tailnet, "helper@example.com", "network_admin")
            .await
            .0,
        StatusCode::OK
    );
    let (status, approved) = it
        .call::<Role>(
            "approve_user",
            json!({ "tailnet": tailnet, "user": waiting_member, "role": "billing_admin" }),
        )
        .await;
    assert_eq!((status, approved), (StatusCode::OK, Ok(Role::BillingAdmin)));
    // And an Admin gives Admin.
    assert_eq!(
        app.call::<Role>(
            "approve_user",
            json!({ "tailnet": tailnet, "user": waiting_admin, "role": null }),
        )
        .await,
        (StatusCode::OK, Ok(Role::Admin))
    );
}

async fn open_invites_stop_working_when_their_inviter_loses_the_right(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let admin = insert_member(&app, &tailnet, "adm@example.com", "admin").await;
    let admin_browser = app.signed_in_as(&admin).await;
    let (_, admin_link) = link(&admin_browser, &tailnet, "admin").await;
    let (_, member_link) = link(&admin_browser, &tailnet, "member").await;
    let (admin_link, member_link) = (admin_link.expect("link"), member_link.expect("link"));
    let visitor = app.other_browser();
    assert_eq!(inspect(&visitor, &admin_link).await, StatusCode::OK);

    // Demoted to IT admin: the Admin link stops working, the Member link still works, and the
    // Users page marks the one that no longer does.
    assert_eq!(
        change(&app, &tailnet, &admin, json!({ "ChangeRole": "it_admin" })).await,
        StatusCode::OK
    );
    assert_eq!(inspect(&visitor, &admin_link).await, StatusCode::NOT_FOUND);
    assert_eq!(inspect(&visitor, &member_link).await, StatusCode::OK);
    let page = list(&app, &tailnet, json!({})).await;
    let marks: Vec<(Role, bool)> = invite_rows(&page)
        .iter()
        .map(|row| (row.role, row.inviter_still_grants))
        .collect();
    assert_eq!(marks.len(), 2);
    assert!(marks.contains(&(Role::Admin, false)), "{marks:?}");
    assert!(marks.contains(&(Role::Member, true)), "{marks:?}");
    // Someone signed in cannot accept it either, and it stays unused.
    let joiner = insert_member(&app, &tailnet, "someone@example.com", "member").await;
    sqlx::query("DELETE FROM memberships WHERE user_id = $1")
        .bind(joiner.as_str())
        .execute(&app.db)
        .await
        .expect("no tailnet");
    let joiner_browser = app.signed_in_as(&joiner).await;
    let (status, _) = joiner_browser
        .call::<String>("accept_invite", json!({ "token": admin_link }))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(membership(&app, &tailnet, &joiner).await, None);

    // Suspended: the Member link stops too, and works again once restored.
    assert_eq!(
        change(&app, &tailnet, &admin, json!("Suspend")).await,
        StatusCode::OK
    );
    assert_eq!(inspect(&visitor, &member_link).await, StatusCode::NOT_FOUND);
    assert_eq!(
        change(&app, &tailnet, &admin, json!("Restore")).await,
        StatusCode::OK
    );
    assert_eq!(inspect(&visitor, &member_link).await, StatusCode::OK);

    // Removed: a new person cannot even start creating an account through it.
    assert_eq!(
        change(&app, &tailnet, &admin, json!("Remove")).await,
        StatusCode::OK
    );
    let (status, started) = visitor
        .call::<serde_json::Value>(
            "start_invite_sign_up",
            json!({ "token": member_link, "form": { "display_name": "Nia", "email": "nia@example.com" } }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{started:?}");
    let unused: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM invites WHERE accepted_at IS NULL")
        .fetch_one(&app.db)
        .await
        .expect("count");
    assert_eq!(unused, 2, "both invites stay unused");
}

async fn actor(app: &TestApp, user: &UserId) -> Actor {
    let mut conn = app.db.acquire().await.expect("connection");
    Actor::load(&mut conn, user, None).await.expect("actor")
}

async fn the_actor_is_read_again_inside_the_change(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let first = insert_member(&app, &tailnet, "first@example.com", "admin").await;
    let second = insert_member(&app, &tailnet, "second@example.com", "admin").await;
    let waiting = insert_member(&app, &tailnet, "waiting@example.com", "member").await;
    set_status(&app, &tailnet, &waiting, "needs_approval").await;
    // `first` passed the permission check of a request as an Admin; the Owner demotes them
    // before that request's change begins.
    let stale = actor(&app, &first).await;
    assert_eq!(
        change(&app, &tailnet, &first, json!({ "ChangeRole": "member" })).await,
        StatusCode::OK
    );
    let before = snapshot(&app).await;
    let now = app::context::now();
    let demote = app::members::manage::apply(
        &app.db,
        &stale,
        Verification::Recent,
        &tailnet,
        &second,
        MemberChange::ChangeRole(Role::Member),
        now,
    )
    .await;
    assert_eq!(demote, Err(AppError::Forbidden));
    let approve = app::members::approval::approve(
        &app.db,
        &stale,
        Verification::Recent,
        &tailnet,
        &waiting,
        None,
        now,
    )
    .await;
    assert_eq!(approve, Err(AppError::Forbidden));
    let linked = app::invites::server::create_invite_link(
        &app.db,
        &app.settings,
        (&stale, Verification::Recent),
        &tailnet,
        Role::Member,
        now,
    )
    .await;
    assert!(matches!(linked, Err(AppError::Forbidden)), "{linked:?}");
    assert_eq!(snapshot(&app).await, before);
    assert_eq!(
        membership(&app, &tailnet, &second).await,
        Some(("admin".into(), "active".into()))
    );
}

async fn two_admins_demoting_each_other_at_once_never_both_succeed(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let mut both_won = 0;
    let mut one_won = 0;
    for round in 0..15 {
        let a = insert_member(&app, &tailnet, &format!("a{round}@example.com"), "admin").await;
        let b = insert_member(&app, &tailnet, &format!("b{round}@example.com"), "admin").await;
        let (a_browser, b_browser) = (app.signed_in_as(&a).await, app.signed_in_as(&b).await);
        let demote = json!({ "ChangeRole": "member" });
        let (a_did, b_did) = tokio::join!(
            change(&a_browser, &tailnet, &b, demote.clone()),
            change(&b_browser, &tailnet, &a, demote.clone()),
        );
        for status in [a_did, b_did] {
            assert!(
                status == StatusCode::OK || status.is_client_error(),
                "round {round}: {status}"
            );
        }
        let demoted = [&a, &b].len()
            - [
                membership(&app, &tailnet, &a).await,
                membership(&app, &tailnet, &b).await,
            ]
            .iter()
            .filter(|m| m.as_ref().is_some_and(|(role, _)| role == "admin"))
            .count();
        match demoted {
            2 => both_won += 1,
            1 => one_won += 1,
            _ => panic!("round {round}: nobody was demoted ({a_did}, {b_did})"),
        }
        let role_events: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_events WHERE event_name = 'USER.UPDATE.USER_ROLE' \
             AND target_id IN ($1, $2)",
        )
        .bind(a.as_str())
        .bind(b.as_str())
        .fetch_one(&app.db)
        .await
        .expect("events");
        assert_eq!(role_events, 1, "round {round}: one change, one event");
    }
    println!("two admins demoting each other: {one_won} rounds one won, {both_won} both won");
    assert_eq!(both_won, 0);
}

async fn a_suspended_member_can_neither_leave_nor_join_other_tailnets(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let home = app.home_tailnet().await;
    // Pat is an Admin at home (so "Join external tailnets" lets them join others) and a
    // Member of Ops, which Bob runs.
    let pat = insert_member(&app, &home, "pat@example.com", "admin").await;
    let (ops, _) = app::setup::server::create_tailnet(
        &app.db,
        &app::fields::TailnetName::parse("Ops").expect("name"),
        &app.settings,
        app::context::now(),
    )
    .await
    .expect("tailnet");
    let bob = insert_member(&app, &ops, "bob@example.com", "admin").await;
    crate::leave::join(&app, &ops, &pat, "member").await;
    let bob_browser = app.signed_in_as(&bob).await;
    let pat_browser = app.signed_in_as(&pat).await;

    // Suspended in Ops, Pat cannot leave Ops (which would erase the suspension).
    assert_eq!(
        change(&bob_browser, &ops, &pat, json!("Suspend")).await,
        StatusCode::OK
    );
    let (status, result) = pat_browser
        .call::<()>("leave_tailnet", json!({ "tailnet": ops }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        result
            .expect_err("refused")
            .to_string()
            .contains("suspended"),
        "the refusal says why"
    );
    assert_eq!(
        membership(&app, &ops, &pat).await,
        Some(("member".into(), "suspended".into()))
    );

    // Suspended at home, Pat cannot join another tailnet, and the invite stays unused.
    let (qa, _) = app::setup::server::create_tailnet(
        &app.db,
        &app::fields::TailnetName::parse("QA").expect("name"),
        &app.settings,
        app::context::now(),
    )
    .await
    .expect("tailnet");
    let quinn = insert_member(&app, &qa, "quinn@example.com", "admin").await;
    let (_, qa_link) = link(&app.signed_in_as(&quinn).await, &qa, "member").await;
    let qa_link = qa_link.expect("link");
    assert_eq!(
        change(&app, &home, &pat, json!("Suspend")).await,
        StatusCode::OK
    );
    let (status, result) = pat_browser
        .call::<String>("accept_invite", json!({ "token": qa_link }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{result:?}");
    assert!(
        result
            .expect_err("refused")
            .to_string()
            .contains("suspended")
    );
    assert_eq!(membership(&app, &qa, &pat).await, None);
    assert_eq!(
        inspect(&app.other_browser(), &qa_link).await,
        StatusCode::OK
    );
    // Restored, the same link works.
    assert_eq!(
        change(&app, &home, &pat, json!("Restore")).await,
        StatusCode::OK
    );
    let (status, _) = pat_browser
        .call::<String>("accept_invite", json!({ "token": qa_link }))
        .await;
    assert_eq!(status, StatusCode::OK);
}

/// Makes every session of `user` as old as a passkey sign-in an hour ago.
pub async fn stale_sessions(app: &TestApp, user: &UserId) {
    sqlx::query("UPDATE sessions SET verified_at = $1 WHERE user_id = $2")
        .bind(app::context::now() - 3_600)
        .bind(user.as_str())
        .execute(&app.db)
        .await
        .expect("sessions");
}

async fn high_impact_changes_need_a_recent_passkey_sign_in(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    let (mut passkey, _) = app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let owner = app.current_user().await.expect("signed in").user_id;
    let admin = insert_member(&app, &tailnet, "adm@example.com", "admin").await;
    let member = insert_member(&app, &tailnet, "mem@example.com", "member").await;
    let waiting = insert_member(&app, &tailnet, "wait@example.com", "member").await;
    set_status(&app, &tailnet, &waiting, "needs_approval").await;
    stale_sessions(&app, &owner).await;

    let before = snapshot(&app).await;
    let high_impact: Vec<(&str, serde_json::Value)> = vec![
        (
            "manage_member",
            json!({ "tailnet": tailnet, "user": member, "change": "TransferOwnership" }),
        ),
        (
            "manage_member",
            json!({ "tailnet": tailnet, "user": member, "change": { "ChangeRole": "admin" } }),
        ),
        (
            "manage_member",
            json!({ "tailnet": tailnet, "user": admin, "change": { "ChangeRole": "member" } }),
        ),
        (
            "manage_member",
            json!({ "tailnet": tailnet, "user": admin, "change": "Suspend" }),
        ),
        (
            "manage_member",
            json!({ "tailnet": tailnet, "user": admin, "change": "Remove" }),
        ),
        (
            "invite_by_email",
            json!({ "invite": { "tailnet": tailnet, "addresses": "x@example.com", "role": "auditor" } }),
        ),
        (
            "create_invite_link",
            json!({ "tailnet": tailnet, "role": "it_admin" }),
        ),
        (
            "approve_user",
            json!({ "tailnet": tailnet, "user": waiting, "role": "network_admin" }),
        ),
        (
            "issue_recovery_link",
            json!({ "tailnet": tailnet, "user": member }),
        ),
        (
            "set_user_approval",
            json!({ "tailnet": tailnet, "enabled": true }),
        ),
        (
            "set_join_external_tailnets",
            json!({ "tailnet": tailnet, "roles": ["owner"] }),
        ),
        (
            "set_coordination_server_url",
            json!({ "tailnet": tailnet, "url": "https://hs.example.com" }),
        ),
        (
            "generate_api_token",
            json!({ "token": { "tailnet": tailnet, "description": "", "expiry_days": 1 } }),
        ),
    ];
    for (endpoint, body) in &high_impact {
        let (status, result) = app.call::<serde_json::Value>(endpoint, body.clone()).await;
        assert_eq!(
            (status, result.err()),
            (StatusCode::FORBIDDEN, Some(AppError::VerificationRequired)),
            "{endpoint} {body}"
        );
    }
    assert_eq!(snapshot(&app).await, before, "nothing changed");
    // Everyday changes do not ask.
    assert_eq!(
        change(&app, &tailnet, &member, json!({ "ChangeRole": "auditor" })).await,
        StatusCode::OK
    );
    assert_eq!(link(&app, &tailnet, "member").await.0, StatusCode::OK);

    // "Confirm it's you" with the Owner's passkey, and every change goes through.
    let (_, started) = app
        .call::<app::auth::model::PasskeyChallenge<webauthn_rs_proto::RequestChallengeResponse>>(
            "start_verify_passkey",
            json!({}),
        )
        .await;
    let challenge = started.expect("challenge");
    let credential = passkey.confirm(challenge.options);
    let (status, _) = app
        .call::<()>(
            "finish_verify_passkey",
            json!({ "ceremony": challenge.ceremony, "credential": credential }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for (endpoint, body) in high_impact.iter().skip(1) {
        let (status, result) = app.call::<serde_json::Value>(endpoint, body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{endpoint} {body}: {result:?}");
    }
}
