//! Connecting to SQLite or PostgreSQL through one `AnyPool`, and the migrations.

use std::path::Path;
use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;

pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// Creates `dir` and its missing parents readable by this user only (0700 on Unix); an
/// existing folder keeps its mode.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates an empty SQLite file (and its folder) readable by this user only, before SQLite
/// would create it with the process's default mode; its -wal and -shm files take the same
/// mode. An existing file is left as it is.
fn create_private_file(file: &Path) -> std::io::Result<()> {
    if let Some(parent) = file
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        create_private_dir(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(file) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

/// The file of a `sqlite://FILE[?options]` URL; `None` for PostgreSQL.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    url.strip_prefix("sqlite://")
        .map(|rest| rest.split_once('?').map_or(rest, |(path, _)| path).into())
}

/// Opens the pool (creating a SQLite file's folder when missing) and migrates the schema.
pub async fn connect_and_migrate(url: &str) -> Result<AnyPool, sqlx::Error> {
    sqlx::any::install_default_drivers();
    let sqlite_file = sqlite_file(url);
    if let Some(file) = sqlite_file.as_deref() {
        create_private_file(file)?;
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

/// Closes the pool at shutdown; on SQLite, first folds the write-ahead log into the database
/// file, so the file alone is complete (for a copy, or the next start).
pub async fn close(pool: AnyPool) {
    let sqlite = pool
        .acquire()
        .await
        .map(|conn| conn.backend_name() == "SQLite")
        .unwrap_or(false);
    if sqlite
        && let Err(error) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&pool)
            .await
    {
        tracing::warn!(%error, "could not fold the write-ahead log into the database");
    }
    pool.close().await;
}

#[cfg(test)]
mod tests {
    #[cfg(unix)]
    #[tokio::test]
    async fn a_new_database_and_its_folder_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let folder = dir.path().join("data");
        let url = format!("sqlite://{}/gatehouse.db?mode=rwc", folder.display());
        let pool = super::connect_and_migrate(&url).await.expect("database");
        pool.close().await;
        let mode = |path: &std::path::Path| {
            std::fs::metadata(path)
                .expect("metadata")
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode(&folder), 0o700);
        assert_eq!(mode(&folder.join("gatehouse.db")), 0o600);
    }
}
