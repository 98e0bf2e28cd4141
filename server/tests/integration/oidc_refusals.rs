//! Who does not get in through a tailnet's OIDC client, and what they and the client see: an
//! unknown client or an unregistered redirect URI stops at Gatehouse's own page and redirects
//! nowhere; people the tailnet does not let in (suspended, waiting, not a member, a role the
//! client is closed to) see why, and the client hears `access_denied` only if they go back;
//! someone suspended after the sign-in loses the code and the access token.

use reqwest::StatusCode;

use crate::accept::other_tailnet;
use crate::harness::{Backend, TestApp, insert_member, on_both_databases};
use crate::oidc_rp::{
    CALLBACK, RelyingParty, WithClient, access_token, add_client, code_for, follow, param,
};

on_both_databases!(
    unknown_clients_and_unregistered_redirects_stop_at_gatehouses_page,
    people_the_tailnet_does_not_let_in_see_why,
    suspension_or_deletion_stops_codes_and_tokens_already_handed_out,
    the_token_endpoint_is_rate_limited_per_client,
);

async fn unknown_clients_and_unregistered_redirects_stop_at_gatehouses_page(backend: Backend) {
    let Some(WithClient {
        app,
        database: _database,
        rp,
        ..
    }) = WithClient::spawn(backend, false).await
    else {
        return;
    };

    let pending = rp.start(true, &[]);
    let mut unknown = pending.url.clone();
    let pairs: Vec<(String, String)> = unknown
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "client_id" { "nope".into() } else { v };
            (k.into_owned(), v.into_owned())
        })
        .collect();
    unknown.query_pairs_mut().clear().extend_pairs(pairs);
    let (status, location, body) = follow(&app, &unknown).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(location, None, "sent nowhere");
    assert!(body.contains("not known to Gatehouse"), "{body}");

    for elsewhere in [
        "https://evil.example/oidc/callback",
        "https://headscale.example.com/oidc/callback/",
        "https://headscale.example.com/oidc/callback?x=1",
    ] {
        let mut wrong = pending.url.clone();
        let pairs: Vec<(String, String)> = wrong
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "redirect_uri" {
                    elsewhere.into()
                } else {
                    v
                };
                (k.into_owned(), v.into_owned())
            })
            .collect();
        wrong.query_pairs_mut().clear().extend_pairs(pairs);
        let (status, location, body) = follow(&app, &wrong).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{elsewhere}");
        assert_eq!(location, None, "{elsewhere}: sent nowhere");
        assert!(body.contains("not one of its callback URLs"), "{body}");
        assert!(
            !body.contains(elsewhere),
            "no link to the unregistered address"
        );
    }
}

async fn people_the_tailnet_does_not_let_in_see_why(backend: Backend) {
    let Some(WithClient {
        app,
        database: _database,
        tailnet,
        added: every_role,
        ..
    }) = WithClient::spawn(backend, false).await
    else {
        return;
    };
    let admins_only = add_client(&app, &tailnet, false, &["owner", "admin"]).await;
    let suspended = insert_member(&app, &tailnet, "sus@example.com", "member").await;
    let waiting = insert_member(&app, &tailnet, "wait@example.com", "member").await;
    for (user, status) in [(&suspended, "suspended"), (&waiting, "needs_approval")] {
        sqlx::query("UPDATE memberships SET status = $1 WHERE user_id = $2")
            .bind(status)
            .bind(user.as_str())
            .execute(&app.db)
            .await
            .expect("status");
    }
    let member = insert_member(&app, &tailnet, "bo@example.com", "member").await;
    let removed = insert_member(&app, &tailnet, "gone@example.com", "member").await;
    let (_, outsiders) = other_tailnet(&app, "Other Co", 1, "admin").await;
    sqlx::query("UPDATE users SET home_tailnet_id = $1 WHERE id = $2")
        .bind(outsiders_home(&app, &outsiders[0]).await)
        .bind(removed.as_str())
        .execute(&app.db)
        .await
        .expect("home elsewhere");
    sqlx::query("DELETE FROM memberships WHERE user_id = $1")
        .bind(removed.as_str())
        .execute(&app.db)
        .await
        .expect("removed");

    let cases = [
        (&suspended, &every_role, "suspended"),
        (&removed, &every_role, "You are not a member of Example Co."),
        (&waiting, &every_role, "Waiting for approval"),
        (
            &outsiders[0],
            &every_role,
            "You are not a member of Example Co.",
        ),
        (&member, &admins_only, "not open to the Member role"),
    ];
    for (user, client, why) in cases {
        let browser = app.signed_in_as(user).await;
        let rp = RelyingParty::discover(&app, client).await;
        let pending = rp.start(true, &[]);
        let (status, location, body) = follow(&browser, &pending.url).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{why}");
        assert_eq!(location, None, "{why}: the client hears nothing yet");
        assert!(body.contains(why), "{why}: {body}");
        assert!(body.contains("Sign in as someone else"));
        // "Back to Headscale" is the only way the client hears access_denied.
        let back = body
            .split("href=\"")
            .find(|part| part.starts_with(CALLBACK))
            .and_then(|part| part.split('"').next())
            .expect("a link back to the client")
            .replace("&amp;", "&");
        assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
        assert_eq!(
            param(&back, "state").as_deref(),
            Some(pending.state.secret().as_str())
        );

        // prompt=none cannot show the page: the client hears access_denied at once.
        let pending = rp.start(true, &[("prompt", "none")]);
        let (_, location, _) = follow(&browser, &pending.url).await;
        let location = location.expect("redirect");
        assert_eq!(param(&location, "error").as_deref(), Some("access_denied"));
    }
    let refused: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE event_name = 'USER.LOGIN_REFUSED.OIDC_CLIENT' \
         AND tailnet_id = $1",
    )
    .bind(tailnet.as_str())
    .fetch_one(&app.db)
    .await
    .expect("count");
    assert_eq!(
        refused, 10,
        "every refusal is in the client's tailnet's log"
    );

    // "Sign in as someone else" ends the session and opens the sign-in page for the request.
    let browser = app.signed_in_as(&suspended).await;
    let rp = RelyingParty::discover(&app, &every_role).await;
    let pending = rp.start(true, &[]);
    let next = &pending.url[url::Position::BeforePath..];
    let response = browser
        .client
        .post(format!("{}/oidc/switch-account", browser.address))
        .form(&[("next", next)])
        .send()
        .await
        .expect("switch");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().expect("location");
    assert!(
        location.starts_with("/login?next=%2Foidc%2Fauthorize%3F"),
        "{location}"
    );
    assert!(browser.current_user().await.is_none(), "signed out");

    // A next that is not an authorization request goes to the plain sign-in page.
    let other = app.signed_in_as(&member).await;
    let response = other
        .client
        .post(format!("{}/oidc/switch-account", other.address))
        .form(&[("next", "https://evil.example/")])
        .send()
        .await
        .expect("switch");
    assert_eq!(response.headers()["location"], "/login");
}

