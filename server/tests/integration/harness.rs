//! Starting the real app for a test, and calling its server functions over HTTP.

use std::sync::atomic::{AtomicU64, Ordering};

use app::error::AppError;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use server::config::Config;
use sqlx::AnyPool;

use crate::passkey::TestPasskey;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh database for one test; dropped with the test (the SQLite file's folder is deleted;
/// PostgreSQL databases live in the throw-away cluster of the test command).
pub struct TestDatabase {
    pub url: String,
    /// Holds the SQLite file and the server key file that every server on this database shares.
    dir: tempfile::TempDir,
}

static DATABASES: AtomicU64 = AtomicU64::new(0);

impl TestDatabase {
    /// The server key file every server on this database shares.
    pub fn key_file(&self) -> std::path::PathBuf {
        self.dir.path().join("secret.key")
    }

    /// `None` when the backend is PostgreSQL and no server was given to the tests.
    pub async fn create(backend: Backend) -> Option<Self> {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}/gatehouse.db", dir.path().display());
                Some(Self { url, dir })
            }
            Backend::Postgres => {
                let Ok(admin_url) = std::env::var("GATEHOUSE_TEST_POSTGRES_URL") else {
                    assert!(
                        std::env::var_os("GATEHOUSE_REQUIRE_POSTGRES").is_none(),
                        "GATEHOUSE_REQUIRE_POSTGRES is set but GATEHOUSE_TEST_POSTGRES_URL is not"
                    );
                    eprintln!("PostgreSQL test skipped: GATEHOUSE_TEST_POSTGRES_URL is not set");
                    return None;
                };
                sqlx::any::install_default_drivers();
                let name = format!(
                    "gatehouse_test_{}_{}",
                    std::process::id(),
                    DATABASES.fetch_add(1, Ordering::Relaxed)
                );
                let admin = AnyPool::connect(&admin_url)
                    .await
                    .expect("connect to PostgreSQL");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&admin)
                    .await
                    .expect("create test database");
                admin.close().await;
                let mut url = url::Url::parse(&admin_url).expect("postgres url");
                url.set_path(&name);
                Some(Self {
                    url: url.to_string(),
                    dir,
                })
            }
        }
    }
}

/// One running Gatehouse and an HTTP client with its own cookie jar (one browser).
#[derive(Clone)]
pub struct TestApp {
    pub address: String,
    pub public_origin: String,
    pub db: AnyPool,
    pub settings: std::sync::Arc<app::settings::Settings>,
    pub client: reqwest::Client,
    /// Set when the test gave an SMTP server; tests run delivery rounds themselves.
    pub mailer: Option<server::mail::Mailer>,
}

impl TestApp {
    /// Starts Gatehouse on a fresh database of `backend`; `None` when that backend is unavailable.
    pub async fn spawn(backend: Backend) -> Option<(Self, TestDatabase)> {
        let database = TestDatabase::create(backend).await?;
        let app = Self::spawn_on(&database).await;
        Some((app, database))
    }

    /// Starts a server on an existing database, with its own public origin.
    pub async fn spawn_on(database: &TestDatabase) -> Self {
        Self::start(database, None, &[]).await
    }

    /// Starts a server on an existing database with extra `GATEHOUSE_*` variables.
    pub async fn spawn_with(database: &TestDatabase, vars: &[(&str, String)]) -> Self {
        Self::start(database, None, vars).await
    }

    /// Starts a second server on `first`'s database and public URL, as a second node behind a
    /// load balancer, used by the same browser (cookie jar) as `first`.
    pub async fn spawn_behind(database: &TestDatabase, first: &TestApp) -> Self {
        Self::spawn_behind_with(database, first, &[]).await
    }

    /// [`Self::spawn_behind`], with these variables set as well.
    pub async fn spawn_behind_with(
        database: &TestDatabase,
        first: &TestApp,
        vars: &[(&str, String)],
    ) -> Self {
        let second = Self::start(database, Some(first.public_origin.clone()), vars).await;
        Self {
            client: first.client.clone(),
            ..second
        }
    }

