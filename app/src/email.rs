//! (ssr) An email as the outbox worker sends it: a subject, a plain-text part and an HTML part.
//! Each kind of email (`invites::email`, `recovery::email`) renders one of these when it is
//! sent, so no link waits in the outbox in the clear.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Escapes text typed by people (names, tailnet names) for the HTML part.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}
