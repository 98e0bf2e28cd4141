//! Every server function, and what it writes to the audit log: a change writes exactly one
//! event group (in its own transaction), a refused or empty change writes nothing, and reading
//! writes nothing. The table must name every registered server function, so adding one
//! without deciding its audit event fails here.

use std::collections::BTreeSet;

use app::ids::{InviteId, TailnetId, UserId};
use app::invites::model::InviteLink;
use app::oidc::model::AddedOidcClient;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Backend, TestApp, insert_member, on_both_databases, token_of};
use crate::passkey::TestPasskey;

on_both_databases!(every_server_function_writes_one_event_group_per_change_and_none_otherwise);

/// What a successful call writes to the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writes {
    /// A change: exactly one event group (one or more events sharing a group id).
    OneGroup,
    /// A read, or a ceremony step that changes no configuration: nothing.
    Nothing,
}

/// Every server function of the app. A new one must be added here, with a scenario below.
const SERVER_FUNCTIONS: &[(&str, Writes)] = &[
    ("start_sign_in", Writes::Nothing),
    ("finish_sign_in", Writes::OneGroup),
    ("sign_out", Writes::OneGroup),
    ("current_user", Writes::Nothing),
    ("get_users_overview", Writes::Nothing),
    ("list_users", Writes::Nothing),
    ("approve_user", Writes::OneGroup),
    ("remove_waiting_user", Writes::OneGroup),
    ("manage_member", Writes::OneGroup),
    ("invite_by_email", Writes::OneGroup),
    ("create_invite_link", Writes::OneGroup),
    ("resend_invite", Writes::OneGroup),
    ("copy_invite_link", Writes::Nothing),
    ("delete_invite", Writes::OneGroup),
    ("inspect_invite", Writes::Nothing),
    ("send_email_code", Writes::Nothing),
    ("start_invite_sign_up", Writes::Nothing),
    ("finish_invite_sign_up", Writes::OneGroup),
    ("accept_invite", Writes::OneGroup),
    ("get_welcome", Writes::Nothing),
    ("client_download_url", Writes::Nothing),
    ("get_setup_link", Writes::Nothing),
    ("start_setup", Writes::Nothing),
    ("finish_setup", Writes::OneGroup),
    ("get_general_settings", Writes::Nothing),
    ("set_user_approval", Writes::OneGroup),
    ("set_join_external_tailnets", Writes::OneGroup),
    ("set_coordination_server_url", Writes::OneGroup),
    ("leave_tailnet", Writes::OneGroup),
    ("get_audit_log_overview", Writes::Nothing),
    ("list_audit_events", Writes::Nothing),
    ("get_account", Writes::Nothing),
    ("start_add_passkey", Writes::Nothing),
    ("finish_add_passkey", Writes::OneGroup),
    ("rename_passkey", Writes::OneGroup),
    ("delete_passkey", Writes::OneGroup),
    ("start_verify_passkey", Writes::Nothing),
    ("finish_verify_passkey", Writes::Nothing),
    ("sign_out_everywhere", Writes::OneGroup),
    ("issue_recovery_link", Writes::OneGroup),
    ("inspect_recovery_link", Writes::Nothing),
    ("start_recovery", Writes::Nothing),
    ("finish_recovery", Writes::OneGroup),
    ("list_oidc_clients", Writes::Nothing),
    ("add_oidc_client", Writes::OneGroup),
    ("regenerate_oidc_client_secret", Writes::OneGroup),
    ("delete_oidc_client", Writes::OneGroup),
    ("list_api_tokens", Writes::Nothing),
    ("generate_api_token", Writes::OneGroup),
    ("revoke_api_token", Writes::OneGroup),
    ("generate_oauth_client", Writes::OneGroup),
    ("revoke_oauth_client", Writes::OneGroup),
    // A person's own notification preference, not the tailnet's configuration.
    ("set_approval_emails", Writes::Nothing),
    ("list_webhooks", Writes::Nothing),
    ("add_webhook_endpoint", Writes::OneGroup),
    ("rotate_webhook_secret", Writes::OneGroup),
    // A test event changes no configuration; its delivery shows on the page.
    ("test_webhook_endpoint", Writes::Nothing),
    ("delete_webhook_endpoint", Writes::OneGroup),
    ("retry_webhook_delivery", Writes::OneGroup),
];

/// A tailnet without an Owner yet, and its setup link.
async fn new_tailnet(app: &TestApp, name: &str) -> (TailnetId, String) {
    app::setup::server::create_tailnet(
        &app.db,
        &app::fields::TailnetName::parse(name).expect("name"),
        &app.settings,
        app::context::now(),
    )
    .await
    .expect("tailnet")
}

