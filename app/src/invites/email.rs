//! (ssr) The invitation email, in plain text and HTML. Names typed by people are escaped in
//! the HTML part.

use crate::email::{Email, escape_html};
use crate::format::utc_date;
use crate::roles::Role;

/// The invitation email.
pub struct InviteEmail;

impl InviteEmail {
    pub fn render(
        tailnet: &str,
        inviter: Option<&str>,
        role: Role,
        link: &str,
        expires_at: i64,
    ) -> Email {
        let inviter = inviter.unwrap_or("An admin");
        let role = role.label();
        let expires = utc_date(expires_at);
        // Neutral and short: names people typed stay in the body, where they are framed.
        let subject = "Your invitation to a tailnet on Gatehouse".to_owned();
        let text = format!(
            "{inviter} invited you to join the tailnet {tailnet} as {role}.\n\n\
             Accept the invite:\n{link}\n\n\
             The link works once and expires on {expires} (UTC). If you did not expect this \
             invite, ignore this email.\n"
        );
        let html = format!(
            "<!DOCTYPE html><html><body style=\"font-family:sans-serif\">\
             <p>{inviter_h} invited you to join the tailnet <strong>{tailnet_h}</strong> as {role}.</p>\
             <p><a href=\"{link_h}\">Accept the invite</a></p>\
             <p>Or copy this link into your browser:<br>{link_h}</p>\
             <p>The link works once and expires on {expires} (UTC). If you did not expect this \
             invite, ignore this email.</p></body></html>",
            inviter_h = escape_html(inviter),
            tailnet_h = escape_html(tailnet),
            link_h = escape_html(link),
        );
        Email {
            subject,
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
    }
}
