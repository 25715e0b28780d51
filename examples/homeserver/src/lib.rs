//! Example Matrix homeserver: account storage and account logic under the generated
//! registration API, and the HTTP server that serves it.
//!
//! - [`username`]: the user-id grammar and generated localparts;
//! - [`rate_limit`]: per-client token buckets limiting registration, and their 429 answer;
//! - [`secrets`]: tokens, ids, token hashing and argon2id password hashing;
//! - [`store`]: the SQLite store of accounts, access tokens, UIAA sessions and email addresses;
//! - [`uiaa`]: user-interactive authentication bodies and auth dicts, without storage;
//! - [`server`]: [`server::Homeserver`], the generated `Server` trait over the store, and the
//!   axum application with its request log.

pub mod rate_limit;
pub mod secrets;
pub mod server;
pub mod store;
pub mod uiaa;
pub mod username;