    async fn start(
        database: &TestDatabase,
        public_origin: Option<String>,
        extra: &[(&str, String)],
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("address").port();
        let public_origin = public_origin.unwrap_or_else(|| format!("http://localhost:{port}"));
        let key_file = database.key_file();
        let mut vars = vec![
            ("GATEHOUSE_LISTEN", format!("127.0.0.1:{port}")),
            ("GATEHOUSE_PUBLIC_URL", public_origin.clone()),
            ("GATEHOUSE_DATABASE_URL", database.url.clone()),
            ("GATEHOUSE_SECRET_KEY_FILE", key_file.display().to_string()),
        ];
        vars.extend(extra.iter().map(|(k, v)| (*k, v.clone())));
        let config = Config::from_lookup(|name| {
            vars.iter()
                .rev()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.clone())
        })
        .expect("test config");
        let prepared = server::prepare(&config).await.expect("app starts");
        let db = prepared.state.db.clone();
        let settings = prepared.state.settings.clone();
        let router = server::build(prepared.state);
        // Held as long as the server runs, as `gatehouse serve` holds it.
        let serving = prepared.serving;
        tokio::spawn(async move {
            let _serving = serving;
            server::listen::serve(listener, router, std::future::pending())
                .await
                .expect("serve");
        });
        Self {
            address: format!("http://127.0.0.1:{port}"),
            client: Self::browser(&public_origin),
            public_origin,
            db,
            settings,
            mailer: prepared.mailer,
        }
    }

    /// A client that behaves like a browser on our own pages: it keeps cookies and sends the
    /// public origin with every request.
    pub fn browser(public_origin: &str) -> reqwest::Client {
        Self::browser_with_cookies(
            public_origin,
            std::sync::Arc::new(reqwest::cookie::Jar::default()),
        )
    }

    pub fn browser_with_cookies(
        public_origin: &str,
        jar: std::sync::Arc<reqwest::cookie::Jar>,
    ) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::ORIGIN,
            public_origin.parse().expect("origin header"),
        );
        reqwest::Client::builder()
            .cookie_provider(jar)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .expect("http client")
    }

    /// Another browser (separate cookies) against the same server.
    pub fn other_browser(&self) -> Self {
        Self {
            address: self.address.clone(),
            public_origin: self.public_origin.clone(),
            db: self.db.clone(),
            settings: self.settings.clone(),
            client: Self::browser(&self.public_origin),
            mailer: self.mailer.clone(),
        }
    }

    /// Calls a server function with a JSON body and decodes its answer or its `AppError`.
    pub async fn call<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        body: Value,
    ) -> (StatusCode, Result<T, AppError>) {
        let (status, text) = self.call_raw(endpoint, body).await;
        let result = if status.is_success() {
            Ok(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{endpoint}: {e}: {text}")))
        } else {
            Err(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{endpoint}: {e}: {text}")))
        };
        (status, result)
    }

    /// One round of the outbox worker at `now`, through this server's SMTP configuration.
    pub async fn deliver_mail(&self, now: i64) -> server::mail::DeliveryRound {
        server::mail::deliver_due(
            &self.db,
            &self.settings,
            self.mailer.as_ref().expect("SMTP configured"),
            now,
        )
        .await
        .expect("delivery round")
    }

    /// Calls a server function and returns its status and body as text, whatever they are.
    pub async fn call_raw(&self, endpoint: &str, body: Value) -> (StatusCode, String) {
        let response = self
            .client
            .post(format!("{}/api/{endpoint}", self.address))
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("request");
        let status = response.status();
        (status, response.text().await.expect("body"))
    }

    pub async fn get_page(&self, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
        let response = self
            .client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request");
        let status = response.status();
        let headers = response.headers().clone();
        (status, headers, response.text().await.expect("body"))
    }

    /// Issues a setup link as the server does on first start, and returns its token.
    pub async fn first_run_setup_token(&self) -> String {
        let link =
            app::setup::server::first_run_setup_link(&self.db, &self.settings, app::context::now())
                .await
                .expect("setup link")
                .expect("a fresh database has no tailnet");
        token_of(&link)
    }

    /// Completes setup through the server functions with `passkey`; returns the landing path.
    pub async fn complete_setup(
        &self,
        token: &str,
        passkey: &mut TestPasskey,
        email: &str,
    ) -> Result<String, AppError> {
        let (_, started) = self
            .call::<app::auth::model::PasskeyChallenge<webauthn_rs_proto::CreationChallengeResponse>>(
                "start_setup",
                json!({
                    "token": token,
                    "form": { "tailnet_name": "Example Co", "display_name": "Ada Owner", "email": email }
                }),
            )
            .await;
        let challenge = started?;
        let credential = passkey.register(challenge.options);
        let (_, finished) = self
            .call::<String>(
                "finish_setup",
                json!({ "ceremony": challenge.ceremony, "credential": credential }),
            )
            .await;
        finished
    }

    /// A new tailnet with its Owner signed in in this client, who holds `passkey`.
    pub async fn with_owner(&self, email: &str) -> (TestPasskey, String) {
        let token = self.first_run_setup_token().await;
        let mut passkey = TestPasskey::new(&self.public_origin);
        let landing = self
            .complete_setup(&token, &mut passkey, email)
            .await
            .expect("setup succeeds");
        (passkey, landing)
    }

    /// Starts a sign-in on this server and signs its challenge with `passkey`: the body that
    /// `finish_sign_in` takes.
    pub async fn signed_sign_in(&self, passkey: &mut TestPasskey) -> Value {
        let (_, started) = self
            .call::<app::auth::model::PasskeyChallenge<webauthn_rs_proto::RequestChallengeResponse>>(
                "start_sign_in",
                json!({}),
            )
            .await;
        let challenge = started.expect("sign-in starts");
        let credential = passkey.sign_in(challenge.options);
        json!({ "ceremony": challenge.ceremony, "credential": credential })
    }

    pub async fn sign_in(
        &self,
        passkey: &mut TestPasskey,
    ) -> (StatusCode, Result<String, AppError>) {
        let body = self.signed_sign_in(passkey).await;
        self.call::<String>("finish_sign_in", body).await
    }

    pub async fn current_user(&self) -> Option<app::auth::model::SignedInUser> {
        let (status, user) = self
            .call::<Option<app::auth::model::SignedInUser>>("current_user", json!({}))
            .await;
        assert_eq!(status, StatusCode::OK);
        user.expect("current_user answers")
    }

    /// The home tailnet of the person signed in in this client.
    pub async fn home_tailnet(&self) -> app::ids::TailnetId {
        self.current_user()
            .await
            .expect("signed in")
            .home()
            .expect("home tailnet")
            .tailnet_id
            .clone()
    }

    /// "Generate & copy invite link" for `role` in `tailnet`; returns the link's token.
    pub async fn invite_link_token(&self, tailnet: &app::ids::TailnetId, role: &str) -> String {
        let (status, link) = self
            .call::<app::invites::model::InviteLink>(
                "create_invite_link",
                json!({ "tailnet": tailnet, "role": role }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{link:?}");
        token_of(&link.expect("link").url)
    }

    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(&self.db)
            .await
            .expect("count")
    }
}

pub fn token_of(link: &str) -> String {
    link.rsplit('/').next().expect("token").to_owned()
}

/// Runs an async scenario once on SQLite and once on PostgreSQL, as two tests, each on a
/// current-thread runtime like the server binary's.
macro_rules! on_both_databases {
    ($($scenario:ident),* $(,)?) => {
        $(
            mod $scenario {
                #[tokio::test]
                async fn sqlite() {
                    super::$scenario(crate::harness::Backend::Sqlite).await;
                }

                #[tokio::test]
                async fn postgres() {
                    super::$scenario(crate::harness::Backend::Postgres).await;
                }
            }
        )*
    };
}
pub(crate) use on_both_databases;

/// A person who joined `tailnet` with `role` (the invitation flow is its own issue).
pub async fn insert_member(
    app: &TestApp,
    tailnet: &app::ids::TailnetId,
    email: &str,
    role: &str,
) -> app::ids::UserId {
    let id = app::ids::UserId::generate();
    let now = app::context::now();
    let mut conn = app.db.acquire().await.expect("connection");
    let api_id = app::api_ids::allocate(&mut conn, app::api_ids::ApiIdKind::User)
        .await
        .expect("api id");
    sqlx::query(
        "INSERT INTO users (id, webauthn_user_id, display_name, email, home_tailnet_id, created_at, api_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.as_str())
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(email)
    .bind(email)
    .bind(tailnet.as_str())
    .bind(now)
    .bind(api_id)
    .execute(&mut *conn)
    .await
    .expect("user");
    sqlx::query(
        "INSERT INTO memberships (tailnet_id, user_id, role, status, joined_at) VALUES ($1, $2, $3, 'active', $4)",
    )
    .bind(tailnet.as_str())
    .bind(id.as_str())
    .bind(role)
    .bind(now)
    .execute(&app.db)
    .await
    .expect("membership");
    id
}

impl TestApp {
    /// A `Cookie` header value holding a new session for `user`, made by the app's own session
    /// code (for clients of another server on the same database, such as a real process).
    pub async fn session_cookie(&self, user: &app::ids::UserId) -> String {
        let mut conn = self.db.acquire().await.expect("connection");
        let token = app::auth::sessions::start_session(&mut conn, user, None, app::context::now())
            .await
            .expect("session");
        format!("gatehouse_session={}", token.expose())
    }

    /// A new browser holding a session for `user`, made by the app's own session code.
    pub async fn signed_in_as(&self, user: &app::ids::UserId) -> TestApp {
        let cookie = self.session_cookie(user).await;
        let browser = self.other_browser();
        let url: reqwest::Url = self.address.parse().expect("url");
        let jar = reqwest::cookie::Jar::default();
        jar.add_cookie_str(&cookie, &url);
        TestApp {
            client: TestApp::browser_with_cookies(&self.public_origin, std::sync::Arc::new(jar)),
            ..browser
        }
    }
}
