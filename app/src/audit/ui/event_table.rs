//! The audit log's table: one `<tbody>` per event, which expands to its details.

use leptos::either::Either;
use leptos::prelude::*;

use crate::audit::model::AuditEventRow;
use crate::format::utc_timestamp;

use super::event_details::EventDetails;

/// The page of events, or a sentence saying none match.
#[component]
pub fn EventsTable(rows: Vec<AuditEventRow>) -> impl IntoView {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_shows_utc_time_without_its_t_and_z() {
        assert_eq!(table_time(1_795_305_599), "2026-11-21 23:59:59");
    }
}
