//! Cross-site writes are refused, and every page carries the security headers.

use reqwest::StatusCode;

use crate::harness::{Backend, TestApp, on_both_databases};

on_both_databases!(cross_site_writes_are_refused, pages_carry_security_headers);

async fn cross_site_writes_are_refused(backend: Backend) {
    let Some((app, _db)) = TestApp::spawn(backend).await else {
        return;
    };
    let bare = reqwest::Client::new();
    let url = format!("{}/api/start_sign_in", app.address);
    let attempts: [(&str, Option<&str>, Option<&str>); 4] = [
        ("another origin", Some("https://evil.example"), None),
        (
            "cross-site fetch metadata",
            Some(app.public_origin.as_str()),
            Some("cross-site"),
        ),
        ("same-site but not same-origin", None, Some("same-site")),
        ("no origin at all", None, None),
    ];
    for (what, origin, fetch_site) in attempts {
        let mut request = bare
            .post(&url)
            .header("content-type", "application/json")
            .body("{}");
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if let Some(site) = fetch_site {
            request = request.header("sec-fetch-site", site);
        }
        let response = request.send().await.expect("request");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{what}");
    }
    assert_eq!(
        app.count("webauthn_ceremonies").await,
        0,
        "refused requests change nothing"
    );

    let allowed = bare
        .post(&url)
        .header("content-type", "application/json")
        .header("sec-fetch-site", "same-origin")
        .body("{}")
        .send()
        .await
        .expect("request");
    assert_eq!(allowed.status(), StatusCode::OK);

    // Server functions have no GET encoding.
    let get = bare.get(&url).send().await.expect("request");
    assert!(get.status().is_client_error(), "GET {}", get.status());
}

async fn pages_carry_security_headers(backend: Backend) {
    let Some((app, _db)) = TestApp::spawn(backend).await else {
        return;
    };
    let (status, headers, html) = app.get_page("/login").await;
    assert_eq!(status, StatusCode::OK);
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("referrer-policy"), "no-referrer");
    assert_eq!(header("x-content-type-options"), "nosniff");
    let csp = header("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy");
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "inline scripts carry the nonce"
    );

    let (_, second, _) = app.get_page("/login").await;
    let second_csp = second
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert_ne!(second_csp, csp, "a fresh nonce for every response");

    let compressed = reqwest::Client::new()
        .get(format!("{}/login", app.address))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("request");
    assert_eq!(
        compressed
            .headers()
            .get("content-encoding")
            .map(|v| v.as_bytes()),
        Some(&b"gzip"[..]),
        "pages are compressed for browsers that accept it"
    );

    let (status, headers, _) = app.get_page("/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        headers.get("referrer-policy").map(|v| v.as_bytes()),
        Some(&b"no-referrer"[..])
    );
}
