//! Signing in to a relying party (a coordination server) with Gatehouse, driven by the
//! `openidconnect` crate: discovery, the authorization request with PKCE and a nonce, the
//! passkey sign-in, the code exchange with each client authentication method, the ID token
//! verified against the JWKS, userinfo. And the rules a code lives by: one use, 60 seconds.

use openidconnect::{OAuth2TokenResponse, TokenResponse};
use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::{Backend, TestApp, insert_member, on_both_databases};
use crate::oidc_rp::{
    CALLBACK, RelyingParty, WithClient, access_token, code_for, follow, groups_in_id_token, param,
};

on_both_databases!(
    a_member_signs_in_with_their_passkey_and_the_client_gets_verified_claims,
    a_code_works_once_and_reusing_it_revokes_its_tokens,
    public_clients_prove_themselves_with_pkce_and_prompt_and_max_age_are_honoured,
    a_key_rotation_keeps_earlier_id_tokens_verifiable,
    browser_apps_may_call_the_endpoints_that_take_no_cookie,
    an_app_may_sign_the_person_out_of_gatehouse_after_asking,
);

async fn userinfo_json(app: &TestApp, token: &openidconnect::AccessToken) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .get(format!("{}/oidc/userinfo", app.address))
        .bearer_auth(token.secret())
        .send()
        .await
        .expect("userinfo");
    let status = response.status();
    let body = response.text().await.expect("body");
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

async fn a_member_signs_in_with_their_passkey_and_the_client_gets_verified_claims(
    backend: Backend,
) {
    let Some(WithClient {
        app,
        database: _database,
        mut passkey,
        added,
        rp,
        ..
    }) = WithClient::spawn(backend, false).await
    else {
        return;
    };
    let pending = rp.start(true, &[]);

    // A browser without a session goes to the passkey sign-in, which returns to the request.
    let browser = app.other_browser();
    let (status, location, _) = follow(&browser, &pending.url).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = location.expect("to the sign-in page");
    assert!(
        location.starts_with("/login?next=%2Foidc%2Fauthorize%3F"),
        "{location}"
    );
    let (status, signed_in) = browser.sign_in(&mut passkey).await;
    assert_eq!(status, StatusCode::OK, "{signed_in:?}");
    let next = url::form_urlencoded::parse(location.trim_start_matches("/login?").as_bytes())
        .find(|(key, _)| key == "next")
        .map(|(_, next)| next.into_owned())
        .expect("next");
    let back = url::Url::parse(&format!("{}{next}", app.public_origin)).expect("url");
    let code = code_for(
        &browser,
        &crate::oidc_rp::Pending {
            url: back,
            ..pending
        },
    )
    .await;
    assert!(code.len() >= 43, "at least 256 bits");

    // client_secret_basic.
    let tokens = rp.exchange(&code, None, true).await;
    assert_eq!(
        tokens.err().as_deref(),
        Some("invalid_grant"),
        "without the PKCE verifier the code is refused (and spent)"
    );

    // Again, properly, with the verifier.
    let pending = rp.start(true, &[]);
    let code = code_for(&browser, &pending).await;
    let tokens = rp
        .exchange(&code, pending.verifier, true)
        .await
        .expect("tokens");
    let id_token = tokens.id_token().expect("an ID token");
    let claims = rp.verify(id_token, &pending.nonce);
    let user_id: String =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'ada@example.com'")
            .fetch_one(&app.db)
            .await
            .expect("user");
    assert_eq!(claims.subject().as_str(), user_id);
    assert_eq!(claims.audiences()[0].as_str(), added.client.id);
    assert_eq!(claims.issuer().as_str(), app.public_origin);
    assert_eq!(claims.email().map(|e| e.as_str()), Some("ada@example.com"));
    assert_eq!(
        claims.email_verified(),
        Some(true),
        "the setup address was proved"
    );
    assert_eq!(
        claims.preferred_username().map(|u| u.as_str()),
        Some("ada@example.com")
    );
    assert_eq!(
        claims.name().and_then(|n| n.get(None)).map(|n| n.as_str()),
        Some("Ada Owner")
    );
    assert!(claims.auth_time().is_some());
    assert_eq!(groups_in_id_token(&tokens), serde_json::json!(["owner"]));
    // at_hash binds the access token to the ID token.
    let at_hash = openidconnect::AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().expect("alg"),
        id_token
            .signing_key(&rp.client.id_token_verifier())
            .expect("key"),
    )
    .expect("hash");
    assert_eq!(claims.access_token_hash(), Some(&at_hash));

    // Userinfo: the same person, with the library and as raw JSON.
    let info = rp.userinfo(&access_token(&tokens)).await.expect("userinfo");
    assert_eq!(info.subject().as_str(), user_id);
    assert_eq!(info.email().map(|e| e.as_str()), Some("ada@example.com"));
    let (status, raw) = userinfo_json(&app, &access_token(&tokens)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(raw["groups"], serde_json::json!(["owner"]));

    // The tailnet's log names the client; no code or token is in it.
    let logged: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT event_name, new_value FROM audit_events WHERE event_name = 'USER.LOGIN' \
         AND new_value IS NOT NULL",
    )
    .fetch_all(&app.db)
    .await
    .expect("events");
    assert_eq!(logged.len(), 2, "one per code");
    let new_value = logged[1].1.clone().expect("value");
    assert!(new_value.contains("Headscale") && new_value.contains(&added.client.id));
    assert!(!new_value.contains(&code));

    // A typed address Gatehouse has not proved is not claimed as verified.
    sqlx::query("UPDATE users SET email_verified = 0 WHERE id = $1")
        .bind(&user_id)
        .execute(&app.db)
        .await
        .expect("update");
    let pending = rp.start(true, &[]);
    let code = code_for(&browser, &pending).await;
    // client_secret_post this time.
    let tokens = rp
        .exchange(&code, pending.verifier, false)
        .await
        .expect("tokens");
    let claims = rp.verify(tokens.id_token().expect("id token"), &pending.nonce);
    assert_eq!(claims.email_verified(), Some(false));
}

