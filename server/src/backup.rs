//! `gatehouse backup --to FILE` and `gatehouse restore --from FILE` for the SQLite database,
//! and the lock that keeps a restore away from a database a server is using.
//!
//! A backup is `VACUUM INTO`: one read transaction, so it is a consistent copy of a live
//! database while servers keep reading and writing it, checked with `PRAGMA integrity_check`
//! before it is reported done. Every server holds a shared lock on `FILE.lock` beside the
//! database while it runs; a restore needs the exclusive lock, so it refuses while any server
//! holds the database, and a server that starts during a restore waits for it. PostgreSQL has
//! `pg_dump` for this (see the README).

use std::fs::File;
use std::path::{Path, PathBuf};

use sqlx::Connection;

/// A server's hold on its SQLite database; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct ServingLock {
    _file: File,
}

/// The lock file beside a database file.
fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

fn open_lock(database: &Path) -> Result<File, String> {
    let path = lock_path(database);
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(&path)
        .map_err(|error| format!("cannot open {}: {error}", path.display()))
}

/// Takes the shared serving lock of a SQLite database (waiting while a restore runs); `None`
/// for PostgreSQL.
pub fn hold_while_serving(database_url: &str) -> Result<Option<ServingLock>, String> {
    let Some(database) = crate::db::sqlite_file(database_url) else {
        return Ok(None);
    };
    if let Some(folder) = database.parent().filter(|f| !f.as_os_str().is_empty()) {
        crate::db::create_private_dir(folder)
            .map_err(|error| format!("cannot create {}: {error}", folder.display()))?;
    }
    let file = open_lock(&database)?;
    file.lock_shared()
        .map_err(|error| format!("cannot lock {}: {error}", lock_path(&database).display()))?;
    Ok(Some(ServingLock { _file: file }))
}

/// The SQLite file of `database_url`, or why backup and restore do not apply.
fn sqlite_only(database_url: &str) -> Result<PathBuf, String> {
    crate::db::sqlite_file(database_url).ok_or_else(|| {
        "GATEHOUSE_DATABASE_URL is PostgreSQL: back it up with pg_dump and restore with \
         pg_restore (see \"Backups\" in the README)"
            .to_owned()
    })
}

async fn open(file: &Path) -> Result<sqlx::AnyConnection, String> {
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(&format!("sqlite://{}", file.display()))
        .await
        .map_err(|error| format!("cannot open {}: {error}", file.display()))
}

/// `PRAGMA integrity_check` of a database file, and that Gatehouse's schema is in it.
async fn check(file: &Path) -> Result<(), String> {
    let mut conn = open(file).await?;
    let verdict: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .map_err(|error| format!("{}: {error}", file.display()))?;
    if verdict != "ok" {
        return Err(format!("{} is damaged: {verdict}", file.display()));
    }
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(&mut conn)
        .await
        .map_err(|_| format!("{} is not a Gatehouse database", file.display()))?;
    conn.close().await.map_err(|error| error.to_string())
}

/// Copies the live database to `to` (which must not exist yet) and checks the copy; returns
/// its size in bytes.
pub async fn backup(database_url: &str, to: &Path) -> Result<u64, String> {
    let database = sqlite_only(database_url)?;
    if !database.exists() {
        return Err(format!("{} does not exist", database.display()));
    }
    if to.exists() {
        return Err(format!(
            "{} exists already: choose a new file",
            to.display()
        ));
    }
    let target = to.to_str().ok_or("--to must be a UTF-8 path")?;
    let mut conn = open(&database).await?;
    sqlx::query("PRAGMA busy_timeout = 10000")
        .execute(&mut conn)
        .await
        .map_err(|error| error.to_string())?;
    let statement = format!("VACUUM INTO '{}'", target.replace('\'', "''"));
    sqlx::query(sqlx::AssertSqlSafe(statement))
        .execute(&mut conn)
        .await
        .map_err(|error| format!("cannot write {}: {error}", to.display()))?;
    conn.close().await.map_err(|error| error.to_string())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o600))
            .map_err(|error| format!("{}: {error}", to.display()))?;
    }
    check(to).await?;
    std::fs::metadata(to)
        .map(|meta| meta.len())
        .map_err(|error| format!("{}: {error}", to.display()))
}

/// Replaces the database with the backup `from`, when no server holds it. The database it
/// replaces is kept beside it as `FILE.before-restore-<unix time>`; returns that path, if any.
pub async fn restore(database_url: &str, from: &Path, now: i64) -> Result<Option<PathBuf>, String> {
    let database = sqlite_only(database_url)?;
    check(from).await?;
    if let Some(folder) = database.parent().filter(|f| !f.as_os_str().is_empty()) {
        crate::db::create_private_dir(folder)
            .map_err(|error| format!("cannot create {}: {error}", folder.display()))?;
    }
    let lock = open_lock(&database)?;
    if lock.try_lock().is_err() {
        return Err(format!(
            "a running server holds {}: stop every server on it first",
            database.display()
        ));
    }
    let staged = with_suffix(&database, ".restoring");
    std::fs::copy(from, &staged).map_err(|error| format!("{}: {error}", staged.display()))?;
    File::open(&staged)
        .and_then(|file| file.sync_all())
        .map_err(|error| format!("{}: {error}", staged.display()))?;
    let kept = if database.exists() {
        // Fold the old database's write-ahead log into it, so the kept copy is whole.
        let mut old = open(&database).await?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut old)
            .await
            .map_err(|error| format!("{}: {error}", database.display()))?;
        old.close().await.map_err(|error| error.to_string())?;
        let kept = with_suffix(&database, &format!(".before-restore-{now}"));
        std::fs::rename(&database, &kept)
            .map_err(|error| format!("{}: {error}", database.display()))?;
        Some(kept)
    } else {
        None
    };
    // The old database's write-ahead log belongs to it, not to the backup.
    for leftover in ["-wal", "-shm"] {
        let path = with_suffix(&database, leftover);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(format!("{}: {error}", path.display())),
        }
    }
    std::fs::rename(&staged, &database)
        .map_err(|error| format!("{}: {error}", database.display()))?;
    drop(lock);
    Ok(kept)
}

fn with_suffix(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
