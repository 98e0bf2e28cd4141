//! A link invitee's typed address is proven before their account exists: a one-time code
//! emailed to it. An address with an account gets the same answer (its email says to sign in
//! instead), so the invite page tells nobody who has an account. Without SMTP the account is
//! marked "Email not verified".

use app::error::AppError;
use app::ids::TailnetId;
use app::invites::model::{EmailCodeSent, InviteLink, InvitePreview, WRONG_CODE_MESSAGE};
use app::members::model::UserListRow;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Backend, TestApp, TestDatabase, on_both_databases, token_of};
use crate::passkey::TestPasskey;
use crate::smtp::SmtpSink;

on_both_databases!(
    a_link_invitee_proves_their_address_with_an_emailed_code,
    an_address_with_an_account_gets_the_same_answer_and_an_email_to_sign_in,
    without_smtp_a_typed_address_is_marked_not_verified,
);

async fn link_token(app: &TestApp, tailnet: &TailnetId) -> String {
    let (_, link) = app
        .call::<InviteLink>(
            "create_invite_link",
            json!({ "tailnet": tailnet, "role": "member" }),
        )
        .await;
    token_of(&link.expect("link").url)
}

fn form(email: &str) -> Value {
    json!({ "display_name": "Nia", "email": email })
}

async fn send_code(browser: &TestApp, token: &str, email: &str) -> (StatusCode, Value) {
    let (status, text) = browser
        .call_raw(
            "send_email_code",
            json!({ "token": token, "form": form(email) }),
        )
        .await;
    (status, serde_json::from_str(&text).expect("json"))
}

async fn deliver(app: &TestApp) {
    assert_eq!(app.deliver_mail(app::context::now()).await.failed, 0);
}

/// The six-digit code in an email, if it has one.
fn code_in(mail: &str) -> Option<String> {
    let start = mail.find("Your Gatehouse code is ")? + "Your Gatehouse code is ".len();
    let code: String = mail[start..].chars().take(6).collect();
    (code.len() == 6 && code.chars().all(|c| c.is_ascii_digit())).then_some(code)
}

/// `start_invite_sign_up` with `code`, then the passkey; the status of the step that answered.
async fn sign_up_with_code(
    browser: &TestApp,
    token: &str,
    email: &str,
    code: Option<(&str, &str)>,
) -> (StatusCode, Result<String, AppError>) {
    let code = code.map(|(id, code)| json!({ "code_id": id, "code": code }));
    let (status, started) = browser
        .call::<app::auth::model::PasskeyChallenge<webauthn_rs_proto::CreationChallengeResponse>>(
            "start_invite_sign_up",
            json!({ "token": token, "form": form(email), "code": code }),
        )
        .await;
    let challenge = match started {
        Ok(challenge) => challenge,
        Err(error) => return (status, Err(error)),
    };
    let mut passkey = TestPasskey::new(&browser.public_origin);
    let credential = passkey.register(challenge.options);
    browser
        .call::<String>(
            "finish_invite_sign_up",
            json!({ "ceremony": challenge.ceremony, "credential": credential }),
        )
        .await
}

async fn with_smtp(database: &TestDatabase, sink: &SmtpSink) -> (TestApp, TailnetId) {
    let app = TestApp::spawn_with(database, &[("GATEHOUSE_SMTP_URL", sink.url())]).await;
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    (app, tailnet)
}

