//! (ssr) User invites, as Tailscale's API v2 has them: list, create (a batch, by email or as
//! links), get, delete and resend. Each goes through the invites feature's own functions, so
//! the console's rules (who may give which role, address checks, email allowances, the resend
//! wait, audit events) hold here too.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use serde::{Deserialize, Serialize};

use super::auth::ApiCaller;
use super::error::{ApiError, ErrorBody};
use crate::context::{AppState, Verification, now};
use crate::delegation::Scope;
use crate::fields::EmailAddress;
use crate::ids::InviteId;
use crate::invites::lookup::{OpenInviteView, invite_url, open_invite, open_invites};
use crate::invites::model::{MAX_ADDRESSES_PER_INVITE, check_invitable};
use crate::invites::server::{WantedInvite, create_invites};
use crate::roles::{Permission, Role, check_grant};

/// A user invite in Tailscale's shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserInvite {
    pub id: String,
    pub role: String,
    pub tailnet_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inviter_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_email_sent_at: Option<String>,
    /// Only for callers who could copy the link in the console.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invite_url: Option<String>,
}

/// One invite of a `POST …/user-invites` body.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// Whether the caller could copy an invite giving `role` in the console ("Copy invite link"):
/// never an OAuth client, which may not make or remove invites either.
fn may_copy(caller: &ApiCaller, role: Role) -> bool {
    !caller.is_client()
        && caller.role.can(Permission::ManageInvites)
        && check_grant(caller.role, role).is_ok()
}

/// The API shape of `view`; its link only for a caller who may copy it.
fn user_invite(
    state: &AppState,
    caller: &ApiCaller,
    view: &OpenInviteView,
) -> Result<UserInvite, ApiError> {
    let may_copy = may_copy(caller, view.role);
    Ok(UserInvite {
        id: view.id.to_string(),
        role: view.role.tailscale_name().to_owned(),
        tailnet_id: caller.tailnet_api_id,
        inviter_id: view.inviter_api_id,
        email: view.email.clone(),
        last_email_sent_at: view
            .email
            .as_ref()
            .and(view.last_sent_at)
            .map(crate::format::utc_timestamp),
        invite_url: if may_copy {
            Some(view.url(&state.settings)?)
        } else {
            None
        },
    })
}

/// `GET /api/v2/tailnet/{tailnet}/user-invites`: the open invites, oldest first.
#[utoipa::path(get, path = "/tailnet/{tailnet}/user-invites", tag = "user-invites", params(("tailnet" = String, Path, description = "`-`, the tailnet's id or its name")), responses((status = 200, description = "The open invites", body = Vec<UserInvite>), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(tailnet): Path<String>,
) -> Result<Json<Vec<UserInvite>>, ApiError> {
    caller.check_tailnet(&tailnet)?;
    caller.require(Permission::ViewInvites, Scope::UsersRead)?;
    let mut conn = state
        .db
        .acquire()
        .await
        .map_err(crate::error::AppError::from)?;
    let views = open_invites(&mut conn, &caller.tailnet, now()).await?;
    let invites = views
        .iter()
        .map(|view| user_invite(&state, &caller, view))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(invites))
}

/// Reads one request: its role (Tailscale's spelling, `member` when absent, never `owner`)
/// and its address, if any.
fn wanted(position: usize, request: &InviteRequest) -> Result<WantedInvite, ApiError> {
    let at = |problem: String| ApiError::bad_request(format!("invite {}: {problem}", position + 1));
    let role = match request.role.as_deref() {
        None | Some("") => Role::Member,
        Some(name) => Role::from_tailscale_name(name).ok_or_else(|| {
            at(format!(
                "unknown role \"{name}\" (use member, admin, it-admin, network-admin, \
                 billing-admin or auditor)"
            ))
        })?,
    };
    let role = check_invitable(role).map_err(|e| at(e.to_string()))?;
    let email = match request.email.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(EmailAddress::parse(text).map_err(at)?),
    };
    Ok(WantedInvite { email, role })
}

