//! OAuth clients of the API v2: generated on the "Keys" page (secret shown once, stored
//! hashed, audited), exchanged at `/api/v2/oauth/token` in each style clients use, their
//! one-hour tokens held to their scopes and to the role of the person who made the client,
//! refused on user-invite writes, and stopped at once by expiry or revocation.

use app::delegation::Scope;
use app::tailscale_api::model::{GeneratedOauthClient, KeysPage};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api_v2::{Api, generate};
use crate::harness::{Backend, TestApp, insert_member, on_both_databases};

on_both_databases!(
    a_client_secret_is_shown_once_and_exchanged_in_every_client_style,
    a_client_token_does_only_what_its_scopes_and_role_allow,
    expired_tokens_and_revoked_clients_stop_at_once,
    calls_are_limited_per_access_token_and_per_oauth_client,
);

/// A client generated through the "Keys" page by the person signed in to `app`.
pub async fn generate_client(
    app: &TestApp,
    tailnet: &app::ids::TailnetId,
    scopes: &[Scope],
) -> GeneratedOauthClient {
    let (status, generated) = app
        .call::<GeneratedOauthClient>(
            "generate_oauth_client",
            json!({ "client": { "tailnet": tailnet, "description": "bot", "scopes": scopes } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{generated:?}");
    generated.expect("generated")
}

/// A POST to the token endpoint: `form` fields, and HTTP Basic credentials when given.
pub async fn token_request(
    app: &TestApp,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/api/v2/oauth/token", app.address))
        .form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    if status.is_success() {
        assert_eq!(
            response
                .headers()
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("no-store")
        );
    }
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A one-hour access token of `client`, asked for in the form with every field.
pub async fn client_token(app: &TestApp, client: &GeneratedOauthClient) -> String {
    let (status, answer) = token_request(
        app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client.client.id),
            ("client_secret", &client.secret),
        ],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer["access_token"]
        .as_str()
        .expect("access token")
        .to_owned()
}

async fn a_client_secret_is_shown_once_and_exchanged_in_every_client_style(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let generated = generate_client(
        &app,
        &tailnet,
        &[Scope::LogsConfigurationRead, Scope::UsersRead],
    )
    .await;
    let (id, secret) = (generated.client.id.clone(), generated.secret.clone());
    assert!(
        secret.starts_with(&format!("tskey-client-{id}-")),
        "{secret}"
    );
    assert!(
        secret.len() >= "tskey-client-".len() + 17 + 1 + 43,
        "256 random bits"
    );
    assert_eq!(generated.client.creator_email, "ada@example.com");

    let (status, page) = app
        .call::<KeysPage>("list_api_tokens", json!({ "tailnet": tailnet }))
        .await;
    assert_eq!(status, StatusCode::OK);
    let page = page.expect("page");
    assert_eq!(page.oauth_clients, vec![generated.client.clone()]);
    assert!(
        !serde_json::to_string(&page)
            .expect("json")
            .contains(&secret)
    );
    assert_eq!(
        page.scopes_to_give.len(),
        Scope::ALL.len(),
        "the Owner may give every scope"
    );
    let stored: String = sqlx::query_scalar("SELECT secret_hash FROM oauth_clients")
        .fetch_one(&app.db)
        .await
        .expect("row");
    assert_ne!(stored, secret);
    assert_eq!(stored.len(), 64, "a SHA-256");
    let (actor_type, target_type, event): (String, String, String) = sqlx::query_as(
        "SELECT actor_type, target_type, event_name FROM audit_events \
         WHERE event_name = 'OAUTH_CLIENT.CREATE'",
    )
    .fetch_one(&app.db)
    .await
    .expect("create event");
    assert_eq!(
        (actor_type.as_str(), target_type.as_str()),
        ("USER", "OAUTH_CLIENT")
    );
    assert_eq!(event, "OAUTH_CLIENT.CREATE");

    // The form, with grant_type.
    let (status, answer) = token_request(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
        ],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["expires_in"], 3600);
    assert_eq!(answer["scope"], "users:read logs:configuration:read");
    let token = answer["access_token"].as_str().expect("token");
    assert!(token.starts_with("tskey-api-"), "{token}");
    let (status, users) = Api::new(&app, token).get("/tailnet/-/users").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(users["users"].as_array().map(Vec::len), Some(1));

    // HTTP Basic, without grant_type; and only the secret.
    for (form, basic) in [
        (vec![], Some((id.as_str(), secret.as_str()))),
        (vec![("client_secret", secret.as_str())], None),
    ] {
        let (status, answer) = token_request(&app, &form, basic).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        let token = answer["access_token"].as_str().expect("token");
        let (status, _) = Api::new(&app, token).basic().get("/tailnet/-/users").await;
        assert_eq!(status, StatusCode::OK);
    }

    // A narrower token on request; nothing beyond what the client holds.
    let (status, answer) = token_request(
        &app,
        &[
            ("client_id", &id),
            ("client_secret", &secret),
            ("scope", "users:read"),
        ],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["scope"], "users:read");
    let narrow = Api::new(&app, answer["access_token"].as_str().expect("token"));
    let log =
        "/tailnet/-/logging/configuration?start=2020-01-01T00:00:00Z&end=2100-01-01T00:00:00Z";
    let (status, refused) = narrow.get(log).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused["message"],
        "This needs the OAuth scope logs:configuration:read"
    );

    let refusals = [
        (
            vec![
                ("client_id", id.as_str()),
                ("client_secret", "tskey-client-wrong"),
            ],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            vec![("client_id", id.as_str())],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            vec![
                ("client_id", id.as_str()),
                ("client_secret", secret.as_str()),
                ("grant_type", "password"),
            ],
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        ),
        (
            vec![
                ("client_id", id.as_str()),
                ("client_secret", secret.as_str()),
                ("scope", "users"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_scope",
        ),
        (
            vec![
                ("client_id", id.as_str()),
                ("client_secret", secret.as_str()),
                ("scope", "devices:core"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_scope",
        ),
    ];
    for (form, expected, error) in refusals {
        let (status, answer) = token_request(&app, &form, None).await;
        assert_eq!(status, expected, "{form:?}: {answer}");
        assert_eq!(answer["error"], error, "{answer}");
        assert!(answer["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // A client's secret is no API token.
    let (status, _) = Api::new(&app, &secret).get("/tailnet/-/users").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn a_client_token_does_only_what_its_scopes_and_role_allow(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let member = insert_member(&app, &tailnet, "bo@example.com", "member").await;
    let member_id: i64 = sqlx::query_scalar("SELECT api_id FROM users WHERE id = $1")
        .bind(member.as_str())
        .fetch_one(&app.db)
        .await
        .expect("api id");
    let every = generate_client(&app, &tailnet, &[Scope::All]).await;
    let api = Api::new(&app, &client_token(&app, &every).await);

    // Users and settings, within `all`; logged as the client, through the API.
    let (status, _) = api
        .send(Method::POST, &format!("/users/{member_id}/suspend"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (actor_type, actor_id, actor_name, origin): (
        String,
        Option<String>,
        Option<String>,
        String,
    ) = sqlx::query_as(
        "SELECT actor_type, actor_id, actor_name, origin FROM audit_events \
             WHERE event_name LIKE 'USER.SUSPEND%'",
    )
    .fetch_one(&app.db)
    .await
    .expect("suspend event");
    assert_eq!(actor_type, "OAUTH_CLIENT");
    assert_eq!(actor_id.as_deref(), Some(every.client.id.as_str()));
    assert_eq!(actor_name.as_deref(), Some("bot"));
    assert_eq!(origin, "CONFIG_API");
    let (status, log) = api
        .get("/tailnet/-/logging/configuration?start=2020-01-01T00:00:00Z&end=2100-01-01T00:00:00Z")
        .await;
    assert_eq!(status, StatusCode::OK);
    let entry = log["logs"]
        .as_array()
        .and_then(|logs| logs.iter().find(|e| e["actor"]["type"] == "OAUTH_CLIENT"))
        .cloned()
        .expect("the client's entry");
    assert_eq!(entry["actor"]["id"], every.client.id.as_str());
    assert_eq!(entry["origin"], "CONFIG_API");
    let (status, _) = api
        .send(
            Method::PATCH,
            "/tailnet/-/settings",
            Some(json!({ "usersApprovalOn": true })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // User invites: read without links; never written.
    let (status, link) = app
        .call::<Value>(
            "create_invite_link",
            json!({ "tailnet": tailnet, "role": "member" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let invite = link.expect("link")["invite"]
        .as_str()
        .expect("id")
        .to_owned();
    let (status, invites) = api.get("/tailnet/-/user-invites").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(invites[0]["id"], invite.as_str());
    assert!(invites[0].get("inviteUrl").is_none(), "{invites}");
    for (method, path, body) in [
        (
            Method::POST,
            "/tailnet/-/user-invites".to_owned(),
            Some(json!([{}])),
        ),
        (Method::DELETE, format!("/user-invites/{invite}"), None),
        (Method::POST, format!("/user-invites/{invite}/resend"), None),
        (
            Method::POST,
            "/tailnet/-/keys".to_owned(),
            Some(json!({ "keyType": "api", "expirySeconds": 86_400 })),
        ),
    ] {
        let (status, refused) = api.send(method.clone(), &path, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
        assert!(
            refused["message"]
                .as_str()
                .is_some_and(|m| m.contains("user-owned")),
            "{refused}"
        );
    }
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM invites WHERE id = $1")
        .bind(&invite)
        .fetch_one(&app.db)
        .await
        .expect("count");
    assert_eq!(kept, 1, "the invite is still there");

    // A client may make a client with scopes it holds, not more.
    let (status, made) = api
        .post(
            "/tailnet/-/keys",
            json!({ "keyType": "client", "description": "child", "scopes": ["users:read"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{made}");
    assert_eq!(made["keyType"], "client");
    assert_eq!(made["scopes"], json!(["users:read"]));
    assert!(
        made["key"]
            .as_str()
            .is_some_and(|k| k.starts_with("tskey-client-"))
    );
    let (status, answer) = token_request(
        &app,
        &[("client_secret", made["key"].as_str().expect("secret"))],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let child_secret = answer["access_token"].as_str().expect("token").to_owned();
    let child = Api::new(&app, &child_secret);
    let (status, _) = child
        .post(
            "/tailnet/-/keys",
            json!({ "keyType": "client", "scopes": ["users:read"] }),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "users:read holds no oauth_keys"
    );
    let (status, _) = child
        .send(Method::POST, &format!("/users/{member_id}/restore"), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "users:read cannot restore");
    // Every scope may read its own key.
    let child_token_id = token_id(&child_secret);
    let (status, own) = child
        .get(&format!("/tailnet/-/keys/{child_token_id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert_eq!(own["scopes"], json!(["users:read"]));
    let (status, listed) = api.get("/tailnet/-/keys").await;
    assert_eq!(status, StatusCode::OK);
    let kinds: Vec<&str> = listed["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|k| k["keyType"].as_str())
        .collect();
    assert_eq!(kinds, vec!["client", "client"], "{listed}");

    // A client made by an IT admin acts as one: it cannot make an Admin.
    let other = insert_member(&app, &tailnet, "cy@example.com", "member").await;
    let member_id: i64 = sqlx::query_scalar("SELECT api_id FROM users WHERE id = $1")
        .bind(other.as_str())
        .fetch_one(&app.db)
        .await
        .expect("api id");
    let it_admin = insert_member(&app, &tailnet, "it@example.com", "it_admin").await;
    let as_it_admin = app.signed_in_as(&it_admin).await;
    let it_client = generate_client(&as_it_admin, &tailnet, &[Scope::Users]).await;
    let it_api = Api::new(&app, &client_token(&app, &it_client).await);
    let (status, _) = it_api
        .post(
            &format!("/users/{member_id}/role"),
            json!({ "role": "admin" }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = it_api
        .post(
            &format!("/users/{member_id}/role"),
            json!({ "role": "auditor" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // … and an IT admin cannot give `all` or `feature_settings`; a Network admin not `users`.
    let (status, refused) = as_it_admin
        .call::<Value>(
            "generate_oauth_client",
            json!({ "client": { "tailnet": tailnet, "description": "", "scopes": ["all"] } }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused:?}");
    let network = insert_member(&app, &tailnet, "net@example.com", "network_admin").await;
    let (status, _) = app
        .signed_in_as(&network)
        .await
        .call::<Value>(
            "generate_oauth_client",
            json!({ "client": { "tailnet": tailnet, "description": "", "scopes": ["users"] } }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app
        .signed_in_as(&member)
        .await
        .call::<Value>(
            "generate_oauth_client",
            json!({ "client": { "tailnet": tailnet, "description": "", "scopes": ["users:read"] } }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The client outlives its creator's role: it is the tailnet's.
    sqlx::query("UPDATE memberships SET role = 'member' WHERE user_id = $1")
        .bind(it_admin.as_str())
        .execute(&app.db)
        .await
        .expect("demote");
    let (status, _) = it_api.get(&format!("/users/{member_id}")).await;
    assert_eq!(status, StatusCode::OK);
}

/// The id inside a `tskey-api-<id>-<secret>` token.
fn token_id(token: &str) -> String {
    token
        .strip_prefix("tskey-api-")
        .and_then(|rest| rest.split_once('-'))
        .map(|(id, _)| id.to_owned())
        .expect("token id")
}

async fn expired_tokens_and_revoked_clients_stop_at_once(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let client = generate_client(&app, &tailnet, &[Scope::UsersRead]).await;
    let first = client_token(&app, &client).await;
    let second = client_token(&app, &client).await;
    let (status, _) = Api::new(&app, &first).get("/tailnet/-/users").await;
    assert_eq!(status, StatusCode::OK);

    // An hour later the first token is over.
    sqlx::query("UPDATE oauth_access_tokens SET expires_at = $1 WHERE token_hash = $2")
        .bind(app::context::now() - 1)
        .bind(app::secrets::SecretToken::from_client(first.clone()).hash())
        .execute(&app.db)
        .await
        .expect("expire");
    let (status, answer) = Api::new(&app, &first).get("/tailnet/-/users").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
    let (status, _) = Api::new(&app, &second).get("/tailnet/-/users").await;
    assert_eq!(status, StatusCode::OK);

    // Revoked from the "Keys" page: its tokens and its secret stop.
    let (status, _) = app
        .call::<Value>(
            "revoke_oauth_client",
            json!({ "tailnet": tailnet, "client": client.client.id }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = Api::new(&app, &second).get("/tailnet/-/users").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, answer) = token_request(
        &app,
        &[
            ("client_id", &client.client.id),
            ("client_secret", &client.secret),
        ],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer["error"], "invalid_client");
    let events: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE event_name = 'OAUTH_CLIENT.DELETE'",
    )
    .fetch_one(&app.db)
    .await
    .expect("count");
    assert_eq!(events, 1);

    // Revoked through the API by a person's token: listed as revoked, 404 the second time.
    let other = generate_client(&app, &tailnet, &[Scope::UsersRead]).await;
    let owner = Api::new(&app, &generate(&app, &tailnet, 1).await.secret);
    let path = format!("/tailnet/-/keys/{}", other.client.id);
    let (status, _) = owner.send(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = owner.send(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, key) = owner.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(key["revoked"].as_str().is_some(), "{key}");
}

/// Fills `bucket`'s counter far past any limit, in this window and (should the minute turn
/// meanwhile) in the one before.
async fn exhaust(app: &TestApp, bucket: &str) {
    let now = app::context::now();
    let window = now - now.rem_euclid(60);
    sqlx::query(
        "INSERT INTO rate_limits (bucket, window_start, hits, previous_hits, expires_at) \
         VALUES ($1, $2, 100000, 100000, $3)",
    )
    .bind(bucket)
    .bind(window)
    .bind(window + 120)
    .execute(&app.db)
    .await
    .expect("fill the counter");
}

async fn calls_are_limited_per_access_token_and_per_oauth_client(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;

    // A person's tokens each have their own allowance.
    let spent = generate(&app, &tailnet, 1).await;
    let fresh = generate(&app, &tailnet, 1).await;
    exhaust(&app, &format!("api-token:{}", spent.token.id)).await;
    let (status, refused) = Api::new(&app, &spent.secret)
        .get("/tailnet/-/settings")
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{refused}");
    assert!(refused["message"].is_string());
    let (status, _) = Api::new(&app, &fresh.secret)
        .get("/tailnet/-/settings")
        .await;
    assert_eq!(status, StatusCode::OK);

    // An OAuth client's tokens share one: a new token does not start it again.
    let client = generate_client(&app, &tailnet, &[Scope::FeatureSettingsRead]).await;
    let other = generate_client(&app, &tailnet, &[Scope::FeatureSettingsRead]).await;
    let before = client_token(&app, &client).await;
    exhaust(&app, &format!("oauth-client:{}", client.client.id)).await;
    let after = client_token(&app, &client).await;
    for token in [&before, &after] {
        let (status, _) = Api::new(&app, token).get("/tailnet/-/settings").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    }
    let (status, _) = Api::new(&app, &client_token(&app, &other).await)
        .get("/tailnet/-/settings")
        .await;
    assert_eq!(status, StatusCode::OK, "another client is not held back");
}
