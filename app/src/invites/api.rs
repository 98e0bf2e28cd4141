//! Server functions for invitations. Each checks the caller's permission in the named tailnet
//! on its first line; hiding a button is never the check.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::model::{
    EmailCodeAnswer, EmailCodeSent, EmailInvite, InviteLink, InvitePreview, InviteSignUpForm,
    InvitesSent, Welcome,
};
use crate::auth::model::PasskeyChallenge;
use crate::error::AppError;
use crate::ids::{InviteId, TailnetId};
use crate::passkeys::wire::{NewPasskey, PasskeyCreationOptions};
use crate::roles::Role;

/// "Invite by email": one role for every address; all or nothing.
#[server(prefix = "/api", endpoint = "invite_by_email", input = Json)]
pub async fn invite_by_email(invite: EmailInvite) -> Result<InvitesSent, AppError> {
    use super::model::{check_invitable, parse_address_list};
    use crate::context::{acting_member_verified, app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let (actor, verification) =
            acting_member_verified(&state, &invite.tailnet, Permission::ManageInvites).await?;
        let role = check_invitable(invite.role)?;
        let addresses = parse_address_list(&invite.addresses)?;
        let invited = super::server::invite_by_email(
            &state.db,
            &state.settings,
            (&actor, verification),
            &invite.tailnet,
            &addresses,
            role,
            now(),
        )
        .await?;
        Ok(InvitesSent {
            invited,
            email_delivery_configured: state.settings.email_delivery_configured,
        })
    })
    .await
}

/// "Generate & copy invite link".
#[server(prefix = "/api", endpoint = "create_invite_link", input = Json)]
pub async fn create_invite_link(tailnet: TailnetId, role: Role) -> Result<InviteLink, AppError> {
    use super::model::check_invitable;
    use crate::context::{acting_member_verified, app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let (actor, verification) =
            acting_member_verified(&state, &tailnet, Permission::ManageInvites).await?;
        let role = check_invitable(role)?;
        super::server::create_invite_link(
            &state.db,
            &state.settings,
            (&actor, verification),
            &tailnet,
            role,
            now(),
        )
        .await
    })
    .await
}

/// "Resend user invite". Returns the new expiry.
#[server(prefix = "/api", endpoint = "resend_invite", input = Json)]
pub async fn resend_invite(tailnet: TailnetId, invite: InviteId) -> Result<i64, AppError> {
    use crate::context::{acting_member, app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let actor = acting_member(&state, &tailnet, Permission::ManageInvites).await?;
        super::manage::resend(&state.db, &state.settings, &actor, &tailnet, &invite, now()).await
    })
    .await
}

/// "Copy invite link": the invite's working link.
#[server(prefix = "/api", endpoint = "copy_invite_link", input = Json)]
pub async fn copy_invite_link(
    tailnet: TailnetId,
    invite: InviteId,
) -> Result<InviteLink, AppError> {
    use crate::context::{app_state, require, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let (session, _) = require(&state, &tailnet, Permission::ManageInvites).await?;
        super::manage::reveal_link(
            &state.db,
            &state.settings,
            &session.user_id,
            &tailnet,
            &invite,
        )
        .await
    })
    .await
}

/// "Delete invite".
#[server(prefix = "/api", endpoint = "delete_invite", input = Json)]
pub async fn delete_invite(tailnet: TailnetId, invite: InviteId) -> Result<(), AppError> {
    use crate::context::{acting_member, app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let actor = acting_member(&state, &tailnet, Permission::ManageInvites).await?;
        super::manage::delete(&state.db, &actor, &tailnet, &invite, now()).await
    })
    .await
}

/// Counts a request that presents an invite token against its client address's limit; a
/// cross-site subresource request gets the invalid-invite answer without a look-up.
#[cfg(feature = "ssr")]
async fn count_invite_lookup(state: &crate::context::AppState, now: i64) -> Result<(), AppError> {
    if crate::rate_limit::count_token_lookup(state, "invite", now).await? {
        Ok(())
    } else {
        Err(super::lookup::invalid_invite())
    }
}

