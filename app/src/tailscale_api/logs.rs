//! (ssr) `GET /api/v2/tailnet/{tailnet}/logging/configuration?start=…&end=…`: the
//! configuration audit log of a time window in Tailscale's shape, oldest first, optionally
//! filtered by repeatable `actor`, `target` and `event`. Streamed in batches, so a long window
//! never sits in memory.

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

use super::auth::ApiCaller;
use super::error::{ApiError, ErrorBody};
use crate::audit::model::AuditEventRow;
use crate::audit::server::{EventWindow, read_window};
use crate::context::AppState;
use crate::delegation::Scope;
use crate::error::AppError;
use crate::format::utc_timestamp;
use crate::roles::Permission;

/// Events read per query while streaming.
const BATCH: usize = 1_000;

/// An RFC 3339 time (`Z` or an offset, with or without fractions) as Unix seconds.
fn unix_seconds(name: &str, text: &str) -> Result<i64, ApiError> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|time| time.timestamp())
        .map_err(|_| {
            ApiError::bad_request(format!(
                "{name} must be an RFC 3339 time such as 2026-11-01T00:00:00Z"
            ))
        })
}

/// Reads the query: `start` and `end` are required; `actor`, `target`, `event` repeat.
fn window_of(query: &str) -> Result<EventWindow, ApiError> {
    let (mut start, mut end) = (None, None);
    let mut window = EventWindow::default();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "start" => start = Some(unix_seconds("start", &value)?),
            "end" => end = Some(unix_seconds("end", &value)?),
            "actor" => window.actors.push(value.into_owned()),
            "target" => window.targets.push(value.into_owned()),
            "event" => window.events.push(value.into_owned()),
            _ => {}
        }
    }
    window.start = start.ok_or_else(|| ApiError::bad_request("start is required"))?;
    window.end = end.ok_or_else(|| ApiError::bad_request("end is required"))?;
    if window.end <= window.start {
        return Err(ApiError::bad_request("end must be after start"));
    }
    Ok(window)
}

/// A stored value (JSON text) as JSON; text that is not JSON stays a string.
fn value_of(stored: &Option<String>) -> Value {
    match stored {
        None => Value::Null,
        Some(text) => serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone())),
    }
}

/// Who made a change.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogActor {
    pub id: Option<String>,
    /// `USER`, or `OPERATOR` for the server's command line.
    #[serde(rename = "type")]
    pub kind: String,
    pub login_name: Option<String>,
    pub display_name: Option<String>,
}

/// What a change was made to.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LogTarget {
    pub id: String,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub property: Option<String>,
}

/// One event in Tailscale's ConfigurationAuditLog shape.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogEntry {
    pub event_time: String,
    /// Always `CONFIG`.
    #[serde(rename = "type")]
    pub kind: String,
    pub deferred_at: String,
    #[serde(rename = "eventGroupID")]
    pub event_group_id: String,
    /// `ADMIN_CONSOLE` or `CONFIG_API`.
    pub origin: String,
    pub actor: LogActor,
    pub target: LogTarget,
    pub action: String,
    #[schema(value_type = Object, nullable)]
    pub old: Value,
    #[schema(value_type = Object, nullable)]
    pub new: Value,
}

/// The answer (streamed): the window's events, oldest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConfigurationLog {
    /// `1.1`.
    pub version: String,
    /// The tailnet's name.
    pub tailnet: String,
    pub logs: Vec<LogEntry>,
}

/// The query (each filter may repeat).
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct LogQuery {
    /// RFC 3339, included.
    start: String,
    /// RFC 3339, excluded.
    end: String,
    /// An actor's id or email.
    actor: Option<Vec<String>>,
    /// A target's id.
    target: Option<Vec<String>>,
    /// An event name or action.
    event: Option<Vec<String>>,
}

