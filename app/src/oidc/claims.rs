//! (ssr) What Gatehouse tells a relying party about a person, by scope: `sub` always (the
//! person's stable id); `email` and `email_verified` with `email`; `name` and
//! `preferred_username` with `profile`; `groups` (their role in the tailnet, in Tailscale's
//! spelling) with `groups`. The ID token and the userinfo answer carry the same claims.

use chrono::{TimeZone, Utc};
use openidconnect::core::{
    CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AccessToken, AdditionalClaims, Audience, AuthorizationCode, EndUserEmail, EndUserName,
    EndUserUsername, IdToken, IdTokenClaims, IssuerUrl, Nonce, StandardClaims, SubjectIdentifier,
    UserInfoClaims,
};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use super::grants::has_scope;
use super::signing_keys::{ID_TOKEN_LIFETIME_SECS, SigningKey};
use crate::error::AppError;
use crate::ids::UserId;
use crate::roles::Role;

/// The `groups` claim, which the standard claims do not have.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupsClaim {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
}

impl AdditionalClaims for GroupsClaim {}

/// An ID token with Gatehouse's claims.
pub type GatehouseIdToken = IdToken<
    GroupsClaim,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// The person as the claims describe them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: UserId,
    pub display_name: String,
    pub email: String,
    /// Gatehouse proved the address (an emailed invite or a code was followed).
    pub email_verified: bool,
}

impl Person {
    pub async fn load(conn: &mut AnyConnection, id: &UserId) -> Result<Self, AppError> {
        let (display_name, email, verified): (String, String, i64) =
            sqlx::query_as("SELECT display_name, email, email_verified FROM users WHERE id = $1")
                .bind(id.as_str())
                .fetch_one(&mut *conn)
                .await?;
        Ok(Self {
            id: id.clone(),
            display_name,
            email,
            email_verified: verified != 0,
        })
    }

    /// The standard claims the granted `scope` allows.
    fn standard_claims(&self, scope: &str) -> StandardClaims<CoreGenderClaim> {
        let mut claims = StandardClaims::new(SubjectIdentifier::new(self.id.to_string()));
        if has_scope(scope, "email") {
            claims = claims
                .set_email(Some(EndUserEmail::new(self.email.clone())))
                .set_email_verified(Some(self.email_verified));
        }
        if has_scope(scope, "profile") {
            claims = claims
                .set_name(Some(EndUserName::new(self.display_name.clone()).into()))
                .set_preferred_username(Some(EndUserUsername::new(self.email.clone())));
        }
        claims
    }
}

fn groups_claim(scope: &str, role: Role) -> GroupsClaim {
    GroupsClaim {
        groups: has_scope(scope, "groups").then(|| vec![role.tailscale_name().to_owned()]),
    }
}

/// What goes into one ID token besides the person.
pub struct IdTokenRequest<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub scope: &'a str,
    pub role: Role,
    pub nonce: Option<&'a str>,
    pub auth_time: i64,
    pub now: i64,
    pub access_token: &'a AccessToken,
    pub code: &'a AuthorizationCode,
}

fn time(seconds: i64) -> Result<chrono::DateTime<Utc>, AppError> {
    Utc.timestamp_opt(seconds, 0)
        .single()
        .ok_or_else(|| AppError::internal(format!("time {seconds} out of range")))
}

/// Signs the ID token (RS256, with the key's `kid`; `at_hash` and `c_hash` included).
pub fn id_token(
    person: &Person,
    request: &IdTokenRequest<'_>,
    key: &SigningKey,
) -> Result<GatehouseIdToken, AppError> {
    let issuer = IssuerUrl::new(request.issuer.to_owned()).map_err(AppError::internal)?;
    let claims = IdTokenClaims::new(
        issuer,
        vec![Audience::new(request.client_id.to_owned())],
        time(request.now + ID_TOKEN_LIFETIME_SECS)?,
        time(request.now)?,
        person.standard_claims(request.scope),
        groups_claim(request.scope, request.role),
    )
    .set_auth_time(Some(time(request.auth_time)?))
    .set_nonce(request.nonce.map(|n| Nonce::new(n.to_owned())));
    GatehouseIdToken::new(
        claims,
        key.signer(),
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        Some(request.access_token),
        Some(request.code),
    )
    .map_err(AppError::internal)
}

/// The userinfo answer: the same claims as the ID token.
pub fn userinfo(
    person: &Person,
    scope: &str,
    role: Role,
) -> UserInfoClaims<GroupsClaim, CoreGenderClaim> {
    UserInfoClaims::new(person.standard_claims(scope), groups_claim(scope, role))
}