/// The public invite page's details; one answer for every unusable link.
#[server(prefix = "/api", endpoint = "inspect_invite", input = Json)]
pub async fn inspect_invite(token: String) -> Result<InvitePreview, AppError> {
    use crate::context::{app_state, now, respond};

    respond(async {
        let state = app_state()?;
        let now = now();
        count_invite_lookup(&state, now).await?;
        let mut preview = super::lookup::preview(&state.db, &token, now).await?;
        preview.email_code_required =
            preview.email.is_none() && state.settings.email_delivery_configured;
        Ok(preview)
    })
    .await
}

/// "Email me a code": for a link invite, checks the form and emails a one-time code to the
/// typed address (or, when it already has an account, a note to sign in instead). The answer is
/// the same either way.
#[server(prefix = "/api", endpoint = "send_email_code", input = Json)]
pub async fn send_email_code(
    token: String,
    form: InviteSignUpForm,
) -> Result<EmailCodeSent, AppError> {
    use crate::context::{app_state, now, respond};

    respond(async {
        let state = app_state()?;
        let now = now();
        count_invite_lookup(&state, now).await?;
        crate::rate_limit::count_sign_in_attempt(&state, now).await?;
        let preview = super::lookup::preview(&state.db, &token, now).await?;
        if preview.email.is_some() || !state.settings.email_delivery_configured {
            return Err(AppError::validation(
                "email",
                "This invite needs no code: continue with Create account with passkey.",
            ));
        }
        let (_, email) = form.validate(None)?;
        let token_hash = super::lookup::token_hash(&token)?;
        super::email_code::send(&state.db, &state.settings, &token_hash, &email, now).await
    })
    .await
}

/// What the server keeps while the browser creates an invitee's passkey.
#[cfg(feature = "ssr")]
#[derive(serde::Serialize, serde::Deserialize)]
struct InviteSignUpCeremony {
    token_hash: String,
    display_name: crate::fields::DisplayName,
    email: crate::fields::EmailAddress,
    /// Proven by following an emailed invite or by a code; otherwise only typed.
    email_verified: bool,
    webauthn_user_id: uuid::Uuid,
}

/// "Create account with passkey": checks the form and the invite, and starts registering the
/// new person's passkey. For an email invite the address is the invite's, whatever was typed.
#[server(prefix = "/api", endpoint = "start_invite_sign_up", input = Json)]
pub async fn start_invite_sign_up(
    token: String,
    form: InviteSignUpForm,
    /// The emailed code, for a link invite on a server that sends email.
    #[server(default)]
    code: Option<EmailCodeAnswer>,
) -> Result<PasskeyChallenge<PasskeyCreationOptions>, AppError> {
    use crate::accounts::{ensure_email_is_free, start_registration};
    use crate::auth::ceremonies::CeremonyPurpose;
    use crate::context::{app_state, now, respond};

    respond(async {
        let state = app_state()?;
        crate::rate_limit::count_sign_in_attempt(&state, crate::context::now()).await?;
        let now = now();
        count_invite_lookup(&state, now).await?;
        let preview = super::lookup::preview(&state.db, &token, now).await?;
        let (display_name, email) = form.validate(preview.email.as_deref())?;
        let token_hash = super::lookup::token_hash(&token)?;
        // An email invite's address is proven by its link. A typed one is proven by a code
        // when the server can send one, and is marked "not verified" when it cannot.
        let email_verified = match (&preview.email, state.settings.email_delivery_configured) {
            (Some(_), _) => true,
            (None, true) => {
                let code = code.ok_or_else(|| {
                    AppError::validation("code", "Enter the code we emailed to you.")
                })?;
                super::email_code::verify(&state.db, &code, &token_hash, &email, now).await?;
                true
            }
            (None, false) => false,
        };
        ensure_email_is_free(&mut *state.db.acquire().await?, &email).await?;
        start_registration(
            &state,
            CeremonyPurpose::InviteSignUp,
            &email,
            &display_name,
            |webauthn_user_id| InviteSignUpCeremony {
                token_hash,
                display_name: display_name.clone(),
                email: email.clone(),
                email_verified,
                webauthn_user_id,
            },
            now,
        )
        .await
    })
    .await
}

