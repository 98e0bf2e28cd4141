//! Races that only PostgreSQL's concurrent transactions expose, pinned down by the database:
//! two sign-ins presenting one counter value record once, and a person has at most one unused
//! recovery link.

use app::passkeys::server::{RecordedUse, find_by_credential, record_use};
use reqwest::StatusCode;

use crate::harness::{Backend, TestApp, on_both_databases};

on_both_databases!(
    two_sign_ins_with_one_counter_value_record_once,
    a_person_never_has_two_unused_recovery_links,
);

/// The stored passkey as a sign-in that verified counter `count` holds it.
async fn verified_at(
    app: &TestApp,
    credential_id: &[u8],
    count: u32,
) -> app::passkeys::server::StoredPasskey {
    let mut stored = find_by_credential(&app.db, credential_id)
        .await
        .expect("read")
        .expect("passkey");
    let mut json = serde_json::to_value(&stored.passkey).expect("json");
    json["cred"]["counter"] = serde_json::json!(count);
    stored.passkey = serde_json::from_value(json).expect("passkey");
    stored
}

async fn two_sign_ins_with_one_counter_value_record_once(backend: Backend) {
    let Some((app, _db)) = TestApp::spawn(backend).await else {
        return;
    };
    let (mut passkey, _) = app.with_owner("ada@example.com").await;
    assert_eq!(app.sign_in(&mut passkey).await.0, StatusCode::OK);
    let id = passkey.credential_id();
    // A passkey and its copy both verified counter 5 against the stored 1, before either wrote.
    let first = verified_at(&app, &id, 5).await;
    let copy = verified_at(&app, &id, 5).await;
    let now = app::context::now();
    let mut tx = app::sql::begin_write(&app.db).await.expect("tx");
    assert_eq!(
        record_use(&mut tx, &first, now).await,
        Ok(RecordedUse::Recorded)
    );
    tx.commit().await.expect("commit");
    let mut tx = app::sql::begin_write(&app.db).await.expect("tx");
    assert_eq!(
        record_use(&mut tx, &copy, now).await,
        Ok(RecordedUse::CounterAlreadySeen)
    );
    drop(tx);
    // A higher counter records; a passkey that does not count (0, as synced passkeys) always does.
    let later = verified_at(&app, &id, 6).await;
    let mut tx = app::sql::begin_write(&app.db).await.expect("tx");
    assert_eq!(
        record_use(&mut tx, &later, now).await,
        Ok(RecordedUse::Recorded)
    );
    let uncounted = verified_at(&app, &id, 0).await;
    assert_eq!(
        record_use(&mut tx, &uncounted, now).await,
        Ok(RecordedUse::Recorded)
    );
    tx.commit().await.expect("commit");
}

async fn a_person_never_has_two_unused_recovery_links(backend: Backend) {
    let Some((app, _db)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let user = app.current_user().await.expect("signed in").user_id;
    let insert = |id: &'static str| {
        sqlx::query(
            "INSERT INTO recovery_links (id, token_hash, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, 0, 99999999999)",
        )
        .bind(id)
        .bind(format!("hash-{id}"))
        .bind(user.as_str())
        .execute(&app.db)
    };
    insert("one").await.expect("the first unused link");
    let second = insert("two").await;
    assert!(
        matches!(&second, Err(sqlx::Error::Database(e)) if e.is_unique_violation()),
        "{second:?}"
    );
    // Once used, a new one may be issued.
    sqlx::query("UPDATE recovery_links SET used_at = 1 WHERE id = 'one'")
        .execute(&app.db)
        .await
        .expect("use");
    insert("two")
        .await
        .expect("a new link after the first was used");
}
