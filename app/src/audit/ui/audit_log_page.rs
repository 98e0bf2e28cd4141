//! `/admin/:tailnet/logs`: "Configuration audit logs", newest first, filtered and paged by the
//! server; each row expands to its details with old and new values side by side.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::audit::api::{get_audit_log_overview, list_audit_events};
use crate::audit::model::{
    AuditFilters, AuditLogOverview, AuditPage, AuditQuery, EventName, ExportFormat, export_path,
};
use crate::components::access_problem::AccessProblem;
use crate::components::admin_nav::{AdminNav, AdminSection, tailnet_from_path};
use crate::components::debounce::{DebouncedText, SearchField};
use crate::components::pager::Pager;
use crate::components::server_resource::{ServerResource, server_resource};
use crate::error::AppError;
use crate::format::parse_utc_date;
use crate::ids::TailnetId;
use crate::paging::PageRequest;

use super::event_table::EventsTable;

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