/// The log's size: events and distinct event groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LogSize {
    events: i64,
    groups: i64,
}

impl LogSize {
    async fn of(app: &TestApp) -> Self {
        let (events, groups): (i64, i64) =
            sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT event_group_id) FROM audit_events")
                .fetch_one(&app.db)
                .await
                .expect("log size");
        Self { events, groups }
    }
}

/// The people and browsers the scenarios use, on one server.
struct Fixture {
    app: TestApp,
    tailnet: TailnetId,
    owner: UserId,
    owner_passkey: TestPasskey,
    member: TestApp,
    /// Which functions a scenario exercised.
    exercised: BTreeSet<&'static str>,
    /// Every invite and setup token and ceremony id handed out: none may reach the log.
    secrets: Vec<String>,
}

impl Fixture {
    fn writes(function: &str) -> Writes {
        SERVER_FUNCTIONS
            .iter()
            .find(|(name, _)| *name == function)
            .map(|(_, writes)| *writes)
            .unwrap_or_else(|| panic!("{function} is not in SERVER_FUNCTIONS"))
    }

    /// Runs `call`, whose answer should be a success or not as `succeeds` says, and checks the
    /// log grew by exactly what the table promises (nothing for a refusal).
    async fn check(
        &mut self,
        function: &'static str,
        succeeds: bool,
        call: impl Future<Output = StatusCode>,
    ) {
        let expected = if succeeds {
            Self::writes(function)
        } else {
            Writes::Nothing
        };
        self.check_writes(function, succeeds, expected, call).await;
    }

    /// A successful call that changes nothing (signing out twice, setting a value it has).
    async fn check_unchanged(
        &mut self,
        function: &'static str,
        call: impl Future<Output = StatusCode>,
    ) {
        self.check_writes(function, true, Writes::Nothing, call)
            .await;
    }

    async fn check_writes(
        &mut self,
        function: &'static str,
        succeeds: bool,
        expected: Writes,
        call: impl Future<Output = StatusCode>,
    ) {
        self.exercised.insert(function);
        let before = LogSize::of(&self.app).await;
        let status = call.await;
        assert_eq!(
            status.is_success(),
            succeeds,
            "{function}: unexpected status {status}"
        );
        let after = LogSize::of(&self.app).await;
        match expected {
            Writes::OneGroup => {
                assert_eq!(
                    after.groups - before.groups,
                    1,
                    "{function}: one event group"
                );
                assert!(after.events > before.events, "{function}: events written");
            }
            Writes::Nothing => {
                assert_eq!(
                    after, before,
                    "{function} (success: {succeeds}) wrote events"
                );
            }
        }
    }

    /// The Owner's call succeeds as the table says; the same call by a Member is refused.
    async fn owner_yes_member_no(&mut self, function: &'static str, body: Value) {
        let (owner, member) = (self.app.clone(), self.member.clone());
        self.check(function, true, Self::call(&owner, function, body.clone()))
            .await;
        self.check(function, false, Self::call(&member, function, body))
            .await;
    }

    fn stranger(&self) -> TestApp {
        self.app.other_browser()
    }

    async fn call(browser: &TestApp, function: &str, body: Value) -> StatusCode {
        browser.call::<Value>(function, body).await.0
    }

    async fn waiting_member(&self, email: &str) -> UserId {
        let user = insert_member(&self.app, &self.tailnet, email, "member").await;
        sqlx::query("UPDATE memberships SET status = 'needs_approval' WHERE user_id = $1")
            .bind(user.as_str())
            .execute(&self.app.db)
            .await
            .expect("waiting");
        user
    }

