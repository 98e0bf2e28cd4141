//! (ssr) "Export": `GET /admin/:tailnet/logs/export?format=json|csv&…` downloads every event
//! matching the page's filters. The body is streamed in keyset batches, so a large export
//! never sits in memory, and the same permission as the page is checked first.

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sqlx::AnyPool;

use super::model::{AuditEventRow, AuditFilters, EventName, ExportFormat};
use super::server::read_events;
use crate::auth::server::session_from_headers;
use crate::context::{AppState, member_role, now};
use crate::error::AppError;
use crate::format::{utc_date, utc_timestamp};
use crate::ids::TailnetId;
use crate::paging::PageRequest;
use crate::roles::Permission;

/// Events read per query while streaming.
const EXPORT_BATCH: usize = 1_000;

/// The CSV header; each row has these columns in this order.
pub const CSV_COLUMNS: [&str; 17] = [
    "event_time",
    "event_name",
    "action",
    "origin",
    "actor_id",
    "actor_type",
    "actor_name",
    "actor_email",
    "target_type",
    "target_id",
    "target_name",
    "target_property",
    "old_value",
    "new_value",
    "client_address",
    "event_group_id",
    "event_id",
];

/// The query string as sent; every value is checked before use.
#[derive(Debug, Default, Deserialize)]
pub struct ExportParams {
    format: Option<String>,
    from: Option<String>,
    until: Option<String>,
    actor: Option<String>,
    event: Option<String>,
    target: Option<String>,
}

impl ExportParams {
    fn parse(self) -> Result<(ExportFormat, AuditFilters), AppError> {
        let format = match self.format.as_deref() {
            Some("json") => ExportFormat::Json,
            Some("csv") => ExportFormat::Csv,
            _ => {
                return Err(AppError::validation(
                    "format",
                    "Choose format=json or format=csv.",
                ));
            }
        };
        let time = |field: &str, value: Option<String>| {
            value
                .filter(|text| !text.is_empty())
                .map(|text| {
                    text.parse::<i64>().map_err(|_| {
                        AppError::validation(
                            field,
                            format!("'{text}' is not a Unix time in seconds."),
                        )
                    })
                })
                .transpose()
        };
        let event = match self.event.filter(|text| !text.is_empty()) {
            None => None,
            Some(text) => Some(EventName::parse(&text).ok_or_else(|| {
                AppError::validation("event", format!("'{text}' is not an event name."))
            })?),
        };
        let filters = AuditFilters {
            from: time("from", self.from)?,
            until: time("until", self.until)?,
            actor: self.actor.unwrap_or_default(),
            event,
            target: self.target.unwrap_or_default(),
        };
        filters.validate()?;
        Ok((format, filters))
    }
}

/// The handler behind the page's "Export" links.
pub async fn download(
    State(state): State<AppState>,
    Path(tailnet): Path<String>,
    Query(params): Query<ExportParams>,
    headers: HeaderMap,
) -> Response {
    let tailnet = TailnetId::from_raw(tailnet);
    match prepare(&state, &tailnet, params, &headers).await {
        Ok((format, filters)) => stream(state.db.clone(), tailnet, filters, format),
        Err(error) => refusal(&error),
    }
}

async fn prepare(
    state: &AppState,
    tailnet: &TailnetId,
    params: ExportParams,
    headers: &HeaderMap,
) -> Result<(ExportFormat, AuditFilters), AppError> {
    let session = session_from_headers(state, headers, now())
        .await?
        .ok_or(AppError::Unauthenticated)?;
    member_role(
        &state.db,
        tailnet,
        &session.user_id,
        Permission::ViewAuditLog,
    )
    .await?;
    params.parse()
}

fn refusal(error: &AppError) -> Response {
    let status =
        StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, error.to_string()).into_response()
}

/// Where the stream is: before the first batch, after a batch with more to come, or done.
enum Progress {
    Start,
    More(PageRequest),
    Finish,
    Done,
}

