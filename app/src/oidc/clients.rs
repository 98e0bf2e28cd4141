//! (ssr) The rules and storage behind the "OIDC clients" page: what a valid client is, and
//! adding one, regenerating its secret and deleting it, each in one transaction with its audit
//! event. The actor's right is read again inside the transaction.

use serde_json::json;
use sqlx::{AnyConnection, AnyPool};

use super::model::{
    AddedOidcClient, MAX_CALLBACK_URL_CHARS, MAX_CALLBACK_URLS, NewOidcClient, OidcClient,
};
use crate::audit::model::EventName;
use crate::audit::{Actor, Change, Target};
use crate::authority::lock_actor_role;
use crate::error::AppError;
use crate::fields::ClientName;
use crate::ids::TailnetId;
use crate::roles::{Permission, Role};
use crate::secrets::{SecretToken, random_token};
use crate::sql::begin_write;
use crate::web_address::{AddressProblem, check_secure};

/// A client as validated, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidClient {
    pub name: ClientName,
    pub callback_urls: Vec<String>,
    pub public: bool,
    pub require_pkce: bool,
    pub allowed_roles: Vec<Role>,
}

/// One callback URL: absolute, https (http only to this computer, for apps that listen on
/// loopback), no fragment and no user name or password in it. Kept in the URL standard's
/// normal form (`HTTPS://H.example.com` is `https://h.example.com/`); a redirect URI a client
/// sends must have exactly that form.
pub fn check_callback_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.chars().count() > MAX_CALLBACK_URL_CHARS {
        return Err(format!(
            "A callback URL has at most {MAX_CALLBACK_URL_CHARS} characters."
        ));
    }
    let url = url::Url::parse(text).map_err(|_| format!("'{text}' is not a URL."))?;
    match check_secure(&url) {
        Ok(()) => {}
        Err(AddressProblem::PlainHttp) => {
            return Err(format!("'{text}': use https (http only for localhost)."));
        }
        Err(AddressProblem::NotHttps) => return Err(format!("'{text}': use an https URL.")),
        Err(AddressProblem::Credentials) => {
            return Err(format!(
                "'{text}': a callback URL has no user name or password."
            ));
        }
    }
    if url.fragment().is_some() {
        return Err(format!("'{text}': a callback URL has no #fragment."));
    }
    Ok(url.to_string())
}

/// Checks "Add OIDC client", naming the field of each problem.
pub fn check_new_client(new: &NewOidcClient) -> Result<ValidClient, AppError> {
    let mut errors = Vec::new();
    let name = ClientName::parse(&new.name)
        .map_err(|problem| errors.push(crate::error::FieldError::new("name", problem)))
        .ok();
    let lines: Vec<&str> = new
        .callback_urls
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let mut callback_urls: Vec<String> = Vec::new();
    let mut problems = Vec::new();
    // Counted before anything is parsed, so a huge list costs nothing.
    if lines.len() > MAX_CALLBACK_URLS {
        problems.push(format!("Enter at most {MAX_CALLBACK_URLS} callback URLs."));
    }
    for line in lines.iter().take(MAX_CALLBACK_URLS) {
        match check_callback_url(line) {
            Ok(url) if !callback_urls.contains(&url) => callback_urls.push(url),
            Ok(_) => {}
            Err(problem) => problems.push(problem),
        }
    }
    if let Some(problem) = problems.first() {
        errors.push(crate::error::FieldError::new(
            "callback_urls",
            problem.clone(),
        ));
    } else if callback_urls.is_empty() {
        errors.push(crate::error::FieldError::new(
            "callback_urls",
            "Enter at least one callback URL.",
        ));
    }
    if new.allowed_roles.is_empty() {
        errors.push(crate::error::FieldError::new(
            "allowed_roles",
            "Choose at least one role.",
        ));
    }
    match name {
        Some(name) if errors.is_empty() => {
            let mut allowed_roles: Vec<Role> = Role::ALL
                .into_iter()
                .filter(|role| new.allowed_roles.contains(role))
                .collect();
            if allowed_roles.len() == Role::ALL.len() {
                allowed_roles.clear();
            }
            Ok(ValidClient {
                name,
                callback_urls,
                public: new.public,
                require_pkce: new.public || new.require_pkce,
                allowed_roles,
            })
        }
        _ => Err(AppError::Validation(errors)),
    }
}

type ClientRow = (String, String, String, i64, i64, String, i64);

/// The columns of a [`ClientRow`], in its order.
macro_rules! client_columns {
    () => {
        "id, name, callback_urls, public_client, require_pkce, allowed_roles, created_at"
    };
}