async fn a_code_works_once_and_reusing_it_revokes_its_tokens(backend: Backend) {
    let Some(WithClient {
        app,
        database: _database,
        added,
        rp,
        ..
    }) = WithClient::spawn(backend, false).await
    else {
        return;
    };

    let pending = rp.start(false, &[]);
    let code = code_for(&app, &pending).await;
    let first = rp
        .exchange(&code, None, true)
        .await
        .expect("first exchange");
    let token = access_token(&first);
    assert_eq!(userinfo_json(&app, &token).await.0, StatusCode::OK);
    assert_eq!(
        rp.exchange(&code, None, true).await.err().as_deref(),
        Some("invalid_grant")
    );
    assert_eq!(
        userinfo_json(&app, &token).await.0,
        StatusCode::UNAUTHORIZED,
        "the first exchange's access token is revoked"
    );

    // A code older than 60 seconds is refused.
    let pending = rp.start(false, &[]);
    let code = code_for(&app, &pending).await;
    sqlx::query("UPDATE oidc_codes SET expires_at = $1 WHERE used_at IS NULL")
        .bind(app::context::now() - 1)
        .execute(&app.db)
        .await
        .expect("age the code");
    assert_eq!(
        rp.exchange(&code, None, true).await.err().as_deref(),
        Some("invalid_grant")
    );

    // A wrong secret is 401 invalid_client, and spends nothing.
    let pending = rp.start(false, &[]);
    let code = code_for(&app, &pending).await;
    let impostor = RelyingParty {
        client: rp
            .client
            .clone()
            .set_client_secret(openidconnect::ClientSecret::new("wrong".to_owned())),
        client_id: rp.client_id.clone(),
    };
    assert_eq!(
        impostor.exchange(&code, None, true).await.err().as_deref(),
        Some("invalid_client")
    );
    let response = reqwest::Client::new()
        .post(format!("{}/oidc/token", app.address))
        .basic_auth(&added.client.id, Some("wrong"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
        ])
        .send()
        .await
        .expect("token");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().contains_key("www-authenticate"));
    assert!(
        rp.exchange(&code, None, true).await.is_ok(),
        "the right secret still works"
    );

    // A different redirect_uri than the code's is refused.
    let pending = rp.start(false, &[]);
    let code = code_for(&app, &pending).await;
    let response = reqwest::Client::new()
        .post(format!("{}/oidc/token", app.address))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "https://headscale.example.com/other"),
            ("client_id", added.client.id.as_str()),
            ("client_secret", added.secret.as_deref().expect("secret")),
        ])
        .send()
        .await
        .expect("token");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"], "invalid_grant");
}

