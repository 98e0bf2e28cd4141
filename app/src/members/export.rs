//! (ssr) "Export users": `GET /admin/:tailnet/users/export?status=…&role=…&search=…`
//! downloads the Users list with the page's filters as CSV, every page of it. Owner, Admin,
//! IT admin, Network admin and Auditor; invites are included only for roles that may see them.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

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
    fn query(self, tailnet: TailnetId) -> Result<UserListQuery, AppError> {
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
    match csv(&state, &tailnet, params, &headers).await {
        Ok(body) => {
            let mut response = body.into_response();
            let filename = format!("users-{tailnet}-{}.csv", utc_date(now()));
            download_headers(&mut response, "text/csv; charset=utf-8", &filename);
            response
        }
        Err(error) => refusal(&error),
    }
}

async fn csv(
    state: &AppState,
    tailnet: &TailnetId,
    params: ExportUsersParams,
    headers: &HeaderMap,
) -> Result<String, AppError> {
    let (_, role) = require_from_headers(state, headers, tailnet, Permission::ExportUsers).await?;
    let mut query = params.query(tailnet.clone())?;
    let with_invites = role.can(Permission::ViewInvites);
    let now = now();
    let mut text = csv_line(USER_CSV_COLUMNS.iter().map(|c| Some(*c)));
    loop {
        let page = read_page(&state.db, &query, with_invites, now).await?;
        for row in &page.rows {
            text.push_str(&user_line(row));
        }
        match page.next {
            Some(cursor) => query.page = PageRequest::After(cursor),
            None => return Ok(text),
        }
    }
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
