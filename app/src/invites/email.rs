//! (ssr) The invitation email, in plain text and HTML. Names typed by people are escaped in
//! the HTML part.

use crate::email::{Email, escape_html};
use crate::format::utc_date;
use crate::roles::Role;
use crate::tailnets::model::login_command;

/// The invitation email.
pub struct InviteEmail;

/// How to join the network, when the tailnet has a "Coordination server URL".
#[derive(Debug, Clone, Copy)]
pub struct JoinNetwork<'a> {
    pub coordination_server_url: &'a str,
    pub client_download_url: &'a str,
}

impl JoinNetwork<'_> {
    fn text(&self) -> String {
        format!(
            "After accepting, join the network from each device:\n\
             1. Download the client: {download}\n\
             2. On the command line: {command}\n   \
             In the desktop and mobile apps, set the custom coordination server (login server) \
             to {url}, then log in.\n\
             3. Log in with the passkey you create for Gatehouse.\n\n",
            download = self.client_download_url,
            command = login_command(self.coordination_server_url),
            url = self.coordination_server_url,
        )
    }

    fn html(&self) -> String {
        format!(
            "<p>After accepting, join the network from each device:</p><ol>\
             <li><a href=\"{download}\">Download the client</a></li>\
             <li>On the command line: <code>{command}</code><br>In the desktop and mobile apps, \
             set the custom coordination server (login server) to <code>{url}</code>, then log \
             in.</li><li>Log in with the passkey you create for Gatehouse.</li></ol>",
            download = escape_html(self.client_download_url),
            command = escape_html(&login_command(self.coordination_server_url)),
            url = escape_html(self.coordination_server_url),
        )
    }
}

impl InviteEmail {
    pub fn render(
        tailnet: &str,
        inviter: Option<&str>,
        role: Role,
        link: &str,
        expires_at: i64,
        join: Option<JoinNetwork<'_>>,
    ) -> Email {
        let inviter = inviter.unwrap_or("An admin");
        let role = role.label();
        let expires = utc_date(expires_at);
        let join_text = join.map(|j| j.text()).unwrap_or_default();
        // Neutral and short: names people typed stay in the body, where they are framed.
        let subject = "Your invitation to a tailnet on Gatehouse".to_owned();
        let text = format!(
            "{inviter} invited you to join the tailnet {tailnet} as {role}.\n\n\
             Accept the invite:\n{link}\n\n\
             {join_text}\
             The link works once and expires on {expires} (UTC). If you did not expect this \
             invite, ignore this email.\n"
        );
        let html = format!(
            "<!DOCTYPE html><html><body style=\"font-family:sans-serif\">\
             <p>{inviter_h} invited you to join the tailnet <strong>{tailnet_h}</strong> as {role}.</p>\
             <p><a href=\"{link_h}\">Accept the invite</a></p>\
             <p>Or copy this link into your browser:<br>{link_h}</p>{join_html}\
             <p>The link works once and expires on {expires} (UTC). If you did not expect this \
             invite, ignore this email.</p></body></html>",
            inviter_h = escape_html(inviter),
            tailnet_h = escape_html(tailnet),
            link_h = escape_html(link),
            join_html = join.map(|j| j.html()).unwrap_or_default(),
        );
        Email {
            subject,
            text,
            html,
        }
    }
}

/// The emails that check a typed address before an account is created for it.
pub struct AddressCheckEmail;

impl AddressCheckEmail {
    /// The code to enter on the invite page.
    pub fn code(code: &str) -> Email {
        let text = format!(
            "Your Gatehouse code is {code}\n\n\
             Enter it on the invite page to create your account. It works once, for 15 \
             minutes. If you did not ask for it, ignore this email.\n"
        );
        let html = format!(
            "<!DOCTYPE html><html><body style=\"font-family:sans-serif\">\
             <p>Your Gatehouse code is <strong style=\"font-size:1.4em\">{code_h}</strong></p>\
             <p>Enter it on the invite page to create your account. It works once, for 15 \
             minutes. If you did not ask for it, ignore this email.</p></body></html>",
            code_h = escape_html(code),
        );
        Email {
            subject: "Your Gatehouse code".to_owned(),
            text,
            html,
        }
    }

    /// For an address that already has an account: no code, a way to sign in instead.
    pub fn already_has_account(public_origin: &str) -> Email {
        let sign_in = format!("{public_origin}/login");
        let text = format!(
            "Someone asked for a code to create a Gatehouse account with this address, which \
             already has one. To accept an invite, open its link and choose \"Sign in with \
             passkey\" instead, or sign in here:\n{sign_in}\n\n\
             If it was not you, ignore this email: nothing was changed.\n"
        );
        let html = format!(
            "<!DOCTYPE html><html><body style=\"font-family:sans-serif\">\
             <p>Someone asked for a code to create a Gatehouse account with this address, which \
             already has one. To accept an invite, open its link and choose <strong>Sign in \
             with passkey</strong> instead, or <a href=\"{link_h}\">sign in here</a>.</p>\
             <p>If it was not you, ignore this email: nothing was changed.</p></body></html>",
            link_h = escape_html(&sign_in),
        );
        Email {
            // The same subject as the code's: the inbox alone tells nothing either.
            subject: "Your Gatehouse code".to_owned(),
            text,
            html,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_parts_name_tailnet_inviter_role_link_and_expiry() {
        let email = InviteEmail::render(
            "Acme <HQ>",
            Some("Ada"),
            Role::ItAdmin,
            "https://gh.example/invite/abc",
            1_700_000_000,
            None,
        );
        // The subject carries nothing anyone typed.
        assert_eq!(email.subject, "Your invitation to a tailnet on Gatehouse");
        for part in [&email.text, &email.html] {
            assert!(part.contains("Ada"));
            assert!(part.contains("IT admin"));
            assert!(part.contains("https://gh.example/invite/abc"));
            assert!(part.contains(&utc_date(1_700_000_000)));
        }
        assert!(email.text.contains("Acme <HQ>"));
        assert!(email.html.contains("Acme &lt;HQ&gt;"));
        assert!(!email.html.contains("<HQ>"));
        assert!(
            !email.text.contains("tailscale up"),
            "no coordination server, no command"
        );
    }

    #[test]
    fn with_a_coordination_server_the_email_says_how_to_join() {
        let email = InviteEmail::render(
            "Acme",
            None,
            Role::Member,
            "https://gh.example/invite/abc",
            1_700_000_000,
            Some(JoinNetwork {
                coordination_server_url: "https://hs.example.com",
                client_download_url: "https://tailscale.com/download",
            }),
        );
        for part in [&email.text, &email.html] {
            assert!(part.contains("tailscale up --login-server https://hs.example.com"));
            assert!(part.contains("https://tailscale.com/download"));
        }
    }
}
