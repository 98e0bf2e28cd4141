//! Managing members from the Users page's row menu: the role rules, Transfer ownership,
//! suspending (access ends at once) and restoring, and removing.

use app::ids::{TailnetId, UserId};
use app::members::model::UsersOverview;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Backend, TestApp, TestDatabase, insert_member, on_both_databases};

on_both_databases!(
    roles_change_within_the_rules,
    the_owner_transfers_ownership_and_becomes_an_admin,
    a_suspended_member_loses_access_at_once_until_restored,
    a_removed_member_loses_access_and_keeps_their_account,
    export_users_downloads_the_filtered_list_for_the_roles_allowed,
);

struct Team {
    app: TestApp,
    _database: TestDatabase,
    tailnet: TailnetId,
    owner: UserId,
}

async fn team(backend: Backend) -> Option<Team> {
    let (app, database) = TestApp::spawn(backend).await?;
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let owner = app.current_user().await.expect("signed in").user_id;
    Some(Team {
        app,
        _database: database,
        tailnet,
        owner,
    })
}

impl Team {
    async fn member(&self, email: &str, role: &str) -> (UserId, TestApp) {
        let user = insert_member(&self.app, &self.tailnet, email, role).await;
        let browser = self.app.signed_in_as(&user).await;
        (user, browser)
    }

    async fn change(
        &self,
        browser: &TestApp,
        user: &UserId,
        change: Value,
    ) -> (StatusCode, String) {
        let (status, result) = browser
            .call::<()>(
                "manage_member",
                json!({ "tailnet": self.tailnet, "user": user, "change": change }),
            )
            .await;
        (
            status,
            result.err().map(|e| e.to_string()).unwrap_or_default(),
        )
    }

    async fn role_and_status(&self, user: &UserId) -> Option<(String, String)> {
        sqlx::query_as(
            "SELECT role, status FROM memberships WHERE tailnet_id = $1 AND user_id = $2",
        )
        .bind(self.tailnet.as_str())
        .bind(user.as_str())
        .fetch_optional(&self.app.db)
        .await
        .expect("membership")
    }

    async fn events(&self, name: &str) -> Vec<(String, Option<String>, Option<String>, String)> {
        sqlx::query_as(
            "SELECT target_id, old_value, new_value, event_group_id FROM audit_events \
             WHERE tailnet_id = $1 AND event_name = $2 ORDER BY event_time, id",
        )
        .bind(self.tailnet.as_str())
        .bind(name)
        .fetch_all(&self.app.db)
        .await
        .expect("events")
    }
}

