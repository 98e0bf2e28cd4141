//! `/admin/:tailnet/logs`: "Configuration audit logs", newest first, filtered and paged by the
//! server; each row expands to its details with old and new values side by side.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::audit::api::{get_audit_log_overview, list_audit_events};
use crate::audit::model::{
    AuditEventRow, AuditFilters, AuditLogOverview, AuditPage, AuditQuery, EventName, ExportFormat,
    export_path,
};
use crate::components::access_problem::AccessProblem;
use crate::components::admin_nav::{AdminNav, AdminSection, tailnet_from_path};
use crate::components::debounce::{DebouncedText, SearchField};
use crate::components::pager::Pager;
use crate::components::server_resource::{ServerResource, server_resource};
use crate::error::AppError;
use crate::format::{parse_utc_date, utc_timestamp};
use crate::ids::TailnetId;
use crate::paging::PageRequest;

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let tailnet = tailnet_from_path();
    let overview = server_resource(move || tailnet.get(), get_audit_log_overview);
    // Created outside the `<Suspense>`, like the Users page's list (leptos-rs/leptos#4866).
    let controls = LogControls::new(tailnet);

    view! {
        <Title text="Configuration audit logs" />
        <AdminNav tailnet current=AdminSection::AuditLogs />
        <Suspense fallback=|| view! { <p class="muted">"Loading audit logs…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(overview) => {
                        Either::Left(view! { <AuditConsole tailnet overview controls /> })
                    }
                    Err(error) => {
                        Either::Right(view! {
                            <AccessProblem
                                error
                                what="its audit logs"
                                subject="Audit logs"
                            />
                        })
                    }
                }
            })}
        </Suspense>
    }
}

/// The filters, the page and the resource that reads the events.
#[derive(Clone, Copy)]
struct LogControls {
    /// The "From" and "To" date inputs (`YYYY-MM-DD`, UTC, both days included).
    from_date: RwSignal<String>,
    to_date: RwSignal<String>,
    actor: DebouncedText,
    event: RwSignal<Option<EventName>>,
    target: DebouncedText,
    page: RwSignal<PageRequest>,
    filters: Memo<AuditFilters>,
    rows: ServerResource<Result<AuditPage, AppError>>,
}

impl LogControls {
    fn new(tailnet: Memo<TailnetId>) -> Self {
        let from_date = RwSignal::new(String::new());
        let to_date = RwSignal::new(String::new());
        let actor = DebouncedText::new();
        let event = RwSignal::new(None::<EventName>);
        let target = DebouncedText::new();
        let page = RwSignal::new(PageRequest::First);
        let filters = Memo::new(move |_| AuditFilters {
            from: parse_utc_date(&from_date.get()),
            until: parse_utc_date(&to_date.get()).map(|day| day + 86_400),
            actor: actor.settled.get(),
            event: event.get(),
            target: target.settled.get(),
        });
        let query = Memo::new(move |_| AuditQuery {
            tailnet: tailnet.get(),
            filters: filters.get(),
            page: page.get(),
        });
        let rows = server_resource(move || query.get(), list_audit_events);
        Self {
            from_date,
            to_date,
            actor,
            event,
            target,
            page,
            filters,
            rows,
        }
    }
}