/// Verifies the new passkey, then creates the account and accepts the invite in one
/// transaction, signs the person in and returns the path of their welcome page.
#[server(prefix = "/api", endpoint = "finish_invite_sign_up", input = Json)]
pub async fn finish_invite_sign_up(
    ceremony: String,
    credential: NewPasskey,
) -> Result<String, AppError> {
    use super::model::welcome_path;
    use crate::accounts::{NewAccount, finish_registration};
    use crate::auth::ceremonies::CeremonyPurpose;
    use crate::auth::sessions::set_session_cookie;
    use crate::context::{app_state, client_address, now, request_parts, respond};

    respond(async {
        let state = app_state()?;
        crate::rate_limit::count_sign_in_attempt(&state, crate::context::now()).await?;
        let now = now();
        let (passkey, context): (_, InviteSignUpCeremony) = finish_registration(
            &state,
            CeremonyPurpose::InviteSignUp,
            ceremony,
            &credential,
            now,
        )
        .await?;
        let account = NewAccount {
            display_name: &context.display_name,
            email: &context.email,
            email_verified: context.email_verified,
            webauthn_user_id: context.webauthn_user_id,
            passkey: &passkey,
        };
        let request = request_parts()?;
        let member = super::accept::accept_with_new_account(
            &state.db,
            &state.settings,
            &request.headers,
            &context.token_hash,
            &account,
            client_address(),
            now,
        )
        .await?;
        set_session_cookie(&state.settings, &member.session);
        Ok(welcome_path(&member.joined.tailnet))
    })
    .await
}

/// "Accept invite" by the signed-in person. Returns the path of their welcome page.
#[server(prefix = "/api", endpoint = "accept_invite", input = Json)]
pub async fn accept_invite(token: String) -> Result<String, AppError> {
    use super::model::welcome_path;
    use crate::context::{app_state, client_address, current_session, now, respond};

    respond(async {
        let state = app_state()?;
        let now = now();
        let session = current_session(&state).await?;
        count_invite_lookup(&state, now).await?;
        let joined = super::accept::accept_signed_in(
            &state.db,
            &session.user_id,
            client_address(),
            &token,
            now,
        )
        .await?;
        Ok(welcome_path(&joined.tailnet))
    })
    .await
}

/// The welcome page of a tailnet the signed-in person belongs to, approved or not.
#[server(prefix = "/api", endpoint = "get_welcome", input = Json)]
pub async fn get_welcome(tailnet: TailnetId) -> Result<Welcome, AppError> {
    use crate::auth::model::users_path;
    use crate::context::{app_state, current_session, respond};
    use crate::roles::{MemberStatus, Permission, stored_role, stored_status};

    respond(async {
        let state = app_state()?;
        let session = current_session(&state).await?;
        let row: Option<(String, Option<String>, String, String)> = sqlx::query_as(
            "SELECT t.name, t.coordination_server_url, m.role, m.status FROM memberships m \
             JOIN tailnets t ON t.id = m.tailnet_id WHERE m.tailnet_id = $1 AND m.user_id = $2",
        )
        .bind(tailnet.as_str())
        .bind(session.user_id.as_str())
        .fetch_optional(&state.db)
        .await?;
        let (tailnet_name, coordination_server_url, role, status) =
            row.ok_or(AppError::Forbidden)?;
        let (role, status) = (stored_role(&role)?, stored_status(&status)?);
        let admin = status == MemberStatus::Active && role.can(Permission::ViewMembers);
        Ok(Welcome {
            tailnet_name,
            role,
            status,
            client_download_url: state.settings.client_download_url.clone(),
            coordination_server_url,
            tailnet_path: if admin {
                users_path(&tailnet)
            } else {
                "/".to_owned()
            },
        })
    })
    .await
}

/// Where people download the client ("Download the client").
#[server(prefix = "/api", endpoint = "client_download_url", input = Json)]
pub async fn client_download_url() -> Result<String, AppError> {
    use crate::context::{app_state, respond};

    respond(async { Ok(app_state()?.settings.client_download_url.clone()) }).await
}
