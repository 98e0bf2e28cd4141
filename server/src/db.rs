//! Connecting to SQLite or PostgreSQL through one `AnyPool`, and the migrations.

use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;

pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// Opens the pool (creating a SQLite file's folder when missing) and migrates the schema.
pub async fn connect_and_migrate(url: &str) -> Result<AnyPool, sqlx::Error> {
    sqlx::any::install_default_drivers();
    let sqlite_file = url.strip_prefix("sqlite://").map(|rest| {
        rest.split_once('?')
            .map_or(rest, |(path, _)| path)
            .to_owned()
    });
    if let Some(parent) = sqlite_file
        .as_deref()
        .and_then(|file| std::path::Path::new(file).parent())
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)?;
    }
    let pool = AnyPoolOptions::new()
        .max_connections(if sqlite_file.is_some() { 8 } else { 16 })
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                if conn.backend_name() == "SQLite" {
                    // WAL lets readers run beside the one writer; waiting beats failing with
                    // "database is locked" when writers meet.
                    for pragma in [
                        "PRAGMA journal_mode = WAL",
                        "PRAGMA busy_timeout = 10000",
                        "PRAGMA foreign_keys = ON",
                        "PRAGMA synchronous = NORMAL",
                    ] {
                        sqlx::query(pragma).execute(&mut *conn).await?;
                    }
                }
                Ok(())
            })
        })
        .connect(url)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}
