//! Any query string sent to the two export downloads is refused with a message or read as
//! filters; filters read once, turned back into the page's export link and read again, are
//! the same filters (so a download never shows other rows than the page).
#![no_main]

use app::audit::export::ExportParams;
use app::audit::model::{AuditFilters, export_path};
use app::ids::TailnetId;
use app::members::export::ExportUsersParams;
use app::members::model::users_export_path;
use axum::extract::Query;
use axum::http::Uri;
use libfuzzer_sys::fuzz_target;

fn read<T: serde::de::DeserializeOwned>(link: &str) -> Option<T> {
    let uri: Uri = link.parse().ok()?;
    Query::<T>::try_from_uri(&uri)
        .ok()
        .map(|Query(params)| params)
}

fuzz_target!(|query: &str| {
    let link = format!("/x?{query}");
    let tailnet = TailnetId::from_raw("t");

    if let Some(params) = read::<ExportParams>(&link)
        && let Ok((format, filters)) = params.parse()
    {
        let again = export_path(&tailnet, &filters, format);
        let params = read::<ExportParams>(&again).expect("our own link reads");
        let expected = AuditFilters {
            actor: filters.actor.trim().to_owned(),
            target: filters.target.trim().to_owned(),
            ..filters
        };
        assert_eq!(params.parse().ok(), Some((format, expected)), "{again}");
    }

    if let Some(params) = read::<ExportUsersParams>(&link)
        && let Ok(list) = params.query(tailnet.clone())
    {
        let again = users_export_path(&tailnet, list.status, list.role, &list.search);
        let params = read::<ExportUsersParams>(&again).expect("our own link reads");
        let read_again = params
            .query(tailnet.clone())
            .expect("our own link is valid");
        assert_eq!(read_again.status, list.status);
        assert_eq!(read_again.role, list.role);
        assert_eq!(read_again.search, list.search.trim());
    }
});
