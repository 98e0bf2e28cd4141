//! (ssr) "Export users": `GET /admin/:tailnet/users/export?status=…&role=…&search=…`
//! downloads the Users list with the page's filters as CSV, every page of it. Owner, Admin,
//! IT admin, Network admin and Auditor; invites are included only for roles that may see them.

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sqlx::AnyPool;

use super::model::{RowStatus, UserListQuery, UserListRow};
use super::server::read_page;
use crate::context::{AppState, download_headers, now, refusal, require_from_headers};
use crate::csv::csv_line;
use crate::error::AppError;
use crate::format::{utc_date, utc_timestamp};
use crate::ids::TailnetId;
use crate::paging::PageRequest;
use crate::roles::{Permission, Role};

/// The CSV header; each row has these columns in this order.
pub const USER_CSV_COLUMNS: [&str; 8] = [
    "kind",
    "name",
    "email",
    "role",
    "status",
    "joined_or_invited",
    "last_seen",
    "invited_by",
];

/// The filters as sent; each is checked before use.
#[derive(Debug, Default, Deserialize)]
pub struct ExportUsersParams {
    status: Option<String>,
    role: Option<String>,
    search: Option<String>,
}

impl ExportUsersParams {
    pub fn query(self, tailnet: TailnetId) -> Result<UserListQuery, AppError> {
        let status = match self.status.filter(|s| !s.is_empty() && s != "all") {
            None => None,
            Some(text) => Some(RowStatus::parse(&text).ok_or_else(|| {
                AppError::validation("status", format!("'{text}' is not a status."))
            })?),
        };
        let role =
            match self.role.filter(|r| !r.is_empty() && r != "all") {
                None => None,
                Some(text) => Some(Role::parse(&text).ok_or_else(|| {
                    AppError::validation("role", format!("'{text}' is not a role."))
                })?),
            };
        let search = self.search.unwrap_or_default();
        super::model::check_search(&search)?;
        Ok(UserListQuery {
            status,
            role,
            search,
            ..UserListQuery::first_page(tailnet)
        })
    }
}

pub async fn download(
    State(state): State<AppState>,
    Path(tailnet): Path<String>,
    Query(params): Query<ExportUsersParams>,
    headers: HeaderMap,
) -> Response {
    let tailnet = TailnetId::from_raw(tailnet);
    match prepare(&state, &tailnet, params, &headers).await {
        Ok((query, with_invites)) => stream(state.db.clone(), query, with_invites),
        Err(error) => refusal(&error),
    }
}

/// Checks the caller and the filters before anything is read.
async fn prepare(
    state: &AppState,
    tailnet: &TailnetId,
    params: ExportUsersParams,
    headers: &HeaderMap,
) -> Result<(UserListQuery, bool), AppError> {
    let (_, role) = require_from_headers(state, headers, tailnet, Permission::ExportUsers).await?;
    let query = params.query(tailnet.clone())?;
    crate::rate_limit::count_export(state, tailnet, now()).await?;
    Ok((query, role.can(Permission::ViewInvites)))
}

/// The CSV, one page of the list at a time, so a tailnet of any size downloads in constant
/// memory.
fn stream(db: AnyPool, query: UserListQuery, with_invites: bool) -> Response {
    let filename = format!("users-{}-{}.csv", query.tailnet, utc_date(now()));
    let now = now();
    let header = csv_line(USER_CSV_COLUMNS.iter().map(|c| Some(*c)));
    let chunks =
        futures::stream::try_unfold((Some(query), Some(header)), move |(query, header)| {
            let db = db.clone();
            async move {
                let Some(mut query) = query else {
                    return Ok::<_, AppError>(None);
                };
                let page = read_page(&db, &query, with_invites, now).await?;
                let mut text = header.unwrap_or_default();
                for row in &page.rows {
                    text.push_str(&user_line(row));
                }
                let next = page.next.map(|cursor| {
                    query.page = PageRequest::After(cursor);
                    query
                });
                Ok(Some((Bytes::from(text), (next, None))))
            }
        });
    let mut response = Body::from_stream(chunks).into_response();
    download_headers(&mut response, "text/csv; charset=utf-8", &filename);
    response
}

fn user_line(row: &UserListRow) -> String {
    match row {
        UserListRow::Member(member) => {
            let joined = utc_timestamp(member.joined_at);
            let seen = member.last_seen_at.map(utc_timestamp);
            csv_line([
                Some("member"),
                Some(member.display_name.as_str()),
                Some(member.email.as_str()),
                Some(member.role.label()),
                Some(member.status.label()),
                Some(joined.as_str()),
                seen.as_deref(),
                None,
            ])
        }
        UserListRow::Invite(invite) => {
            let invited = utc_timestamp(invite.invited_at);
            csv_line([
                Some("invite"),
                None,
                invite.email.as_deref(),
                Some(invite.role.label()),
                Some(invite.status.label()),
                Some(invited.as_str()),
                None,
                invite.invited_by.as_deref(),
            ])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::members::model::users_export_path;
    use axum::http::Uri;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        /// "Export users" downloads exactly what the page shows: the link's filters read back
        /// as the page's filters (search trimmed), whatever characters the search holds.
        #[test]
        fn export_links_carry_the_page_filters(
            status in proptest::option::of(proptest::sample::select(RowStatus::ALL.to_vec())),
            role in proptest::option::of(proptest::sample::select(Role::ALL.to_vec())),
            search in "\\PC{0,30}|[ &=%+#?]{0,4}[a-z@.]{0,6}",
        ) {
            let tailnet = TailnetId::from_raw("t-1");
            let link = users_export_path(&tailnet, status, role, &search);
            let uri: Uri = link.parse().map_err(|e| TestCaseError::fail(format!("{e}")))?;
            let Query(params) = Query::<ExportUsersParams>::try_from_uri(&uri)
                .map_err(|e| TestCaseError::fail(format!("{e}")))?;
            let query = params.query(tailnet.clone()).map_err(|e| TestCaseError::fail(format!("{e}")))?;
            prop_assert_eq!(query, UserListQuery {
                status,
                role,
                search: search.trim().to_owned(),
                ..UserListQuery::first_page(tailnet)
            });
        }

        /// Any query string is read or refused with a message, never a panic.
        #[test]
        fn any_export_query_is_read_or_refused(query in "[a-z=&%0-9A-F.+-]{0,60}|\\PC{0,60}") {
            if let Ok(uri) = format!("/x?{query}").parse::<Uri>()
                && let Ok(Query(params)) = Query::<ExportUsersParams>::try_from_uri(&uri)
            {
                let _ = params.query(TailnetId::from_raw("t-1"));
            }
        }
    }
}
