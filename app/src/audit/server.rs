//! (ssr) Reading the audit log and removing events past retention. Every read is a keyset
//! query that walks an index newest first and stops after one page, so the first page costs
//! about the same with a million events as with a thousand.

use sqlx::AnyPool;

use super::model::{
    AUDIT_PAGE_SIZE, AuditEventRow, AuditFilters, AuditQuery, EventActor, EventTarget,
};
use crate::error::AppError;
use crate::ids::TailnetId;
use crate::paging::{Page, PageRequest};
use crate::sql::{Statement, contains_pattern};

/// Events deleted per statement by retention, so a large purge never holds the write lock
/// for long.
const PURGE_BATCH: i64 = 5_000;

#[derive(sqlx::FromRow)]
struct EventRecord {
    id: String,
    event_time: i64,
    event_group_id: String,
    origin: String,
    actor_id: Option<String>,
    actor_type: String,
    actor_name: Option<String>,
    actor_email: Option<String>,
    target_type: String,
    target_id: String,
    target_name: Option<String>,
    target_property: Option<String>,
    action: String,
    event_name: String,
    old_value: Option<String>,
    new_value: Option<String>,
    client_address: Option<String>,
}

impl From<EventRecord> for AuditEventRow {
    fn from(record: EventRecord) -> Self {
        AuditEventRow {
            id: record.id,
            event_time: record.event_time,
            event_group_id: record.event_group_id,
            origin: record.origin,
            actor: EventActor {
                id: record.actor_id,
                kind: record.actor_type,
                display_name: record.actor_name,
                email: record.actor_email,
            },
            target: EventTarget {
                kind: record.target_type,
                id: record.target_id,
                name: record.target_name,
                property: record.target_property,
            },
            action: record.action,
            event_name: record.event_name,
            old_value: record.old_value,
            new_value: record.new_value,
            client_address: record.client_address,
        }
    }
}

/// The query for up to `size + 1` events of `tailnet` matching `filters`, in `page`'s order.
pub fn events_statement(
    tailnet: &TailnetId,
    filters: &AuditFilters,
    page: &PageRequest,
    size: usize,
) -> Statement {
    let mut statement = Statement::default();
    statement
        .push(
            "SELECT id, event_time, event_group_id, origin, actor_id, actor_type, actor_name, \
                 actor_email, target_type, target_id, target_name, target_property, action, \
                 event_name, old_value, new_value, client_address \
             FROM audit_events WHERE tailnet_id = ",
        )
        .text(tailnet.as_str());
    if let Some(event) = filters.event {
        statement.push(" AND event_name = ").text(event.as_str());
    }
    if let Some(from) = filters.from {
        statement.push(" AND event_time >= ").int(from);
    }
    if let Some(until) = filters.until {
        statement.push(" AND event_time < ").int(until);
    }
    if !filters.actor.trim().is_empty() {
        let pattern = contains_pattern(&filters.actor);
        statement
            .push(" AND (LOWER(actor_name) LIKE ")
            .text(pattern.clone())
            .push(" ESCAPE '\\' OR LOWER(actor_email) LIKE ")
            .text(pattern)
            .push(" ESCAPE '\\')");
    }
    if !filters.target.trim().is_empty() {
        let pattern = contains_pattern(&filters.target);
        statement
            .push(" AND (LOWER(target_name) LIKE ")
            .text(pattern.clone())
            .push(" ESCAPE '\\' OR LOWER(target_id) LIKE ")
            .text(pattern)
            .push(" ESCAPE '\\')");
    }
    statement.keyset_page(page, "event_time", "id", "id", size);
    statement
}

/// Which events the API's configuration-log endpoint reads: a time window (`start` included,
/// `end` excluded) and, each when not empty, the actors (id or email), targets (id) and events
/// (name or action) to keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventWindow {
    pub start: i64,
    pub end: i64,
    pub actors: Vec<String>,
    pub targets: Vec<String>,
    pub events: Vec<String>,
}

