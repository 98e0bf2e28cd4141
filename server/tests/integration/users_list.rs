//! The Users page's list: keyset paging in both directions, every filter, who sees invites,
//! and the authorisation matrix of every invite server function.

use app::ids::{InviteId, TailnetId};
use app::members::model::{RowStatus, UserListPage, UserListRow, UsersOverview};
use app::paging::Cursor;
use app::roles::{Permission, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Backend, TestApp, insert_member, on_both_databases};
use crate::invites::{invite_rows, list};
use crate::seed::{self, SeedInvite, SeedMember};

on_both_databases!(
    paging_visits_every_row_once_forwards_and_backwards,
    every_filter_is_answered_by_the_server,
    an_auditor_sees_members_but_never_invites,
    invite_functions_allow_exactly_the_roles_the_table_allows,
);

async fn owner_app(backend: Backend) -> Option<(TestApp, crate::harness::TestDatabase, TailnetId)> {
    let (app, database) = TestApp::spawn(backend).await?;
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    Some((app, database, tailnet))
}

fn keys(page: &UserListPage) -> Vec<Cursor> {
    page.rows.iter().map(UserListRow::cursor).collect()
}

async fn paging_visits_every_row_once_forwards_and_backwards(backend: Backend) {
    let Some((app, _database, tailnet)) = owner_app(backend).await else {
        return;
    };
    let now = app::context::now();
    let mut members = seed::plain_members(120, now, "m");
    // Ties on the timestamp are ordered by id, never skipped or repeated.
    for member in members.iter_mut().take(10) {
        member.joined_at = now - 20_000;
    }
    seed::members(&app.db, &tailnet, &members).await;
    seed::invites(&app.db, &tailnet, &seed::plain_invites(45, now, "i")).await;

    let mut forward: Vec<Vec<Cursor>> = Vec::new();
    let mut page = list(&app, &tailnet, json!({})).await;
    assert_eq!(page.previous, None);
    loop {
        assert!(page.rows.len() <= app::members::model::PAGE_SIZE);
        forward.push(keys(&page));
        let Some(next) = page.next.clone() else { break };
        page = list(&app, &tailnet, json!({ "page": { "After": next } })).await;
        assert!(page.previous.is_some());
    }
    let all: Vec<Cursor> = forward.concat();
    assert_eq!(
        all.len(),
        120 + 45 + 1,
        "every member, invite and the Owner"
    );
    let mut sorted = all.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(all, sorted, "newest first, without repeats");
    sorted.dedup();
    assert_eq!(sorted.len(), all.len());
    assert_eq!(forward.len(), 4);

    // Back from the last page: the same pages in reverse.
    let mut backward = vec![keys(&page)];
    while let Some(previous) = page.previous.clone() {
        page = list(&app, &tailnet, json!({ "page": { "Before": previous } })).await;
        backward.push(keys(&page));
    }
    backward.reverse();
    assert_eq!(backward, forward);
}

