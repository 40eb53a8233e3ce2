//! Signing in and out, one's account (password), and the administration of users.
//!
//! - [`pages`]: the login form, the account page, the users page (administrators).

pub mod pages;