/// Appends ` AND (a = $ OR b = $ …)` for each value, when there are values.
fn any_of(statement: &mut Statement, columns: &[&str], values: &[String]) {
    if values.is_empty() {
        return;
    }
    statement.push(" AND (");
    let mut first = true;
    for value in values {
        for column in columns {
            if !first {
                statement.push(" OR ");
            }
            first = false;
            statement.push(&format!("{column} = ")).text(value.clone());
        }
    }
    statement.push(")");
}

/// Up to `size` events of `window` after `after` (time and id), oldest first: the API reads a
/// window in such batches, so a long one never sits in memory.
pub async fn read_window(
    db: &AnyPool,
    tailnet: &TailnetId,
    window: &EventWindow,
    after: Option<(i64, String)>,
    size: usize,
) -> Result<Vec<AuditEventRow>, AppError> {
    let mut statement = Statement::default();
    statement
        .push(
            "SELECT id, event_time, event_group_id, origin, actor_id, actor_type, actor_name, \
                 actor_email, target_type, target_id, target_name, target_property, action, \
                 event_name, old_value, new_value, client_address \
             FROM audit_events WHERE tailnet_id = ",
        )
        .text(tailnet.as_str())
        .push(" AND event_time >= ")
        .int(window.start)
        .push(" AND event_time < ")
        .int(window.end);
    any_of(&mut statement, &["actor_id", "actor_email"], &window.actors);
    any_of(&mut statement, &["target_id"], &window.targets);
    any_of(&mut statement, &["event_name", "action"], &window.events);
    if let Some((at, id)) = after {
        statement
            .push(" AND (event_time > ")
            .int(at)
            .push(" OR (event_time = ")
            .int(at)
            .push(" AND id > ")
            .text(id)
            .push("))");
    }
    statement.push(&format!(
        " ORDER BY event_time ASC, id ASC LIMIT {}",
        size.max(1)
    ));
    let records: Vec<EventRecord> = statement.fetch_all(db).await?;
    Ok(records.into_iter().map(AuditEventRow::from).collect())
}

/// Up to `size` events and whether more follow, for the page and for exports.
pub async fn read_events(
    db: &AnyPool,
    tailnet: &TailnetId,
    filters: &AuditFilters,
    page: &PageRequest,
    size: usize,
) -> Result<Page<AuditEventRow>, AppError> {
    let records: Vec<EventRecord> = events_statement(tailnet, filters, page, size)
        .fetch_all(db)
        .await?;
    let rows = records.into_iter().map(AuditEventRow::from).collect();
    Ok(Page::from_rows(rows, page, size, AuditEventRow::cursor))
}

/// One page of the audit log.
pub async fn list_events(
    db: &AnyPool,
    query: &AuditQuery,
) -> Result<Page<AuditEventRow>, AppError> {
    query.filters.validate()?;
    read_events(
        db,
        &query.tailnet,
        &query.filters,
        &query.page,
        AUDIT_PAGE_SIZE,
    )
    .await
}

/// Retention: deletes every event older than `cutoff` (Unix seconds), tailnet by tailnet and in
/// batches, each walking the tailnet's time index. The only place the app deletes events.
/// Returns how many it removed.
pub async fn purge_older_than(db: &AnyPool, cutoff: i64) -> Result<u64, AppError> {
    let tailnets: Vec<String> = sqlx::query_scalar("SELECT id FROM tailnets")
        .fetch_all(db)
        .await?;
    let mut removed = 0;
    for tailnet in tailnets {
        loop {
            let batch = sqlx::query(
                "DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events \
                 WHERE tailnet_id = $1 AND event_time < $2 LIMIT $3)",
            )
            .bind(tailnet.as_str())
            .bind(cutoff)
            .bind(PURGE_BATCH)
            .execute(db)
            .await?
            .rows_affected();
            removed += batch;
            if batch < PURGE_BATCH.unsigned_abs() {
                break;
            }
        }
    }
    Ok(removed)
}
