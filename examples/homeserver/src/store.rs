//! Embedded SQLite storage of accounts, access tokens and user-interactive authentication
//! sessions, with every multi-row change in one transaction.
//!
//! Durability: the database runs in WAL mode with `synchronous=FULL`, so a transaction that
//! returned `Ok` is on disk (fsynced) and survives `kill -9` and power loss. Foreign keys are on.
//! Every open sets a busy timeout, so several `Store`s (threads or processes) on the same file
//! wait for each other's writes instead of failing with `SQLITE_BUSY`; writes take the write lock
//! up front (`BEGIN IMMEDIATE`), so a transaction never fails half-way on a lock upgrade.
//!
//! The server name is given once, at open, and the store builds full user ids
//! (`@localpart:server_name`) from localparts itself: [`Store::register`] and
//! [`Store::user_exists`] take a localpart, every other method takes the full user id that
//! `register` or [`Store::user_for_token`] returned.
//!
//! Secrets: raw access tokens are never stored, only their SHA-256 ([`hash_token`]); password
//! hashes are stored as given (argon2id PHC strings from [`crate::secrets::PasswordHasher`]).
//! Neither appears in an error message or a log line.
//!
//! Third-party identifiers: email addresses bound to accounts ([`Store::bind_email`]), stored in
//! their canonical form ([`canonical_email`]), one account per address.
//!
//! The store is synchronous and owns one [`Connection`]; reads take `&self`, writes `&mut self`.
//! An async server shares it behind a `Mutex` and calls it from `spawn_blocking`.

use std::fmt;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, ffi, params};

use crate::secrets::{
    SecretError, constant_time_eq, generate_access_token, generate_device_id, generate_session_id, hash_token,
};
use crate::username::{UsernameError, user_id, validate_localpart};

/// How long a statement waits for another connection's write lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The schema, created on open if missing. Times are milliseconds since the Unix epoch.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    user_id       TEXT    NOT NULL PRIMARY KEY,
    localpart     TEXT    NOT NULL UNIQUE,
    password_hash TEXT,
    is_guest      INTEGER NOT NULL CHECK (is_guest IN (0, 1)),
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS access_tokens (
    token_hash TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    device_id  TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (user_id, device_id)
) STRICT;

CREATE TABLE IF NOT EXISTS uiaa_sessions (
    session_id TEXT    NOT NULL PRIMARY KEY,
    operation  TEXT    NOT NULL,
    user_id    TEXT    REFERENCES users (user_id) ON DELETE CASCADE,
    completed  TEXT    NOT NULL DEFAULT '[]' CHECK (json_type(completed) = 'array'),
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX IF NOT EXISTS uiaa_sessions_created_at ON uiaa_sessions (created_at);

CREATE TABLE IF NOT EXISTS threepids (
    medium   TEXT    NOT NULL CHECK (medium = 'email'),
    address  TEXT    NOT NULL,
    user_id  TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (medium, address)
) STRICT;
";

/// What went wrong in the store. Messages never contain a password, token or hash.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The localpart (and so the user id) is already registered.
    #[error("the user id is already taken")]
    UserInUse,
    /// The localpart does not fit the user-id grammar.
    #[error("invalid localpart: {0}")]
    InvalidLocalpart(#[from] UsernameError),
    /// No user has this user id.
    #[error("no such user")]
    UnknownUser,
    /// No session has this id for this operation.
    #[error("no such user-interactive authentication session for this operation")]
    UnknownSession,
    /// The third-party identifier (an email address) is already bound to another account.
    #[error("the address is already bound to another account")]
    ThreepidInUse,
    /// A random id or token could not be made.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// SQLite failed (I/O, corruption, lock timeout, ...).
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
}

/// A new account, as [`Store::register`] made it. `access_token` is the only copy of the raw
/// token: give it to the client; its `Debug` output is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Registered {
    /// The full user id, `@localpart:server_name`.
    pub user_id: String,
    /// The device the access token belongs to.
    pub device_id: String,
    /// The raw access token (`mhs_...`).
    pub access_token: String,
}

impl fmt::Debug for Registered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registered")
            .field("user_id", &self.user_id)
            .field("device_id", &self.device_id)
            .field("access_token", &"<redacted>")
            .finish()
    }
}