fn client_of(row: ClientRow) -> Result<OidcClient, AppError> {
    let (id, name, callback_urls, public, require_pkce, allowed_roles, created_at) = row;
    let decode =
        |what: &str, text: &str| AppError::internal(format!("oidc client {id}: {what}: {text}"));
    Ok(OidcClient {
        callback_urls: serde_json::from_str(&callback_urls)
            .map_err(|_| decode("callback_urls", &callback_urls))?,
        allowed_roles: serde_json::from_str(&allowed_roles)
            .map_err(|_| decode("allowed_roles", &allowed_roles))?,
        public: public != 0,
        require_pkce: require_pkce != 0,
        id,
        name,
        created_at,
    })
}

/// The tailnet's clients, oldest first.
pub async fn list(
    conn: &mut AnyConnection,
    tailnet: &TailnetId,
) -> Result<Vec<OidcClient>, AppError> {
    let rows: Vec<ClientRow> = sqlx::query_as(concat!(
        "SELECT ",
        client_columns!(),
        " FROM oidc_clients WHERE tailnet_id = $1 ORDER BY created_at, id"
    ))
    .bind(tailnet.as_str())
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(client_of).collect()
}

/// One client of the tailnet; another tailnet's client is as unknown as a missing one.
pub async fn find(
    conn: &mut AnyConnection,
    tailnet: &TailnetId,
    id: &str,
) -> Result<OidcClient, AppError> {
    let row: Option<ClientRow> = sqlx::query_as(concat!(
        "SELECT ",
        client_columns!(),
        " FROM oidc_clients WHERE tailnet_id = $1 AND id = $2"
    ))
    .bind(tailnet.as_str())
    .bind(id)
    .fetch_optional(conn)
    .await?;
    match row {
        Some(row) => client_of(row),
        None => Err(AppError::NotFound(
            "That OIDC client does not exist (it may have been deleted).".to_owned(),
        )),
    }
}

/// A client as the protocol endpoints see it: with its tailnet and the hash of its secret.
#[derive(Debug, Clone)]
pub struct RegisteredClient {
    pub client: OidcClient,
    pub tailnet: TailnetId,
    pub tailnet_name: String,
    pub secret_hash: Option<String>,
}

impl RegisteredClient {
    /// Whether `secret` is this client's; a public client has none to match.
    pub fn secret_matches(&self, secret: &SecretToken) -> bool {
        self.secret_hash
            .as_deref()
            .is_some_and(|stored| stored == secret.hash())
    }
}

/// A [`ClientRow`] followed by the tailnet's id, the secret's hash and the tailnet's name.
type RegisteredRow = (
    String,
    String,
    String,
    i64,
    i64,
    String,
    i64,
    String,
    Option<String>,
    String,
);