async fn email_verified(app: &TestApp, email: &str) -> Option<i64> {
    sqlx::query_scalar("SELECT email_verified FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(&app.db)
        .await
        .expect("user")
}

async fn a_link_invitee_proves_their_address_with_an_emailed_code(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let sink = SmtpSink::start().await;
    let (app, tailnet) = with_smtp(&database, &sink).await;
    let token = link_token(&app, &tailnet).await;
    let nia = app.other_browser();
    let (_, preview) = nia
        .call::<InvitePreview>("inspect_invite", json!({ "token": token }))
        .await;
    assert!(preview.expect("preview").email_code_required);

    // No code, no account.
    let (status, refused) = sign_up_with_code(&nia, &token, "nia@example.com", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .expect_err("refused")
            .field_message("code")
            .is_some()
    );

    let events = app.count("audit_events").await;
    let (status, sent) = send_code(&nia, &token, "nia@example.com").await;
    assert_eq!(status, StatusCode::OK);
    let sent: EmailCodeSent = serde_json::from_value(sent).expect("sent");
    assert_eq!(
        app.count("audit_events").await,
        events,
        "a code is no change"
    );
    deliver(&app).await;
    let mail = sink.received();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, ["nia@example.com"]);
    assert_eq!(mail[0].subject(), "Your Gatehouse code");
    let code = code_in(&mail[0].data).expect("a code in the email");
    let sealed: Option<String> = sqlx::query_scalar("SELECT sealed_code FROM email_codes")
        .fetch_one(&app.db)
        .await
        .expect("code row");
    assert_eq!(sealed, None, "once sent, only the code's hash is kept");

    // A wrong code, then the right one, which works once.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, refused) = sign_up_with_code(
        &nia,
        &token,
        "nia@example.com",
        Some((&sent.code_id, wrong)),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.expect_err("wrong").field_message("code").as_deref(),
        Some(WRONG_CODE_MESSAGE)
    );
    // The code belongs to its address.
    let (status, _) = sign_up_with_code(
        &nia,
        &token,
        "other@example.com",
        Some((&sent.code_id, &code)),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, joined) = sign_up_with_code(
        &nia,
        &token,
        "nia@example.com",
        Some((&sent.code_id, &code)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{joined:?}");
    assert_eq!(email_verified(&app, "nia@example.com").await, Some(1));
    assert_eq!(app.count("email_codes").await, 0, "used up");

    // Five wrong answers end a code, even for the right one after them.
    let token = link_token(&app, &tailnet).await;
    let noa = app.other_browser();
    let (_, sent) = send_code(&noa, &token, "noa@example.com").await;
    let sent: EmailCodeSent = serde_json::from_value(sent).expect("sent");
    deliver(&app).await;
    let code = code_in(&sink.received()[1].data).expect("code");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..app::invites::model::EMAIL_CODE_ATTEMPTS {
        let (status, _) = sign_up_with_code(
            &noa,
            &token,
            "noa@example.com",
            Some((&sent.code_id, wrong)),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let (status, _) = sign_up_with_code(
        &noa,
        &token,
        "noa@example.com",
        Some((&sent.code_id, &code)),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(email_verified(&app, "noa@example.com").await, None);
}

async fn an_address_with_an_account_gets_the_same_answer_and_an_email_to_sign_in(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let sink = SmtpSink::start().await;
    let (app, tailnet) = with_smtp(&database, &sink).await;
    let token = link_token(&app, &tailnet).await;
    let visitor = app.other_browser();
    let (free_status, free) = send_code(&visitor, &token, "free@example.com").await;
    let (taken_status, taken) = send_code(&visitor, &token, "ada@example.com").await;
    // The same status and the same shape: only the id and the echoed address differ.
    assert_eq!(
        (free_status, taken_status),
        (StatusCode::OK, StatusCode::OK)
    );
    let keys = |value: &Value| -> Vec<String> {
        value.as_object().expect("object").keys().cloned().collect()
    };
    assert_eq!(keys(&free), keys(&taken));
    deliver(&app).await;
    let mail = sink.received();
    let to_ada = mail
        .iter()
        .find(|m| m.to == ["ada@example.com"])
        .expect("Ada hears of it");
    assert_eq!(to_ada.subject(), "Your Gatehouse code");
    assert_eq!(code_in(&to_ada.data), None, "no code for a taken address");
    assert!(to_ada.data.contains("already has one"), "{}", to_ada.data);
    // Whatever code is typed, the answer is the one any wrong code gets.
    let taken: EmailCodeSent = serde_json::from_value(taken).expect("sent");
    for guess in ["000000", "123456", "999999"] {
        let (status, refused) = sign_up_with_code(
            &visitor,
            &token,
            "ada@example.com",
            Some((&taken.code_id, guess)),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            refused
                .expect_err("refused")
                .field_message("code")
                .as_deref(),
            Some(WRONG_CODE_MESSAGE)
        );
    }
    assert_eq!(app.count("users").await, 1);
}

async fn without_smtp_a_typed_address_is_marked_not_verified(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let token = link_token(&app, &tailnet).await;
    let nia = app.other_browser();
    let (status, _) = send_code(&nia, &token, "nia@example.com").await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no email, no code"
    );
    let (status, joined) = sign_up_with_code(&nia, &token, "nia@example.com", None).await;
    assert_eq!(status, StatusCode::OK, "{joined:?}");
    assert_eq!(email_verified(&app, "nia@example.com").await, Some(0));
    assert_eq!(email_verified(&app, "ada@example.com").await, Some(1));
    let page = crate::invites::list(&app, &tailnet, json!({})).await;
    let marks: Vec<(String, bool)> = page
        .rows
        .iter()
        .filter_map(|row| match row {
            UserListRow::Member(member) => Some((member.email.clone(), member.email_verified)),
            UserListRow::Invite(_) => None,
        })
        .collect();
    assert!(
        marks.contains(&("nia@example.com".to_owned(), false)),
        "{marks:?}"
    );
    assert!(
        marks.contains(&("ada@example.com".to_owned(), true)),
        "{marks:?}"
    );
}