    async fn email_invite(&self, email: &str) -> InviteId {
        let (status, _) = self
            .app
            .call::<Value>(
                "invite_by_email",
                json!({ "invite": { "tailnet": self.tailnet, "addresses": email, "role": "member" } }),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let id: String = sqlx::query_scalar("SELECT id FROM invites WHERE email = $1")
            .bind(email)
            .fetch_one(&self.app.db)
            .await
            .expect("invite");
        InviteId::from_raw(id)
    }

    async fn link_token(&mut self) -> String {
        let (_, link) = self
            .app
            .call::<InviteLink>(
                "create_invite_link",
                json!({ "tailnet": self.tailnet, "role": "member" }),
            )
            .await;
        let token = token_of(&link.expect("link").url);
        self.secrets.push(token.clone());
        token
    }

    /// "Add OIDC client" as the Owner sends it.
    fn oidc_client_body(&self) -> Value {
        json!({ "client": {
            "tailnet": self.tailnet,
            "name": "Headscale",
            "callback_urls": "https://headscale.example.com/oidc/callback",
            "public": false,
            "require_pkce": false,
            "allowed_roles": ["owner", "admin", "network_admin", "it_admin", "billing_admin", "auditor", "member"],
        }})
    }

    /// An OIDC client the Owner added; returns its id (its secret joins `secrets`).
    async fn oidc_client(&mut self) -> String {
        let (_, added) = self
            .app
            .call::<AddedOidcClient>("add_oidc_client", self.oidc_client_body())
            .await;
        let added = added.expect("added");
        self.secrets.extend(added.secret);
        added.client.id
    }

    /// "Add endpoint" as the Owner sends it: a public address written as such, so nothing
    /// needs resolving.
    fn webhook_body(&self) -> Value {
        json!({ "endpoint": {
            "tailnet": self.tailnet,
            "url": "https://93.184.215.14/hook",
            "provider": "",
            "subscriptions": ["userNeedsApproval"],
        }})
    }

    /// An endpoint the Owner added; returns its id (its secret joins `secrets`).
    async fn webhook(&mut self) -> String {
        let (_, added) = self
            .app
            .call::<app::webhooks::model::EndpointSecret>(
                "add_webhook_endpoint",
                self.webhook_body(),
            )
            .await;
        let added = added.expect("added");
        self.secrets.push(added.secret);
        added.endpoint.id
    }

    /// A recovery link the Owner issued for a new member; returns its token.
    async fn recovery_token(&mut self) -> String {
        let email = format!("lost{}@example.com", self.secrets.len());
        let user = insert_member(&self.app, &self.tailnet, &email, "member").await;
        let (_, issued) = crate::recovery::issue(&self.app, &self.tailnet, &user).await;
        let token = token_of(issued.expect("issued").link.as_deref().expect("shown"));
        self.secrets.push(token.clone());
        token
    }

    /// A challenge to register a passkey, started by `function` in `browser`.
    async fn start_ceremony(
        browser: &TestApp,
        function: &str,
        body: Value,
    ) -> app::auth::model::PasskeyChallenge<webauthn_rs_proto::CreationChallengeResponse> {
        let (status, challenge) = browser
            .call::<app::auth::model::PasskeyChallenge<webauthn_rs_proto::CreationChallengeResponse>>(
                function, body,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{function}: {challenge:?}");
        challenge.expect("challenge")
    }

    /// Finishes a registration ceremony with a new passkey.
    async fn finish_ceremony(
        browser: &TestApp,
        function: &str,
        challenge: app::auth::model::PasskeyChallenge<webauthn_rs_proto::CreationChallengeResponse>,
    ) -> StatusCode {
        let mut passkey = TestPasskey::new(&browser.public_origin);
        let credential = passkey.register(challenge.options);
        Self::call(
            browser,
            function,
            json!({ "ceremony": challenge.ceremony, "credential": credential }),
        )
        .await
    }

    async fn scenario(&mut self, function: &'static str) {
        let t = self.tailnet.clone();
        let app = self.app.clone();
        let member = self.member.clone();
        let call = Self::call;
        match function {
            "start_sign_in" => {
                let stranger = self.stranger();
                self.check(function, true, call(&stranger, function, json!({})))
                    .await;
            }
            "finish_sign_in" => {
                let browser = self.stranger();
                let body = browser.signed_sign_in(&mut self.owner_passkey).await;
                self.check(function, true, call(&browser, function, body.clone()))
                    .await;
                // The same signed challenge again: the ceremony is used up.
                self.check(function, false, call(&browser, function, body))
                    .await;
            }
            "sign_out" => {
                let browser = app.signed_in_as(&self.owner).await;
                self.check(function, true, call(&browser, function, json!({})))
                    .await;
                self.check_unchanged(function, call(&browser, function, json!({})))
                    .await;
            }
            "current_user" => {
                self.check(function, true, call(&member, function, json!({})))
                    .await;
            }
            "get_users_overview" | "get_general_settings" | "get_audit_log_overview" => {
                let body = json!({ "tailnet": t });
                self.owner_yes_member_no(function, body).await;
            }
            "list_users" => {
                let body = json!({ "query": {
                    "tailnet": t, "status": null, "role": null, "search": "", "page": "First"
                } });
                self.owner_yes_member_no(function, body).await;
            }
            "list_audit_events" => {
                let body = json!({ "query": {
                    "tailnet": t,
                    "filters": { "from": null, "until": null, "actor": "", "event": null, "target": "" },
                    "page": "First"
                } });
                self.owner_yes_member_no(function, body).await;
            }
            "approve_user" => {
                let waiting = self.waiting_member("wait1@example.com").await;
                let body = |role: Value| json!({ "tailnet": t, "user": waiting, "role": role });
                self.check(function, false, call(&member, function, body(json!(null))))
                    .await;
                self.check(function, false, call(&app, function, body(json!("owner"))))
                    .await;
                self.check(function, true, call(&app, function, body(json!("auditor"))))
                    .await;
                self.check(function, false, call(&app, function, body(json!(null))))
                    .await;
            }
            "remove_waiting_user" => {
                let waiting = self.waiting_member("wait2@example.com").await;
                let body = json!({ "tailnet": t, "user": waiting });
                self.check(function, false, call(&member, function, body.clone()))
                    .await;
                self.check(function, true, call(&app, function, body.clone()))
                    .await;
                self.check(function, false, call(&app, function, body))
                    .await;
            }
            "manage_member" => {
                let user = insert_member(&app, &t, "managed@example.com", "auditor").await;
                let body = |change: Value| json!({ "tailnet": t, "user": user, "change": change });
                self.check(
                    function,
                    false,
                    call(&member, function, body(json!("Suspend"))),
                )
                .await;
                self.check(
                    function,
                    true,
                    call(&app, function, body(json!({ "ChangeRole": "member" }))),
                )
                .await;
                self.check_unchanged(
                    function,
                    call(&app, function, body(json!({ "ChangeRole": "member" }))),
                )
                .await;
                // The Owner cannot change their own role.
                let own = json!({ "tailnet": t, "user": self.owner, "change": { "ChangeRole": "admin" } });
                self.check(function, false, call(&app, function, own)).await;
                self.check(function, true, call(&app, function, body(json!("Suspend"))))
                    .await;
                self.check(
                    function,
                    false,
                    call(&app, function, body(json!("Suspend"))),
                )
                .await;
                self.check(function, true, call(&app, function, body(json!("Restore"))))
                    .await;
                self.check(function, true, call(&app, function, body(json!("Remove"))))
                    .await;
                self.check(function, false, call(&app, function, body(json!("Remove"))))
                    .await;
            }
            "invite_by_email" => {
                let body = |addresses: &str| json!({ "invite": { "tailnet": t, "addresses": addresses, "role": "member" } });
                self.check(
                    function,
                    true,
                    call(&app, function, body("one@example.com, two@example.com")),
                )
                .await;
                // A bad batch is refused whole, after the good address was looked at.
                self.check(
                    function,
                    false,
                    call(&app, function, body("three@example.com, not-an-address")),
                )
                .await;
                self.check(
                    function,
                    false,
                    call(&member, function, body("four@example.com")),
                )
                .await;
            }
            "create_invite_link" => {
                let body = json!({ "tailnet": t, "role": "member" });
                self.owner_yes_member_no(function, body).await;
            }
            "resend_invite" => {
                let invite = self.email_invite("resend@example.com").await;
                sqlx::query("UPDATE invites SET last_sent_at = last_sent_at - 120 WHERE id = $1")
                    .bind(invite.as_str())
                    .execute(&app.db)
                    .await
                    .expect("a minute ago");
                let body = json!({ "tailnet": t, "invite": invite });
                self.check(function, true, call(&app, function, body.clone()))
                    .await;
                // Again within the minute: 429.
                self.check(function, false, call(&app, function, body))
                    .await;
            }
            "copy_invite_link" => {
                let invite = self.email_invite("copy@example.com").await;
                let body = json!({ "tailnet": t, "invite": invite });
                self.owner_yes_member_no(function, body).await;
            }
            "delete_invite" => {
                let invite = self.email_invite("delete@example.com").await;
                let body = json!({ "tailnet": t, "invite": invite });
                self.check(function, false, call(&member, function, body.clone()))
                    .await;
                self.check(function, true, call(&app, function, body.clone()))
                    .await;
                self.check(function, false, call(&app, function, body))
                    .await;
            }
            "inspect_invite" => {
                let token = self.link_token().await;
                let stranger = self.stranger();
                self.check(
                    function,
                    true,
                    call(&stranger, function, json!({ "token": token })),
                )
                .await;
                self.check(
                    function,
                    false,
                    call(&stranger, function, json!({ "token": "nope" })),
                )
                .await;
            }
            // Without SMTP there is no code to send (its success, which writes no event either,
            // is in `email_codes`).
            "send_email_code" => {
                let token = self.link_token().await;
                let stranger = self.stranger();
                let body = |token: &str| json!({ "token": token, "form": { "display_name": "Sam", "email": "sam@example.com" } });
                self.check(function, false, call(&stranger, function, body(&token)))
                    .await;
                self.check(function, false, call(&stranger, function, body("nope")))
                    .await;
            }
            "start_invite_sign_up" => {
                let token = self.link_token().await;
                let stranger = self.stranger();
                let body = |name: &str| json!({ "token": token, "form": { "display_name": name, "email": "sam@example.com" } });
                self.check(function, true, call(&stranger, function, body("Sam")))
                    .await;
                self.check(function, false, call(&stranger, function, body("  ")))
                    .await;
            }
            "finish_invite_sign_up" => {
                let token = self.link_token().await;
                let (first, second) = (self.stranger(), self.stranger());
                let start = |email: &str| json!({ "token": token, "form": { "display_name": "Nia", "email": email } });
                let a =
                    Self::start_ceremony(&first, "start_invite_sign_up", start("nia@example.com"))
                        .await;
                let b =
                    Self::start_ceremony(&second, "start_invite_sign_up", start("noa@example.com"))
                        .await;
                self.check(function, true, Self::finish_ceremony(&first, function, a))
                    .await;
                // The link is used now: the second sign-up is refused and rolled back.
                self.check(function, false, Self::finish_ceremony(&second, function, b))
                    .await;
            }
            "accept_invite" | "get_welcome" => {
                if self.exercised.contains("accept_invite") {
                    return;
                }
                // Bob is an Admin of another tailnet; Admins may join external tailnets.
                let (home, _) = new_tailnet(&app, "Second").await;
                let bob = insert_member(&app, &home, "bob@second.example", "admin").await;
                let bob = app.signed_in_as(&bob).await;
                let token = self.link_token().await;
                self.check(
                    "get_welcome",
                    false,
                    call(&bob, "get_welcome", json!({ "tailnet": t })),
                )
                .await;
                self.check(
                    "accept_invite",
                    true,
                    call(&bob, "accept_invite", json!({ "token": token })),
                )
                .await;
                self.check(
                    "accept_invite",
                    false,
                    call(&bob, "accept_invite", json!({ "token": token })),
                )
                .await;
                self.check(
                    "get_welcome",
                    true,
                    call(&bob, "get_welcome", json!({ "tailnet": t })),
                )
                .await;
            }
            "client_download_url" => {
                let stranger = self.stranger();
                self.check(function, true, call(&stranger, function, json!({})))
                    .await;
            }
            "get_setup_link" | "start_setup" | "finish_setup" => {
                if self.exercised.contains("finish_setup") {
                    return;
                }
                let (_, link) = new_tailnet(&app, "Third").await;
                let token = token_of(&link);
                self.secrets.push(token.clone());
                let (first, second) = (self.stranger(), self.stranger());
                self.check(
                    "get_setup_link",
                    true,
                    call(&first, "get_setup_link", json!({ "token": token })),
                )
                .await;
                self.check(
                    "get_setup_link",
                    false,
                    call(&first, "get_setup_link", json!({ "token": "nope" })),
                )
                .await;
                let form = |email: &str| {
                    json!({ "token": token, "form": {
                        "tailnet_name": "Third", "display_name": "Tia", "email": email
                    } })
                };
                self.check(
                    "start_setup",
                    false,
                    call(
                        &first,
                        "start_setup",
                        json!({ "token": token, "form": {
                        "tailnet_name": "", "display_name": "Tia", "email": "tia@example.com"
                    } }),
                    ),
                )
                .await;
                self.exercised.insert("start_setup");
                let a = Self::start_ceremony(&first, "start_setup", form("tia@example.com")).await;
                let b = Self::start_ceremony(&second, "start_setup", form("teo@example.com")).await;
                self.check(
                    "finish_setup",
                    true,
                    Self::finish_ceremony(&first, "finish_setup", a),
                )
                .await;
                // The setup link is used now: the second Owner is refused and rolled back.
                self.check(
                    "finish_setup",
                    false,
                    Self::finish_ceremony(&second, "finish_setup", b),
                )
                .await;
            }
            "leave_tailnet" => {
                let (home, _) = new_tailnet(&app, "Fourth").await;
                let lea = insert_member(&app, &home, "lea@fourth.example", "admin").await;
                crate::leave::join(&app, &t, &lea, "member").await;
                let lea = app.signed_in_as(&lea).await;
                self.check(
                    function,
                    false,
                    call(&lea, function, json!({ "tailnet": home })),
                )
                .await;
                self.check(
                    function,
                    true,
                    call(&lea, function, json!({ "tailnet": t })),
                )
                .await;
                self.check(
                    function,
                    false,
                    call(&lea, function, json!({ "tailnet": t })),
                )
                .await;
            }
            "set_user_approval" => {
                let body = |enabled: bool| json!({ "tailnet": t, "enabled": enabled });
                self.check(function, false, call(&member, function, body(true)))
                    .await;
                self.check(function, true, call(&app, function, body(true)))
                    .await;
                self.check_unchanged(function, call(&app, function, body(true)))
                    .await;
                self.check(function, true, call(&app, function, body(false)))
                    .await;
            }
            "set_join_external_tailnets" => {
                let body = json!({ "tailnet": t, "roles": ["owner", "admin", "member"] });
                self.check(function, false, call(&member, function, body.clone()))
                    .await;
                self.check(function, true, call(&app, function, body.clone()))
                    .await;
                self.check_unchanged(function, call(&app, function, body))
                    .await;
            }
            "set_coordination_server_url" => {
                let body = json!({ "tailnet": t, "url": "https://hs.example.com" });
                self.check(function, false, call(&member, function, body.clone()))
                    .await;
                let bad = json!({ "tailnet": t, "url": "hs.example.com" });
                self.check(function, false, call(&app, function, bad)).await;
                self.check(function, true, call(&app, function, body.clone()))
                    .await;
                self.check_unchanged(function, call(&app, function, body))
                    .await;
            }
            "get_account" | "start_add_passkey" | "start_verify_passkey" => {
                self.check(function, true, call(&app, function, json!({})))
                    .await;
                let stranger = self.stranger();
                self.check(function, false, call(&stranger, function, json!({})))
                    .await;
            }
            "set_approval_emails" => {
                self.check(function, true, call(&app, function, json!({ "on": false })))
                    .await;
                let stranger = self.stranger();
                let body = json!({ "on": true });
                self.check(function, false, call(&stranger, function, body))
                    .await;
            }
            "finish_add_passkey" => {
                let challenge = Self::start_ceremony(&app, "start_add_passkey", json!({})).await;
                let mut passkey = TestPasskey::new(&app.public_origin);
                let credential = passkey.register(challenge.options);
                let body = json!({ "ceremony": challenge.ceremony, "credential": credential, "name": "Spare" });
                self.check(function, true, call(&app, function, body.clone()))
                    .await;
                self.check(function, false, call(&app, function, body))
                    .await;
            }
            "rename_passkey" | "delete_passkey" => {
                let (_, passkey) = crate::account_passkeys::add_passkey(&app, "Another").await;
                let rename = |name: &str| json!({ "passkey": passkey, "name": name });
                if function == "rename_passkey" {
                    self.check(function, false, call(&member, function, rename("Mine")))
                        .await;
                    self.check(function, false, call(&app, function, rename(" ")))
                        .await;
                    self.check(function, true, call(&app, function, rename("Renamed")))
                        .await;
                    self.check_unchanged(function, call(&app, function, rename("Renamed")))
                        .await;
                } else {
                    let body = json!({ "passkey": passkey });
                    self.check(function, false, call(&member, function, body.clone()))
                        .await;
                    self.check(function, true, call(&app, function, body.clone()))
                        .await;
                    self.check(function, false, call(&app, function, body))
                        .await;
                }
            }
            "finish_verify_passkey" => {
                let (_, started) =
                    app.call::<app::auth::model::PasskeyChallenge<
                        webauthn_rs_proto::RequestChallengeResponse,
                    >>("start_verify_passkey", json!({}))
                        .await;
                let challenge = started.expect("challenge");
                self.secrets.push(challenge.ceremony.clone());
                let credential = self.owner_passkey.confirm(challenge.options);
                let body = json!({ "ceremony": challenge.ceremony, "credential": credential });
                self.check(function, true, call(&app, function, body.clone()))
                    .await;
                self.check(function, false, call(&app, function, body))
                    .await;
            }
            "sign_out_everywhere" => {
                let sol = insert_member(&app, &t, "sol@example.com", "member").await;
                let browser = app.signed_in_as(&sol).await;
                self.check(function, true, call(&browser, function, json!({})))
                    .await;
                self.check(function, false, call(&browser, function, json!({})))
                    .await;
            }
            "issue_recovery_link" => {
                let ren = insert_member(&app, &t, "ren@example.com", "member").await;
                let body = json!({ "tailnet": t, "user": ren });
                self.check(function, false, call(&member, function, body.clone()))
                    .await;
                self.check(function, true, call(&app, function, body)).await;
                let own = json!({ "tailnet": t, "user": self.owner });
                self.check(function, false, call(&app, function, own)).await;
            }
            "list_oidc_clients" => {
                let body = json!({ "tailnet": t });
                self.check(function, true, call(&app, function, body.clone()))
                    .await;
                self.check(function, false, call(&member, function, body))
                    .await;
            }
            "add_oidc_client" => {
                let body = self.oidc_client_body();
                self.check(function, false, call(&member, function, body.clone()))
                    .await;
                let mut secret = None;
                let adding = async {
                    let (status, added) = app.call::<AddedOidcClient>(function, body).await;
                    secret = added.ok().and_then(|added| added.secret);
                    status
                };
                self.check(function, true, adding).await;
                self.secrets.extend(secret);
            }
            "list_api_tokens" => {
                let body = json!({ "tailnet": t });
                self.check(function, true, call(&app, function, body.clone()))
                    .await;
                self.check(function, false, call(&member, function, body))
                    .await;
            }
            "generate_api_token" => {
                let body =
                    json!({ "token": { "tailnet": t, "description": "ci", "expiry_days": 7 } });
                self.check(function, false, call(&member, function, body.clone()))
                    .await;
                let bad =
                    json!({ "token": { "tailnet": t, "description": "ci", "expiry_days": 0 } });
                self.check(function, false, call(&app, function, bad)).await;
                let mut secret = None;
                let generating = async {
                    let (status, made) = app
                        .call::<app::tailscale_api::model::GeneratedApiToken>(function, body)
                        .await;
                    secret = made.ok().map(|made| made.secret);
                    status
                };
                self.check(function, true, generating).await;
                self.secrets.extend(secret);
            }
            "revoke_api_token" => {
                let (_, made) = app
                    .call::<app::tailscale_api::model::GeneratedApiToken>(
                        "generate_api_token",
                        json!({ "token": { "tailnet": t, "description": "ci", "expiry_days": 7 } }),
                    )
                    .await;
                let made = made.expect("generated");
                self.secrets.push(made.secret);
                let body = json!({ "tailnet": t, "token": made.token.id });
                self.check(function, false, call(&member, function, body.clone()))
                    .await;
                self.check(function, true, call(&app, function, body.clone()))
                    .await;
                self.check(function, false, call(&app, function, body))
                    .await;
            }
            "generate_oauth_client" => {
                let body = json!({ "client": { "tailnet": t, "description": "ci", "scopes": ["users:read"] } });
                self.check(function, false, call(&member, function, body.clone()))
                    .await;
                let bad = json!({ "client": { "tailnet": t, "description": "ci", "scopes": [] } });
                self.check(function, false, call(&app, function, bad)).await;
                let mut secret = None;
                let generating = async {
                    let (status, made) = app
                        .call::<app::tailscale_api::model::GeneratedOauthClient>(function, body)
                        .await;
                    secret = made.ok().map(|made| made.secret);
                    status
                };
                self.check(function, true, generating).await;
                self.secrets.extend(secret);
            }
            "revoke_oauth_client" => {
                let (_, made) = app
                    .call::<app::tailscale_api::model::GeneratedOauthClient>(
                        "generate_oauth_client",
                        json!({ "client": { "tailnet": t, "description": "ci", "scopes": ["users:read"] } }),
                    )
                    .await;
                let made = made.expect("generated");
                self.secrets.push(made.secret);
                let body = json!({ "tailnet": t, "client": made.client.id });
                self.check(function, false, call(&member, function, body.clone()))
                    .await;
                self.check(function, true, call(&app, function, body.clone()))
                    .await;
                self.check(function, false, call(&app, function, body))
                    .await;
            }
            "list_webhooks" => {
                let body = json!({ "tailnet": t });
                self.check(function, true, call(&app, function, body.clone()))
                    .await;
                self.check(function, false, call(&member, function, body))
                    .await;
            }
            "add_webhook_endpoint" => {
                let body = self.webhook_body();
                self.check(function, false, call(&member, function, body.clone()))
                    .await;
                let private = json!({ "endpoint": {
                    "tailnet": t, "url": "https://10.0.0.1/hook", "provider": "",
                    "subscriptions": ["userNeedsApproval"],
                }});
                self.check(function, false, call(&app, function, private))
                    .await;
                let mut secret = None;
                let adding = async {
                    let (status, added) = app
                        .call::<app::webhooks::model::EndpointSecret>(function, body)
                        .await;
                    secret = added.ok().map(|added| added.secret);
                    status
                };
                self.check(function, true, adding).await;
                self.secrets.extend(secret);
            }
            "rotate_webhook_secret" | "test_webhook_endpoint" | "delete_webhook_endpoint" => {
                let endpoint = self.webhook().await;
                let body = json!({ "tailnet": t, "endpoint": endpoint });
                self.check(function, false, call(&member, function, body.clone()))
                    .await;
                let mut secret = None;
                let changing = async {
                    let (status, answer) = app.call::<Value>(function, body.clone()).await;
                    secret = answer
                        .ok()
                        .and_then(|v| v.get("secret").and_then(Value::as_str).map(str::to_owned));
                    status
                };
                self.check(function, true, changing).await;
                self.secrets.extend(secret);
                if function == "delete_webhook_endpoint" {
                    self.check(function, false, call(&app, function, body))
                        .await;
                }
            }
            "retry_webhook_delivery" => {
                let endpoint = self.webhook().await;
                let body = json!({ "tailnet": t, "endpoint": endpoint });
                let (status, _) = app.call::<Value>("test_webhook_endpoint", body).await;
                assert_eq!(status, StatusCode::OK);
                let delivery: String = sqlx::query_scalar(
                    "UPDATE webhook_deliveries SET state = 'failed' WHERE endpoint_id = $1 \
                     RETURNING id",
                )
                .bind(&endpoint)
                .fetch_one(&app.db)
                .await
                .expect("a delivery given up");
                let body = json!({ "tailnet": t, "delivery": delivery });
                self.check(function, false, call(&member, function, body.clone()))
                    .await;
                self.check(function, true, call(&app, function, body.clone()))
                    .await;
                self.check(function, false, call(&app, function, body))
                    .await;
            }
            "regenerate_oidc_client_secret" | "delete_oidc_client" => {
                let client = self.oidc_client().await;
                let body = json!({ "tailnet": t, "client": client });
                self.check(function, false, call(&member, function, body.clone()))
                    .await;
                let mut secret = None;
                let changing = async {
                    let (status, answer) = app.call::<Value>(function, body.clone()).await;
                    secret = answer.ok().and_then(|v| v.as_str().map(str::to_owned));
                    status
                };
                self.check(function, true, changing).await;
                self.secrets.extend(secret);
                if function == "delete_oidc_client" {
                    self.check(function, false, call(&app, function, body))
                        .await;
                }
            }
            "inspect_recovery_link" | "start_recovery" | "finish_recovery" => {
                let token = self.recovery_token().await;
                let stranger = self.stranger();
                let body = json!({ "token": token });
                if function == "finish_recovery" {
                    let challenge = Self::start_ceremony(&stranger, "start_recovery", body).await;
                    self.secrets.push(challenge.ceremony.clone());
                    let mut passkey = TestPasskey::new(&app.public_origin);
                    let credential = passkey.register(challenge.options);
                    let finish =
                        json!({ "ceremony": challenge.ceremony, "credential": credential });
                    self.check(function, true, call(&stranger, function, finish.clone()))
                        .await;
                    self.check(function, false, call(&stranger, function, finish))
                        .await;
                } else {
                    self.check(function, true, call(&stranger, function, body))
                        .await;
                    let unknown = json!({ "token": "x".repeat(43) });
                    self.check(function, false, call(&stranger, function, unknown))
                        .await;
                }
            }
            other => panic!(
                "{other} has no audit scenario: add one to audit_coverage.rs, with the event \
                 group it writes on success and none on failure"
            ),
        }
    }
}

async fn every_server_function_writes_one_event_group_per_change_and_none_otherwise(
    backend: Backend,
) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_owned())
        .collect();
    let listed: BTreeSet<String> = SERVER_FUNCTIONS
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .collect();
    assert!(
        registered.len() > 20,
        "server functions are registered: {registered:?}"
    );
    assert_eq!(
        registered.difference(&listed).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "server functions missing from SERVER_FUNCTIONS: decide what each writes to the audit log"
    );
    assert_eq!(
        listed.difference(&registered).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "SERVER_FUNCTIONS names functions that no longer exist"
    );

