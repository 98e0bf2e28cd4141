//! (ssr) Tailnet settings, as Tailscale's API v2 has them: `usersApprovalOn` ("User approval")
//! and `usersRoleAllowedToJoinExternalTailnets` ("Join external tailnets"), read with `GET` and
//! changed with `PATCH` through the tailnets feature's own functions (audited there).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Json;
use serde::{Deserialize, Serialize};

use super::auth::ApiCaller;
use super::error::{ApiError, ErrorBody};
use crate::context::{AppState, now};
use crate::delegation::Scope;
use crate::error::AppError;
use crate::roles::Permission;
use crate::tailnets::model::{JoinExternalChoice, JoinSettings};

/// The settings in Tailscale's shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TailnetSettings {
    pub users_approval_on: bool,
    /// `none`, `admin` or `member`.
    pub users_role_allowed_to_join_external_tailnets: String,
}

impl TailnetSettings {
    fn of(settings: &JoinSettings) -> Self {
        let choice = JoinExternalChoice::of_roles(&settings.join_external_roles)
            .unwrap_or(JoinExternalChoice::Admin);
        Self {
            users_approval_on: settings.user_approval,
            users_role_allowed_to_join_external_tailnets: choice.as_str().to_owned(),
        }
    }
}

/// A `PATCH` body: only the fields to change; `null` and absent mean "unchanged", and fields
/// Gatehouse has no use for (devices, ACLs) are ignored.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettingsPatch {
    #[serde(default)]
    pub users_approval_on: Option<bool>,
    /// `none`, `admin` or `member`.
    #[serde(default)]
    pub users_role_allowed_to_join_external_tailnets: Option<String>,
}

async fn current(state: &AppState, caller: &ApiCaller) -> Result<TailnetSettings, ApiError> {
    let mut conn = state.db.acquire().await.map_err(AppError::from)?;
    let rules = crate::tailnets::server::load(&mut conn, &caller.tailnet).await?;
    Ok(TailnetSettings::of(&rules.settings))
}

/// `GET /api/v2/tailnet/{tailnet}/settings`.
#[utoipa::path(get, path = "/tailnet/{tailnet}/settings", tag = "settings", params(("tailnet" = String, Path, description = "`-`, the tailnet's id or its name")), responses((status = 200, description = "The settings", body = TailnetSettings), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn get(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(tailnet): Path<String>,
) -> Result<Json<TailnetSettings>, ApiError> {
    caller.check_tailnet(&tailnet)?;
    caller.require(Permission::ViewMembers, Scope::FeatureSettingsRead)?;
    Ok(Json(current(&state, &caller).await?))
}

/// `PATCH /api/v2/tailnet/{tailnet}/settings`: every value is checked, and the caller's right
/// to each change, before anything is changed, and both change in one transaction; answers the
/// settings as they now are.
#[utoipa::path(patch, path = "/tailnet/{tailnet}/settings", tag = "settings", params(("tailnet" = String, Path, description = "`-`, the tailnet's id or its name")), request_body = SettingsPatch, responses((status = 200, description = "The settings as they now are", body = TailnetSettings), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn patch(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(tailnet): Path<String>,
    body: Bytes,
) -> Result<Json<TailnetSettings>, ApiError> {
    caller.check_tailnet(&tailnet)?;
    let patch: SettingsPatch = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("the body must be a settings object: {e}")))?;
    let join = match patch.users_role_allowed_to_join_external_tailnets.as_deref() {
        None => None,
        Some(value) => Some(
            JoinExternalChoice::ALL
                .into_iter()
                .find(|choice| choice.as_str() == value)
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "usersRoleAllowedToJoinExternalTailnets must be none, admin or member, not \"{value}\""
                    ))
                })?,
        ),
    };
    if patch.users_approval_on.is_none() && join.is_none() {
        // Nothing to change: the answer is a read, with a read's right.
        caller.require(Permission::ViewMembers, Scope::FeatureSettingsRead)?;
    }
    if patch.users_approval_on.is_some() {
        caller.require(Permission::ManageUserApproval, Scope::FeatureSettings)?;
    }
    if join.is_some() {
        caller.require(
            Permission::ManageJoinExternalTailnets,
            Scope::FeatureSettings,
        )?;
    }
    let change = crate::tailnets::server::JoiningChange {
        user_approval: patch.users_approval_on,
        join_external_roles: join.map(JoinExternalChoice::roles),
    };
    // Both settings change together, in one transaction, or neither does.
    crate::tailnets::server::change_joining(
        &state.db,
        &caller.actor,
        &caller.tailnet,
        &change,
        now(),
    )
    .await?;
    Ok(Json(current(&state, &caller).await?))
}
