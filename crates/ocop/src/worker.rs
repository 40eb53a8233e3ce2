//! The background worker every `ocop serve` runs: it queues the day's certificate sweep once
//! (a job with the day as its key), then takes due jobs from the one queue in the database
//! (`ocop_store::jobs`): sweeps, imports uploaded by provincial offices, and e-mails when an
//! SMTP server is configured; and it anchors the audit trail's head once a day (signed with the
//! certificate key; the first server to get there makes the day's anchor, the others find it).
//! Several servers on one PostgreSQL each run it; the claim makes sure each job runs on one of
//! them.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::json;

use ocop_domain::criteria::Catalog;
use ocop_store::clock::{new_id, now_ms, today};
use ocop_store::{Db, accounts, certificates, jobs, notices};

/// How long an import's claim holds without being renewed (renewed every third of it).
const IMPORT_LEASE_MS: i64 = 30_000;

/// The kind of job that sweeps certificates for a day.
pub const SWEEP_JOB: &str = "sweep";

/// Sends e-mail through an SMTP server.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// Links in e-mails point here.
    base_url: String,
}

impl Mailer {
    /// From an SMTP URL: `smtp://host:port` (plain), `smtp://host:587?tls=required`
    /// (STARTTLS) or `smtps://host` (TLS), with `user:password@` when the server wants them.
    pub fn new(url: &str, from: &str, base_url: &str) -> anyhow::Result<Mailer> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| crate::UsageError(format!("--smtp {url}: {e}")))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from = from
            .parse()
            .map_err(|e| crate::UsageError(format!("--mail-from {from}: {e}")))?;
        Ok(Mailer {
            transport,
            from,
            base_url: base_url.to_string(),
        })
    }

    /// Sends one notice's e-mail to its account.
    async fn send(&self, db: &Db, notice_id: &str) -> anyhow::Result<()> {
        let notice = notices::find_any(db, notice_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("notice {notice_id} is gone"))?;
        let account = accounts::find_by_id(db, &notice.account_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("account {} is gone", notice.account_id))?;
        let (subject, body) = ocop_web::notices::email(&notice, &self.base_url);
        let to: Mailbox = format!("{} <{}>", account.name, account.email)
            .parse()
            .or_else(|_| account.email.parse())?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<{notice_id}@ocop>")))
            .header(ContentType::TEXT_PLAIN)
            .body(body)?;
        self.transport.send(message).await?;
        Ok(())
    }
}

pub struct Worker {
    pub db: Db,
    pub catalog: Arc<Catalog>,
    pub mailer: Option<Mailer>,
    /// How often it looks for work.
    pub every: Duration,
    /// Who holds a claimed job (for the lease).
    pub id: String,
    /// Where uploaded files are (an import's workbook).
    pub files: Option<ocop_store::files::FileStore>,
    /// Rings when this server just queued work (an upload).
    pub wake: Arc<tokio::sync::Notify>,
    /// Opens the signing key for the daily anchor of the audit trail.
    pub secret: Option<ocop_store::keys::InstallationSecret>,
    /// The last day this server saw anchored.
    anchored: std::sync::Mutex<Option<chrono::NaiveDate>>,
}

impl Worker {
    pub fn new(db: Db, catalog: Arc<Catalog>, mailer: Option<Mailer>, every: Duration) -> Worker {
        Worker {
            db,
            catalog,
            mailer,
            every,
            id: format!("{}:{}", std::process::id(), &new_id()[..8]),
            files: None,
            wake: Arc::default(),
            secret: None,
            anchored: std::sync::Mutex::new(None),
        }
    }

    /// Anchors the audit trail each day with the key `secret` opens.
    pub fn with_secret(mut self, secret: ocop_store::keys::InstallationSecret) -> Worker {
        self.secret = Some(secret);
        self
    }

    /// The day's anchor, made once (by whichever server comes first).
    async fn anchor(&self, day: chrono::NaiveDate) {
        let Some(secret) = &self.secret else { return };
        if *self.anchored.lock().expect("not poisoned") == Some(day) {
            return;
        }
        match ocop_store::anchors::anchor(&self.db, secret, day).await {
            Ok(anchor) => {
                tracing::info!(%day, seq = anchor.seq, "audit trail anchored");
                *self.anchored.lock().expect("not poisoned") = Some(day);
            }
            Err(error) => {
                tracing::warn!(%error, "the audit trail could not be anchored; will retry")
            }
        }
    }

    /// Wakes up when `wake` rings, besides every `every`.
    pub fn woken_by(mut self, wake: Arc<tokio::sync::Notify>) -> Worker {
        self.wake = wake;
        self
    }

    /// Runs imports too, reading their files from `files`.
    pub fn with_files(mut self, files: ocop_store::files::FileStore) -> Worker {
        self.files = Some(files);
        self
    }