/// One stored event as the API shows it.
pub fn log_entry(row: &AuditEventRow) -> LogEntry {
    let time = utc_timestamp(row.event_time);
    LogEntry {
        event_time: time.clone(),
        kind: "CONFIG".to_owned(),
        deferred_at: time,
        event_group_id: row.event_group_id.clone(),
        origin: row.origin.clone(),
        actor: LogActor {
            id: row.actor.id.clone(),
            kind: row.actor.kind.clone(),
            login_name: row.actor.email.clone(),
            display_name: row.actor.display_name.clone(),
        },
        target: LogTarget {
            id: row.target.id.clone(),
            name: row.target.name.clone(),
            kind: row.target.kind.clone(),
            property: row.target.property.clone(),
        },
        action: row.action.clone(),
        old: value_of(&row.old_value),
        new: value_of(&row.new_value),
    }
}

/// Where the stream is.
enum Progress {
    Start,
    After(i64, String),
    Finish,
    Done,
}

/// `GET /api/v2/tailnet/{tailnet}/logging/configuration`.
#[utoipa::path(get, path = "/tailnet/{tailnet}/logging/configuration", tag = "logging", params(("tailnet" = String, Path, description = "`-`, the tailnet's id or its name"), LogQuery), responses((status = 200, description = "The window's events, oldest first", body = ConfigurationLog), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn configuration(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(tailnet): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    caller.check_tailnet(&tailnet)?;
    caller.require(Permission::ViewAuditLog, Scope::LogsConfigurationRead)?;
    let window = window_of(&query.unwrap_or_default())?;
    let head = json!({ "version": "1.1", "tailnet": caller.tailnet_name }).to_string();
    // `{"version":…,"tailnet":…` then `,"logs":[…]}`.
    let opening = format!("{},\"logs\":[", head.trim_end_matches('}'));
    let (db, tailnet) = (state.db.clone(), caller.tailnet.clone());
    let chunks = futures::stream::try_unfold(Progress::Start, move |progress| {
        let (db, tailnet, window, opening) =
            (db.clone(), tailnet.clone(), window.clone(), opening.clone());
        async move {
            let (after, first) = match progress {
                Progress::Start => (None, true),
                Progress::After(at, id) => (Some((at, id)), false),
                Progress::Finish => {
                    return Ok::<_, AppError>(Some((Bytes::from("]}"), Progress::Done)));
                }
                Progress::Done => return Ok(None),
            };
            let rows = read_window(&db, &tailnet, &window, after, BATCH).await?;
            let mut text = if first { opening } else { String::new() };
            for (index, row) in rows.iter().enumerate() {
                if !(first && index == 0) {
                    text.push(',');
                }
                let entry = serde_json::to_string(&log_entry(row)).map_err(AppError::internal)?;
                text.push_str(&entry);
            }
            let next = match rows.last() {
                Some(last) if rows.len() == BATCH => {
                    Progress::After(last.event_time, last.id.clone())
                }
                _ => Progress::Finish,
            };
            Ok(Some((Bytes::from(text), next)))
        }
    });
    let mut response = Body::from_stream(chunks).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc_3339_with_z_offsets_or_fractions() {
        assert_eq!(
            unix_seconds("start", "2023-11-14T22:13:20Z").ok(),
            Some(1_700_000_000)
        );
        assert_eq!(
            unix_seconds("start", "2023-11-15T00:13:20.250+02:00").ok(),
            Some(1_700_000_000)
        );
        assert!(unix_seconds("start", "2023-11-14").is_err());
        let window = window_of(
            "start=2023-11-14T00:00:00Z&end=2023-11-15T00:00:00Z&actor=a&actor=b&event=USER.LOGIN",
        )
        .expect("window");
        assert_eq!(window.actors, ["a", "b"]);
        assert_eq!(window.events, ["USER.LOGIN"]);
        assert!(
            window_of("start=2023-11-14T00:00:00Z").is_err(),
            "end is required"
        );
        assert!(window_of("start=2023-11-15T00:00:00Z&end=2023-11-14T00:00:00Z").is_err());
    }
}
