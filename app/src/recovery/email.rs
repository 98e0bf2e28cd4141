//! (ssr) The recovery email: the link, what it does, and when it expires.

use crate::email::{Email, escape_html};
use crate::format::utc_minute;

/// The email that carries an admin's recovery link.
pub struct RecoveryEmail;

impl RecoveryEmail {
    pub fn render(display_name: &str, tailnet: Option<&str>, link: &str, expires_at: i64) -> Email {
        let from = tailnet
            .map(|name| format!("An admin of {name}"))
            .unwrap_or_else(|| "An admin".to_owned());
        let expires = utc_minute(expires_at);
        let subject = "Your Gatehouse recovery link".to_owned();
        let text = format!(
            "Hello {display_name},\n\n\
             {from} created a recovery link for your Gatehouse account. Open it to create a new \
             passkey and sign in:\n{link}\n\n\
             The link works once and expires at {expires}. Using it signs your account out \
             everywhere else. If you did not ask for it, tell your admin.\n"
        );
        let html = format!(
            "<!DOCTYPE html><html><body style=\"font-family:sans-serif\">\
             <p>Hello {name_h},</p>\
             <p>{from_h} created a recovery link for your Gatehouse account.</p>\
             <p><a href=\"{link_h}\">Create a new passkey</a></p>\
             <p>Or copy this link into your browser:<br>{link_h}</p>\
             <p>The link works once and expires at {expires}. Using it signs your account out \
             everywhere else. If you did not ask for it, tell your admin.</p></body></html>",
            name_h = escape_html(display_name),
            from_h = escape_html(&from),
            link_h = escape_html(link),
        );
        Email {
            subject,
            text,
            html,
        }
    }
}

impl RecoveryEmail {
    /// The notice that a recovery link was used: a new passkey was added to the account and
    /// every other session ended.
    pub fn render_used(display_name: &str, used_at: i64) -> Email {
        let when = utc_minute(used_at);
        let text = format!(
            "Hello {display_name},\n\n\
             A recovery link was used at {when} to add a new passkey to your Gatehouse account, \
             and your account was signed out everywhere else.\n\n\
             If that was not you, tell an admin of your tailnet at once: they can remove the \
             passkey's access by suspending your account while you recover it.\n"
        );
        let html = format!(
            "<!DOCTYPE html><html><body style=\"font-family:sans-serif\">\
             <p>Hello {name_h},</p>\
             <p>A recovery link was used at {when} to add a new passkey to your Gatehouse \
             account, and your account was signed out everywhere else.</p>\
             <p>If that was not you, tell an admin of your tailnet at once: they can remove the \
             passkey's access by suspending your account while you recover it.</p></body></html>",
            name_h = escape_html(display_name),
        );
        Email {
            subject: "Your Gatehouse account was recovered".to_owned(),
            text,
            html,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_email_carries_the_link_and_escapes_names() {
        let email = RecoveryEmail::render(
            "Linus <b>",
            Some("Acme & Co"),
            "https://gh.example/recover/abc",
            1_700_000_000,
        );
        assert!(email.text.contains("https://gh.example/recover/abc"));
        assert!(email.text.contains("An admin of Acme & Co"));
        assert!(email.html.contains("Linus &lt;b&gt;"));
        assert!(email.html.contains("Acme &amp; Co"));
        assert!(
            email.text.contains("2023-11-14 22:13 UTC"),
            "{}",
            email.text
        );
    }
}