    /// Runs one import job: its file read back, the run executed (all of it in one
    /// transaction at its end, so a worker that dies leaves nothing and the next one starts it
    /// again).
    async fn import(&self, job: &jobs::Job) -> anyhow::Result<()> {
        let id = job.payload["import_id"].as_str().unwrap_or_default();
        let sha256 = job.payload["sha256"].as_str().unwrap_or_default();
        let files = self
            .files
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("this server has no file store"))?;
        let (_, bytes) = files
            .get(&self.db, sha256)
            .await
            .map_err(|error| anyhow::anyhow!("import {id}: its file: {error:?}"))?
            .ok_or_else(|| anyhow::anyhow!("import {id}: its file {sha256} is not stored here"))?;
        // The lease is short and renewed while the import runs: a server killed in the middle
        // leaves the run to another (or to itself, restarted) within one lease.
        let heartbeat = {
            let (db, job, worker) = (self.db.clone(), job.clone(), self.id.clone());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(IMPORT_LEASE_MS as u64 / 3)).await;
                    if !matches!(
                        jobs::extend(&db, &job, &worker, IMPORT_LEASE_MS).await,
                        Ok(true)
                    ) {
                        tracing::debug!("import lease not extended");
                    }
                }
            })
        };
        let report =
            ocop_store::import::run_job(&self.db, &self.catalog, id, &bytes, today()).await;
        heartbeat.abort();
        let report = report?;
        tracing::info!(
            import = id,
            created = report.counts.created,
            updated = report.counts.updated,
            unchanged = report.counts.unchanged,
            errors = report.counts.errors,
            "import run"
        );
        Ok(())
    }

    /// Runs until `stop` turns true; a job under way is finished, none is started after.
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        loop {
            if let Err(error) = self.tick(&stop).await {
                tracing::warn!(error = %format!("{error:#}"), "background work failed; retrying later");
            }
            if *stop.borrow() {
                return;
            }
            tokio::select! {
                _ = stop.changed() => return,
                () = tokio::time::sleep(self.every) => {}
                () = self.wake.notified() => {}
            }
        }
    }

    /// One round of work: queue today's sweep, then run every due job this server can run,
    /// until `stop` turns true.
    pub async fn tick(&self, stop: &tokio::sync::watch::Receiver<bool>) -> anyhow::Result<()> {
        let stopping = || *stop.borrow();
        let day = today();
        self.anchor(day).await;
        jobs::enqueue_now(
            &self.db,
            SWEEP_JOB,
            Some(&format!("sweep:{day}")),
            &json!({ "day": day }),
            now_ms(),
        )
        .await?;
        while !stopping()
            && let Some(job) = jobs::claim(&self.db, &self.id, SWEEP_JOB, 10 * 60_000).await?
        {
            let day = job.payload["day"]
                .as_str()
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .unwrap_or(day);
            match certificates::sweep(&self.db, &self.catalog, day).await {
                Ok(report) => {
                    tracing::info!(%day, certificates = report.certificates, due = report.due, notices = report.notices, "certificates swept");
                    jobs::complete(&self.db, &job, &self.id).await?;
                }
                Err(error) => jobs::fail(&self.db, &job, &self.id, &error.to_string()).await?,
            }
        }
        while !stopping()
            && self.files.is_some()
            && let Some(job) = jobs::claim(
                &self.db,
                &self.id,
                ocop_store::import::IMPORT_JOB,
                IMPORT_LEASE_MS,
            )
            .await?
        {
            match self.import(&job).await {
                Ok(()) => jobs::complete(&self.db, &job, &self.id).await?,
                Err(error) => {
                    let text = format!("{error:#}");
                    tracing::warn!(attempt = job.attempts, error = %text, "import failed; will retry");
                    if let Some(id) = job.payload["import_id"].as_str() {
                        ocop_store::import::fail(&self.db, id, &text).await?;
                    }
                    jobs::fail(&self.db, &job, &self.id, &text).await?;
                }
            }
        }
        if let Some(mailer) = &self.mailer {
            while !stopping()
                && let Some(job) =
                    jobs::claim(&self.db, &self.id, notices::EMAIL_JOB, 2 * 60_000).await?
            {
                let notice_id = job.payload["notice_id"].as_str().unwrap_or_default();
                match mailer.send(&self.db, notice_id).await {
                    Ok(()) => jobs::complete(&self.db, &job, &self.id).await?,
                    Err(error) => {
                        tracing::warn!(notice = notice_id, attempt = job.attempts, error = %error, "e-mail not sent; will retry");
                        jobs::fail(&self.db, &job, &self.id, &format!("{error:#}")).await?;
                    }
                }
            }
        }
        Ok(())
    }
}