async fn public_clients_prove_themselves_with_pkce_and_prompt_and_max_age_are_honoured(
    backend: Backend,
) {
    let Some(WithClient {
        app,
        database: _database,
        tailnet,
        added,
        ..
    }) = WithClient::spawn(backend, true).await
    else {
        return;
    };
    assert!(added.secret.is_none());
    let rp = RelyingParty::discover(&app, &added).await;
    let member = insert_member(&app, &tailnet, "bo@example.com", "member").await;
    let browser = app.signed_in_as(&member).await;

    // Without PKCE the public client's request goes back with invalid_request.
    let pending = rp.start(false, &[]);
    let (_, location, _) = follow(&browser, &pending.url).await;
    let location = location.expect("redirect");
    assert!(location.starts_with(CALLBACK));
    assert_eq!(
        param(&location, "error").as_deref(),
        Some("invalid_request")
    );

    // With PKCE and no secret: the member's tokens, role `member`.
    let pending = rp.start(true, &[("prompt", "none")]);
    let code = code_for(&browser, &pending).await;
    let tokens = rp
        .exchange(&code, pending.verifier, false)
        .await
        .expect("tokens");
    rp.verify(tokens.id_token().expect("id token"), &pending.nonce);
    assert_eq!(groups_in_id_token(&tokens), serde_json::json!(["member"]));

    // A wrong verifier is refused.
    let pending = rp.start(true, &[]);
    let code = code_for(&browser, &pending).await;
    let wrong = openidconnect::PkceCodeVerifier::new("x".repeat(43));
    assert_eq!(
        rp.exchange(&code, Some(wrong), false)
            .await
            .err()
            .as_deref(),
        Some("invalid_grant")
    );

    // prompt=login and an exceeded max_age send a signed-in person to the passkey sign-in.
    for extra in [("prompt", "login"), ("max_age", "0")] {
        let pending = rp.start(true, &[extra]);
        sqlx::query("UPDATE sessions SET verified_at = verified_at - 5")
            .execute(&app.db)
            .await
            .expect("age sessions");
        let (status, location, _) = follow(&browser, &pending.url).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let location = location.expect("redirect");
        assert!(location.starts_with("/login?next="), "{extra:?}");
        // Signed in, the page asks for the passkey rather than offering to go on.
        let (status, _, page) = browser.get_page(&location).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("asks you to confirm with your passkey again"),
            "{page}"
        );
        assert!(!page.contains(">Continue<"));
    }

    // prompt=none without a session: login_required, at the client.
    let stranger = app.other_browser();
    let pending = rp.start(true, &[("prompt", "none")]);
    let (_, location, _) = follow(&stranger, &pending.url).await;
    let location = location.expect("redirect");
    assert!(location.starts_with(CALLBACK));
    assert_eq!(param(&location, "error").as_deref(), Some("login_required"));
    assert_eq!(
        param(&location, "state").as_deref(),
        Some(pending.state.secret().as_str())
    );
}

async fn a_key_rotation_keeps_earlier_id_tokens_verifiable(backend: Backend) {
    let Some(WithClient {
        app,
        database: _database,
        added,
        rp,
        ..
    }) = WithClient::spawn(backend, false).await
    else {
        return;
    };
    let pending = rp.start(true, &[]);
    let code = code_for(&app, &pending).await;
    let before = rp
        .exchange(&code, pending.verifier, true)
        .await
        .expect("tokens");

    app::oidc::signing_keys::rotate(&app.db, &app.settings.link_key, app::context::now())
        .await
        .expect("rotate");
    // A relying party that fetches the key set again still verifies the earlier token…
    let fresh = RelyingParty::discover(&app, &added).await;
    fresh.verify(before.id_token().expect("id token"), &pending.nonce);
    // …and new tokens are signed by the new key, which it also has.
    let pending = fresh.start(true, &[]);
    let code = code_for(&app, &pending).await;
    let after = fresh
        .exchange(&code, pending.verifier, true)
        .await
        .expect("tokens");
    fresh.verify(after.id_token().expect("id token"), &pending.nonce);
    let kid = |response: &openidconnect::core::CoreTokenResponse| {
        let token = response.id_token().expect("id token").to_string();
        let header = token.split('.').next().expect("header").to_owned();
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .expect("base64url");
        serde_json::from_slice::<Value>(&bytes).expect("json")["kid"].clone()
    };
    assert_ne!(kid(&before), kid(&after));
}