/// `POST /api/v2/tailnet/{tailnet}/user-invites`: a bare array of `{"role"?, "email"?}`; an
/// entry without an email is a link invite. All or nothing; answers in the request's order.
#[utoipa::path(post, path = "/tailnet/{tailnet}/user-invites", tag = "user-invites", params(("tailnet" = String, Path, description = "`-`, the tailnet's id or its name")), request_body = Vec<InviteRequest>, responses((status = 200, description = "The invites, in the request's order", body = Vec<UserInvite>), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(tailnet): Path<String>,
    body: Bytes,
) -> Result<Json<Vec<UserInvite>>, ApiError> {
    caller.check_tailnet(&tailnet)?;
    caller.require_person(Permission::ManageInvites)?;
    let requests: Vec<InviteRequest> = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(format!(
            "the body must be a JSON array of {{\"role\", \"email\"}}: {e}"
        ))
    })?;
    if requests.is_empty() {
        return Err(ApiError::bad_request("no invites requested"));
    }
    if requests.len() > MAX_ADDRESSES_PER_INVITE {
        return Err(ApiError::bad_request(format!(
            "at most {MAX_ADDRESSES_PER_INVITE} invites per request"
        )));
    }
    let wanted = requests
        .iter()
        .enumerate()
        .map(|(i, request)| wanted(i, request))
        .collect::<Result<Vec<_>, _>>()?;
    let now = now();
    // A token is a credential made for automation: it counts as a confirmed identity.
    let created = create_invites(
        &state.db,
        &state.settings,
        (&caller.actor, Verification::Recent),
        &caller.tailnet,
        &wanted,
        now,
    )
    .await?;
    // The answer is made from what was just written, without reading it back.
    let inviter_id: Option<i64> = sqlx::query_scalar("SELECT api_id FROM users WHERE id = $1")
        .bind(caller.actor.id.as_str())
        .fetch_one(&state.db)
        .await
        .map_err(crate::error::AppError::from)?;
    let answer = created
        .iter()
        .zip(&wanted)
        .map(|(made, wanted)| UserInvite {
            id: made.invite.to_string(),
            role: wanted.role.tailscale_name().to_owned(),
            tailnet_id: caller.tailnet_api_id,
            inviter_id,
            email: wanted.email.as_ref().map(|e| e.as_str().to_owned()),
            last_email_sent_at: wanted
                .email
                .as_ref()
                .map(|_| crate::format::utc_timestamp(now)),
            invite_url: may_copy(&caller, wanted.role)
                .then(|| invite_url(&state.settings, &made.token)),
        })
        .collect();
    Ok(Json(answer))
}

/// The caller's tailnet's open invite `id`, or 404.
async fn find(state: &AppState, caller: &ApiCaller, id: &str) -> Result<OpenInviteView, ApiError> {
    let mut conn = state
        .db
        .acquire()
        .await
        .map_err(crate::error::AppError::from)?;
    open_invite(&mut conn, &caller.tailnet, &InviteId::from_raw(id), now())
        .await?
        .ok_or_else(|| ApiError::not_found("invite"))
}

/// `GET /api/v2/user-invites/{id}`.
#[utoipa::path(get, path = "/user-invites/{id}", tag = "user-invites", params(("id" = String, Path, description = "The invite's id")), responses((status = 200, description = "The invite", body = UserInvite), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn get(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<UserInvite>, ApiError> {
    caller.require(Permission::ViewInvites, Scope::UsersRead)?;
    let view = find(&state, &caller, &id).await?;
    Ok(Json(user_invite(&state, &caller, &view)?))
}

/// `DELETE /api/v2/user-invites/{id}`: the link stops working at once.
#[utoipa::path(delete, path = "/user-invites/{id}", tag = "user-invites", params(("id" = String, Path, description = "The invite's id")), responses((status = 200, description = "Deleted"), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require_person(Permission::ManageInvites)?;
    let view = find(&state, &caller, &id).await?;
    crate::invites::manage::delete(&state.db, &caller.actor, &caller.tailnet, &view.id, now())
        .await?;
    Ok(StatusCode::OK.into_response())
}

/// `POST /api/v2/user-invites/{id}/resend`: emails the invite again (not a link-only invite;
/// not within a minute of the last send).
#[utoipa::path(post, path = "/user-invites/{id}/resend", tag = "user-invites", params(("id" = String, Path, description = "The invite's id")), responses((status = 200, description = "Emailed again"), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn resend(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require_person(Permission::ManageInvites)?;
    let view = find(&state, &caller, &id).await?;
    if view.email.is_none() {
        return Err(ApiError::bad_request(
            "a link invite has no email address to resend to",
        ));
    }
    crate::invites::manage::resend(
        &state.db,
        &state.settings,
        &caller.actor,
        &caller.tailnet,
        &view.id,
        now(),
    )
    .await?;
    Ok(StatusCode::OK.into_response())
}
