//! The keys Gatehouse signs OpenID Connect ID tokens with: published at `/oidc/jwks`, shared
//! by every server on the database, sealed at rest, and rotated without breaking tokens that
//! are still valid.

use openidconnect::core::{CoreJsonWebKey, CoreJsonWebKeySet, CoreJwsSigningAlgorithm};
use openidconnect::{JsonWebKey, PrivateSigningKey};
use reqwest::StatusCode;

use crate::harness::{Backend, TestApp, on_both_databases};
use app::oidc::signing_keys::{ID_TOKEN_LIFETIME_SECS, current, published, purge_retired, rotate};

on_both_databases!(
    every_server_publishes_the_one_key_that_signs,
    rotation_keeps_earlier_tokens_verifiable_until_they_expire,
);

async fn key_set(app: &TestApp) -> CoreJsonWebKeySet {
    let response = app
        .client
        .get(format!("{}/oidc/jwks", app.address))
        .send()
        .await
        .expect("jwks");
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("a JSON Web Key Set")
}

fn kids(set: &CoreJsonWebKeySet) -> Vec<String> {
    set.keys()
        .iter()
        .map(|key| key.key_id().expect("every key has a kid").to_string())
        .collect()
}

/// Whether `key` verifies what the signing key `kid` signs now.
async fn verifies_current_signatures(app: &TestApp, key: &CoreJsonWebKey) -> bool {
    let signing = current(&app.db, &app.settings.link_key, app::context::now())
        .await
        .expect("signing key");
    let message = b"header.payload";
    let signature = signing
        .signer()
        .sign(&CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, message)
        .expect("sign");
    key.verify_signature(
        &CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        message,
        &signature,
    )
    .is_ok()
}

async fn every_server_publishes_the_one_key_that_signs(backend: Backend) {
    let Some((app, database)) = TestApp::spawn(backend).await else {
        return;
    };
    let first = key_set(&app).await;
    assert_eq!(first.keys().len(), 1, "one key on a new database");
    let key = &first.keys()[0];
    assert_eq!(
        serde_json::to_value(key).expect("json")["kty"],
        "RSA",
        "RS256 needs an RSA key"
    );
    assert!(verifies_current_signatures(&app, key).await);

    // Asked again, and asked of another server on the same database: the same key.
    assert_eq!(kids(&key_set(&app).await), kids(&first));
    let second = TestApp::spawn_on(&database).await;
    assert_eq!(kids(&key_set(&second).await), kids(&first));

    // The private half is stored sealed, never as a PEM a database copy would reveal.
    let sealed: String = sqlx::query_scalar("SELECT private_key_sealed FROM oidc_signing_keys")
        .fetch_one(&app.db)
        .await
        .expect("key row");
    assert!(!sealed.contains("PRIVATE KEY"));
    assert!(
        app.settings
            .link_key
            .open_text(&sealed, "oidc-signing-key:another-kid")
            .is_err(),
        "a sealed key opens only on its own row"
    );
}

async fn rotation_keeps_earlier_tokens_verifiable_until_they_expire(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    let before = kids(&key_set(&app).await);
    let old_signer = current(&app.db, &app.settings.link_key, app::context::now())
        .await
        .expect("signing key");
    let message = b"an ID token signed before the rotation";
    let old_signature = old_signer
        .signer()
        .sign(&CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, message)
        .expect("sign");

    let now = app::context::now();
    let new_kid = rotate(&app.db, &app.settings.link_key, now)
        .await
        .expect("rotate");
    let after = key_set(&app).await;
    assert_eq!(
        kids(&after),
        vec![new_kid.clone(), before[0].clone()],
        "newest first"
    );
    let signing = current(&app.db, &app.settings.link_key, now)
        .await
        .expect("key");
    assert_eq!(signing.kid(), new_kid, "the new key signs from now on");
    assert!(verifies_current_signatures(&app, &after.keys()[0]).await);
    // The retired key still verifies what it signed.
    assert!(
        after.keys()[1]
            .verify_signature(
                &CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
                message,
                &old_signature
            )
            .is_ok()
    );

    // Once every token it signed has expired, it is no longer published, then forgotten.
    let later = now + ID_TOKEN_LIFETIME_SECS;
    let still: Vec<String> = published(&app.db, later)
        .await
        .expect("published")
        .iter()
        .filter_map(|key| key.key_id().map(|kid| kid.to_string()))
        .collect();
    assert_eq!(still, vec![new_kid]);
    assert_eq!(purge_retired(&app.db, later).await.expect("purge"), 1);
    assert_eq!(app.count("oidc_signing_keys").await, 1);
}