/// The home tailnet of `user` (a person of another tailnet).
async fn outsiders_home(app: &TestApp, user: &app::ids::UserId) -> String {
    sqlx::query_scalar("SELECT home_tailnet_id FROM users WHERE id = $1")
        .bind(user.as_str())
        .fetch_one(&app.db)
        .await
        .expect("home")
}

async fn the_token_endpoint_is_rate_limited_per_client(backend: Backend) {
    let Some(WithClient {
        app,
        database: _database,
        tailnet,
        added: guessed,
        ..
    }) = WithClient::spawn(backend, false).await
    else {
        return;
    };
    let other = add_client(&app, &tailnet, false, &[]).await;
    let client = reqwest::Client::new();
    let attempt = |id: String| {
        let client = client.clone();
        let url = format!("{}/oidc/token", app.address);
        async move {
            client
                .post(url)
                .basic_auth(id, Some("guess"))
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", "x"),
                    ("redirect_uri", CALLBACK),
                ])
                .send()
                .await
                .expect("token")
        }
    };
    let limit = app::oidc::token::EXCHANGES_PER_MINUTE_PER_CLIENT;
    for _ in 0..limit {
        assert_eq!(
            attempt(guessed.client.id.clone()).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let refused = attempt(guessed.client.id.clone()).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    // Another client is counted apart.
    assert_eq!(
        attempt(other.client.id.clone()).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn suspension_or_deletion_stops_codes_and_tokens_already_handed_out(backend: Backend) {
    let Some(WithClient {
        app,
        database: _database,
        tailnet,
        added,
        rp,
        ..
    }) = WithClient::spawn(backend, false).await
    else {
        return;
    };
    let member = insert_member(&app, &tailnet, "bo@example.com", "member").await;
    let browser = app.signed_in_as(&member).await;
    let suspend = |status: &'static str| {
        let db = app.db.clone();
        let member = member.clone();
        async move {
            sqlx::query("UPDATE memberships SET status = $1 WHERE user_id = $2")
                .bind(status)
                .bind(member.as_str())
                .execute(&db)
                .await
                .expect("status");
        }
    };

    // Suspended between the code and its exchange: no tokens.
    let pending = rp.start(true, &[]);
    let code = code_for(&browser, &pending).await;
    suspend("suspended").await;
    assert_eq!(
        rp.exchange(&code, pending.verifier, true)
            .await
            .err()
            .as_deref(),
        Some("invalid_grant")
    );

    // Suspended after the exchange: userinfo refuses the access token.
    suspend("active").await;
    let pending = rp.start(true, &[]);
    let code = code_for(&browser, &pending).await;
    let tokens = rp
        .exchange(&code, pending.verifier, true)
        .await
        .expect("tokens");
    let token = access_token(&tokens);
    assert!(rp.userinfo(&token).await.is_ok());
    suspend("suspended").await;
    assert!(rp.userinfo(&token).await.is_err());
    suspend("active").await;
    assert!(
        rp.userinfo(&token).await.is_ok(),
        "restored, the token works"
    );

    // Deleting the client ends its tokens at once.
    let (status, deleted) = app
        .call::<()>(
            "delete_oidc_client",
            serde_json::json!({ "tailnet": tailnet, "client": added.client.id }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{deleted:?}");
    assert!(rp.userinfo(&token).await.is_err());
}
