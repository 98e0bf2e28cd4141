//! (ssr) Users, as Tailscale's API v2 has them: list (filtered by `type` and `role`), get,
//! and the changes an admin makes from the Users page (role, approve, suspend, restore,
//! delete), each through the members feature's own function, so `check_member_change` and the
//! approval rules decide here exactly as in the console.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use super::auth::ApiCaller;
use super::error::{ApiError, ErrorBody};
use crate::context::{AppState, Verification, now};
use crate::delegation::Scope;
use crate::error::AppError;
use crate::ids::UserId;
use crate::members::model::{MemberChange, RowStatus};
use crate::roles::{MemberStatus, Permission, Role, stored_role, stored_status};

/// A user in Tailscale's shape. Gatehouse has no devices: `deviceCount` is 0 and
/// `currentlyConnected` false.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiUser {
    pub id: String,
    pub display_name: String,
    pub login_name: String,
    /// The tailnet's name, as Tailscale shows it.
    pub tailnet_id: String,
    pub created: String,
    /// `member`, or `shared` for someone whose home is another tailnet.
    #[serde(rename = "type")]
    pub kind: String,
    pub role: String,
    /// `active`, `idle`, `suspended` or `needs-approval`.
    pub status: String,
    pub device_count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
    pub currently_connected: bool,
}

/// `?type=` and `?role=` of the list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    /// `member`, `shared` or `all` (the default).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// A role in Tailscale's spelling, or `all` (the default).
    pub role: Option<String>,
}

/// The list's answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserList {
    pub users: Vec<ApiUser>,
}

type UserRow = (
    Option<i64>,
    String,
    String,
    String,
    i64,
    String,
    String,
    Option<i64>,
    i64,
    String,
);

/// The columns of a [`UserRow`] (the UUID last), for members of the tailnet bound as `$1`.
macro_rules! user_columns {
    () => {
        "SELECT u.api_id, u.display_name, u.email, u.home_tailnet_id, u.created_at, m.role, \
             m.status, m.last_seen_at, m.joined_at, u.id \
         FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.tailnet_id = $1"
    };
}

fn api_user(caller: &ApiCaller, row: UserRow, now: i64) -> Result<ApiUser, AppError> {
    let (api_id, display_name, email, home, created_at, role, status, last_seen_at, joined_at, _) =
        row;
    let status = RowStatus::of_member(
        stored_status(&status)?,
        last_seen_at.unwrap_or(joined_at),
        now,
    );
    Ok(ApiUser {
        id: api_id.unwrap_or_default().to_string(),
        display_name,
        login_name: email,
        tailnet_id: caller.tailnet_name.clone(),
        created: crate::format::utc_timestamp(created_at),
        kind: if home == caller.tailnet.as_str() {
            "member"
        } else {
            "shared"
        }
        .to_owned(),
        role: stored_role(&role)?.tailscale_name().to_owned(),
        status: status.as_str().replace('_', "-"),
        device_count: 0,
        last_seen: last_seen_at.map(crate::format::utc_timestamp),
        currently_connected: false,
    })
}

/// `GET /api/v2/tailnet/{tailnet}/users?type=member|shared|all&role=…` → `{"users": […]}`.
#[utoipa::path(get, path = "/tailnet/{tailnet}/users", tag = "users", params(("tailnet" = String, Path, description = "`-`, the tailnet's id or its name"), UserFilter), responses((status = 200, description = "The tailnet's users", body = UserList), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(tailnet): Path<String>,
    Query(filter): Query<UserFilter>,
) -> Result<Json<UserList>, ApiError> {
    caller.check_tailnet(&tailnet)?;
    caller.require(Permission::ViewMembers, Scope::UsersRead)?;
    let kind = filter.kind.as_deref().unwrap_or("all");
    if !["member", "shared", "all"].contains(&kind) {
        return Err(ApiError::bad_request("type must be member, shared or all"));
    }
    let role = match filter.role.as_deref() {
        None | Some("") | Some("all") => None,
        Some(name) => Some(
            Role::from_tailscale_name(name)
                .ok_or_else(|| ApiError::bad_request(format!("unknown role \"{name}\"")))?,
        ),
    };
    let mut conn = state.db.acquire().await.map_err(AppError::from)?;
    let rows: Vec<UserRow> =
        sqlx::query_as(concat!(user_columns!(), " ORDER BY u.created_at, u.id"))
            .bind(caller.tailnet.as_str())
            .fetch_all(&mut *conn)
            .await
            .map_err(AppError::from)?;
    let now = now();
    let users = rows
        .into_iter()
        .map(|row| api_user(&caller, row, now))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|user| kind == "all" || user.kind == kind)
        .filter(|user| role.is_none_or(|role| user.role == role.tailscale_name()))
        .collect::<Vec<_>>();
    Ok(Json(UserList { users }))
}

