//! What several capabilities use. Capabilities (`units`, `criteria`, `account`, `registry`,
//! `dossiers`, `rounds`, `certificates`, `notices`, `portal`) import from here, not sideways from each other (the exceptions
//! point one way: `dossiers` may use `registry`; `rounds` may use `registry` and `dossiers`); a helper two capabilities need moves down here. Nothing in
//! `shared` imports a capability.
//!
//! - [`error`]: one `AppError` with stable codes (JSON), `PageError` (HTML), field errors, and the
//!   API's extractors whose rejections keep the one error shape (`ApiJson`, `ApiQuery`,
//!   `ApiPath`, `ApiMultipart`);
//! - [`auth`]: who is asking (session cookie or bearer token), CSRF checks, cookies;
//! - [`i18n`]: the reader's language (`Lang` for pages, `ApiLang` for the API) and its messages
//!   (Fluent files in `locales/`);
//! - [`format`]: numbers, money and dates as Vietnamese paperwork writes them;
//! - [`assets`]: CSS and icons compiled in, served with a content digest;
//! - [`page`]: what every page shares: the layout's chrome, rendering, CSRF forms, safe
//!   redirects, the language switch, the error page and the 404 fallback;
//! - [`history`]: an object's audit trail for people (entities, products, dossiers);
//! - [`labels`]: names of domain codes shown by more than one capability;
//! - [`sheet`]: a scoring sheet as a form (the producer's self-assessment, a member's card);
//! - [`download`]: workbooks and CSV to download (UTF-8 with BOM, as Excel opens it);
//! - [`caching`]: `ETag`, `304` and `Cache-Control: no-cache` on every successful `GET`;
//! - [`limits`]: requests per minute per client address on the public paths (429).
//!
//! Inside `shared` the arrows point one way too: `i18n` and `format` use nothing; `error` uses
//! `i18n`; `assets` and `auth` use `error`; `page`, `history`, `labels`, `sheet`, `caching` and `limits` use the others.

pub mod assets;
pub mod auth;
pub mod caching;
pub mod documents;
pub mod download;
pub mod error;
pub mod format;
pub mod history;
pub mod i18n;
pub mod labels;
pub mod limits;
pub mod page;
pub mod sheet;
