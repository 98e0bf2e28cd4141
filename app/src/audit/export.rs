//! (ssr) "Export": `GET /admin/:tailnet/logs/export?format=json|csv&…` downloads every event
//! matching the page's filters. The body is streamed in keyset batches, so a large export
//! never sits in memory, and the same permission as the page is checked first.

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sqlx::AnyPool;

use super::model::{AuditEventRow, AuditFilters, EventName, ExportFormat};
use super::server::read_events;
use crate::context::{AppState, download_headers, now, refusal, require_from_headers};
use crate::csv::csv_line;
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
    pub fn parse(self) -> Result<(ExportFormat, AuditFilters), AppError> {
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
    require_from_headers(state, headers, tailnet, Permission::ViewAuditLog).await?;
    let parsed = params.parse()?;
    crate::rate_limit::count_export(state, tailnet, now()).await?;
    Ok(parsed)
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
    download_headers(&mut response, content_type, &filename);
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

#[cfg(test)]
mod tests {
    use super::*;

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

    mod properties {
        use super::*;
        use crate::audit::model::export_path;
        use axum::http::Uri;
        use proptest::prelude::*;

        fn filters() -> impl Strategy<Value = AuditFilters> {
            let time = proptest::option::of(-10_000_000_000i64..10_000_000_000);
            let event = proptest::option::of(proptest::sample::select(EventName::ALL.to_vec()));
            let search = "\\PC{0,30}|[ &=%+#?]{0,4}[a-z@.]{0,6}";
            (time.clone(), time, search, event, search).prop_map(
                |(from, until, actor, event, target)| AuditFilters {
                    from,
                    until,
                    actor,
                    event,
                    target,
                },
            )
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(10_000))]

            /// The page's "Export" link carries its filters exactly: read back by the
            /// download handler, they are the page's filters (searches trimmed), whatever
            /// characters a search holds; a range that ends before it starts is refused.
            #[test]
            fn export_links_carry_the_page_filters(
                filters in filters(),
                csv in any::<bool>(),
            ) {
                let format = if csv { ExportFormat::Csv } else { ExportFormat::Json };
                let tailnet = TailnetId::from_raw("t-1");
                let link = export_path(&tailnet, &filters, format);
                let uri: Uri = link.parse().map_err(|e| TestCaseError::fail(format!("{e}")))?;
                let Query(params) = Query::<ExportParams>::try_from_uri(&uri)
                    .map_err(|e| TestCaseError::fail(format!("{e}")))?;
                match params.parse() {
                    Ok((read_format, read_filters)) => {
                        prop_assert_eq!(read_format, format);
                        let expected = AuditFilters {
                            actor: filters.actor.trim().to_owned(),
                            target: filters.target.trim().to_owned(),
                            ..filters.clone()
                        };
                        prop_assert_eq!(read_filters, expected);
                    }
                    Err(_) => prop_assert!(filters.validate().is_err()),
                }
            }

            /// Any query string is read or refused with a message, never a panic.
            #[test]
            fn any_export_query_is_read_or_refused(query in "[a-z=&%0-9A-F.+-]{0,60}|\\PC{0,60}") {
                if let Ok(uri) = format!("/x?{query}").parse::<Uri>()
                    && let Ok(Query(params)) = Query::<ExportParams>::try_from_uri(&uri)
                {
                    let _ = params.parse();
                }
            }
        }
    }
}
