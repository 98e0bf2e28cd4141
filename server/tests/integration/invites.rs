//! Invitations: validation, creation with audit events, the outbox and SMTP delivery, resend,
//! copy, delete, expiry, and the invite page's single answer for every unusable link.

use app::audit::Actor;
use app::error::AppError;
use app::ids::{InviteId, TailnetId};
use app::invites::model::{INVALID_INVITE_MESSAGE, InviteLink, InvitePreview, InvitesSent};
use app::members::model::{UserListPage, UserListRow};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Backend, TestApp, TestDatabase, on_both_databases, token_of};
use crate::smtp::SmtpSink;

on_both_databases!(
    an_email_invite_is_created_audited_and_delivered_once,
    a_bad_batch_is_refused_whole_and_changes_nothing,
    resend_waits_a_minute_and_restarts_the_expiry,
    an_invite_works_until_its_ttl_and_not_a_second_longer,
    a_deleted_invite_stops_working_at_once,
    copy_invite_link_gives_the_same_working_link,
    with_smtp_down_nothing_is_lost_and_each_email_goes_once,
    two_servers_never_send_the_same_email,
    without_smtp_invites_still_work_through_their_links,
    invitation_emails_have_daily_allowances_that_deleting_does_not_refill,
);

/// A server whose mailer points at `smtp_url`, with an Owner signed in; returns the tailnet.
async fn owner_app(database: &TestDatabase, smtp_url: Option<String>) -> (TestApp, TailnetId) {
    let vars: Vec<(&str, String)> = smtp_url
        .map(|url| vec![("GATEHOUSE_SMTP_URL", url)])
        .unwrap_or_default();
    let app = TestApp::spawn_with(database, &vars).await;
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    (app, tailnet)
}

pub async fn owner_actor(app: &TestApp) -> Actor {
    let user = app.current_user().await.expect("signed in").user_id;
    let mut conn = app.db.acquire().await.expect("connection");
    Actor::load(&mut conn, &user, None).await.expect("actor")
}

pub async fn invite(
    app: &TestApp,
    tailnet: &TailnetId,
    addresses: &str,
    role: &str,
) -> (StatusCode, Result<InvitesSent, AppError>) {
    app.call(
        "invite_by_email",
        json!({ "invite": { "tailnet": tailnet, "addresses": addresses, "role": role } }),
    )
    .await
}

pub async fn list(app: &TestApp, tailnet: &TailnetId, filters: Value) -> UserListPage {
    let mut query =
        json!({ "tailnet": tailnet, "status": null, "role": null, "search": "", "page": "First" });
    if let (Some(query), Some(filters)) = (query.as_object_mut(), filters.as_object()) {
        query.extend(filters.clone());
    }
    let (status, page) = app.call("list_users", json!({ "query": query })).await;
    assert_eq!(status, StatusCode::OK, "{page:?}");
    page.expect("page")
}

pub fn invite_rows(page: &UserListPage) -> Vec<&app::members::model::InviteRow> {
    page.rows
        .iter()
        .filter_map(|row| match row {
            UserListRow::Invite(invite) => Some(invite),
            UserListRow::Member(_) => None,
        })
        .collect()
}

async fn invite_id(app: &TestApp, tailnet: &TailnetId, email: &str) -> InviteId {
    let page = list(app, tailnet, json!({ "search": email })).await;
    invite_rows(&page)
        .into_iter()
        .find(|row| row.email.as_deref() == Some(email))
        .map(|row| row.invite.clone())
        .expect("invite listed")
}

/// "Copy invite link" through its server function.
async fn copy_link(
    app: &TestApp,
    tailnet: &TailnetId,
    invite: &InviteId,
) -> Result<InviteLink, AppError> {
    app.call(
        "copy_invite_link",
        json!({ "tailnet": tailnet, "invite": invite }),
    )
    .await
    .1
}

async fn inspect(app: &TestApp, token: &str) -> (StatusCode, Result<InvitePreview, AppError>) {
    app.call("inspect_invite", json!({ "token": token })).await
}

async fn events(
    app: &TestApp,
    name: &str,
) -> Vec<(String, Option<String>, Option<String>, String)> {
    sqlx::query_as(
        "SELECT event_group_id, old_value, new_value, actor_email FROM audit_events \
         WHERE event_name = $1 ORDER BY event_time, id",
    )
    .bind(name)
    .fetch_all(&app.db)
    .await
    .expect("events")
}