/// The member of the caller's tailnet whose API id is `id`: their UUID and row; 404 for
/// anyone else.
async fn find(
    conn: &mut AnyConnection,
    caller: &ApiCaller,
    id: &str,
) -> Result<(UserId, UserRow), ApiError> {
    let api_id: i64 = id.parse().map_err(|_| ApiError::not_found("user"))?;
    let row: UserRow = sqlx::query_as(concat!(user_columns!(), " AND u.api_id = $2"))
        .bind(caller.tailnet.as_str())
        .bind(api_id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(AppError::from)?
        .ok_or_else(|| ApiError::not_found("user"))?;
    Ok((UserId::from_raw(row.9.clone()), row))
}

/// `GET /api/v2/users/{id}`.
#[utoipa::path(get, path = "/users/{id}", tag = "users", params(("id" = String, Path, description = "The user's id")), responses((status = 200, description = "The user", body = ApiUser), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn get(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<ApiUser>, ApiError> {
    caller.require(Permission::ViewMembers, Scope::UsersRead)?;
    let mut conn = state.db.acquire().await.map_err(AppError::from)?;
    let (_, row) = find(&mut conn, &caller, &id).await?;
    Ok(Json(api_user(&caller, row, now())?))
}

/// The body of a role change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RoleBody {
    /// In Tailscale's spelling; never `owner`.
    pub role: String,
}

/// `POST /api/v2/users/{id}/role` with `{"role": "…"}`: "Change role" (never to or from Owner).
#[utoipa::path(post, path = "/users/{id}/role", tag = "users", params(("id" = String, Path, description = "The user's id")), request_body = RoleBody, responses((status = 200, description = "The role is changed"), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn set_role(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: RoleBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("the body must be {{\"role\": …}}: {e}")))?;
    let role = Role::from_tailscale_name(&body.role)
        .ok_or_else(|| ApiError::bad_request(format!("unknown role \"{}\"", body.role)))?;
    if role == Role::Owner {
        return Err(ApiError::bad_request(
            "a user cannot be made the Owner; the Owner transfers ownership in the console",
        ));
    }
    change(&state, &caller, &id, MemberChange::ChangeRole(role)).await
}

/// `POST /api/v2/users/{id}/approve`: the person waiting for approval becomes Active.
#[utoipa::path(post, path = "/users/{id}/approve", tag = "users", params(("id" = String, Path, description = "The user's id")), responses((status = 200, description = "Approved"), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn approve_user(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    approve(&state, &caller, &id).await
}

/// `POST /api/v2/users/{id}/suspend`.
#[utoipa::path(post, path = "/users/{id}/suspend", tag = "users", params(("id" = String, Path, description = "The user's id")), responses((status = 200, description = "Suspended"), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn suspend(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    change(&state, &caller, &id, MemberChange::Suspend).await
}

/// `POST /api/v2/users/{id}/restore`.
#[utoipa::path(post, path = "/users/{id}/restore", tag = "users", params(("id" = String, Path, description = "The user's id")), responses((status = 200, description = "Restored"), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn restore(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    change(&state, &caller, &id, MemberChange::Restore).await
}

/// `POST /api/v2/users/{id}/delete` (POST, as Tailscale has it): the membership ends.
#[utoipa::path(post, path = "/users/{id}/delete", tag = "users", params(("id" = String, Path, description = "The user's id")), responses((status = 200, description = "Removed from the tailnet"), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn delete_user(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    delete(&state, &caller, &id).await
}

async fn change(
    state: &AppState,
    caller: &ApiCaller,
    id: &str,
    change: MemberChange,
) -> Result<Response, ApiError> {
    caller.require(Permission::ManageUsers, Scope::Users)?;
    let mut conn = state.db.acquire().await.map_err(AppError::from)?;
    let (user, _) = find(&mut conn, caller, id).await?;
    drop(conn);
    crate::members::manage::apply(
        &state.db,
        &caller.actor,
        Verification::Recent,
        &caller.tailnet,
        &user,
        change,
        now(),
    )
    .await?;
    Ok(StatusCode::OK.into_response())
}

async fn approve(state: &AppState, caller: &ApiCaller, id: &str) -> Result<Response, ApiError> {
    caller.require(Permission::ApproveUsers, Scope::Users)?;
    let mut conn = state.db.acquire().await.map_err(AppError::from)?;
    let (user, _) = find(&mut conn, caller, id).await?;
    drop(conn);
    crate::members::approval::approve(
        &state.db,
        &caller.actor,
        Verification::Recent,
        &caller.tailnet,
        &user,
        None,
        now(),
    )
    .await?;
    Ok(StatusCode::OK.into_response())
}

/// "Remove user"; for someone still waiting for approval, the waiting list's "Remove".
async fn delete(state: &AppState, caller: &ApiCaller, id: &str) -> Result<Response, ApiError> {
    let mut conn = state.db.acquire().await.map_err(AppError::from)?;
    let (user, row) = find(&mut conn, caller, id).await?;
    drop(conn);
    if stored_status(&row.6)? == MemberStatus::NeedsApproval {
        caller.require(Permission::ApproveUsers, Scope::Users)?;
        crate::members::approval::remove_waiting(
            &state.db,
            &caller.actor,
            &caller.tailnet,
            &user,
            now(),
        )
        .await?;
        return Ok(StatusCode::OK.into_response());
    }
    change(state, caller, id, MemberChange::Remove).await
}
