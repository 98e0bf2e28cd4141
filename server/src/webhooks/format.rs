//! A delivery's body: Tailscale's JSON array of event objects, or one message in the format of
//! the chat service an endpoint posts to (Slack, Mattermost, Google Chat, Discord).

use app::webhooks::model::ProviderType;
use serde_json::{Value, json};

/// Discord refuses a message's `content` longer than this.
const DISCORD_MAX_CHARS: usize = 2_000;

/// Events store the Users page as a path (`data.url`); a delivery names it in full.
fn with_absolute_url(mut event: Value, public_origin: &str) -> Value {
    if let Some(url) = event.pointer_mut("/data/url")
        && let Some(path) = url.as_str().filter(|path| path.starts_with('/'))
    {
        *url = Value::String(format!("{public_origin}{path}"));
    }
    event
}

fn text_of(event: &Value) -> &str {
    event["message"].as_str().unwrap_or_default()
}

fn link_of(event: &Value) -> Option<&str> {
    event.pointer("/data/url").and_then(Value::as_str)
}

/// One line per event, with its link written the service's way.
fn lines(events: &[Value], link: impl Fn(&str, &str) -> String) -> String {
    events
        .iter()
        .map(|event| match link_of(event) {
            Some(url) => format!("{} {}", text_of(event), link(url, "Open in Gatehouse")),
            None => text_of(event).to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The body of one request carrying `events` (event objects as stored) to an endpoint with
/// `provider`'s format.
pub fn body(provider: ProviderType, events: Vec<Value>, public_origin: &str) -> Vec<u8> {
    let events: Vec<Value> = events
        .into_iter()
        .map(|event| with_absolute_url(event, public_origin))
        .collect();
    let message = match provider {
        ProviderType::Tailscale => Value::Array(events),
        // Slack and Google Chat write a link as <url|text>.
        ProviderType::Slack | ProviderType::GoogleChat => {
            json!({ "text": lines(&events, |url, text| format!("<{url}|{text}>")) })
        }
        ProviderType::Mattermost => {
            json!({ "text": lines(&events, |url, text| format!("[{text}]({url})")) })
        }
        ProviderType::Discord => {
            let content: String = lines(&events, |url, text| format!("[{text}](<{url}>)"))
                .chars()
                .take(DISCORD_MAX_CHARS)
                .collect();
            json!({ "content": content })
        }
    };
    message.to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> Value {
        json!({
            "timestamp": "2026-11-29T10:00:00Z",
            "version": 1,
            "type": "userNeedsApproval",
            "tailnet": "example.com",
            "message": "bo@example.com needs approval to join example.com",
            "data": { "user": "bo@example.com", "url": "/admin/t1/users?q=bo%40example.com" },
        })
    }

    fn parsed(provider: ProviderType) -> Value {
        serde_json::from_slice(&body(provider, vec![event()], "https://gh.example.com"))
            .expect("json")
    }

    #[test]
    fn tailscale_format_is_the_array_of_events_with_a_full_url() {
        let body = parsed(ProviderType::Tailscale);
        assert_eq!(body[0]["type"], "userNeedsApproval");
        assert_eq!(
            body[0]["data"]["url"],
            "https://gh.example.com/admin/t1/users?q=bo%40example.com"
        );
    }

    #[test]
    fn chat_formats_carry_the_message_and_the_link() {
        let link = "https://gh.example.com/admin/t1/users?q=bo%40example.com";
        let slack = parsed(ProviderType::Slack);
        assert_eq!(
            slack["text"],
            format!("bo@example.com needs approval to join example.com <{link}|Open in Gatehouse>")
        );
        let mattermost = parsed(ProviderType::Mattermost);
        assert!(
            mattermost["text"]
                .as_str()
                .is_some_and(|t| t.contains(&format!("]({link})")))
        );
        let chat = parsed(ProviderType::GoogleChat);
        assert!(
            chat["text"]
                .as_str()
                .is_some_and(|t| t.starts_with("bo@example.com"))
        );
        let discord = parsed(ProviderType::Discord);
        assert!(
            discord["content"]
                .as_str()
                .is_some_and(|t| t.contains(link))
        );
        assert!(discord.get("text").is_none());
    }
}