    let (owner_passkey, _) = app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let owner = app.current_user().await.expect("signed in").user_id;
    let member_id = insert_member(&app, &tailnet, "mia@example.com", "member").await;
    let member = app.signed_in_as(&member_id).await;
    let mut fixture = Fixture {
        app,
        tailnet,
        owner,
        owner_passkey,
        member,
        exercised: BTreeSet::new(),
        secrets: Vec::new(),
    };
    for (function, _) in SERVER_FUNCTIONS {
        fixture.scenario(function).await;
    }
    let unexercised: Vec<&&str> = SERVER_FUNCTIONS
        .iter()
        .map(|(name, _)| name)
        .filter(|name| !fixture.exercised.contains(**name))
        .collect();
    assert!(
        unexercised.is_empty(),
        "no scenario ran for {unexercised:?}"
    );

    // No event holds a token, a ceremony id or a link that carries one.
    let logged: Vec<String> = sqlx::query_scalar(
        "SELECT COALESCE(old_value, '') || ' ' || COALESCE(new_value, '') || ' ' || target_id \
             || ' ' || COALESCE(target_name, '') FROM audit_events",
    )
    .fetch_all(&fixture.app.db)
    .await
    .expect("events");
    assert!(fixture.secrets.len() >= 5, "secrets were collected");
    for text in &logged {
        for secret in &fixture.secrets {
            assert!(
                !text.contains(secret.as_str()),
                "a secret reached the log: {text}"
            );
        }
        for path in ["/invite/", "/setup/", "/recover/"] {
            assert!(!text.contains(path), "a link reached the log: {text}");
        }
    }
}
