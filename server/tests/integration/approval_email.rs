//! The email to approvers: when someone starts waiting for approval, the tailnet's Owner,
//! Admins and IT admins (not other roles, not the suspended, not who turned it off) get one
//! email each, naming the person, the tailnet and the role, with a link to the Users page
//! filtered to "Needs approval"; nothing when approval is off; nothing once nobody waits.

use app::tailnets::model::JoinSettings;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::accept::{join_by_email, owner_app};
use crate::harness::{Backend, TestDatabase, insert_member, on_both_databases};
use crate::smtp::ReceivedMail;
use crate::smtp::SmtpSink;

/// The emails to approvers among everything the SMTP server received (invitations too).
fn approval_mails(sink: &SmtpSink) -> Vec<ReceivedMail> {
    sink.received()
        .into_iter()
        .filter(|mail| mail.subject().contains("is waiting for approval in"))
        .collect()
}

on_both_databases!(approvers_are_emailed_once_when_someone_starts_waiting);

async fn approvers_are_emailed_once_when_someone_starts_waiting(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let sink = SmtpSink::start().await;
    let (app, tailnet) = owner_app(&database, &[("GATEHOUSE_SMTP_URL", sink.url())]).await;
    let mut people = std::collections::HashMap::new();
    for (email, role) in [
        ("admin@example.com", "admin"),
        ("it@example.com", "it_admin"),
        ("net@example.com", "network_admin"),
        ("auditor@example.com", "auditor"),
        ("member@example.com", "member"),
        ("quiet@example.com", "admin"),
        ("away@example.com", "admin"),
    ] {
        people.insert(email, insert_member(&app, &tailnet, email, role).await);
    }
    sqlx::query("UPDATE memberships SET status = 'suspended' WHERE user_id = $1")
        .bind(people["away@example.com"].as_str())
        .execute(&app.db)
        .await
        .expect("suspend");
    // One admin turns the emails off on the Account page.
    let quiet = app.signed_in_as(&people["quiet@example.com"]).await;
    let shown = |browser: &crate::harness::TestApp| {
        let browser = browser.clone();
        async move {
            let (status, account) = browser
                .call::<app::passkeys::model::AccountOverview>("get_account", json!({}))
                .await;
            assert_eq!(status, StatusCode::OK);
            account.expect("account").approval_emails
        }
    };
    assert_eq!(shown(&quiet).await, Some(true), "on by default");
    let (status, _) = quiet
        .call::<Value>("set_approval_emails", json!({ "on": false }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown(&quiet).await, Some(false));
    // The setting does not concern someone who approves nowhere.
    let member = app.signed_in_as(&people["member@example.com"]).await;
    assert_eq!(shown(&member).await, None);

    // Approval off: someone joins, nobody is emailed.
    join_by_email(&app, &tailnet, "Early", "early@example.com", "member").await;
    app.deliver_mail(app::context::now()).await;
    assert!(
        approval_mails(&sink).is_empty(),
        "{:?}",
        approval_mails(&sink)
    );

    // Approval on: Grace waits; each approver who wants it gets one email.
    let (status, settings) = app
        .call::<JoinSettings>(
            "set_user_approval",
            json!({ "tailnet": tailnet, "enabled": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{settings:?}");
    join_by_email(
        &app,
        &tailnet,
        "Grace Hopper",
        "grace@example.com",
        "auditor",
    )
    .await;
    app.deliver_mail(app::context::now()).await;
    let mails = approval_mails(&sink);
    let mut recipients: Vec<String> = mails.iter().flat_map(|m| m.to.clone()).collect();
    recipients.sort();
    assert_eq!(
        recipients,
        ["ada@example.com", "admin@example.com", "it@example.com"],
        "Owner, Admin and IT admin; not the Network admin, Auditor, Member, the suspended \
         Admin or the Admin who turned it off"
    );
    let mail = &mails[0];
    assert!(
        mail.subject()
            .contains("Grace Hopper is waiting for approval in"),
        "{}",
        mail.subject()
    );
    let link = format!(
        "{}/admin/{tailnet}/users?status=needs_approval",
        app.public_origin
    );
    assert!(mail.data.contains(&link), "{}", mail.data);
    assert!(mail.data.contains("grace@example.com") && mail.data.contains("Auditor"));

    // Nothing more on later rounds; and an email for someone approved meanwhile is dropped.
    app.deliver_mail(app::context::now()).await;
    assert_eq!(approval_mails(&sink).len(), 3);
    let linus = join_by_email(&app, &tailnet, "Linus", "linus@example.com", "member").await;
    let (status, _) = app
        .call::<Value>(
            "approve_user",
            json!({ "tailnet": tailnet, "user": linus, "role": null }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let round = app.deliver_mail(app::context::now()).await;
    // The three emails about him, and his own invitation (accepted before it went out).
    assert_eq!((round.sent, round.dropped), (0, 4), "{round:?}");
    assert_eq!(approval_mails(&sink).len(), 3);
}