async fn browser_apps_may_call_the_endpoints_that_take_no_cookie(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    let client = reqwest::Client::new();
    let origin = "https://app.example.com";
    for path in ["/.well-known/openid-configuration", "/oidc/jwks"] {
        let response = client
            .get(format!("{}{path}", app.address))
            .header("origin", origin)
            .send()
            .await
            .expect("get");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            response.headers()["access-control-allow-origin"],
            "*",
            "{path}"
        );
    }
    for path in ["/oidc/token", "/oidc/userinfo"] {
        let response = client
            .request(reqwest::Method::OPTIONS, format!("{}{path}", app.address))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization")
            .send()
            .await
            .expect("preflight");
        assert!(response.status().is_success(), "{path}");
        assert_eq!(
            response.headers()["access-control-allow-origin"],
            "*",
            "{path}"
        );
    }
    // Nothing that a cookie authorizes is opened to other origins.
    for path in ["/oidc/authorize", "/api/current_user", "/login"] {
        let response = client
            .request(reqwest::Method::OPTIONS, format!("{}{path}", app.address))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
            .await
            .expect("preflight");
        assert!(
            !response
                .headers()
                .contains_key("access-control-allow-origin"),
            "{path}"
        );
    }
}

async fn an_app_may_sign_the_person_out_of_gatehouse_after_asking(backend: Backend) {
    let Some(WithClient {
        app,
        database: _database,
        added,
        ..
    }) = WithClient::spawn(backend, false).await
    else {
        return;
    };
    let response = reqwest::get(format!("{}/.well-known/openid-configuration", app.address))
        .await
        .expect("discovery");
    let metadata: Value = response.json().await.expect("json");
    assert_eq!(
        metadata["end_session_endpoint"],
        format!("{}/oidc/logout", app.public_origin)
    );
    let logout = |uri: &str| {
        format!(
            "/oidc/logout?client_id={}&post_logout_redirect_uri={}&state=s1",
            added.client.id,
            url::form_urlencoded::byte_serialize(uri.as_bytes()).collect::<String>()
        )
    };

    // Somewhere the client did not register: Gatehouse's page, no redirect, still signed in.
    let (status, headers, page) = app.get_page(&logout("https://evil.example/")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(headers.get("location").is_none());
    assert!(page.contains("did not register"), "{page}");

    // A link alone signs nobody out: the page asks first.
    let (status, _, page) = app.get_page(&logout(CALLBACK)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Sign out of Gatehouse?") && page.contains(">Sign out<"),
        "{page}"
    );
    assert!(app.current_user().await.is_some());
    let next = logout(CALLBACK)
        .trim_start_matches("/oidc/logout?")
        .to_owned();
    let response = app
        .client
        .post(format!("{}/oidc/logout", app.address))
        .form(&[("next", next.as_str())])
        .send()
        .await
        .expect("sign out");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(location.starts_with(CALLBACK), "{location}");
    assert_eq!(param(&location, "state").as_deref(), Some("s1"));
    assert!(app.current_user().await.is_none(), "signed out");
    let logged_out: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE event_name = 'USER.LOGOUT'")
            .fetch_one(&app.db)
            .await
            .expect("count");
    assert_eq!(logged_out, 1);

    // Signed out already: straight back to the app.
    let (status, headers, _) = app.get_page(&logout(CALLBACK)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        headers["location"]
            .to_str()
            .expect("location")
            .starts_with(CALLBACK)
    );
}