/// Who an access token belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenOwner {
    /// The full user id.
    pub user_id: String,
    /// The device the token was issued to.
    pub device_id: String,
    /// Whether the account is a guest account.
    pub is_guest: bool,
}

/// A user-interactive authentication session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The operation the session was created for (`register`, `change_password`, ...).
    pub operation: String,
    /// The user the session authenticates, when known (`None` for a registration).
    pub user_id: Option<String>,
    /// The stages completed so far, in order, each once (`m.login.dummy`, ...).
    pub completed: Vec<String>,
}

/// The account store: one SQLite connection and the server name.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    server_name: String,
}

/// The form in which an email address is stored and compared: without surrounding white space
/// and in lower case, so `Alice@Example.org ` and `alice@example.org` are one address (as in
/// Synapse, which also folds the local part).
pub fn canonical_email(address: &str) -> String {
    address.trim().to_lowercase()
}

/// Milliseconds since the Unix epoch (0 if the clock is before 1970).
fn now_ms() -> i64 {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    i64::try_from(millis).unwrap_or(i64::MAX)
}

/// The SQLite extended result code of `error`, if it is a SQLite failure.
fn extended_code(error: &rusqlite::Error) -> Option<i32> {
    match error {
        rusqlite::Error::SqliteFailure(failure, _) => Some(failure.extended_code),
        _ => None,
    }
}

/// Maps a UNIQUE or PRIMARY KEY violation on the users table to [`StoreError::UserInUse`].
fn user_insert_error(error: rusqlite::Error) -> StoreError {
    match extended_code(&error) {
        Some(ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY) => StoreError::UserInUse,
        _ => StoreError::Database(error),
    }
}

/// Maps a foreign-key violation (a user id that is not registered) to [`StoreError::UnknownUser`].
fn foreign_user_error(error: rusqlite::Error) -> StoreError {
    match extended_code(&error) {
        Some(ffi::SQLITE_CONSTRAINT_FOREIGNKEY) => StoreError::UnknownUser,
        _ => StoreError::Database(error),
    }
}

impl Store {
    /// Opens (creating if needed) the database file at `path` for the server `server_name`
    /// (e.g. `example.org`), and creates the schema if missing.
    pub fn open(path: impl AsRef<Path>, server_name: &str) -> Result<Self, StoreError> {
        Self::init(Connection::open(path)?, server_name, true)
    }