async fn every_filter_is_answered_by_the_server(backend: Backend) {
    let Some((app, _database, tailnet)) = owner_app(backend).await else {
        return;
    };
    let now = app::context::now();
    let day = 86_400;
    let member = |name: &str, email: &str, role, status, last_seen_days: Option<i64>| SeedMember {
        name: name.to_owned(),
        email: email.to_owned(),
        role,
        status,
        joined_at: now - 60 * day,
        last_seen_at: last_seen_days.map(|days| now - days * day),
    };
    seed::members(
        &app.db,
        &tailnet,
        &[
            member("Bob Builder", "bob@example.com", "admin", "active", Some(1)),
            member("Idle Ida", "ida@example.com", "member", "active", Some(40)),
            member("Sus Sam", "sam@example.com", "member", "suspended", Some(1)),
            member(
                "New Nia",
                "nia@example.com",
                "member",
                "needs_approval",
                None,
            ),
            member(
                "Percent 100%",
                "pct@example.com",
                "auditor",
                "active",
                Some(2),
            ),
        ],
    )
    .await;
    seed::invites(
        &app.db,
        &tailnet,
        &[
            SeedInvite {
                email: Some("fresh@example.com".into()),
                role: "admin",
                created_at: now - 10,
                expires_at: now + day,
            },
            SeedInvite {
                email: Some("stale@example.com".into()),
                role: "member",
                created_at: now - 40 * day,
                expires_at: now - 10 * day,
            },
        ],
    )
    .await;

    let emails = |page: UserListPage| -> Vec<String> {
        let mut emails: Vec<String> = page
            .rows
            .into_iter()
            .map(|row| match row {
                UserListRow::Member(m) => m.email,
                UserListRow::Invite(i) => i.email.unwrap_or_default(),
            })
            .collect();
        emails.sort();
        emails
    };
    for (filters, expected) in [
        (
            json!({ "status": "active" }),
            vec!["ada@example.com", "bob@example.com", "pct@example.com"],
        ),
        (json!({ "status": "idle" }), vec!["ida@example.com"]),
        (json!({ "status": "suspended" }), vec!["sam@example.com"]),
        (
            json!({ "status": "needs_approval" }),
            vec!["nia@example.com"],
        ),
        (json!({ "status": "invited" }), vec!["fresh@example.com"]),
        (json!({ "status": "expired" }), vec!["stale@example.com"]),
        (
            json!({ "role": "admin" }),
            vec!["bob@example.com", "fresh@example.com"],
        ),
        (
            json!({ "role": "admin", "status": "invited" }),
            vec!["fresh@example.com"],
        ),
        (json!({ "search": "BUILDER" }), vec!["bob@example.com"]),
        (json!({ "search": "sta" }), vec!["stale@example.com"]),
        (json!({ "search": "100%" }), vec!["pct@example.com"]),
        (json!({ "search": "%" }), vec!["pct@example.com"]),
        (json!({ "search": "_" }), Vec::<&str>::new()),
        (json!({ "search": "nobody-matches" }), Vec::<&str>::new()),
    ] {
        assert_eq!(
            emails(list(&app, &tailnet, filters.clone()).await),
            expected,
            "{filters}"
        );
    }

    let statuses: Vec<RowStatus> = list(&app, &tailnet, json!({}))
        .await
        .rows
        .iter()
        .map(|row| match row {
            UserListRow::Member(m) => m.status,
            UserListRow::Invite(i) => i.status,
        })
        .collect();
    for status in RowStatus::ALL {
        assert!(statuses.contains(&status), "{status:?} is shown");
    }
    // Billable: active members, idle included; not suspended, waiting or invited people.
    let (_, overview) = app
        .call::<UsersOverview>("get_users_overview", json!({ "tailnet": tailnet }))
        .await;
    assert_eq!(overview.expect("overview").active_users, 4);
}

async fn an_auditor_sees_members_but_never_invites(backend: Backend) {
    let Some((app, _database, tailnet)) = owner_app(backend).await else {
        return;
    };
    let (status, _) = crate::invites::invite(&app, &tailnet, "grace@example.com", "member").await;
    assert_eq!(status, StatusCode::OK);
    let auditor_id = insert_member(&app, &tailnet, "audrey@example.com", "auditor").await;
    let auditor = app.signed_in_as(&auditor_id).await;

    let page = list(&auditor, &tailnet, json!({})).await;
    assert!(invite_rows(&page).is_empty());
    assert_eq!(page.rows.len(), 2, "the Owner and the Auditor");
    assert!(
        list(&auditor, &tailnet, json!({ "status": "invited" }))
            .await
            .rows
            .is_empty()
    );
    let (_, overview) = auditor
        .call::<UsersOverview>("get_users_overview", json!({ "tailnet": tailnet }))
        .await;
    let viewer = overview.expect("overview").viewer;
    assert!(!viewer.sees_invites && !viewer.manages_invites);

    // The button is not even rendered for roles that cannot invite.
    let (status, _, html) = auditor.get_page(&format!("/admin/{tailnet}/users")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("Invite external users"));
    let it_admin_id = insert_member(&app, &tailnet, "ivan@example.com", "it_admin").await;
    let (_, _, html) = app
        .signed_in_as(&it_admin_id)
        .await
        .get_page(&format!("/admin/{tailnet}/users"))
        .await;
    assert!(html.contains("Invite external users"));
}

