//! (ssr) Reading the Users page's list. Members and open invites are read by two keyset
//! queries, each walking an index in the page's order, and merged; no query sorts or skips
//! more rows than one page, so a page costs the same with 100,000 rows as with 10.

use sqlx::AnyPool;

use super::model::{
    IDLE_AFTER_SECS, InviteRow, MemberRow, PAGE_SIZE, RowStatus, UserListPage, UserListQuery,
    UserListRow, merge_newest_first,
};
use crate::error::AppError;
use crate::ids::{InviteId, UserId};
use crate::invites::lookup::stored_inviter;
use crate::invites::model::{InviteKind, inviter_still_grants};
use crate::paging::Page;
use crate::roles::{stored_role, stored_status};
use crate::sql::{Statement, contains_pattern};

type MemberRecord = (
    String,
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    i64,
);

/// One page (plus one row) of members matching the query, in the page's order.
pub async fn member_rows(
    db: &AnyPool,
    query: &UserListQuery,
    now: i64,
) -> Result<Vec<UserListRow>, AppError> {
    let Some(statement) = member_statement(query, now) else {
        return Ok(Vec::new());
    };
    let records: Vec<MemberRecord> = statement.fetch_all(db).await?;
    records
        .into_iter()
        .map(
            |(id, display_name, email, role, status, joined_at, last_seen_at, email_verified)| {
                let status = stored_status(&status)?;
                Ok(UserListRow::Member(MemberRow {
                    user_id: UserId::from_raw(id),
                    display_name,
                    email,
                    role: stored_role(&role)?,
                    status: RowStatus::of_member(status, last_seen_at.unwrap_or(joined_at), now),
                    joined_at,
                    last_seen_at,
                    email_verified: email_verified != 0,
                }))
            },
        )
        .collect()
}

/// The members query for `query`, or `None` when the status filter selects only invites.
pub fn member_statement(query: &UserListQuery, now: i64) -> Option<Statement> {
    if query.status.is_some_and(RowStatus::is_invite) {
        return None;
    }
    let mut statement = Statement::default();
    statement
        .push(
            "SELECT u.id, u.display_name, u.email, m.role, m.status, m.joined_at, m.last_seen_at, \
                 u.email_verified \
             FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.tailnet_id = ",
        )
        .text(query.tailnet.as_str());
    let idle_cutoff = now - IDLE_AFTER_SECS;
    match query.status {
        None | Some(RowStatus::Invited | RowStatus::Expired) => {}
        Some(RowStatus::Active) => {
            statement
                .push(" AND m.status = 'active' AND COALESCE(m.last_seen_at, m.joined_at) > ")
                .int(idle_cutoff);
        }
        Some(RowStatus::Idle) => {
            statement
                .push(" AND m.status = 'active' AND COALESCE(m.last_seen_at, m.joined_at) <= ")
                .int(idle_cutoff);
        }
        Some(RowStatus::NeedsApproval) => {
            statement.push(" AND m.status = 'needs_approval'");
        }
        Some(RowStatus::Suspended) => {
            statement.push(" AND m.status = 'suspended'");
        }
    }
    if let Some(role) = query.role {
        statement.push(" AND m.role = ").text(role.as_str());
    }
    if !query.search.trim().is_empty() {
        let pattern = contains_pattern(&query.search);
        statement
            .push(" AND (LOWER(u.display_name) LIKE ")
            .text(pattern.clone())
            .push(" ESCAPE '\\' OR u.email LIKE ")
            .text(pattern)
            .push(" ESCAPE '\\')");
    }
    statement.keyset_page(
        &query.page,
        "m.joined_at",
        "'m:' || m.user_id",
        "m.user_id",
        PAGE_SIZE,
    );
    Some(statement)
}

type InviteRecord = (
    String,
    String,
    Option<String>,
    String,
    i64,
    i64,
    Option<String>,
    i64,
    Option<String>,
    Option<String>,
);

/// One page (plus one row) of open invites matching the query, in the page's order.
pub async fn invite_rows(
    db: &AnyPool,
    query: &UserListQuery,
    now: i64,
) -> Result<Vec<UserListRow>, AppError> {
    let Some(statement) = invite_statement(query, now) else {
        return Ok(Vec::new());
    };
    let records: Vec<InviteRecord> = statement.fetch_all(db).await?;
    records
        .into_iter()
        .map(
            |(
                id,
                kind,
                email,
                role,
                created_at,
                expires_at,
                invited_by,
                pending,
                inviter_role,
                inviter_status,
            )| {
                let kind = InviteKind::parse(&kind)
                    .ok_or_else(|| AppError::internal(format!("stored invite kind {kind}")))?;
                let role = stored_role(&role)?;
                let inviter = stored_inviter(inviter_role, inviter_status)?;
                Ok(UserListRow::Invite(InviteRow {
                    invite: InviteId::from_raw(id),
                    kind,
                    email,
                    role,
                    inviter_still_grants: inviter_still_grants(inviter, role),
                    status: RowStatus::of_invite(expires_at, now),
                    invited_at: created_at,
                    expires_at,
                    invited_by,
                    email_pending: pending > 0,
                }))
            },
        )
        .collect()
}

/// The open-invites query for `query`, or `None` when the status filter selects only members.
pub fn invite_statement(query: &UserListQuery, now: i64) -> Option<Statement> {
    if query.status.is_some_and(|status| !status.is_invite()) {
        return None;
    }
    let mut statement = Statement::default();
    statement
        .push(
            "SELECT i.id, i.kind, i.email, i.role, i.created_at, i.expires_at, u.display_name, \
                 (SELECT COUNT(*) FROM email_outbox o WHERE o.invite_id = i.id AND o.sent_at IS NULL), \
                 im.role, im.status \
             FROM invites i LEFT JOIN users u ON u.id = i.invited_by \
             LEFT JOIN memberships im ON im.tailnet_id = i.tailnet_id AND im.user_id = i.invited_by \
             WHERE i.accepted_at IS NULL AND i.tailnet_id = ",
        )
        .text(query.tailnet.as_str());
    match query.status {
        Some(RowStatus::Invited) => {
            statement.push(" AND i.expires_at > ").int(now);
        }
        Some(RowStatus::Expired) => {
            statement.push(" AND i.expires_at <= ").int(now);
        }
        _ => {}
    }
    if let Some(role) = query.role {
        statement.push(" AND i.role = ").text(role.as_str());
    }
    if !query.search.trim().is_empty() {
        statement
            .push(" AND i.email LIKE ")
            .text(contains_pattern(&query.search))
            .push(" ESCAPE '\\'");
    }
    statement.keyset_page(
        &query.page,
        "i.created_at",
        "'i:' || i.id",
        "i.id",
        PAGE_SIZE,
    );
    Some(statement)
}

/// One page of the list: members and, when `with_invites`, open invites, merged newest first.
pub async fn read_page(
    db: &AnyPool,
    query: &UserListQuery,
    with_invites: bool,
    now: i64,
) -> Result<UserListPage, AppError> {
    let members = member_rows(db, query, now).await?;
    let invites = if with_invites {
        invite_rows(db, query, now).await?
    } else {
        Vec::new()
    };
    let rows = merge_newest_first(members, invites, query.page.reads_backwards());
    Ok(Page::from_rows(
        rows,
        &query.page,
        PAGE_SIZE,
        UserListRow::cursor,
    ))
}