    /// Opens a private in-memory database (for tests): nothing survives the `Store`.
    pub fn open_in_memory(server_name: &str) -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?, server_name, false)
    }

    fn init(mut conn: Connection, server_name: &str, on_disk: bool) -> Result<Self, StoreError> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        if on_disk && !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(journal_mode = %mode, "SQLite did not switch to WAL mode");
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(SCHEMA)?;
        tx.commit()?;
        Ok(Self {
            conn,
            server_name: server_name.to_owned(),
        })
    }

    /// The connection, for tests in other modules that set up states the API cannot reach.
    #[cfg(test)]
    pub(crate) fn conn_for_tests(&self) -> &Connection {
        &self.conn
    }

    /// The server name user ids are made with.
    pub fn server_name(&self) -> &str {
        &self.server_name
    }

    /// The full user id of `localpart` on this server: `@localpart:server_name`.
    pub fn user_id(&self, localpart: &str) -> String {
        user_id(localpart, &self.server_name)
    }

    /// Creates an account and its first device and access token, all in one transaction.
    ///
    /// `localpart` must pass [`validate_localpart`] (the store checks it again); a client's
    /// requested username should already have passed
    /// [`validate_username`](crate::username::validate_username). `password_hash` is stored as
    /// given (`None` for guests and password-less accounts). `device_id` is the client's, or a
    /// new random one when `None`.
    ///
    /// Returns [`StoreError::UserInUse`] when the localpart is taken, detected by the UNIQUE
    /// constraint itself, so two concurrent registrations of one name get one winner. Either the
    /// account, its password hash, its device and its token hash all exist, or none does.
    pub fn register(
        &mut self,
        localpart: &str,
        password_hash: Option<&str>,
        is_guest: bool,
        device_id: Option<&str>,
    ) -> Result<Registered, StoreError> {
        validate_localpart(localpart, &self.server_name)?;
        let user_id = self.user_id(localpart);
        let device_id = match device_id {
            Some(device_id) => device_id.to_owned(),
            None => generate_device_id()?,
        };
        let access_token = generate_access_token()?;
        let now = now_ms();

        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO users (user_id, localpart, password_hash, is_guest, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![user_id, localpart, password_hash, is_guest, now],
        )
        .map_err(user_insert_error)?;
        tx.execute(
            "INSERT INTO access_tokens (token_hash, user_id, device_id, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![hash_token(&access_token), user_id, device_id, now],
        )?;
        tx.commit()?;

        tracing::info!(%user_id, %device_id, is_guest, "registered account");
        Ok(Registered {
            user_id,
            device_id,
            access_token,
        })
    }

    /// The owner of the raw access token `token`, found by its hash; `None` if no such token.
    ///
    /// The row is fetched by the SHA-256 of `token` ([`hash_token`]), then the stored digest is
    /// compared with the computed one in constant time ([`constant_time_eq`]) before the token
    /// is accepted.
    ///
    /// Why the lookup itself leaks nothing useful: the index search compares the *digest*, not
    /// the token, and may take a little longer the more leading bytes of it match a stored
    /// digest. An attacker measuring that learns at best a prefix of a stored digest, yet
    /// cannot choose the bytes of the digest they send (that would need SHA-256 preimages), nor
    /// use a digest prefix to build a token: a token needs all 256 random bits, and its digest
    /// is useless without a preimage. The constant-time comparison makes acceptance depend on
    /// the whole digest in equal time even if the lookup were ever loosened (a collation, a
    /// prefix index, a cache keyed differently).
    pub fn user_for_token(&self, token: &str) -> Result<Option<TokenOwner>, StoreError> {
        let computed = hash_token(token);
        let mut stmt = self.conn.prepare_cached(
            "SELECT t.token_hash, t.user_id, t.device_id, u.is_guest
             FROM access_tokens AS t JOIN users AS u ON u.user_id = t.user_id
             WHERE t.token_hash = ?1",
        )?;
        let found = stmt
            .query_row([&computed], |row| {
                let stored: String = row.get(0)?;
                let owner = TokenOwner {
                    user_id: row.get(1)?,
                    device_id: row.get(2)?,
                    is_guest: row.get(3)?,
                };
                Ok((stored, owner))
            })
            .optional()?;
        Ok(found.and_then(|(stored, owner)| constant_time_eq(stored.as_bytes(), computed.as_bytes()).then_some(owner)))
    }

    /// The stored password hash of `user_id`; `None` if the user does not exist or has no
    /// password (guests).
    pub fn password_hash(&self, user_id: &str) -> Result<Option<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT password_hash FROM users WHERE user_id = ?1")?;
        let hash: Option<Option<String>> = stmt.query_row([user_id], |row| row.get(0)).optional()?;
        Ok(hash.flatten())
    }

    /// Replaces the password hash of `user_id`; [`StoreError::UnknownUser`] if there is no such
    /// user. Other devices stay logged in: logging them out is the caller's decision.
    pub fn set_password_hash(&mut self, user_id: &str, hash: &str) -> Result<(), StoreError> {
        let changed = self.conn.execute(
            "UPDATE users SET password_hash = ?2 WHERE user_id = ?1",
            params![user_id, hash],
        )?;
        if changed == 0 {
            return Err(StoreError::UnknownUser);
        }
        tracing::info!(%user_id, "password changed");
        Ok(())
    }

    /// Whether `localpart` is registered on this server.
    pub fn user_exists(&self, localpart: &str) -> Result<bool, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM users WHERE localpart = ?1)")?;
        Ok(stmt.query_row([localpart], |row| row.get(0))?)
    }

    /// Starts a user-interactive authentication session for `operation` (a name of the caller's
    /// choosing, e.g. `register`), optionally bound to an existing user; returns its new random
    /// id (24 letters). [`StoreError::UnknownUser`] if `user_id` is not registered.
    pub fn create_session(&mut self, operation: &str, user_id: Option<&str>) -> Result<String, StoreError> {
        let session_id = generate_session_id()?;
        self.conn
            .execute(
                "INSERT INTO uiaa_sessions (session_id, operation, user_id, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![session_id, operation, user_id, now_ms()],
            )
            .map_err(foreign_user_error)?;
        tracing::debug!(operation, "created UIAA session");
        Ok(session_id)
    }

    /// The session `session_id` if it exists and was created for `operation`; `None` otherwise,
    /// so a session started for one operation can never authorise another.
    pub fn session(&self, session_id: &str, operation: &str) -> Result<Option<Session>, StoreError> {
        // One statement, so the user and the stages come from one consistent snapshot.
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.user_id, j.value
             FROM uiaa_sessions AS s LEFT JOIN json_each(s.completed) AS j
             WHERE s.session_id = ?1 AND s.operation = ?2
             ORDER BY j.key",
        )?;
        let mut rows = stmt.query(params![session_id, operation])?;
        let mut session: Option<Session> = None;
        while let Some(row) = rows.next()? {
            let stage: Option<String> = row.get(1)?;
            let session = match &mut session {
                Some(session) => session,
                None => session.insert(Session {
                    operation: operation.to_owned(),
                    user_id: row.get(0)?,
                    completed: vec![],
                }),
            };
            session.completed.extend(stage);
        }
        Ok(session)
    }

    /// Records that `stage` (e.g. `m.login.dummy`) is complete in the session `session_id` of
    /// `operation`. Completing a stage twice records it once. [`StoreError::UnknownSession`] if
    /// there is no such session for this operation.
    pub fn complete_stage(&mut self, session_id: &str, operation: &str, stage: &str) -> Result<(), StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let exists: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM uiaa_sessions WHERE session_id = ?1 AND operation = ?2)",
            params![session_id, operation],
            |row| row.get(0),
        )?;
        if !exists {
            return Err(StoreError::UnknownSession);
        }
        tx.execute(
            "UPDATE uiaa_sessions SET completed = json_insert(completed, '$[#]', ?2)
             WHERE session_id = ?1 AND NOT EXISTS (SELECT 1 FROM json_each(completed) WHERE value = ?2)",
            params![session_id, stage],
        )?;
        tx.commit()?;
        tracing::debug!(operation, stage, "completed UIAA stage");
        Ok(())
    }

    /// Deletes the session `session_id` (whatever its operation); returns whether it existed.
    pub fn delete_session(&mut self, session_id: &str) -> Result<bool, StoreError> {
        let deleted = self
            .conn
            .execute("DELETE FROM uiaa_sessions WHERE session_id = ?1", [session_id])?;
        Ok(deleted > 0)
    }

    /// Binds the email `address` (stored as [`canonical_email`]) to `user_id`. Binding an address
    /// again to its own account does nothing; [`StoreError::ThreepidInUse`] if it belongs to
    /// another account, [`StoreError::UnknownUser`] if `user_id` is not registered.
    pub fn bind_email(&mut self, user_id: &str, address: &str) -> Result<(), StoreError> {
        let address = canonical_email(address);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let owner: Option<String> = tx
            .query_row(
                "SELECT user_id FROM threepids WHERE medium = 'email' AND address = ?1",
                [&address],
                |row| row.get(0),
            )
            .optional()?;
        match owner {
            Some(owner) if owner == user_id => return Ok(()),
            Some(_) => return Err(StoreError::ThreepidInUse),
            None => {}
        }
        tx.execute(
            "INSERT INTO threepids (medium, address, user_id, added_at) VALUES ('email', ?1, ?2, ?3)",
            params![address, user_id, now_ms()],
        )
        .map_err(foreign_user_error)?;
        tx.commit()?;
        tracing::info!(%user_id, "bound an email address");
        Ok(())
    }

    /// The user id the email `address` is bound to (compared as [`canonical_email`]), if any.
    pub fn email_owner(&self, address: &str) -> Result<Option<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT user_id FROM threepids WHERE medium = 'email' AND address = ?1")?;
        Ok(stmt
            .query_row([canonical_email(address)], |row| row.get(0))
            .optional()?)
    }

    /// Deletes the sessions created more than `max_age` ago; returns how many. Every
    /// unauthenticated `/register` creates a session, so a server calls this periodically.
    pub fn expire_sessions(&mut self, max_age: Duration) -> Result<usize, StoreError> {
        let max_age_ms = i64::try_from(max_age.as_millis()).unwrap_or(i64::MAX);
        let cutoff = now_ms().saturating_sub(max_age_ms);
        let deleted = self
            .conn
            .execute("DELETE FROM uiaa_sessions WHERE created_at < ?1", [cutoff])?;
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};
    use std::io::{BufRead as _, BufReader, Write as _};
    use std::process::{Command, Stdio};
    use std::sync::{Arc, Barrier};

    const SERVER: &str = "example.org";
    /// A stand-in password hash: the store treats hashes as opaque strings.
    const HASH: &str = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

    fn memory() -> Store {
        Store::open_in_memory(SERVER).unwrap()
    }

    #[test]
    fn open_sets_wal_full_sync_and_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("hs.db"), SERVER).unwrap();
        let pragma = |name: &str| -> String {
            store
                .conn
                .query_row(&format!("PRAGMA {name}"), [], |row| {
                    row.get::<_, rusqlite::types::Value>(0)
                })
                .map(|v| format!("{v:?}"))
                .unwrap()
        };
        assert_eq!(pragma("journal_mode"), "Text(\"wal\")");
        assert_eq!(pragma("synchronous"), "Integer(2)"); // FULL
        assert_eq!(pragma("foreign_keys"), "Integer(1)");
    }

    #[test]
    fn register_then_look_up_by_token() {
        let mut store = memory();
        let reg = store.register("alice", Some(HASH), false, None).unwrap();
        assert_eq!(reg.user_id, "@alice:example.org");
        assert_eq!(reg.device_id.len(), 10);
        assert!(reg.access_token.starts_with("mhs_"));
        let owner = store.user_for_token(&reg.access_token).unwrap().unwrap();
        assert_eq!(
            owner,
            TokenOwner {
                user_id: reg.user_id.clone(),
                device_id: reg.device_id,
                is_guest: false
            }
        );
        assert_eq!(store.password_hash(&reg.user_id).unwrap().as_deref(), Some(HASH));
        assert!(store.user_exists("alice").unwrap());
        assert!(!store.user_exists("bob").unwrap());
        assert_eq!(store.user_for_token("mhs_not-a-token").unwrap(), None);
    }

    #[test]
    fn a_token_is_accepted_only_if_the_whole_stored_digest_matches() {
        let mut store = memory();
        let reg = store.register("alice", Some(HASH), false, None).unwrap();
        // Loosen the lookup: a case-insensitive column, holding the digest in upper case. The
        // SQL now finds the row, and the constant-time comparison of the bytes refuses it.
        store
            .conn
            .execute_batch(
                "PRAGMA foreign_keys = OFF;
                 ALTER TABLE access_tokens RENAME TO strict_tokens;
                 CREATE TABLE access_tokens (
                     token_hash TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
                     user_id TEXT NOT NULL, device_id TEXT NOT NULL, created_at INTEGER NOT NULL);
                 INSERT INTO access_tokens SELECT upper(token_hash), user_id, device_id, created_at
                     FROM strict_tokens;",
            )
            .unwrap();
        let found: i64 = store
            .conn
            .query_row(
                "SELECT count(*) FROM access_tokens WHERE token_hash = ?1",
                [hash_token(&reg.access_token)],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(found, 1, "the loosened lookup matches");
        assert_eq!(store.user_for_token(&reg.access_token).unwrap(), None);
        store
            .conn
            .execute("UPDATE access_tokens SET token_hash = lower(token_hash)", [])
            .unwrap();
        assert!(store.user_for_token(&reg.access_token).unwrap().is_some());
    }

    #[test]
    fn register_keeps_the_client_device_id_and_guest_flag() {
        let mut store = memory();
        let reg = store.register("12345", None, true, Some("MYPHONE")).unwrap();
        assert_eq!(reg.device_id, "MYPHONE");
        let owner = store.user_for_token(&reg.access_token).unwrap().unwrap();
        assert!(owner.is_guest);
        assert_eq!(store.password_hash(&reg.user_id).unwrap(), None);
    }

    #[test]
    fn register_twice_is_user_in_use() {
        let mut store = memory();
        store.register("alice", Some(HASH), false, None).unwrap();
        let err = store.register("alice", Some("other"), false, None).unwrap_err();
        assert!(matches!(err, StoreError::UserInUse), "{err:?}");
        assert_eq!(
            store.password_hash("@alice:example.org").unwrap().as_deref(),
            Some(HASH)
        );
    }

    #[test]
    fn register_rejects_an_invalid_localpart() {
        let mut store = memory();
        let err = store.register("Bad Name!", None, false, None).unwrap_err();
        assert!(
            matches!(err, StoreError::InvalidLocalpart(UsernameError::UpperCase { .. })),
            "{err:?}"
        );
    }

    #[test]
    fn the_raw_token_and_hash_are_never_stored_or_shown() {
        let mut store = memory();
        let reg = store.register("alice", Some(HASH), false, None).unwrap();
        let stored: String = store
            .conn
            .query_row("SELECT token_hash FROM access_tokens", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, hash_token(&reg.access_token));
        let dump: String = store
            .conn
            .query_row(
                "SELECT group_concat(token_hash || user_id || device_id) FROM access_tokens",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(!dump.contains(&reg.access_token));
        assert!(!format!("{reg:?}").contains(&reg.access_token));
        let err = store.register("alice", Some(HASH), false, None).unwrap_err();
        assert!(!format!("{err} {err:?}").contains(HASH));
    }

    #[test]
    fn a_failed_token_insert_leaves_no_account() {
        let mut store = memory();
        store
            .conn
            .execute_batch(
                "CREATE TEMP TRIGGER fail_tokens BEFORE INSERT ON access_tokens
                 BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
            )
            .unwrap();
        let err = store.register("alice", Some(HASH), false, None).unwrap_err();
        assert!(matches!(err, StoreError::Database(_)), "{err:?}");
        assert!(!store.user_exists("alice").unwrap());
        assert_eq!(store.password_hash("@alice:example.org").unwrap(), None);
        store.conn.execute_batch("DROP TRIGGER fail_tokens").unwrap();
        store.register("alice", Some(HASH), false, None).unwrap();
    }

    #[test]
    fn set_password_hash_replaces_the_hash() {
        let mut store = memory();
        let reg = store.register("alice", Some(HASH), false, None).unwrap();
        store.set_password_hash(&reg.user_id, "$argon2id$new").unwrap();
        assert_eq!(
            store.password_hash(&reg.user_id).unwrap().as_deref(),
            Some("$argon2id$new")
        );
        let err = store.set_password_hash("@nobody:example.org", "x").unwrap_err();
        assert!(matches!(err, StoreError::UnknownUser), "{err:?}");
    }

    #[test]
    fn data_survives_dropping_the_store_without_close() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hs.db");
        let mut store = Store::open(&path, SERVER).unwrap();
        let reg = store.register("alice", Some(HASH), false, None).unwrap();
        drop(store);
        let store = Store::open(&path, SERVER).unwrap();
        assert!(store.user_exists("alice").unwrap());
        assert_eq!(
            store.user_for_token(&reg.access_token).unwrap().unwrap().user_id,
            reg.user_id
        );
    }

    #[test]
    fn data_survives_a_connection_that_is_never_closed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hs.db");
        let mut store = Store::open(&path, SERVER).unwrap();
        let reg = store.register("alice", Some(HASH), false, None).unwrap();
        std::mem::forget(store); // no close, no WAL checkpoint: as if the process had died
        let store = Store::open(&path, SERVER).unwrap();
        assert_eq!(
            store.user_for_token(&reg.access_token).unwrap().unwrap().user_id,
            reg.user_id
        );
    }

    const CHILD_DB_ENV: &str = "HOMESERVER_STORE_CRASH_CHILD_DB";
    const CHILD_MARKER: &str = "REGISTERED ";

    /// Run by `data_survives_kill_9_after_commit` in a child process, which it then SIGKILLs.
    #[test]
    #[ignore = "helper: only does something when run by data_survives_kill_9_after_commit"]
    fn crash_child() {
        let Some(path) = std::env::var_os(CHILD_DB_ENV) else {
            return;
        };
        let mut store = Store::open(path, SERVER).unwrap();
        let reg = store.register("crash", Some(HASH), false, None).unwrap();
        let mut out = std::io::stdout();
        // The harness may have printed "test ... " on this line already: the parent looks for
        // the marker anywhere in a line.
        writeln!(out, "{CHILD_MARKER}{}", reg.access_token).unwrap();
        out.flush().unwrap();
        std::thread::sleep(Duration::from_secs(60)); // killed long before this ends
    }

    #[test]
    fn data_survives_kill_9_after_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hs.db");
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "store::tests::crash_child",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DB_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let token = stdout
            .lines()
            .map_while(Result::ok)
            .find_map(|line| line.split_once(CHILD_MARKER).map(|(_, token)| token.trim().to_owned()));
        child.kill().unwrap(); // SIGKILL: no destructor, no close, no checkpoint
        let status = child.wait().unwrap();
        let token = token.expect("the child did not register");
        assert!(!status.success(), "the child should have died from SIGKILL: {status:?}");
        let store = Store::open(&path, SERVER).unwrap();
        let owner = store.user_for_token(&token).unwrap().unwrap();
        assert_eq!(owner.user_id, "@crash:example.org");
        assert_eq!(store.password_hash(&owner.user_id).unwrap().as_deref(), Some(HASH));
    }

    const THREADS: usize = 8;
    const PER_THREAD: usize = 50;
    const SHARED: [&str; 5] = ["shared0", "shared1", "shared2", "shared3", "shared4"];

    type Outcome = (String, Result<Registered, StoreError>);

    /// One thread's work: its own `Store`, 50 names of its own with the shared names in between.
    fn register_from_thread(path: &Path, thread: usize, barrier: &Barrier) -> Vec<Outcome> {
        let mut store = Store::open(path, SERVER).unwrap();
        barrier.wait();
        let mut outcomes = Vec::new();
        for i in 0..PER_THREAD {
            let mut names = vec![format!("t{thread}-u{i}")];
            if i % 10 == 0 {
                names.push(SHARED[i / 10].to_owned());
            }
            for name in names {
                let result = store.register(&name, Some(HASH), false, None);
                outcomes.push((name, result));
            }
        }
        outcomes
    }

    #[test]
    fn concurrent_writers_get_one_winner_per_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = Arc::new(dir.path().join("hs.db"));
        let barrier = Arc::new(Barrier::new(THREADS));
        let handles: Vec<_> = (0..THREADS)
            .map(|thread| {
                let (path, barrier) = (Arc::clone(&path), Arc::clone(&barrier));
                std::thread::spawn(move || register_from_thread(&path, thread, &barrier))
            })
            .collect();
        let outcomes: Vec<Outcome> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();

        let store = Store::open(path.as_path(), SERVER).unwrap();
        let mut winners: HashMap<String, usize> = HashMap::new();
        let mut tokens = HashSet::new();
        for (name, result) in &outcomes {
            match result {
                Ok(reg) => {
                    *winners.entry(name.clone()).or_default() += 1;
                    assert_eq!(reg.user_id, store.user_id(name));
                    let owner = store.user_for_token(&reg.access_token).unwrap().unwrap();
                    assert_eq!(
                        (owner.user_id.as_str(), owner.device_id.as_str()),
                        (reg.user_id.as_str(), reg.device_id.as_str())
                    );
                    assert!(tokens.insert(reg.access_token.clone()));
                }
                Err(StoreError::UserInUse) => assert!(SHARED.contains(&name.as_str()), "{name} reported in use"),
                Err(other) => panic!("unexpected error for {name}: {other:?}"),
            }
        }
        for name in SHARED {
            assert_eq!(winners.get(name), Some(&1), "{name}");
        }
        assert_eq!(winners.len(), THREADS * PER_THREAD + SHARED.len());
        assert!(winners.values().all(|&n| n == 1));
        let users: i64 = store
            .conn
            .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
            .unwrap();
        let in_db = usize::try_from(users).unwrap();
        assert_eq!(in_db, THREADS * PER_THREAD + SHARED.len());
    }

    #[test]
    fn session_lifecycle() {
        let mut store = memory();
        let id = store.create_session("register", None).unwrap();
        assert_eq!(id.len(), 24);
        let fresh = store.session(&id, "register").unwrap().unwrap();
        assert_eq!(
            fresh,
            Session {
                operation: "register".into(),
                user_id: None,
                completed: vec![]
            }
        );
        store.complete_stage(&id, "register", "m.login.recaptcha").unwrap();
        store.complete_stage(&id, "register", "m.login.dummy").unwrap();
        store.complete_stage(&id, "register", "m.login.recaptcha").unwrap(); // recorded once
        let session = store.session(&id, "register").unwrap().unwrap();
        assert_eq!(session.completed, ["m.login.recaptcha", "m.login.dummy"]);
        assert!(store.delete_session(&id).unwrap());
        assert!(!store.delete_session(&id).unwrap());
        assert_eq!(store.session(&id, "register").unwrap(), None);
        let err = store.complete_stage(&id, "register", "m.login.dummy").unwrap_err();
        assert!(matches!(err, StoreError::UnknownSession), "{err:?}");
    }

    #[test]
    fn session_is_bound_to_its_operation() {
        let mut store = memory();
        let id = store.create_session("register", None).unwrap();
        assert_eq!(store.session(&id, "change_password").unwrap(), None);
        let err = store
            .complete_stage(&id, "change_password", "m.login.password")
            .unwrap_err();
        assert!(matches!(err, StoreError::UnknownSession), "{err:?}");
        assert_eq!(
            store.session(&id, "register").unwrap().unwrap().completed,
            Vec::<String>::new()
        );
    }

    #[test]
    fn session_bound_to_a_user() {
        let mut store = memory();
        let reg = store.register("alice", Some(HASH), false, None).unwrap();
        let id = store.create_session("change_password", Some(&reg.user_id)).unwrap();
        let session = store.session(&id, "change_password").unwrap().unwrap();
        assert_eq!(session.user_id.as_deref(), Some("@alice:example.org"));
        let err = store
            .create_session("change_password", Some("@ghost:example.org"))
            .unwrap_err();
        assert!(matches!(err, StoreError::UnknownUser), "{err:?}");
    }

    #[test]
    fn session_ids_are_unique() {
        let mut store = memory();
        let ids: HashSet<String> = (0..1_000)
            .map(|_| store.create_session("register", None).unwrap())
            .collect();
        assert_eq!(ids.len(), 1_000);
    }

    #[test]
    fn emails_bind_to_one_account_in_canonical_form() {
        let mut store = memory();
        let alice = store.register("alice", Some(HASH), false, None).unwrap();
        let bob = store.register("bob", Some(HASH), false, None).unwrap();
        assert_eq!(store.email_owner("alice@example.org").unwrap(), None);
        store.bind_email(&alice.user_id, " Alice@Example.ORG ").unwrap();
        assert_eq!(
            store.email_owner("alice@example.org").unwrap().as_deref(),
            Some("@alice:example.org")
        );
        assert_eq!(
            store.email_owner("ALICE@example.org").unwrap().as_deref(),
            Some("@alice:example.org")
        );
        store.bind_email(&alice.user_id, "alice@example.org").unwrap(); // again: no-op
        let err = store.bind_email(&bob.user_id, "alice@EXAMPLE.org").unwrap_err();
        assert!(matches!(err, StoreError::ThreepidInUse), "{err:?}");
        let err = store.bind_email("@ghost:example.org", "ghost@example.org").unwrap_err();
        assert!(matches!(err, StoreError::UnknownUser), "{err:?}");
        assert_eq!(store.email_owner("ghost@example.org").unwrap(), None);
        store.bind_email(&bob.user_id, "bob@example.org").unwrap();
        assert_eq!(
            store.email_owner("bob@example.org").unwrap().as_deref(),
            Some("@bob:example.org")
        );
    }

    #[test]
    fn old_sessions_expire() {
        let mut store = memory();
        let old = store.create_session("register", None).unwrap();
        let new = store.create_session("register", None).unwrap();
        store
            .conn
            .execute(
                "UPDATE uiaa_sessions SET created_at = created_at - 600000 WHERE session_id = ?1",
                [&old],
            )
            .unwrap();
        assert_eq!(store.expire_sessions(Duration::from_secs(300)).unwrap(), 1);
        assert_eq!(store.session(&old, "register").unwrap(), None);
        assert!(store.session(&new, "register").unwrap().is_some());
    }
}
