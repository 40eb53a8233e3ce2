//! Many rows at once: multi-row `INSERT`s in the caller's transaction, for loads of tens of
//! thousands of records (the national demo; imports later) where one statement per row would
//! spend most of its time in round trips.

use chrono::NaiveDate;

use crate::{StoreError, Tx, on_tx};

/// One value of a row. Absent values keep their column's type, so both databases bind them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
    Date(Option<NaiveDate>),
}

impl From<&str> for Value {
    fn from(text: &str) -> Value {
        Value::Text(Some(text.to_string()))
    }
}

impl From<String> for Value {
    fn from(text: String) -> Value {
        Value::Text(Some(text))
    }
}

impl From<Option<String>> for Value {
    fn from(text: Option<String>) -> Value {
        Value::Text(text)
    }
}

impl From<i64> for Value {
    fn from(number: i64) -> Value {
        Value::Int(Some(number))
    }
}

impl From<Option<i64>> for Value {
    fn from(number: Option<i64>) -> Value {
        Value::Int(number)
    }
}

impl From<bool> for Value {
    fn from(flag: bool) -> Value {
        Value::Bool(flag)
    }
}

impl From<NaiveDate> for Value {
    fn from(day: NaiveDate) -> Value {
        Value::Date(Some(day))
    }
}

impl From<Option<NaiveDate>> for Value {
    fn from(day: Option<NaiveDate>) -> Value {
        Value::Date(day)
    }
}

/// Rows for one table, collected and then written with [`Rows::write`].
#[derive(Debug)]
pub struct Rows {
    table: &'static str,
    columns: &'static [&'static str],
    values: Vec<Value>,
}

/// SQLite binds at most 32,766 values per statement; PostgreSQL 65,535.
const MAX_BINDS: usize = 30_000;
const MAX_ROWS_PER_STATEMENT: usize = 100;

impl Rows {
    /// `table` and `columns` are names from the code, never from input.
    pub fn new(table: &'static str, columns: &'static [&'static str]) -> Rows {
        let plain = |name: &str| name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        assert!(
            plain(table) && columns.iter().all(|c| plain(c)),
            "bulk names are identifiers"
        );
        Rows {
            table,
            columns,
            values: Vec::new(),
        }
    }

    /// Adds one row; its values are in the order of the columns.
    pub fn push(&mut self, row: impl IntoIterator<Item = Value>) {
        let before = self.values.len();
        self.values.extend(row);
        assert_eq!(
            self.values.len() - before,
            self.columns.len(),
            "a row of {} has one value per column",
            self.table
        );
    }

    pub fn len(&self) -> usize {
        self.values.len() / self.columns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Writes every row in `tx`, several hundred per statement, and empties the buffer.
    pub async fn write(&mut self, tx: &mut Tx) -> Result<(), StoreError> {
        let width = self.columns.len();
        let per_statement = (MAX_BINDS / width).min(MAX_ROWS_PER_STATEMENT);
        // SQLite finds a `$N` parameter's name by walking a list of every name of the statement
        // (quadratic in the parameters of a many-row statement: a third of an import's time);
        // plain `?` are bound in order.
        let positional = matches!(tx, Tx::Sqlite(_));
        for chunk in self.values.chunks(per_statement * width) {
            let rows = chunk.len() / width;
            let mut sql = format!(
                "INSERT INTO {} ({}) VALUES ",
                self.table,
                self.columns.join(", ")
            );
            for row in 0..rows {
                sql.push_str(if row == 0 { "(" } else { ", (" });
                for column in 0..width {
                    if column > 0 {
                        sql.push_str(", ");
                    }
                    if positional {
                        sql.push('?');
                    } else {
                        sql.push_str(&format!("${}", row * width + column + 1));
                    }
                }
                sql.push(')');
            }
            on_tx!(&mut *tx, |conn| {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for value in chunk {
                    query = match value {
                        Value::Text(text) => query.bind(text.clone()),
                        Value::Int(number) => query.bind(*number),
                        Value::Bool(flag) => query.bind(*flag),
                        Value::Date(day) => query.bind(*day),
                    };
                }
                query
                    .execute(&mut *conn)
                    .await
                    .map(|done| done.rows_affected())
            })?;
        }
        self.values.clear();
        Ok(())
    }
}

/// SQLite's page cache during a bulk load, in KiB: the tables' and indexes' pages being filled
/// stay in memory instead of being written out and read back (its default is 2 MiB).
const BULK_CACHE_KIB: i64 = 256 * 1024;
/// SQLite's default page cache, restored before the connection goes back to the pool.
const DEFAULT_CACHE_KIB: i64 = 2000;

/// Begins a bulk load's transaction (on SQLite with a page cache large enough for it).
pub async fn begin(db: &crate::Db) -> Result<Tx, StoreError> {
    let mut tx = db.begin().await?;
    set_cache(&mut tx, BULK_CACHE_KIB).await?;
    Ok(tx)
}

/// Commits a bulk load begun with [`begin`], giving its connection back its usual cache.
pub async fn commit(mut tx: Tx) -> Result<(), StoreError> {
    set_cache(&mut tx, DEFAULT_CACHE_KIB).await?;
    tx.commit().await
}

async fn set_cache(tx: &mut Tx, kib: i64) -> Result<(), StoreError> {
    if let Tx::Sqlite(transaction) = tx {
        sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA cache_size = -{kib}")))
            .execute(&mut **transaction)
            .await?;
    }
    Ok(())
}
