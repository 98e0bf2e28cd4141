//! Server functions of the "Configuration audit logs" page. Both refuse Members: the
//! permission is checked here, whatever the page shows.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::model::{AuditLogOverview, AuditPage, AuditQuery};
use crate::error::AppError;
use crate::ids::TailnetId;

/// The tailnet's name and how long its events are kept.
#[server(prefix = "/api", endpoint = "get_audit_log_overview", input = Json)]
pub async fn get_audit_log_overview(tailnet: TailnetId) -> Result<AuditLogOverview, AppError> {
    use crate::context::{app_state, require, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        require(&state, &tailnet, Permission::ViewAuditLog).await?;
        let tailnet_name: String = sqlx::query_scalar("SELECT name FROM tailnets WHERE id = $1")
            .bind(tailnet.as_str())
            .fetch_one(&state.db)
            .await?;
        Ok(AuditLogOverview {
            tailnet_name,
            retention_days: state.settings.audit_retention_secs / 86_400,
        })
    })
    .await
}

/// One page of the tailnet's events matching the filters, newest first.
#[server(prefix = "/api", endpoint = "list_audit_events", input = Json)]
pub async fn list_audit_events(query: AuditQuery) -> Result<AuditPage, AppError> {
    use crate::context::{app_state, require, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        require(&state, &query.tailnet, Permission::ViewAuditLog).await?;
        super::server::list_events(&state.db, &query).await
    })
    .await
}
