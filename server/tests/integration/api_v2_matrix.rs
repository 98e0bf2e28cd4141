//! The API's authorisation matrix: every endpoint × every role of the token's creator, every
//! endpoint × an OAuth client's token with and without the endpoint's scope, and every
//! endpoint aimed at another tailnet's objects. A call is allowed exactly when the role holds
//! the endpoint's permission (the table the README shows) and, for a client, its scopes hold
//! the endpoint's scope and the endpoint is not for user-owned keys only; nothing of another
//! tailnet is ever found.

use app::delegation::{Scope, Scopes};
use app::ids::{TailnetId, UserId};
use app::roles::{Permission, Role};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::accept::other_tailnet;
use crate::api_v2::{Api, generate};
use crate::api_v2_oauth::{client_token, generate_client};
use crate::harness::{Backend, TestApp, insert_member, on_both_databases};

on_both_databases!(every_endpoint_allows_exactly_the_roles_that_hold_its_permission);

#[derive(Debug, Clone, Copy)]
enum Endpoint {
    ListUsers,
    GetUser,
    SetRole,
    Suspend,
    Restore,
    Approve,
    DeleteUser,
    ListInvites,
    CreateInvite,
    GetInvite,
    DeleteInvite,
    ResendInvite,
    GetSettings,
    PatchApproval,
    PatchJoinExternal,
    PatchNothing,
    AuditLog,
    ListKeys,
    CreateKey,
    GetKey,
    DeleteKey,
}

impl Endpoint {
    const ALL: [Endpoint; 21] = [
        Endpoint::ListUsers,
        Endpoint::GetUser,
        Endpoint::SetRole,
        Endpoint::Suspend,
        Endpoint::Restore,
        Endpoint::Approve,
        Endpoint::DeleteUser,
        Endpoint::ListInvites,
        Endpoint::CreateInvite,
        Endpoint::GetInvite,
        Endpoint::DeleteInvite,
        Endpoint::ResendInvite,
        Endpoint::GetSettings,
        Endpoint::PatchApproval,
        Endpoint::PatchJoinExternal,
        Endpoint::PatchNothing,
        Endpoint::AuditLog,
        Endpoint::ListKeys,
        Endpoint::CreateKey,
        Endpoint::GetKey,
        Endpoint::DeleteKey,
    ];

    fn permission(self) -> Permission {
        use Endpoint::*;
        match self {
            ListUsers | GetUser | GetSettings | PatchNothing => Permission::ViewMembers,
            SetRole | Suspend | Restore | DeleteUser => Permission::ManageUsers,
            Approve => Permission::ApproveUsers,
            ListInvites | GetInvite => Permission::ViewInvites,
            CreateInvite | DeleteInvite | ResendInvite => Permission::ManageInvites,
            PatchApproval => Permission::ManageUserApproval,
            PatchJoinExternal => Permission::ManageJoinExternalTailnets,
            AuditLog => Permission::ViewAuditLog,
            ListKeys | CreateKey | GetKey | DeleteKey => Permission::ManageApiTokens,
        }
    }
}

impl Endpoint {
    /// The scopes of which an OAuth client's token needs one; none for what only a person's
    /// token may do (user-invite writes, new API access tokens).
    fn scopes(self) -> &'static [Scope] {
        use Endpoint::*;
        match self {
            ListUsers | GetUser | ListInvites | GetInvite => &[Scope::UsersRead],
            SetRole | Suspend | Restore | Approve | DeleteUser => &[Scope::Users],
            CreateInvite | DeleteInvite | ResendInvite | CreateKey => &[],
            GetSettings | PatchNothing => &[Scope::FeatureSettingsRead],
            PatchApproval | PatchJoinExternal => &[Scope::FeatureSettings],
            AuditLog => &[Scope::LogsConfigurationRead],
            ListKeys => &[Scope::ApiAccessTokensRead, Scope::OauthKeysRead],
            GetKey => &[Scope::ApiAccessTokensRead],
            DeleteKey => &[Scope::ApiAccessTokens],
        }
    }

    /// Every scope that grants none of [`Self::scopes`]: a client as strong as possible
    /// without the endpoint's scope.
    fn all_scopes_but_its_own(self) -> Vec<Scope> {
        Scope::ALL
            .into_iter()
            .filter(|&held| {
                let held = Scopes::new(vec![held]);
                !self.scopes().iter().any(|&needed| held.grants(needed))
            })
            .collect()
    }
}

/// A tailnet with its Owner signed in to `app`.
struct Tailnet {
    app: TestApp,
    id: TailnetId,
    serial: std::cell::Cell<u32>,
}

impl Tailnet {
    fn next(&self) -> u32 {
        self.serial.set(self.serial.get() + 1);
        self.serial.get()
    }

    async fn api_id(&self, user: &UserId) -> i64 {
        sqlx::query_scalar("SELECT api_id FROM users WHERE id = $1")
            .bind(user.as_str())
            .fetch_one(&self.app.db)
            .await
            .expect("api id")
    }