/// Who calls.
#[derive(Debug, Clone)]
enum Caller {
    Role(Role),
    SuspendedAdmin,
    Stranger,
}

async fn invite_functions_allow_exactly_the_roles_the_table_allows(backend: Backend) {
    let Some((app, _database, own)) = owner_app(backend).await else {
        return;
    };
    let owner = crate::invites::owner_actor(&app).await;
    // Another tailnet with its own Owner and invites.
    let name = app::fields::TailnetName::parse("Other Co").expect("name");
    let (other, _) =
        app::setup::server::create_tailnet(&app.db, &name, &app.settings, app::context::now())
            .await
            .expect("tailnet");
    let other_owner_id = insert_member(&app, &other, "olga@example.com", "owner").await;
    let other_owner = {
        let mut conn = app.db.acquire().await.expect("connection");
        app::audit::Actor::load(&mut conn, &other_owner_id, None)
            .await
            .expect("actor")
    };

    let mut callers: Vec<(Caller, TestApp)> = Vec::new();
    for (n, role) in Role::ALL.into_iter().enumerate() {
        let browser = if role == Role::Owner {
            app.other_browser_signed_in_as_owner().await
        } else {
            let id = insert_member(&app, &own, &format!("r{n}@example.com"), role.as_str()).await;
            app.signed_in_as(&id).await
        };
        callers.push((Caller::Role(role), browser));
    }
    let suspended = insert_member(&app, &own, "sus@example.com", "admin").await;
    sqlx::query("UPDATE memberships SET status = 'suspended' WHERE user_id = $1")
        .bind(suspended.as_str())
        .execute(&app.db)
        .await
        .expect("suspend");
    callers.push((Caller::SuspendedAdmin, app.signed_in_as(&suspended).await));
    callers.push((Caller::Stranger, app.other_browser()));

    let mut unexpected_allows = Vec::new();
    let mut unexpected_refusals = Vec::new();
    let mut checked = 0;
    let mut serial = 0;
    for (caller, browser) in &callers {
        for target_own in [true, false] {
            let (tailnet, actor) = if target_own {
                (&own, &owner)
            } else {
                (&other, &other_owner)
            };
            for function in [
                "invite_by_email",
                "create_invite_link",
                "resend_invite",
                "copy_invite_link",
                "delete_invite",
                "list_users",
            ] {
                serial += 1;
                // A fresh email invite, last sent two minutes ago, for the per-invite calls.
                let invite = fresh_invite(&app, tailnet, actor, serial).await;
                let body = match function {
                    "invite_by_email" => json!({ "invite": {
                        "tailnet": tailnet, "addresses": format!("new{serial}@example.com"), "role": "member" } }),
                    "create_invite_link" => json!({ "tailnet": tailnet, "role": "member" }),
                    "list_users" => json!({ "query": {
                        "tailnet": tailnet, "status": null, "role": null, "search": "", "page": "First" } }),
                    _ => json!({ "tailnet": tailnet, "invite": invite }),
                };
                let (status, _) = browser.call::<Value>(function, body).await;
                let permission = if function == "list_users" {
                    Permission::ViewMembers
                } else {
                    Permission::ManageInvites
                };
                let expected =
                    target_own && matches!(caller, Caller::Role(role) if role.can(permission));
                let allowed = status.is_success();
                checked += 1;
                if allowed && !expected {
                    unexpected_allows
                        .push(format!("{caller:?} {function} own={target_own} {status}"));
                }
                if !allowed && expected {
                    unexpected_refusals
                        .push(format!("{caller:?} {function} own={target_own} {status}"));
                }
                if !allowed {
                    let refused = [StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN];
                    assert!(refused.contains(&status), "{caller:?} {function}: {status}");
                }
            }
        }
    }
    assert_eq!(checked, callers.len() * 2 * 6);
    assert_eq!(
        unexpected_allows,
        Vec::<String>::new(),
        "0 unexpected allows"
    );
    assert_eq!(unexpected_refusals, Vec::<String>::new());

    // An admin of one tailnet cannot reach another tailnet's invite through their own.
    let foreign = fresh_invite(&app, &other, &other_owner, 9_999).await;
    for function in ["resend_invite", "copy_invite_link", "delete_invite"] {
        let (status, _) = app
            .call::<Value>(function, json!({ "tailnet": own, "invite": foreign }))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{function}");
    }
    let still_there: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM invites WHERE id = $1")
        .bind(foreign.as_str())
        .fetch_one(&app.db)
        .await
        .expect("count");
    assert_eq!(still_there, 1);
}