#[component]
fn AuditConsole(
    tailnet: Memo<TailnetId>,
    overview: AuditLogOverview,
    controls: LogControls,
) -> impl IntoView {
    let LogControls {
        from_date,
        to_date,
        actor,
        event,
        target,
        page,
        filters,
        rows,
    } = controls;
    let loading = RwSignal::new(false);
    let first_page = Callback::new(move |()| page.set(PageRequest::First));
    let export = move |format| export_path(&tailnet.get(), &filters.get(), format);
    let retention = match overview.retention_days {
        1 => "1 day".to_owned(),
        days => format!("{days} days"),
    };

    view! {
        <section class="card wide" aria-labelledby="audit-heading">
            <div class="page-head">
                <div>
                    <h1 id="audit-heading">"Configuration audit logs"</h1>
                    <p class="muted">
                        {overview.tailnet_name} " · Changes made in the admin console, kept for "
                        {retention} ". Times are UTC."
                    </p>
                </div>
                <div class="export" role="group" aria-label="Export">
                    <a class="button" href=move || export(ExportFormat::Json) download="">
                        "Export JSON"
                    </a>
                    <a class="button" href=move || export(ExportFormat::Csv) download="">
                        "Export CSV"
                    </a>
                </div>
            </div>
            <div class="filters" role="search" aria-label="Filter events">
                <DateField id="audit-from" label="From" value=from_date on_change=first_page />
                <DateField id="audit-to" label="To" value=to_date on_change=first_page />
                <SearchField
                    id="audit-actor"
                    label="Actor"
                    placeholder="Name or email"
                    text=actor
                    on_settle=first_page
                />
                <div class="field">
                    <label for="audit-event">"Event"</label>
                    <select
                        id="audit-event"
                        on:change=move |ev| {
                            first_page.run(());
                            event.set(EventName::parse(&event_target_value(&ev)));
                        }
                    >
                        <option value="all">"All events"</option>
                        {EventName::ALL
                            .into_iter()
                            .map(|name| {
                                view! {
                                    <option value=name.as_str()>
                                        {format!("{} ({})", name.label(), name.as_str())}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <SearchField
                    id="audit-target"
                    label="Target"
                    placeholder="Name, email or id"
                    text=target
                    on_settle=first_page
                />
            </div>
            <div class="table-region" aria-busy=move || loading.get().to_string()>
                <Transition
                    fallback=|| view! { <p class="muted">"Loading events…"</p> }
                    set_pending=loading
                >
                    {move || Suspend::new(async move {
                        match rows.await {
                            Ok(list) => {
                                let (previous, next) = (list.previous.clone(), list.next.clone());
                                Either::Left(view! {
                                    <EventsTable rows=list.rows />
                                    <Pager list_page=page previous next />
                                })
                            }
                            Err(error) => {
                                Either::Right(view! {
                                    <p class="alert error" role="alert">
                                        {error.to_string()}
                                    </p>
                                })
                            }
                        }
                    })}
                </Transition>
            </div>
        </section>
    }
}

/// A "From" or "To" date (UTC).
#[component]
fn DateField(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    on_change: Callback<()>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                type="date"
                prop:value=move || value.get()
                on:change=move |ev| {
                    on_change.run(());
                    value.set(event_target_value(&ev));
                }
            />
        </div>
    }
}

#[component]
fn EventsTable(rows: Vec<AuditEventRow>) -> impl IntoView {
    if rows.is_empty() {
        return Either::Left(view! { <p class="empty">"No events match these filters."</p> });
    }
    Either::Right(view! {
        <table class="events">
            <caption class="visually-hidden">"Configuration audit events, newest first"</caption>
            <thead>
                <tr>
                    <th scope="col">"Time (UTC)"</th>
                    <th scope="col">"Event"</th>
                    <th scope="col">"Actor"</th>
                    <th scope="col">"Target"</th>
                    <th scope="col">
                        <span class="visually-hidden">"Details"</span>
                    </th>
                </tr>
            </thead>
            {rows.into_iter().map(|row| view! { <EventRow row /> }).collect::<Vec<_>>()}
        </table>
    })
}

/// `2026-11-22 05:39:07`: the table's time, without the RFC 3339 `T` and `Z`.
fn table_time(unix_secs: i64) -> String {
    utc_timestamp(unix_secs)
        .replacen('T', " ", 1)
        .trim_end_matches('Z')
        .to_owned()
}

/// One event and, when expanded, its details. Each event is its own `<tbody>`, so the details
/// row stays with its event.
#[component]
fn EventRow(row: AuditEventRow) -> impl IntoView {
    let expanded = RwSignal::new(false);
    let details_id = format!("event-{}", row.id);
    let time = table_time(row.event_time);
    let label = row.label();
    let toggle_name = format!("Details of {label} at {time}");
    let actor_name = row
        .actor
        .display_name
        .clone()
        .unwrap_or_else(|| row.actor.kind.clone());
    let actor_email = row.actor.email.clone().unwrap_or_default();
    let target_name = row
        .target
        .name
        .clone()
        .unwrap_or_else(|| row.target.id.clone());
    let target_kind = match &row.target.property {
        Some(property) => format!("{} · {property}", row.target.kind),
        None => row.target.kind.clone(),
    };
    let event_name = row.event_name.clone();
    let controls = details_id.clone();

    view! {
        <tbody>
            <tr>
                <td class="nowrap">
                    <time datetime=utc_timestamp(row.event_time)>{time.clone()}</time>
                </td>
                <td>
                    {label}
                    <code class="event-name">{event_name}</code>
                </td>
                <td>
                    {actor_name}
                    <span class="sub">{actor_email}</span>
                </td>
                <td>
                    {target_name}
                    <span class="sub">{target_kind}</span>
                </td>
                <td class="row-actions">
                    <button
                        type="button"
                        class="link"
                        aria-expanded=move || expanded.get().to_string()
                        aria-controls=controls
                        aria-label=toggle_name
                        on:click=move |_| expanded.update(|open| *open = !*open)
                    >
                        {move || if expanded.get() { "Hide" } else { "Details" }}
                    </button>
                </td>
            </tr>
            // The details are rendered only when opened: a page of 50 events stays light.
            <tr class="event-details" id=details_id hidden=move || !expanded.get()>
                <td colspan="5">
                    {move || expanded.get().then(|| view! { <EventDetails row=row.clone() /> })}
                </td>
            </tr>
        </tbody>
    }
}

#[component]
fn EventDetails(row: AuditEventRow) -> impl IntoView {
    let or_dash = |value: Option<String>| value.unwrap_or_else(|| "—".to_owned());
    let actor = format!(
        "{} <{}> ({}, {})",
        or_dash(row.actor.display_name.clone()),
        or_dash(row.actor.email.clone()),
        row.actor.kind,
        or_dash(row.actor.id.clone()),
    );
    let target = format!(
        "{} {} ({}){}",
        row.target.kind,
        or_dash(row.target.name.clone()),
        row.target.id,
        row.target
            .property
            .as_ref()
            .map(|property| format!(", property {property}"))
            .unwrap_or_default(),
    );
    view! {
        <dl class="facts">
            <dt>"Event name"</dt>
            <dd>
                <code>{row.event_name}</code>
            </dd>
            <dt>"Action"</dt>
            <dd>{row.action}</dd>
            <dt>"Time"</dt>
            <dd>{utc_timestamp(row.event_time)}</dd>
            <dt>"Origin"</dt>
            <dd>{row.origin}</dd>
            <dt>"Actor"</dt>
            <dd>{actor}</dd>
            <dt>"Target"</dt>
            <dd>{target}</dd>
            <dt>"Client address"</dt>
            <dd>{or_dash(row.client_address)}</dd>
            <dt>"Event group"</dt>
            <dd>
                <code>{row.event_group_id}</code>
            </dd>
        </dl>
        <ValueChange old=row.old_value new=row.new_value />
    }
}

/// Old and new values side by side. JSON objects are compared field by field, and fields that
/// changed are marked.
#[component]
fn ValueChange(old: Option<String>, new: Option<String>) -> impl IntoView {
    if old.is_none() && new.is_none() {
        return Either::Left(view! { <p class="muted">"No values recorded for this event."</p> });
    }
    let rows = compare_values(old.as_deref(), new.as_deref())
        .into_iter()
        .map(|line| {
            let class = if line.old != line.new { "changed" } else { "" };
            view! {
                <tr class=class>
                    <th scope="row">{line.field}</th>
                    <td>
                        <pre>{line.old}</pre>
                    </td>
                    <td>
                        <pre>{line.new}</pre>
                    </td>
                </tr>
            }
        })
        .collect_view();
    Either::Right(view! {
        <table class="value-change">
            <caption class="visually-hidden">"Old and new values"</caption>
            <thead>
                <tr>
                    <th scope="col">"Field"</th>
                    <th scope="col">"Old value"</th>
                    <th scope="col">"New value"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    })
}

/// One line of the comparison.
#[derive(Debug, PartialEq, Eq)]
struct ValueLine {
    field: String,
    old: String,
    new: String,
}

/// Lines comparing two stored values: per field when both are JSON objects (or absent), else
/// one line with the whole values.
fn compare_values(old: Option<&str>, new: Option<&str>) -> Vec<ValueLine> {
    use serde_json::{Map, Value};
    let parse = |text: Option<&str>| -> Option<Value> {
        text.map(|text| serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.into())))
    };
    let (old, new) = (parse(old), parse(new));
    let shown = |value: Option<&Value>| match value {
        None | Some(Value::Null) => "—".to_owned(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    };
    let empty = Map::new();
    fn as_object<'a>(
        value: &'a Option<Value>,
        empty: &'a Map<String, Value>,
    ) -> Option<&'a Map<String, Value>> {
        match value {
            None => Some(empty),
            Some(Value::Object(map)) => Some(map),
            Some(_) => None,
        }
    }
    match (as_object(&old, &empty), as_object(&new, &empty)) {
        (Some(old_map), Some(new_map)) => {
            let mut fields: Vec<&String> = old_map.keys().chain(new_map.keys()).collect();
            fields.sort();
            fields.dedup();
            fields
                .into_iter()
                .map(|field| ValueLine {
                    field: field.clone(),
                    old: shown(old_map.get(field)),
                    new: shown(new_map.get(field)),
                })
                .collect()
        }
        _ => vec![ValueLine {
            field: "value".to_owned(),
            old: shown(old.as_ref()),
            new: shown(new.as_ref()),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(field: &str, old: &str, new: &str) -> ValueLine {
        ValueLine {
            field: field.into(),
            old: old.into(),
            new: new.into(),
        }
    }

    #[test]
    fn objects_compare_field_by_field() {
        let lines = compare_values(
            Some(r#"{"role":"member","expires_at":10}"#),
            Some(r#"{"role":"admin","expires_at":10}"#),
        );
        assert_eq!(
            lines,
            vec![
                line("expires_at", "10", "10"),
                line("role", "member", "admin")
            ]
        );
        // A new value only: every field is new.
        assert_eq!(
            compare_values(None, Some(r#"{"name":"Example Co"}"#)),
            vec![line("name", "—", "Example Co")]
        );
    }

    #[test]
    fn other_values_compare_whole() {
        assert_eq!(
            compare_values(Some("false"), Some("true")),
            vec![line("value", "false", "true")]
        );
        assert_eq!(
            compare_values(Some("not json"), None),
            vec![line("value", "not json", "—")]
        );
        assert_eq!(table_time(1_795_305_599), "2026-11-21 23:59:59");
    }
}
