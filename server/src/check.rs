//! `gatehouse check-config`: what the server would refuse at start, found without starting it
//! and without changing anything (no key file or database is created, nothing is migrated).
//! Each problem is the one line the server would print.

use std::time::Duration;

use sqlx::Connection;

use crate::config::Config;

/// How long the database gets to answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Checks the secret key file and the database of `config` (the variables themselves were
/// checked when `config` was read).
pub async fn check(config: &Config) -> Result<(), String> {
    let key = &config.secret_key_file;
    if key.exists() {
        crate::secret_key::load_or_create(key)
            .map_err(|problem| format!("GATEHOUSE_SECRET_KEY_FILE: {problem}"))?;
        if let Some(warning) = crate::secret_key::readable_by_others(key) {
            println!("warning: {warning}");
        }
    } else {
        println!(
            "note: GATEHOUSE_SECRET_KEY_FILE: {} does not exist yet; the first start creates it",
            key.display()
        );
    }
    if let Some(file) = crate::db::sqlite_file(&config.database_url)
        && !file.exists()
    {
        println!(
            "note: GATEHOUSE_DATABASE_URL: {} does not exist yet; the first start creates it",
            file.display()
        );
        return Ok(());
    }
    sqlx::any::install_default_drivers();
    let connect = sqlx::AnyConnection::connect(&config.database_url);
    let mut conn = tokio::time::timeout(CONNECT_TIMEOUT, connect)
        .await
        .map_err(|_| {
            format!(
                "GATEHOUSE_DATABASE_URL: no answer within {} s",
                CONNECT_TIMEOUT.as_secs()
            )
        })?
        .map_err(|error| format!("GATEHOUSE_DATABASE_URL: cannot connect: {error}"))?;
    let known = crate::db::MIGRATOR.iter().count();
    // A database no server has started on yet has no migrations table: all are pending.
    let applied: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_one(&mut conn)
            .await
            .unwrap_or(0);
    let applied = usize::try_from(applied).unwrap_or(0);
    if applied > known {
        return Err(format!(
            "GATEHOUSE_DATABASE_URL: the database was migrated by a newer Gatehouse \
             ({applied} migrations, this one knows {known})"
        ));
    }
    if applied < known {
        println!(
            "note: GATEHOUSE_DATABASE_URL: {} migrations will be applied at the next start",
            known - applied
        );
    }
    conn.close().await.map_err(|error| error.to_string())
}