async fn an_email_invite_is_created_audited_and_delivered_once(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let sink = SmtpSink::start().await;
    let (app, tailnet) = owner_app(&database, Some(sink.url())).await;

    let (status, sent) = invite(
        &app,
        &tailnet,
        "grace@example.com, linus@example.com\nGrace@Example.com",
        "it_admin",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let sent = sent.expect("invited");
    assert_eq!(sent.invited, ["grace@example.com", "linus@example.com"]);
    assert!(sent.email_delivery_configured);
    assert_eq!(app.count("invites").await, 2);
    assert_eq!(app.count("email_outbox").await, 2);

    // One event per invite, in one group, naming the actor and never a link.
    let created = events(&app, "INVITE.CREATE.TAILNET_INVITE").await;
    assert_eq!(created.len(), 2);
    assert_eq!(created[0].0, created[1].0, "one operation, one group");
    assert_eq!(created[0].3, "ada@example.com");
    let everything: Vec<(String,)> = sqlx::query_as(
        "SELECT COALESCE(new_value, '') || COALESCE(old_value, '') || target_name FROM audit_events",
    )
    .fetch_all(&app.db)
    .await
    .expect("audit text");
    assert!(everything.iter().all(|(text,)| !text.contains("/invite/")));

    let round = app.deliver_mail(app::context::now()).await;
    assert_eq!((round.sent, round.failed), (2, 0));
    let mail = sink.received();
    assert_eq!(mail.len(), 2);
    let grace = mail
        .iter()
        .find(|m| m.to == ["grace@example.com"])
        .expect("Grace's email");
    assert_eq!(grace.subject(), "Your invitation to a tailnet on Gatehouse");
    for expected in [
        "Example Co",
        "Ada Owner",
        "IT admin",
        "text/plain",
        "text/html",
    ] {
        assert!(
            grace.data.contains(expected),
            "{expected} in {}",
            grace.data
        );
    }
    let expires = app::format::utc_date(app::context::now() + app.settings.invite_ttl_secs);
    assert!(grace.data.contains(&expires), "expiry date {expires}");
    let link = grace.invite_link();
    assert!(
        link.starts_with(&format!("{}/invite/", app.public_origin)),
        "{link}"
    );
    assert!(
        !sqlx::query_scalar::<_, String>("SELECT token_hash || sealed_token FROM invites")
            .fetch_all(&app.db)
            .await
            .expect("rows")
            .iter()
            .any(|stored| stored.contains(&token_of(&link))),
        "the database never holds the token"
    );
    let (status, preview) = inspect(&app, &token_of(&link)).await;
    assert_eq!(status, StatusCode::OK);
    let preview = preview.expect("usable");
    assert_eq!(preview.tailnet_name, "Example Co");
    assert_eq!(preview.inviter_name.as_deref(), Some("Ada Owner"));
    assert_eq!(preview.email.as_deref(), Some("grace@example.com"));

    // Delivered means delivered: a later round sends nothing again.
    let round = app.deliver_mail(app::context::now() + 7_200).await;
    assert_eq!((round.sent, round.failed), (0, 0));
    assert_eq!(sink.received().len(), 2);
    let page = list(&app, &tailnet, json!({ "status": "invited" })).await;
    assert_eq!(invite_rows(&page).len(), 2);
    assert!(invite_rows(&page).iter().all(|row| !row.email_pending));

    // Housekeeping drops delivered rows after a week, and nothing sooner.
    let now = app::context::now();
    assert_eq!(server::mail::purge_sent(&app.db, now + 86_400).await, Ok(0));
    let week = server::mail::KEEP_SENT_SECS;
    assert_eq!(
        server::mail::purge_sent(&app.db, now + week + 60).await,
        Ok(2)
    );
    assert_eq!(app.count("email_outbox").await, 0);
    assert_eq!(app.count("invites").await, 2);
    sink.stop();
}

async fn a_bad_batch_is_refused_whole_and_changes_nothing(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let (app, tailnet) = owner_app(&database, None).await;
    let (status, _) = invite(&app, &tailnet, "open@example.com", "member").await;
    assert_eq!(status, StatusCode::OK);
    let before = (
        app.count("invites").await,
        app.count("email_outbox").await,
        app.count("audit_events").await,
    );

    let hundred_and_one: Vec<String> = (0..101).map(|n| format!("p{n}@example.com")).collect();
    for (addresses, role, expected) in [
        (
            "ok@example.com, not-an-address, x@y",
            "member",
            "not-an-address, x@y",
        ),
        (
            "ok@example.com, ada@example.com",
            "member",
            "already members: ada@example.com",
        ),
        (
            "ok@example.com, OPEN@example.com",
            "member",
            "already invited: open@example.com",
        ),
        (hundred_and_one.join(" ").as_str(), "member", "at most 100"),
        ("   ", "member", "at least one"),
        ("ok@example.com", "owner", "cannot make someone an Owner"),
    ] {
        let (status, result) = invite(&app, &tailnet, addresses, role).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{addresses}");
        let error = result.expect_err("refused");
        assert!(
            error.to_string().contains(expected),
            "{error} should contain {expected}"
        );
    }
    // A role that does not exist is refused by the decoder.
    let (status, _result) = invite(&app, &tailnet, "ok@example.com", "superuser").await;
    assert!(status.is_client_error(), "{status}: {_result:?}");

    let after = (
        app.count("invites").await,
        app.count("email_outbox").await,
        app.count("audit_events").await,
    );
    assert_eq!(before, after, "nothing was created");
}

async fn resend_waits_a_minute_and_restarts_the_expiry(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let (app, tailnet) = owner_app(&database, None).await;
    invite(&app, &tailnet, "grace@example.com", "member")
        .await
        .1
        .expect("invited");
    let invite = invite_id(&app, &tailnet, "grace@example.com").await;

    let response = app
        .client
        .post(format!("{}/api/resend_invite", app.address))
        .header("content-type", "application/json")
        .body(json!({ "tailnet": tailnet, "invite": invite }).to_string())
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry_after));
    let error: AppError = response.json().await.expect("error body");
    assert!(
        error
            .to_string()
            .contains(&format!("Try again in {retry_after} seconds"))
    );
    assert_eq!(app.count("email_outbox").await, 1);

    // A minute later (time as a parameter) it goes, and the expiry restarts from then.
    let actor = owner_actor(&app).await;
    let later = app::context::now() + 61;
    let expires_at =
        app::invites::manage::resend(&app.db, &app.settings, &actor, &tailnet, &invite, later)
            .await
            .expect("resent");
    assert_eq!(expires_at, later + app.settings.invite_ttl_secs);
    assert_eq!(app.count("email_outbox").await, 2);
    let resent = events(&app, "INVITE.RESEND.TAILNET_INVITE").await;
    assert_eq!(resent.len(), 1);
    assert!(
        resent[0]
            .2
            .as_deref()
            .unwrap_or_default()
            .contains(&app::format::utc_date(expires_at))
    );
    // …and the minute starts again.
    let again = app::invites::manage::resend(
        &app.db,
        &app.settings,
        &actor,
        &tailnet,
        &invite,
        later + 30,
    )
    .await;
    assert_eq!(
        again,
        Err(AppError::RateLimited {
            retry_after_secs: 30
        })
    );

    // A link invite has no address to resend to.
    let (_, link) = app
        .call::<InviteLink>(
            "create_invite_link",
            json!({ "tailnet": tailnet, "role": "member" }),
        )
        .await;
    let link = link.expect("link");
    let (status, _) = app
        .call::<i64>(
            "resend_invite",
            json!({ "tailnet": tailnet, "invite": link.invite }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn an_invite_works_until_its_ttl_and_not_a_second_longer(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let (app, tailnet) = owner_app(&database, None).await;
    let actor = owner_actor(&app).await;
    let created = app::context::now() - 10_000;
    let ttl = app.settings.invite_ttl_secs;
    let link = app::invites::server::create_invite_link(
        &app.db,
        &app.settings,
        (&actor, app::context::Verification::Recent),
        &tailnet,
        app::roles::Role::Member,
        created,
    )
    .await
    .expect("link");
    let token = token_of(&link.url);
    let at = |moment: i64| app::invites::lookup::preview(&app.db, &token, moment);
    assert!(
        at(created + ttl - 1).await.is_ok(),
        "one second before expiry"
    );
    assert_eq!(
        at(created + ttl).await,
        Err(AppError::NotFound(INVALID_INVITE_MESSAGE.into()))
    );
    assert_eq!(
        at(created + ttl + 1).await,
        Err(AppError::NotFound(INVALID_INVITE_MESSAGE.into()))
    );
    // The list calls it "Expired" once the TTL has passed, and the filter finds it.
    let mut conn = app.db.acquire().await.expect("connection");
    sqlx::query("UPDATE invites SET expires_at = $1 WHERE id = $2")
        .bind(app::context::now() - 1)
        .bind(link.invite.as_str())
        .execute(&mut *conn)
        .await
        .expect("age the invite");
    let page = list(&app, &tailnet, json!({ "status": "expired" })).await;
    assert_eq!(invite_rows(&page).len(), 1);
    assert_eq!(
        invite_rows(&page)[0].status,
        app::members::model::RowStatus::Expired
    );
    assert!(invite_rows(&list(&app, &tailnet, json!({ "status": "invited" })).await).is_empty());
}

async fn a_deleted_invite_stops_working_at_once(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let sink = SmtpSink::start().await;
    let (app, tailnet) = owner_app(&database, Some(sink.url())).await;
    invite(&app, &tailnet, "grace@example.com", "member")
        .await
        .1
        .expect("invited");
    let invite = invite_id(&app, &tailnet, "grace@example.com").await;
    let link = copy_link(&app, &tailnet, &invite).await;
    let token = token_of(&link.expect("link").url);
    assert_eq!(inspect(&app, &token).await.0, StatusCode::OK);

    let (status, deleted) = app
        .call::<()>(
            "delete_invite",
            json!({ "tailnet": tailnet, "invite": invite }),
        )
        .await;
    assert_eq!((status, deleted), (StatusCode::OK, Ok(())));
    let gone = inspect(&app, &token).await;
    let unknown = inspect(&app, &"x".repeat(43)).await;
    assert_eq!(
        gone, unknown,
        "a deleted link reads exactly like an unknown one"
    );
    assert_eq!(gone.0, StatusCode::NOT_FOUND);
    let (status, _, html) = app.get_page(&format!("/invite/{token}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("This invite is no longer valid."));

    // Its unsent email went with it.
    assert_eq!(app.count("email_outbox").await, 0);
    let round = app.deliver_mail(app::context::now()).await;
    assert_eq!(round.sent, 0);
    assert!(sink.received().is_empty());
    assert_eq!(events(&app, "INVITE.DELETE.TAILNET_INVITE").await.len(), 1);
    let (status, _) = app
        .call::<()>(
            "delete_invite",
            json!({ "tailnet": tailnet, "invite": invite }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "deleting twice");
    assert_eq!(events(&app, "INVITE.DELETE.TAILNET_INVITE").await.len(), 1);
    sink.stop();
}

async fn copy_invite_link_gives_the_same_working_link(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let (app, tailnet) = owner_app(&database, None).await;
    let (status, created) = app
        .call::<InviteLink>(
            "create_invite_link",
            json!({ "tailnet": tailnet, "role": "auditor" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let created = created.expect("link");
    let copied = copy_link(&app, &tailnet, &created.invite).await;
    assert_eq!(copied.expect("copied"), created);
    let (_, preview) = inspect(&app, &token_of(&created.url)).await;
    let preview = preview.expect("works");
    assert_eq!(preview.role, app::roles::Role::Auditor);
    assert_eq!(preview.email, None);
    let page = list(&app, &tailnet, json!({})).await;
    let row = invite_rows(&page)
        .into_iter()
        .find(|row| row.invite == created.invite)
        .cloned()
        .expect("listed");
    assert_eq!(row.kind, app::invites::model::InviteKind::Link);
    assert_eq!(events(&app, "INVITE.CREATE.TAILNET_INVITE").await.len(), 1);
}

async fn with_smtp_down_nothing_is_lost_and_each_email_goes_once(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let port = SmtpSink::free_port().await;
    let (app, tailnet) = owner_app(&database, Some(format!("smtp://127.0.0.1:{port}"))).await;
    invite(
        &app,
        &tailnet,
        "a@example.com b@example.com c@example.com",
        "member",
    )
    .await
    .1
    .expect("invited");
    let now = app::context::now();

    let round = app.deliver_mail(now).await;
    assert_eq!((round.sent, round.failed), (0, 3), "SMTP is down");
    let page = list(&app, &tailnet, json!({ "status": "invited" })).await;
    assert!(invite_rows(&page).iter().all(|row| row.email_pending));
    let errors: Vec<Option<String>> = sqlx::query_scalar("SELECT last_error FROM email_outbox")
        .fetch_all(&app.db)
        .await
        .expect("rows");
    assert!(errors.iter().all(Option::is_some));
    // Backing off: nothing is retried before its time.
    let round = app.deliver_mail(now + 1).await;
    assert_eq!((round.sent, round.failed), (0, 0));

    let sink = SmtpSink::start_on(port).await;
    let round = app
        .deliver_mail(now + server::mail::retry_delay_secs(1))
        .await;
    assert_eq!((round.sent, round.failed), (3, 0), "SMTP is back");
    let round = app.deliver_mail(now + 86_400).await;
    assert_eq!((round.sent, round.failed), (0, 0));
    let mut recipients: Vec<String> = sink.received().into_iter().flat_map(|m| m.to).collect();
    recipients.sort();
    assert_eq!(
        recipients,
        ["a@example.com", "b@example.com", "c@example.com"]
    );
    let page = list(&app, &tailnet, json!({ "status": "invited" })).await;
    assert!(invite_rows(&page).iter().all(|row| !row.email_pending));
    sink.stop();
}

async fn two_servers_never_send_the_same_email(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let sink = SmtpSink::start().await;
    let (first, tailnet) = owner_app(&database, Some(sink.url())).await;
    let second = TestApp::spawn_with(&database, &[("GATEHOUSE_SMTP_URL", sink.url())]).await;
    let addresses: Vec<String> = (0..12).map(|n| format!("p{n}@example.com")).collect();
    invite(&first, &tailnet, &addresses.join(","), "member")
        .await
        .1
        .expect("invited");

    let now = app::context::now();
    let (a, b) = tokio::join!(first.deliver_mail(now), second.deliver_mail(now));
    assert_eq!(a.sent + b.sent, 12);
    let mut recipients: Vec<String> = sink.received().into_iter().flat_map(|m| m.to).collect();
    recipients.sort();
    let mut expected = addresses.clone();
    expected.sort();
    assert_eq!(recipients, expected, "each address exactly once");
    sink.stop();
}

async fn without_smtp_invites_still_work_through_their_links(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let (app, tailnet) = owner_app(&database, None).await;
    let (_, sent) = invite(&app, &tailnet, "grace@example.com", "member").await;
    assert!(!sent.expect("invited").email_delivery_configured);
    let invite = invite_id(&app, &tailnet, "grace@example.com").await;
    let link = copy_link(&app, &tailnet, &invite).await;
    let (status, _) = inspect(&app, &token_of(&link.expect("link").url)).await;
    assert_eq!(status, StatusCode::OK);
    let (_, overview) = app
        .call::<app::members::model::UsersOverview>(
            "get_users_overview",
            json!({ "tailnet": tailnet }),
        )
        .await;
    assert!(!overview.expect("overview").email_delivery_configured);
}

async fn invitation_emails_have_daily_allowances_that_deleting_does_not_refill(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let app = TestApp::spawn_with(
        &database,
        &[
            (
                "GATEHOUSE_INVITE_EMAILS_PER_DAY_PER_TAILNET",
                "5".to_owned(),
            ),
            ("GATEHOUSE_INVITE_EMAILS_PER_DAY_PER_PERSON", "3".to_owned()),
        ],
    )
    .await;
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let quota_refusal = |(status, result): (StatusCode, Result<InvitesSent, AppError>)| {
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{result:?}");
        match result {
            Err(AppError::QuotaExceeded { message, .. }) => message,
            other => panic!("expected a quota refusal, got {other:?}"),
        }
    };
    assert_eq!(
        invite(&app, &tailnet, "a@example.com b@example.com", "member")
            .await
            .0,
        StatusCode::OK
    );
    // Two more would make four of Ada's three: refused whole, nothing created or counted.
    let before = (app.count("invites").await, app.count("email_outbox").await);
    let message =
        quota_refusal(invite(&app, &tailnet, "c@example.com d@example.com", "member").await);
    assert!(message.contains("You may send at most 3"), "{message}");
    assert_eq!(
        (app.count("invites").await, app.count("email_outbox").await),
        before
    );
    assert_eq!(
        invite(&app, &tailnet, "c@example.com", "member").await.0,
        StatusCode::OK,
        "the refused batch used none of the allowance"
    );
    // Deleting an invite gives nothing back.
    let deleted = invite_id(&app, &tailnet, "c@example.com").await;
    let (status, _) = app
        .call::<()>(
            "delete_invite",
            json!({ "tailnet": tailnet, "invite": deleted }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    quota_refusal(invite(&app, &tailnet, "c@example.com", "member").await);
    // Another admin has their own allowance, within the tailnet's five.
    let bea = crate::harness::insert_member(&app, &tailnet, "bea@example.com", "admin").await;
    let bea = app.signed_in_as(&bea).await;
    assert_eq!(
        invite(&bea, &tailnet, "e@example.com f@example.com", "member")
            .await
            .0,
        StatusCode::OK
    );
    let message = quota_refusal(invite(&bea, &tailnet, "g@example.com", "member").await);
    assert!(
        message.contains("This tailnet may send at most 5"),
        "{message}"
    );
    // Copy invite link still works for everyone: links need no email.
    assert_eq!(
        bea.call::<InviteLink>(
            "create_invite_link",
            json!({ "tailnet": tailnet, "role": "member" }),
        )
        .await
        .0,
        StatusCode::OK
    );
}