    /// A fresh member in `status`, as the target of one call.
    async fn target(&self, status: &str) -> i64 {
        let n = self.next();
        let user = insert_member(&self.app, &self.id, &format!("t{n}@example.com"), "member").await;
        sqlx::query("UPDATE memberships SET status = $1 WHERE user_id = $2")
            .bind(status)
            .bind(user.as_str())
            .execute(&self.app.db)
            .await
            .expect("status");
        self.api_id(&user).await
    }

    /// A fresh open invite made by the Owner; `email` or a link.
    async fn invite(&self, email: bool) -> String {
        if !email {
            let (status, link) = self
                .app
                .call::<app::invites::model::InviteLink>(
                    "create_invite_link",
                    json!({ "tailnet": self.id, "role": "member" }),
                )
                .await;
            assert_eq!(status, StatusCode::OK);
            return link.expect("link").invite.to_string();
        }
        let address = format!("i{}@example.com", self.next());
        let (status, _) = self
            .app
            .call::<Value>(
                "invite_by_email",
                json!({ "invite": { "tailnet": self.id, "addresses": address, "role": "member" } }),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        // Sent long enough ago to be resent.
        sqlx::query(
            "UPDATE invites SET last_sent_at = last_sent_at - 3600 WHERE email = $1 RETURNING id",
        )
        .bind(&address)
        .fetch_one(&self.app.db)
        .await
        .map(|row| sqlx::Row::get::<String, _>(&row, 0))
        .expect("invite")
    }

    async fn key(&self) -> String {
        generate(&self.app, &self.id, 1).await.token.id
    }

    /// The request for `endpoint`, with fresh objects of this tailnet; `tailnet` is how the
    /// path names it.
    async fn request(&self, endpoint: Endpoint, tailnet: &str) -> (Method, String, Option<Value>) {
        use Endpoint::*;
        let t = tailnet;
        match endpoint {
            ListUsers => (Method::GET, format!("/tailnet/{t}/users"), None),
            GetUser => (
                Method::GET,
                format!("/users/{}", self.target("active").await),
                None,
            ),
            SetRole => (
                Method::POST,
                format!("/users/{}/role", self.target("active").await),
                Some(json!({ "role": "auditor" })),
            ),
            Suspend => (
                Method::POST,
                format!("/users/{}/suspend", self.target("active").await),
                None,
            ),
            Restore => (
                Method::POST,
                format!("/users/{}/restore", self.target("suspended").await),
                None,
            ),
            Approve => (
                Method::POST,
                format!("/users/{}/approve", self.target("needs_approval").await),
                None,
            ),
            DeleteUser => (
                Method::POST,
                format!("/users/{}/delete", self.target("active").await),
                None,
            ),
            ListInvites => (Method::GET, format!("/tailnet/{t}/user-invites"), None),
            CreateInvite => (
                Method::POST,
                format!("/tailnet/{t}/user-invites"),
                Some(json!([{}])),
            ),
            GetInvite => (
                Method::GET,
                format!("/user-invites/{}", self.invite(false).await),
                None,
            ),
            DeleteInvite => (
                Method::DELETE,
                format!("/user-invites/{}", self.invite(false).await),
                None,
            ),
            ResendInvite => (
                Method::POST,
                format!("/user-invites/{}/resend", self.invite(true).await),
                None,
            ),
            GetSettings => (Method::GET, format!("/tailnet/{t}/settings"), None),
            PatchApproval => (
                Method::PATCH,
                format!("/tailnet/{t}/settings"),
                Some(json!({ "usersApprovalOn": self.next().is_multiple_of(2) })),
            ),
            PatchJoinExternal => (
                Method::PATCH,
                format!("/tailnet/{t}/settings"),
                Some(json!({ "usersRoleAllowedToJoinExternalTailnets": "member" })),
            ),
            PatchNothing => (
                Method::PATCH,
                format!("/tailnet/{t}/settings"),
                Some(json!({ "devicesApprovalOn": true })),
            ),
            AuditLog => (
                Method::GET,
                format!(
                    "/tailnet/{t}/logging/configuration?start=2020-01-01T00:00:00Z&end=2100-01-01T00:00:00Z"
                ),
                None,
            ),
            ListKeys => (Method::GET, format!("/tailnet/{t}/keys"), None),
            CreateKey => (
                Method::POST,
                format!("/tailnet/{t}/keys"),
                Some(json!({ "keyType": "api", "expirySeconds": 86_400 })),
            ),
            GetKey => (
                Method::GET,
                format!("/tailnet/{t}/keys/{}", self.key().await),
                None,
            ),
            DeleteKey => (
                Method::DELETE,
                format!("/tailnet/{t}/keys/{}", self.key().await),
                None,
            ),
        }
    }
}

/// A token whose creator now has `role` (made while an Admin, as a demoted creator's is).
async fn token_with_role(tailnet: &Tailnet, role: Role) -> String {
    if role == Role::Owner {
        return generate(&tailnet.app, &tailnet.id, 30).await.secret;
    }
    let n = tailnet.next();
    let user = insert_member(
        &tailnet.app,
        &tailnet.id,
        &format!("r{n}@example.com"),
        "admin",
    )
    .await;
    let browser = tailnet.app.signed_in_as(&user).await;
    let secret = generate(&browser, &tailnet.id, 30).await.secret;
    sqlx::query("UPDATE memberships SET role = $1 WHERE user_id = $2")
        .bind(role.as_str())
        .bind(user.as_str())
        .execute(&tailnet.app.db)
        .await
        .expect("role");
    secret
}

async fn every_endpoint_allows_exactly_the_roles_that_hold_its_permission(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let id = app.home_tailnet().await;
    let tailnet = Tailnet {
        app: app.clone(),
        id,
        serial: std::cell::Cell::new(0),
    };
    let mut unexpected = Vec::new();
    for role in Role::ALL {
        let api = Api::new(&app, &token_with_role(&tailnet, role).await);
        for endpoint in Endpoint::ALL {
            let (method, path, body) = tailnet.request(endpoint, "-").await;
            let (status, answer) = api.send(method.clone(), &path, body).await;
            let allowed = role.can(endpoint.permission());
            let fine = if allowed {
                status.is_success()
            } else {
                status == StatusCode::FORBIDDEN
            };
            if !fine {
                unexpected.push(format!(
                    "{role:?} {endpoint:?} {method} {path}: {status} {answer}"
                ));
            }
        }
    }
    // OAuth clients made by the Owner (they act as an Admin), with and without the scope.
    for endpoint in Endpoint::ALL {
        let with_scope = if endpoint.scopes().is_empty() {
            Scope::ALL.to_vec()
        } else {
            endpoint.scopes().to_vec()
        };
        for (scopes, has_scope) in [
            (with_scope, !endpoint.scopes().is_empty()),
            (endpoint.all_scopes_but_its_own(), false),
        ] {
            let client = generate_client(&app, &tailnet.id, &scopes).await;
            let api = Api::new(&app, &client_token(&app, &client).await);
            let (method, path, body) = tailnet.request(endpoint, "-").await;
            let (status, answer) = api.send(method.clone(), &path, body).await;
            let allowed = has_scope && Role::Admin.can(endpoint.permission());
            let fine = if allowed {
                status.is_success()
            } else {
                status == StatusCode::FORBIDDEN
            };
            if !fine {
                unexpected.push(format!(
                    "OAuth {scopes:?} {endpoint:?} {method} {path}: {status} {answer}"
                ));
            }
        }
    }
    assert!(
        unexpected.is_empty(),
        "unexpected answers:\n{}",
        unexpected.join("\n")
    );

    // Another tailnet's objects, with the Owner's token: never found.
    let (other_id, other_people) = other_tailnet(&app, "Other Co", 1, "member").await;
    let other_api_id = tailnet.api_id(&other_people[0]).await;
    // An open invite of the other tailnet (its token does not matter here).
    let other_invite = "other-invite";
    sqlx::query(
        "INSERT INTO invites (id, tailnet_id, kind, email, role, token_hash, sealed_token, \
             created_at, expires_at) VALUES ($1, $2, 'link', NULL, 'member', 'h', 's', 0, $3)",
    )
    .bind(other_invite)
    .bind(other_id.as_str())
    .bind(app::context::now() + 3_600)
    .execute(&app.db)
    .await
    .expect("other invite");
    let owner = Api::new(&app, &generate(&app, &tailnet.id, 30).await.secret);
    let elsewhere = [
        (Method::GET, format!("/tailnet/{other_id}/users"), None),
        (
            Method::GET,
            format!("/tailnet/{other_id}/user-invites"),
            None,
        ),
        (Method::GET, format!("/tailnet/{other_id}/settings"), None),
        (Method::GET, format!("/tailnet/{other_id}/keys"), None),
        (Method::GET, format!("/users/{other_api_id}"), None),
        (Method::POST, format!("/users/{other_api_id}/suspend"), None),
        (
            Method::POST,
            format!("/users/{other_api_id}/role"),
            Some(json!({ "role": "auditor" })),
        ),
        (Method::GET, format!("/user-invites/{other_invite}"), None),
        (
            Method::DELETE,
            format!("/user-invites/{other_invite}"),
            None,
        ),
        (
            Method::POST,
            format!("/user-invites/{other_invite}/resend"),
            None,
        ),
    ];
    let every = generate_client(&app, &tailnet.id, &[Scope::All]).await;
    let client = Api::new(&app, &client_token(&app, &every).await);
    for (method, path, body) in elsewhere {
        let (status, _) = owner.send(method.clone(), &path, body.clone()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
        let (status, _) = client.send(method.clone(), &path, body).await;
        let expected = if path.starts_with("/user-invites/") && method != Method::GET {
            // Refused before anything is looked up: no client writes invites.
            StatusCode::FORBIDDEN
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(status, expected, "OAuth client: {method} {path}");
    }
}
