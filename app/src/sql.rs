//! (ssr) Building SQL whose shape depends on filters: text with `$N` placeholders and the
//! values bound to them, in order, so user input is only ever bound, never spliced in.

use sqlx::AnyPool;

use crate::error::AppError;
use crate::paging::{Cursor, PageRequest};

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`): a transaction that read first and wrote later could otherwise fail with
/// "database is locked" when another writer committed in between, instead of waiting its turn.
/// PostgreSQL's default transactions already wait on the rows they change.
pub async fn begin_write(db: &AnyPool) -> Result<sqlx::Transaction<'static, sqlx::Any>, AppError> {
    let sqlite = db.connect_options().database_url.scheme() == "sqlite";
    let tx = if sqlite {
        db.begin_with("BEGIN IMMEDIATE").await?
    } else {
        db.begin().await?
    };
    Ok(tx)
}

/// A value bound to a numbered placeholder.
enum Bind {
    Text(String),
    Int(i64),
}

/// SQL text with `$N` placeholders and their values, built in order.
#[derive(Default)]
pub struct Statement {
    sql: String,
    binds: Vec<Bind>,
}

impl Statement {
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    fn bind(&mut self, value: Bind) -> &mut Self {
        self.binds.push(value);
        self.sql.push_str(&format!("${}", self.binds.len()));
        self
    }

    pub fn text(&mut self, value: impl Into<String>) -> &mut Self {
        self.bind(Bind::Text(value.into()))
    }

    pub fn int(&mut self, value: i64) -> &mut Self {
        self.bind(Bind::Int(value))
    }

    /// The SQL text, with `$1`…`$N` where the values go.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// How many values are bound.
    pub fn bound(&self) -> usize {
        self.binds.len()
    }

    /// Appends the keyset condition and order for a newest-first list ordered by `column`
    /// and then `key_sql` (which `id` orders the same way), reading one row more than `size`.
    pub fn keyset_page(
        &mut self,
        page: &PageRequest,
        column: &str,
        key_sql: &str,
        id: &str,
        size: usize,
    ) -> &mut Self {
        let (cursor, older) = match page {
            PageRequest::First => (None, true),
            PageRequest::After(cursor) => (Some(cursor), true),
            PageRequest::Before(cursor) => (Some(cursor), false),
        };
        if let Some(Cursor { at, key }) = cursor {
            let (range, strict) = if older { ("<=", "<") } else { (">=", ">") };
            self.push(&format!(" AND {column} {range} "))
                .int(*at)
                .push(&format!(" AND ({column} {strict} "))
                .int(*at)
                .push(&format!(" OR {key_sql} {strict} "))
                .text(key.clone())
                .push(")");
        }
        let direction = if older { "DESC" } else { "ASC" };
        self.push(&format!(
            " ORDER BY {column} {direction}, {id} {direction} LIMIT {}",
            size + 1
        ))
    }

    /// The database's plan for this statement, one line per step: SQLite's
    /// `EXPLAIN QUERY PLAN`, PostgreSQL's `EXPLAIN`. For benchmarks and index tests.
    pub async fn explain(&self, db: &AnyPool) -> Result<Vec<String>, AppError> {
        let mut conn = db.acquire().await?;
        let sqlite = conn.backend_name() == "SQLite";
        let prefix = if sqlite {
            "EXPLAIN QUERY PLAN "
        } else {
            "EXPLAIN "
        };
        let mut query = sqlx::query(sqlx::AssertSqlSafe(format!("{prefix}{}", self.sql)));
        for bind in &self.binds {
            query = match bind {
                Bind::Text(text) => query.bind(text.clone()),
                Bind::Int(int) => query.bind(*int),
            };
        }
        let rows = query.fetch_all(&mut *conn).await?;
        let column = if sqlite { 3 } else { 0 };
        rows.iter()
            .map(|row| sqlx::Row::try_get::<String, _>(row, column).map_err(AppError::from))
            .collect()
    }

    pub async fn fetch_all<T>(self, db: &AnyPool) -> Result<Vec<T>, AppError>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        let mut query = sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(self.sql));
        for bind in self.binds {
            query = match bind {
                Bind::Text(text) => query.bind(text),
                Bind::Int(int) => query.bind(int),
            };
        }
        Ok(query.fetch_all(db).await?)
    }
}

/// `%text%` for LIKE (lower-cased, trimmed), with LIKE's own characters escaped; use with
/// `ESCAPE '\'`.
pub fn contains_pattern(search: &str) -> String {
    let mut pattern = String::from("%");
    for c in search.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_cannot_inject_like_wildcards() {
        assert_eq!(contains_pattern(" Ada "), "%ada%");
        assert_eq!(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