async fn fresh_invite(
    app: &TestApp,
    tailnet: &TailnetId,
    actor: &app::audit::Actor,
    serial: usize,
) -> InviteId {
    let address =
        app::fields::EmailAddress::parse(&format!("fresh{serial}@example.com")).expect("address");
    app::invites::server::invite_by_email(
        &app.db,
        &app.settings,
        (actor, app::context::Verification::Recent),
        tailnet,
        std::slice::from_ref(&address),
        Role::Member,
        app::context::now() - 120,
    )
    .await
    .expect("invite");
    let id: String = sqlx::query_scalar("SELECT id FROM invites WHERE email = $1")
        .bind(address.as_str())
        .fetch_one(&app.db)
        .await
        .expect("id");
    InviteId::from_raw(id)
}

impl TestApp {
    /// A second browser signed in as the Owner of this app's first tailnet.
    async fn other_browser_signed_in_as_owner(&self) -> TestApp {
        let owner = self.current_user().await.expect("owner").user_id;
        self.signed_in_as(&owner).await
    }
}

/// SQLite's plans for every kind of list query walk an index in the page's order: no table
/// scan, no sort. (PostgreSQL's plans depend on table statistics; the benchmark prints them.)
#[tokio::test]
async fn the_list_queries_walk_indexes_without_sorting() {
    let Some((app, _database, tailnet)) = owner_app(Backend::Sqlite).await else {
        return;
    };
    let now = app::context::now();
    seed::members(&app.db, &tailnet, &seed::plain_members(300, now, "m")).await;
    seed::invites(&app.db, &tailnet, &seed::plain_invites(300, now, "i")).await;
    let cursor = Cursor {
        at: now - 10_100,
        key: "m:zzz".into(),
    };
    let base = app::members::model::UserListQuery::first_page(tailnet.clone());
    let variants = [
        base.clone(),
        app::members::model::UserListQuery {
            status: Some(RowStatus::Invited),
            ..base.clone()
        },
        app::members::model::UserListQuery {
            status: Some(RowStatus::Idle),
            ..base.clone()
        },
        app::members::model::UserListQuery {
            status: Some(RowStatus::Suspended),
            ..base.clone()
        },
        app::members::model::UserListQuery {
            role: Some(Role::Admin),
            ..base.clone()
        },
        app::members::model::UserListQuery {
            page: app::paging::PageRequest::After(cursor.clone()),
            ..base.clone()
        },
        app::members::model::UserListQuery {
            page: app::paging::PageRequest::Before(cursor),
            ..base.clone()
        },
    ];
    for query in variants {
        for statement in [
            app::members::server::member_statement(&query, now),
            app::members::server::invite_statement(&query, now),
        ]
        .into_iter()
        .flatten()
        {
            let plan = statement.explain(&app.db).await.expect("plan").join("\n");
            assert!(!plan.contains("TEMP B-TREE"), "{query:?} sorts:\n{plan}");
            assert!(
                plan.contains("SEARCH m USING INDEX memberships_by_")
                    || plan.contains("SEARCH i USING INDEX invites_open_by_"),
                "{query:?} does not use an index:\n{plan}"
            );
            assert!(
                !plan.contains("SCAN m") && !plan.contains("SCAN i"),
                "{query:?}:\n{plan}"
            );
        }
    }
}
