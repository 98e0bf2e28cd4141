//! One audit event's details: who, what, when and where, with old and new values side by
//! side.

use leptos::either::Either;
use leptos::prelude::*;

use crate::audit::model::AuditEventRow;
use crate::format::utc_timestamp;

/// What an expanded event shows.
#[component]
pub fn EventDetails(row: AuditEventRow) -> impl IntoView {
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
    }
}