fn stream(
    db: AnyPool,
    tailnet: TailnetId,
    filters: AuditFilters,
    format: ExportFormat,
) -> Response {
    let filename = format!(
        "audit-log-{tailnet}-{}.{}",
        utc_date(now()),
        format.as_str()
    );
    let chunks = futures::stream::try_unfold(Progress::Start, move |progress| {
        let (db, tailnet, filters) = (db.clone(), tailnet.clone(), filters.clone());
        async move {
            let (page, first) = match progress {
                Progress::Start => (PageRequest::First, true),
                Progress::More(page) => (page, false),
                Progress::Finish => {
                    let end = match format {
                        ExportFormat::Json => "\n]\n",
                        ExportFormat::Csv => "",
                    };
                    return Ok::<_, AppError>(Some((Bytes::from(end), Progress::Done)));
                }
                Progress::Done => return Ok(None),
            };
            let batch = read_events(&db, &tailnet, &filters, &page, EXPORT_BATCH).await?;
            let mut text = String::new();
            if first {
                text.push_str(&match format {
                    ExportFormat::Json => "[".to_owned(),
                    ExportFormat::Csv => csv_line(CSV_COLUMNS.iter().map(|c| Some(*c))),
                });
            }
            for (index, row) in batch.rows.iter().enumerate() {
                match format {
                    ExportFormat::Json => {
                        text.push_str(if first && index == 0 { "\n" } else { ",\n" });
                        text.push_str(&json_record(row).to_string());
                    }
                    ExportFormat::Csv => text.push_str(&csv_record(row)),
                }
            }
            let next = match batch.next {
                Some(cursor) => Progress::More(PageRequest::After(cursor)),
                None => Progress::Finish,
            };
            Ok(Some((Bytes::from(text), next)))
        }
    });
    let content_type = match format {
        ExportFormat::Json => "application/json",
        ExportFormat::Csv => "text/csv; charset=utf-8",
    };
    let mut response = Body::from_stream(chunks).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// One event in the JSON export: the page's fields, with the time also in RFC 3339.
pub fn json_record(row: &AuditEventRow) -> serde_json::Value {
    serde_json::json!({
        "event_id": row.id,
        "event_time": utc_timestamp(row.event_time),
        "event_time_unix": row.event_time,
        "event_group_id": row.event_group_id,
        "origin": row.origin,
        "actor": row.actor,
        "target": row.target,
        "action": row.action,
        "event_name": row.event_name,
        "old_value": row.old_value,
        "new_value": row.new_value,
        "client_address": row.client_address,
    })
}

/// One event as a CSV line, in [`CSV_COLUMNS`] order.
pub fn csv_record(row: &AuditEventRow) -> String {
    let time = utc_timestamp(row.event_time);
    csv_line([
        Some(time.as_str()),
        Some(row.event_name.as_str()),
        Some(row.action.as_str()),
        Some(row.origin.as_str()),
        row.actor.id.as_deref(),
        Some(row.actor.kind.as_str()),
        row.actor.display_name.as_deref(),
        row.actor.email.as_deref(),
        Some(row.target.kind.as_str()),
        Some(row.target.id.as_str()),
        row.target.name.as_deref(),
        row.target.property.as_deref(),
        row.old_value.as_deref(),
        row.new_value.as_deref(),
        row.client_address.as_deref(),
        Some(row.event_group_id.as_str()),
        Some(row.id.as_str()),
    ])
}

/// Fields joined by commas and ended by CRLF (RFC 4180).
fn csv_line<'a>(fields: impl IntoIterator<Item = Option<&'a str>>) -> String {
    let mut line = fields
        .into_iter()
        .map(|field| csv_field(field.unwrap_or_default()))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// Quotes a field when it needs it. Text that a spreadsheet would run as a formula (starting
/// with `=`, `+`, `-`, `@`, tab or carriage return) gets a leading `'`, so a display name
/// such as `=HYPERLINK(…)` stays text when an auditor opens the file.
pub fn csv_field(value: &str) -> String {
    let neutral = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if neutral.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("ada@example.com"), "ada@example.com");
        assert_eq!(csv_field("Smith, Ada"), "\"Smith, Ada\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("=1+2"), "'=1+2");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("-2,3"), "\"'-2,3\"");
        assert_eq!(csv_line([Some("a"), None, Some("b")]), "a,,b\r\n");
    }

    #[test]
    fn bad_export_parameters_name_their_field() {
        let params = |format: &str, from: &str, event: &str| ExportParams {
            format: Some(format.into()),
            from: Some(from.into()),
            event: Some(event.into()),
            ..ExportParams::default()
        };
        let field = |params: ExportParams| {
            params.parse().err().and_then(|e| match e {
                AppError::Validation(errors) => errors.first().map(|e| e.field.clone()),
                _ => None,
            })
        };
        assert_eq!(field(params("xml", "", "")), Some("format".into()));
        assert_eq!(field(params("csv", "yesterday", "")), Some("from".into()));
        assert_eq!(field(params("csv", "", "USER.FLY")), Some("event".into()));
        assert!(params("json", "10", "USER.LOGIN").parse().is_ok());
    }
}
