//! Where the records stand: the revision that in-memory copies of them (the catalogue, the
//! published certificates, the open data files) are checked against before each answer.
//!
//! Every change of state is audited in its own transaction, so the audit trail's head names the
//! records' revision; with the units' revision it is [`Revision`]. Reading it is a query, which
//! would cost a public answer half its speed. On SQLite the watch first looks at the
//! wal-index header in the database's `-shm` file (the documented WAL format: SQLite rewrites
//! the header at every commit, from any process, before the commit returns): while the
//! header is the one seen at the last query, nothing was committed and the last revision
//! holds. Anything unclear (no `-shm` file, the header's two copies differing mid-write) asks
//! the database. On PostgreSQL every call asks the database: servers share it over the
//! network and nothing cheaper is both immediate and certain there.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::{Db, StoreError, on_db};

/// The audit head and the units' revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub audit_seq: i64,
    pub units: String,
}

impl Revision {
    /// A key that changes whenever anything may have changed.
    pub fn key(&self) -> String {
        format!("{}:{}", self.audit_seq, self.units)
    }
}

/// The size of one copy of SQLite's wal-index header (`WalIndexHdr`); the file starts with two.
const HEADER: usize = 48;

/// Watches one database's revision.
pub struct RevisionWatch {
    /// The SQLite database's `-shm` file, when the database is a file.
    shm: Option<PathBuf>,
    /// The header seen just before the last query, and what the query answered.
    last: Mutex<Option<([u8; HEADER], Revision)>>,
}

impl RevisionWatch {
    pub fn new(db: &Db) -> RevisionWatch {
        let shm = match db {
            Db::Sqlite(pool) => {
                let options = pool.connect_options();
                let file = options.get_filename();
                let name = file.to_string_lossy();
                (!name.is_empty() && !name.contains(":memory:"))
                    .then(|| PathBuf::from(format!("{name}-shm")))
            }
            Db::Postgres(_) => None,
        };
        RevisionWatch {
            shm,
            last: Mutex::new(None),
        }
    }

    /// The revision now: every write committed before this call, by any process, is in it.
    pub async fn current(&self, db: &Db) -> Result<Revision, StoreError> {
        let Some(header) = self.header() else {
            return read(db).await;
        };
        if let Some((seen, revision)) = &*self.last.lock().expect("revision lock")
            && *seen == header
        {
            return Ok(revision.clone());
        }
        // Read after the header: a commit in between only makes the next call ask again.
        let revision = read(db).await?;
        *self.last.lock().expect("revision lock") = Some((header, revision.clone()));
        Ok(revision)
    }

    /// The wal-index header as it is now, if it can be read whole.
    fn header(&self) -> Option<[u8; HEADER]> {
        let file = File::open(self.shm.as_ref()?).ok()?;
        let mut both = [0u8; 2 * HEADER];
        file.read_exact_at(&mut both, 0).ok()?;
        let (first, second) = both.split_at(HEADER);
        // A writer updates one copy, then the other: different copies mean a commit under way.
        (first == second && first.iter().any(|b| *b != 0)).then(|| first.try_into().ok())?
    }
}

/// Reads the revision from the database.
pub async fn read(db: &Db) -> Result<Revision, StoreError> {
    let row: (i64, Option<String>) = on_db!(db, |pool| sqlx::query_as(
        "SELECT h.seq, (SELECT m.value FROM meta m WHERE m.key = 'units_revision') \
         FROM audit_head h WHERE h.id = 1"
    )
    .fetch_one(pool)
    .await)?;
    Ok(Revision {
        audit_seq: row.0,
        units: row.1.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestDb;
    use ocop_domain::audit::Changes;

    async fn audited_write(db: &Db, n: usize) {
        let mut tx = db.begin().await.unwrap();
        crate::audit::append(
            &mut tx,
            "test",
            "test.touch",
            "test",
            &n.to_string(),
            &Changes::new().created("n", n),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }

    /// Two pools on one file stand for two processes: what one commits, the other's watch
    /// sees on its next call, every time.
    #[tokio::test]
    async fn a_commit_from_another_connection_pool_is_seen_at_once() {
        let test = TestDb::migrated().await;
        let Db::Sqlite(pool) = &test.db else {
            // PostgreSQL asks the database every time; nothing to watch.
            let watch = RevisionWatch::new(&test.db);
            let before = watch.current(&test.db).await.unwrap();
            audited_write(&test.db, 0).await;
            assert!(watch.current(&test.db).await.unwrap().audit_seq > before.audit_seq);
            return;
        };
        assert!(pool.connect_options().get_filename().exists());
        let other = Db::connect(test.url()).await.unwrap();
        let watch = RevisionWatch::new(&test.db);
        assert!(watch.shm.is_some());
        let mut last = watch.current(&test.db).await.unwrap();
        for n in 0..50 {
            audited_write(&other, n).await;
            let now = watch.current(&test.db).await.unwrap();
            assert_eq!(now.audit_seq, last.audit_seq + 1, "write {n}");
            // Unchanged: the header answers, the same revision.
            assert_eq!(watch.current(&test.db).await.unwrap(), now);
            last = now;
        }
    }
}