/// The client whose `client_id` is `id`, in whichever tailnet it belongs to.
pub async fn registered(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<RegisteredClient>, AppError> {
    let row: Option<RegisteredRow> = sqlx::query_as(concat!(
        "SELECT ",
        client_columns!(),
        ", tailnet_id, secret_hash, \
             (SELECT name FROM tailnets WHERE tailnets.id = oidc_clients.tailnet_id) \
         FROM oidc_clients WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    let Some((id, name, urls, public, pkce, roles, created, tailnet, secret_hash, tailnet_name)) =
        row
    else {
        return Ok(None);
    };
    let client = client_of((id, name, urls, public, pkce, roles, created))?;
    Ok(Some(RegisteredClient {
        client,
        tailnet: TailnetId::from_raw(tailnet),
        tailnet_name,
        secret_hash,
    }))
}

/// What the audit log keeps of a client: everything but its secret.
fn logged(client: &OidcClient) -> Option<String> {
    Some(
        json!({
            "name": client.name,
            "callback_urls": client.callback_urls,
            "public": client.public,
            "require_pkce": client.require_pkce,
            "allowed_roles": client.allowed_roles,
        })
        .to_string(),
    )
}

/// Adds a client; a confidential one gets a secret, returned this once.
pub async fn add(
    db: &AnyPool,
    actor: &Actor,
    tailnet: &TailnetId,
    valid: ValidClient,
    now: i64,
) -> Result<AddedOidcClient, AppError> {
    let secret = (!valid.public).then(SecretToken::generate);
    let client = OidcClient {
        id: random_token(16),
        name: valid.name.as_str().to_owned(),
        callback_urls: valid.callback_urls,
        public: valid.public,
        require_pkce: valid.require_pkce,
        allowed_roles: valid.allowed_roles,
        created_at: now,
    };
    let mut tx = begin_write(db).await?;
    lock_actor_role(&mut tx, tailnet, actor, Permission::ManageOidcClients).await?;
    sqlx::query(
        "INSERT INTO oidc_clients (id, tailnet_id, name, callback_urls, public_client, \
             require_pkce, allowed_roles, secret_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&client.id)
    .bind(tailnet.as_str())
    .bind(&client.name)
    .bind(json!(client.callback_urls).to_string())
    .bind(i64::from(client.public))
    .bind(i64::from(client.require_pkce))
    .bind(json!(client.allowed_roles).to_string())
    .bind(secret.as_ref().map(SecretToken::hash))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Change::new(actor, tailnet, now)
        .record(
            &mut tx,
            EventName::OidcClientCreate,
            Target::oidc_client(&client.id, &client.name),
            None,
            logged(&client),
        )
        .await?;
    tx.commit().await?;
    Ok(AddedOidcClient {
        client,
        secret: secret.map(|s| s.expose().to_owned()),
    })
}

/// "Regenerate secret": the old secret stops working at once. Public clients have none.
pub async fn regenerate_secret(
    db: &AnyPool,
    actor: &Actor,
    tailnet: &TailnetId,
    id: &str,
    now: i64,
) -> Result<String, AppError> {
    let mut tx = begin_write(db).await?;
    lock_actor_role(&mut tx, tailnet, actor, Permission::ManageOidcClients).await?;
    let client = find(&mut tx, tailnet, id).await?;
    if client.public {
        return Err(AppError::NotAllowed(
            "A public client has no secret: it proves itself with PKCE.".to_owned(),
        ));
    }
    let secret = SecretToken::generate();
    sqlx::query("UPDATE oidc_clients SET secret_hash = $1 WHERE id = $2")
        .bind(secret.hash())
        .bind(&client.id)
        .execute(&mut *tx)
        .await?;
    Change::new(actor, tailnet, now)
        .record(
            &mut tx,
            EventName::OidcClientSecretRegenerate,
            Target::oidc_client(&client.id, &client.name).with_property("secret"),
            None,
            None,
        )
        .await?;
    tx.commit().await?;
    Ok(secret.expose().to_owned())
}

/// "Delete": the client can no longer sign anyone in.
pub async fn delete(
    db: &AnyPool,
    actor: &Actor,
    tailnet: &TailnetId,
    id: &str,
    now: i64,
) -> Result<(), AppError> {
    let mut tx = begin_write(db).await?;
    lock_actor_role(&mut tx, tailnet, actor, Permission::ManageOidcClients).await?;
    let client = find(&mut tx, tailnet, id).await?;
    sqlx::query("DELETE FROM oidc_clients WHERE id = $1")
        .bind(&client.id)
        .execute(&mut *tx)
        .await?;
    Change::new(actor, tailnet, now)
        .record(
            &mut tx,
            EventName::OidcClientDelete,
            Target::oidc_client(&client.id, &client.name),
            logged(&client),
            None,
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_client(allowed_roles: Vec<Role>, public: bool) -> NewOidcClient {
        NewOidcClient {
            tailnet: TailnetId::from_raw("t"),
            name: " Headscale ".to_owned(),
            callback_urls: "https://h.example.com/cb".to_owned(),
            public,
            require_pkce: false,
            allowed_roles,
        }
    }

    #[test]
    fn allowed_roles_are_kept_in_role_order_and_all_of_them_means_every_role()
    -> Result<(), AppError> {
        let some = check_new_client(&new_client(
            vec![Role::Member, Role::Admin, Role::Member],
            false,
        ))?;
        assert_eq!(some.allowed_roles, vec![Role::Admin, Role::Member]);
        assert_eq!(some.name.as_str(), "Headscale");
        assert!(!some.require_pkce);
        let all = check_new_client(&new_client(Role::ALL.to_vec(), true))?;
        assert!(all.allowed_roles.is_empty(), "stored as every role");
        assert!(all.require_pkce, "a public client always uses PKCE");
        let none = check_new_client(&new_client(Vec::new(), false));
        assert_eq!(
            none.err().and_then(|e| e.field_message("allowed_roles")),
            Some("Choose at least one role.".to_owned()),
            "no role at all is not every role"
        );
        Ok(())
    }

    #[test]
    fn callback_urls_are_kept_in_normal_form() {
        assert_eq!(
            check_callback_url("  https://h.example.com/cb?x=1 "),
            Ok("https://h.example.com/cb?x=1".to_owned())
        );
        assert_eq!(
            check_callback_url("HTTPS://H.Example.com"),
            Ok("https://h.example.com/".to_owned())
        );
        assert!(
            check_callback_url("http://127.0.0.2/cb").is_ok(),
            "all of 127/8 is loopback"
        );
        assert!(check_callback_url("http://localhost.example.com/cb").is_err());
    }
}