async fn roles_change_within_the_rules(backend: Backend) {
    let Some(team) = team(backend).await else {
        return;
    };
    let (auditor, _) = team.member("aud@example.com", "auditor").await;
    let (admin, admin_browser) = team.member("adm@example.com", "admin").await;
    let (_, it_browser) = team.member("it@example.com", "it_admin").await;
    let (_, network_browser) = team.member("net@example.com", "network_admin").await;
    let owner = &team.app;

    // The Owner changes a role; the event has the old and new role.
    assert_eq!(
        team.change(owner, &auditor, json!({ "ChangeRole": "member" }))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        team.role_and_status(&auditor).await,
        Some(("member".into(), "active".into()))
    );
    let events = team.events("USER.UPDATE.USER_ROLE").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, auditor.to_string());
    assert_eq!(
        (events[0].1.as_deref(), events[0].2.as_deref()),
        (Some("auditor"), Some("member"))
    );

    // Refusals, each naming its rule and changing nothing.
    let refusals: [(&TestApp, &UserId, Value, StatusCode, &str); 7] = [
        (
            owner,
            &team.owner,
            json!({ "ChangeRole": "admin" }),
            StatusCode::FORBIDDEN,
            "your own role",
        ),
        (
            &admin_browser,
            &admin,
            json!({ "ChangeRole": "member" }),
            StatusCode::FORBIDDEN,
            "your own role",
        ),
        (
            owner,
            &auditor,
            json!({ "ChangeRole": "owner" }),
            StatusCode::FORBIDDEN,
            "Transfer ownership",
        ),
        (
            &admin_browser,
            &team.owner,
            json!({ "ChangeRole": "member" }),
            StatusCode::FORBIDDEN,
            "The Owner cannot",
        ),
        (
            &it_browser,
            &admin,
            json!({ "ChangeRole": "member" }),
            StatusCode::FORBIDDEN,
            "cannot change, suspend or remove an Admin",
        ),
        (
            &it_browser,
            &auditor,
            json!({ "ChangeRole": "admin" }),
            StatusCode::FORBIDDEN,
            "cannot make someone an Admin",
        ),
        (
            &network_browser,
            &auditor,
            json!({ "ChangeRole": "auditor" }),
            StatusCode::FORBIDDEN,
            "permission",
        ),
    ];
    for (browser, user, change, status, message) in refusals {
        let (got, text) = team.change(browser, user, change.clone()).await;
        assert_eq!(got, status, "{change}: {text}");
        assert!(text.contains(message), "{change}: {text}");
    }
    assert_eq!(
        team.role_and_status(&auditor).await,
        Some(("member".into(), "active".into()))
    );
    assert_eq!(
        team.role_and_status(&team.owner).await,
        Some(("owner".into(), "active".into()))
    );
    assert_eq!(team.events("USER.UPDATE.USER_ROLE").await.len(), 1);

    // An IT admin may change other roles; an Admin may make Admins.
    assert_eq!(
        team.change(
            &it_browser,
            &auditor,
            json!({ "ChangeRole": "billing_admin" })
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        team.change(&admin_browser, &auditor, json!({ "ChangeRole": "admin" }))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        team.role_and_status(&auditor).await,
        Some(("admin".into(), "active".into()))
    );
    // Someone who is not a member: 404.
    let stranger = UserId::generate();
    assert_eq!(
        team.change(owner, &stranger, json!("Suspend")).await.0,
        StatusCode::NOT_FOUND
    );
}

async fn the_owner_transfers_ownership_and_becomes_an_admin(backend: Backend) {
    let Some(team) = team(backend).await else {
        return;
    };
    let (bea, bea_browser) = team.member("bea@example.com", "admin").await;
    // Only the Owner may.
    let (status, text) = team
        .change(&bea_browser, &bea, json!("TransferOwnership"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
    let (status, _) = team
        .change(&team.app, &bea, json!("TransferOwnership"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        team.role_and_status(&bea).await,
        Some(("owner".into(), "active".into()))
    );
    assert_eq!(
        team.role_and_status(&team.owner).await,
        Some(("admin".into(), "active".into()))
    );
    let events = team.events("USER.UPDATE.USER_ROLE").await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].3, events[1].3, "one event group");
    // One Owner remains, and the former Owner now cannot change the new one.
    let owners: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM memberships WHERE tailnet_id = $1 AND role = 'owner'",
    )
    .bind(team.tailnet.as_str())
    .fetch_one(&team.app.db)
    .await
    .expect("owners");
    assert_eq!(owners, 1);
    let (status, _) = team.change(&team.app, &bea, json!("Remove")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn overview_status(browser: &TestApp, tailnet: &TailnetId) -> StatusCode {
    browser
        .call::<UsersOverview>("get_users_overview", json!({ "tailnet": tailnet }))
        .await
        .0
}

async fn a_suspended_member_loses_access_at_once_until_restored(backend: Backend) {
    let Some(team) = team(backend).await else {
        return;
    };
    let (carl, carl_browser) = team.member("carl@example.com", "auditor").await;
    assert_eq!(
        overview_status(&carl_browser, &team.tailnet).await,
        StatusCode::OK
    );
    assert_eq!(
        team.change(&team.app, &carl, json!("Suspend")).await.0,
        StatusCode::OK
    );
    // The same session, at once: refused.
    assert_eq!(
        overview_status(&carl_browser, &team.tailnet).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        team.role_and_status(&carl).await,
        Some(("auditor".into(), "suspended".into()))
    );
    // Suspending twice is refused; restoring gives access back with the same role.
    assert_eq!(
        team.change(&team.app, &carl, json!("Suspend")).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        team.change(&team.app, &carl, json!("Restore")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        overview_status(&carl_browser, &team.tailnet).await,
        StatusCode::OK
    );
    assert_eq!(team.events("USER.SUSPEND").await.len(), 1);
    assert_eq!(team.events("USER.RESTORE").await.len(), 1);
    // The Owner cannot be suspended.
    let (_, admin_browser) = team.member("adm@example.com", "admin").await;
    assert_eq!(
        team.change(&admin_browser, &team.owner, json!("Suspend"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}

async fn a_removed_member_loses_access_and_keeps_their_account(backend: Backend) {
    let Some(team) = team(backend).await else {
        return;
    };
    let (dana, dana_browser) = team.member("dana@example.com", "auditor").await;
    assert_eq!(
        team.change(&team.app, &dana, json!("Remove")).await.0,
        StatusCode::OK
    );
    assert_eq!(team.role_and_status(&dana).await, None);
    assert_eq!(
        overview_status(&dana_browser, &team.tailnet).await,
        StatusCode::FORBIDDEN
    );
    let accounts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE id = $1")
        .bind(dana.as_str())
        .fetch_one(&team.app.db)
        .await
        .expect("account");
    assert_eq!(accounts, 1);
    let events = team.events("USER.DELETE").await;
    assert_eq!(events.len(), 1);
    assert!(
        events[0]
            .1
            .as_deref()
            .is_some_and(|old| old.contains("auditor"))
    );
    // Removing again: 404.
    assert_eq!(
        team.change(&team.app, &dana, json!("Remove")).await.0,
        StatusCode::NOT_FOUND
    );
}

async fn export_users_downloads_the_filtered_list_for_the_roles_allowed(backend: Backend) {
    let Some(team) = team(backend).await else {
        return;
    };
    let (_, auditor) = team.member("aud@example.com", "auditor").await;
    let (_, billing) = team.member("bill@example.com", "billing_admin").await;
    let (_, member) = team.member("=cmd@example.com", "member").await;
    let (status, _) = team
        .app
        .call::<Value>(
            "invite_by_email",
            json!({ "invite": { "tailnet": team.tailnet, "addresses": "new@example.com", "role": "auditor" } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let path = |query: &str| format!("/admin/{}/users/export?{query}", team.tailnet);

    // The Owner: every member and the invite.
    let (status, headers, csv) = team.app.get_page(&path("")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        headers["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("attachment; filename=\"users-")
    );
    let lines: Vec<&str> = csv.split_terminator("\r\n").collect();
    assert_eq!(lines[0], app::members::export::USER_CSV_COLUMNS.join(","));
    assert_eq!(
        lines.len(),
        1 + 4 + 1,
        "a header, four members and one invite: {lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("invite,,new@example.com,Auditor,Invited,"))
    );
    // A name that a spreadsheet would run stays text.
    assert!(
        lines
            .iter()
            .any(|l| l.contains(",'=cmd@example.com,'=cmd@example.com,Member,"))
    );

    // The page's filters apply.
    let (_, _, auditors) = team.app.get_page(&path("role=auditor")).await;
    let auditors: Vec<&str> = auditors.split_terminator("\r\n").skip(1).collect();
    assert_eq!(
        auditors.len(),
        2,
        "the Auditor and the Auditor invite: {auditors:?}"
    );
    let (_, _, searched) = team.app.get_page(&path("status=active&search=bill")).await;
    assert_eq!(searched.split_terminator("\r\n").count(), 2);

    // An Auditor may export but never sees invites; Billing admins and Members may not.
    let (status, _, csv) = auditor.get_page(&path("")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!csv.contains("new@example.com"));
    assert_eq!(billing.get_page(&path("")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(member.get_page(&path("")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        team.app.other_browser().get_page(&path("")).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        team.app.get_page(&path("status=gone")).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}
