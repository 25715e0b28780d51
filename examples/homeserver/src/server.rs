//! The HTTP server: [`Homeserver`] implements the generated [`Server`] trait on top of the
//! [`Store`], and [`app`] serves it with a request log.
//!
//! The [`Store`] is synchronous and has one connection: it is shared as `Arc<Mutex<Store>>` and
//! only ever called from `tokio::task::spawn_blocking`. Argon2 hashing and verifying also run
//! in `spawn_blocking`, and never while the store lock is held.
//!
//! # Behaviour
//!
//! `POST /register`:
//! - `kind=guest`: a guest with a random numeric localpart, no password and no UIAA; the body
//!   (which may be `{}`) is ignored.
//! - `kind=user` (the default), before any UIAA: a `username` must pass
//!   [`validate_username`] (400 `M_INVALID_USERNAME` with its message) and be free (400
//!   `M_USER_IN_USE`); a missing or empty `password` is 400 `M_MISSING_PARAM`. Without a
//!   `username` a random localpart is drawn at registration, again on a collision.
//! - UIAA has one flow, `m.login.dummy`. Without `auth`: 401 with the flow, `params: {}` and a
//!   new session. With `auth.type == "m.login.dummy"` and no `session`, or a live `register`
//!   session: the account, its device and its token are created in one transaction and the
//!   session is deleted (200). A `session` that is unknown or expired is answered like a first
//!   request (401 with a new session), so a client never completes a flow it did not start
//!   here. An `auth` without `type` (`{}`, or only a `session`) asks where the flow stands: 401
//!   with the flow and `completed: []`, in that session while it is live, else a new one, as
//!   Synapse. Any other `auth.type`: 400 `M_INVALID_PARAM` "Invalid login submission", as Synapse.
//!   A name taken while the client was doing UIAA: 400 `M_USER_IN_USE`.
//!
//! `POST /account/password`:
//! - No access token: 401 offering `m.login.email.identity` with a new session, as Synapse.
//!   This server sends no mail, so that stage never completes, whatever `auth` holds.
//! - A guest, or an account without a password: 403 `M_FORBIDDEN`. An empty `new_password`:
//!   400 `M_MISSING_PARAM`.
//! - Without `auth`: 401 offering `m.login.password` with a session bound to the user. An `auth`
//!   without `type` (matrix-js-sdk starts with `"auth": {}`): the same 401 with `completed: []`,
//!   in the user's live session if it names one. Another
//!   `auth.type`: 400 `M_INVALID_PARAM`; an unreadable `m.login.password` dict: 400
//!   `M_MISSING_PARAM` or `M_INVALID_PARAM`.
//! - The identifier (`identifier: {type: m.id.user, user}` or the legacy `user`) must name the
//!   token's user (`alice` or `@alice:server`, ASCII case ignored), else 401 with the UIAA body
//!   and `errcode: M_FORBIDDEN`; a wrong password is the same 401 with "Invalid password".
//! - The `session` is only a correlation id here, since the one stage is proven by the
//!   password itself: a session that is missing, unknown, expired or another user's is accepted
//!   with the right password (as Synapse does), and a refusal then carries a new session. A
//!   live session of the user is reused in refusals and deleted on success.
//! - Right password: the new hash is stored and 200 `{}`; other devices stay logged in.
//!
//! `POST /register/email/requestToken`: an address that does not look like `local@domain` is
//! 400 `M_INVALID_PARAM`; one bound to an account is 400 `M_THREEPID_IN_USE`; otherwise 400
//! `M_UNKNOWN` "Email-based registration has been disabled on this server" (no mail delivery).
//!
//! Timing: a password is only ever checked for the account the access token belongs to, so
//! there is no username to probe; even so, a check with no stored hash (the account is gone,
//! or has no password) runs argon2 against a dummy hash made at start with the same cost, so
//! every password check costs one argon2 verification. An identifier naming another user is
//! refused before any check, which tells the caller nothing its answer does not already say.
//! Access tokens are found by their SHA-256 and the stored digest is compared in constant time
//! ([`Store::user_for_token`]).
//!
//! Registration (`POST .../register`, any path version) is rate-limited per client address
//! ([`crate::rate_limit`]): the `register` method reads the address from its request context
//! and returns the typed 429 `M_LIMIT_EXCEEDED` with `retry_after_ms` with `?`.
//!
//! At most one argon2 computation per CPU runs at a time (a semaphore), so a burst of requests
//! queues instead of taking 19 MiB of memory per concurrent hash.
//!
//! Sessions older than the configured lifetime are deleted before any session is created or
//! looked up. Logs name user ids and outcomes, never a password, token, session id, hash or
//! email address.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use http::StatusCode;
use matrix_registration::endpoints::register::{RegistrationKind, ResponseBody};
use matrix_registration::endpoints::{change_password, register, request_token_to_register_email as email_token};
use matrix_registration::server::{HandlerError, RequestContext, Server, ServerOptions};
use matrix_registration::{Error as MatrixError, ErrorCode};
use tokio::sync::Semaphore;

use crate::rate_limit::{self, RateLimit, RateLimiter};
use crate::secrets::{PasswordHasher, SecretError, generate_session_id};
use crate::store::{Registered, Store, StoreError, TokenOwner};
use crate::uiaa;
use crate::username::{generate_guest_localpart, generate_localpart, validate_username};

/// How long a UIAA session lives by default: 15 minutes.
pub const DEFAULT_SESSION_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// The operation name of registration sessions in the store.
const REGISTER: &str = "register";
/// The operation name of password-change sessions in the store.
const CHANGE_PASSWORD: &str = "change_password";
/// How many random localparts to try before giving up (each collides with odds below 2^-50).
const GENERATED_NAME_ATTEMPTS: usize = 8;

/// How to run a [`Homeserver`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// The server name in user ids (`@alice:<server_name>`) and in `home_server`.
    pub server_name: String,
    /// The SQLite database file, created if missing.
    pub database: PathBuf,
    /// The argon2id password hasher ([`PasswordHasher::insecure_fast`] only in tests).
    pub hasher: PasswordHasher,
    /// How long a user-interactive authentication session lives.
    pub session_lifetime: Duration,
}

impl Config {
    /// A config with the default (OWASP) hasher and [`DEFAULT_SESSION_LIFETIME`].
    pub fn new(server_name: impl Into<String>, database: impl Into<PathBuf>) -> Self {
        Self {
            server_name: server_name.into(),
            database: database.into(),
            hasher: PasswordHasher::default(),
            session_lifetime: DEFAULT_SESSION_LIFETIME,
        }
    }
}

/// The homeserver: the generated API's [`Server`] over the account [`Store`].
#[derive(Clone, Debug)]
pub struct Homeserver {
    store: Arc<Mutex<Store>>,
    hasher: PasswordHasher,
    /// What a password is checked against when there is no stored hash, so the check costs
    /// the same either way ([`Homeserver::check_password`]).
    dummy_hash: DummyHash,
    /// How many argon2 verifications ran (tests check that a dummy one runs).
    #[cfg(test)]
    verifications: Arc<std::sync::atomic::AtomicUsize>,
    /// One permit per CPU: argon2 computations running at once.
    hashing: Arc<Semaphore>,
    server_name: String,
    session_lifetime: Duration,
    /// Registrations per client address, if limited ([`Homeserver::with_register_limit`]).
    register_limiter: Option<Arc<RateLimiter>>,
}

/// An argon2id hash of a random password nobody knows, made with the server's hasher at start.
/// Its `Debug` is redacted, like every other hash.
#[derive(Clone)]
struct DummyHash(Arc<str>);

impl std::fmt::Debug for DummyHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DummyHash(<redacted>)")
    }
}

impl DummyHash {
    /// Hashes a fresh random password (never kept) with `hasher`.
    fn new(hasher: &PasswordHasher) -> Result<Self, SecretError> {
        Ok(Self(hasher.hash(&generate_session_id()?)?.into()))
    }
}

/// A 400 answer to `/register`.
fn register_error(errcode: ErrorCode, message: &str) -> register::Response {
    register::Response::error(StatusCode::BAD_REQUEST, errcode, message)
}

/// The 400 `M_USER_IN_USE` answer.
fn user_in_use() -> register::Response {
    register_error(ErrorCode::UserInUse, "User ID already taken.")
}

/// An error answer to `/account/password`.
fn password_error(status: StatusCode, errcode: ErrorCode, message: &str) -> change_password::Response {
    change_password::Response::error(status, errcode, message)
}

/// Registers a random localpart from `generate`, drawing again when it is taken.
fn register_generated(
    store: &mut Store,
    generate: fn() -> Result<String, SecretError>,
    password_hash: Option<&str>,
    is_guest: bool,
) -> Result<Registered, StoreError> {
    for _ in 0..GENERATED_NAME_ATTEMPTS {
        match store.register(&generate()?, password_hash, is_guest, None) {
            Err(StoreError::UserInUse) => tracing::debug!("generated localpart taken, drawing another"),
            other => return other,
        }
    }
    Err(StoreError::UserInUse)
}

/// Whether `address` looks like `local@domain`: one `@`, both sides non-empty, no white space.
fn looks_like_email(address: &str) -> bool {
    let address = address.trim();
    match address.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@') && !address.contains(char::is_whitespace)
        }
        None => false,
    }
}

impl Homeserver {
    /// Opens (creating if needed) the database of `config` and makes the server.
    pub fn open(config: Config) -> Result<Self, StoreError> {
        let store = Store::open(&config.database, &config.server_name)?;
        let cpus = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        let dummy_hash = DummyHash::new(&config.hasher)?;
        Ok(Self {
            store: Arc::new(Mutex::new(store)),
            hasher: config.hasher,
            dummy_hash,
            #[cfg(test)]
            verifications: Arc::default(),
            hashing: Arc::new(Semaphore::new(cpus)),
            server_name: config.server_name,
            session_lifetime: config.session_lifetime,
            register_limiter: None,
        })
    }

    /// This server limiting registrations per client address (`None`: no limit).
    #[must_use]
    pub fn with_register_limit(mut self, limit: Option<RateLimit>) -> Self {
        self.register_limiter = limit.map(|limit| Arc::new(RateLimiter::new(limit)));
        self
    }

    /// Takes a token from the bucket of the request's client address: 429 `M_LIMIT_EXCEEDED`
    /// with `retry_after_ms` when it is empty. Without a limit, or without a client address
    /// (an app served without connect info), nothing is limited.
    fn check_register_rate(&self, context: &RequestContext) -> Result<(), MatrixError> {
        let (Some(limiter), Some(client)) = (&self.register_limiter, context.remote_addr()) else {
            return Ok(());
        };
        limiter.check(client.ip(), Instant::now()).map_err(|retry_after| {
            tracing::debug!(
                retry_after_ms = rate_limit::ceil_millis(retry_after),
                "registration rate-limited"
            );
            rate_limit::limit_exceeded(retry_after)
        })
    }

    /// The server name user ids are made with.
    pub fn server_name(&self) -> &str {
        &self.server_name
    }

    /// Runs `f` on the store in `spawn_blocking`, holding the lock only for `f`. A poisoned lock
    /// is taken over: every store change is one SQLite transaction, so a panic cannot leave it
    /// half-done.
    async fn with_store<T, F>(&self, f: F) -> Result<T, HandlerError>
    where
        F: FnOnce(&mut Store) -> T + Send + 'static,
        T: Send + 'static,
    {
        let store = Arc::clone(&self.store);
        let output = tokio::task::spawn_blocking(move || {
            let mut store = store.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut store)
        })
        .await?;
        Ok(output)
    }

    /// Hashes `password` with argon2id in `spawn_blocking`, once a hashing permit is free.
    async fn hash_password(&self, password: String) -> Result<String, HandlerError> {
        let _permit = self.hashing.acquire().await?;
        let hasher = self.hasher.clone();
        Ok(tokio::task::spawn_blocking(move || hasher.hash(&password)).await??)
    }

    /// Checks `password` against the stored `hash` in `spawn_blocking`, once a hashing permit
    /// is free.
    async fn verify_password(&self, password: String, hash: String) -> Result<bool, HandlerError> {
        let _permit = self.hashing.acquire().await?;
        #[cfg(test)]
        self.verifications.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let hasher = self.hasher.clone();
        Ok(tokio::task::spawn_blocking(move || hasher.verify(&password, &hash)).await??)
    }

    /// Whether `password` matches the stored `hash`; with no hash (an unknown user, or one
    /// without a password) it is checked against the dummy hash and the answer is `false`, so
    /// the check costs one argon2 verification either way and its timing does not tell whether
    /// the account or its password exists.
    async fn check_password(&self, password: String, hash: Option<String>) -> Result<bool, HandlerError> {
        match hash {
            Some(hash) => self.verify_password(password, hash).await,
            None => {
                let _ = self.verify_password(password, self.dummy_hash.0.to_string()).await?;
                Ok(false)
            }
        }
    }

    /// Starts a UIAA session for `operation`, first deleting expired ones; returns its id.
    async fn new_session(&self, operation: &'static str, user_id: Option<String>) -> Result<String, HandlerError> {
        let lifetime = self.session_lifetime;
        let created = self
            .with_store(move |store| {
                store.expire_sessions(lifetime)?;
                store.create_session(operation, user_id.as_deref())
            })
            .await??;
        Ok(created)
    }

    /// The user of the live session `session_id` of `operation` (`Some(None)` for a session
    /// bound to nobody); `None` when it is unknown or expired.
    async fn live_session(
        &self,
        session_id: String,
        operation: &'static str,
    ) -> Result<Option<Option<String>>, HandlerError> {
        let lifetime = self.session_lifetime;
        let session = self
            .with_store(move |store| {
                store.expire_sessions(lifetime)?;
                store.session(&session_id, operation)
            })
            .await??;
        Ok(session.map(|session| session.user_id))
    }

    /// The 200 body of a registration.
    fn registered_body(&self, registered: Registered) -> ResponseBody {
        let mut body = ResponseBody::new();
        body.user_id = Some(registered.user_id);
        body.access_token = Some(registered.access_token);
        body.home_server = Some(self.server_name.clone());
        body.device_id = Some(registered.device_id);
        body
    }
}

/// Registration.
impl Homeserver {
    /// Registers a guest: random numeric localpart, no password, no UIAA.
    async fn register_guest(&self) -> Result<register::Response, HandlerError> {
        let registered = self
            .with_store(|store| register_generated(store, generate_guest_localpart, None, true))
            .await??;
        Ok(register::Response::Ok(self.registered_body(registered)))
    }

    /// The refusal of a requested `username` that is invalid or taken, if it is.
    async fn check_username(&self, username: Option<&str>) -> Result<Option<register::Response>, HandlerError> {
        let Some(username) = username else {
            return Ok(None);
        };
        if let Err(error) = validate_username(username, &self.server_name) {
            tracing::debug!(%error, "registration refused: invalid username");
            return Ok(Some(register_error(ErrorCode::InvalidUsername, &error.to_string())));
        }
        let name = username.to_owned();
        if self.with_store(move |store| store.user_exists(&name)).await?? {
            tracing::debug!(username, "registration refused: username taken");
            return Ok(Some(user_in_use()));
        }
        Ok(None)
    }

    /// Registers a user account: checks, then UIAA, then the account.
    async fn register_user(&self, body: register::RequestBody) -> Result<register::Response, HandlerError> {
        if let Some(refusal) = self.check_username(body.username.as_deref()).await? {
            return Ok(refusal);
        }
        let Some(password) = body.password.filter(|password| !password.is_empty()) else {
            return Ok(register_error(ErrorCode::MissingParam, "Missing params: password"));
        };
        let Some(auth) = body.auth else {
            return self.register_challenge().await;
        };
        match auth.r#type.as_deref() {
            Some(uiaa::DUMMY) => {}
            // No stage, only (perhaps) a session: the client asks where the flow stands.
            None => return self.register_progress(auth.session).await,
            Some(_) => return Ok(register_error(ErrorCode::InvalidParam, "Invalid login submission")),
        }
        if let Some(session_id) = &auth.session
            && self.live_session(session_id.clone(), REGISTER).await?.is_none()
        {
            tracing::debug!("registration: unknown or expired session, starting again");
            return self.register_challenge().await;
        }
        let hash = self.hash_password(password).await?;
        self.create_account(body.username, hash, auth.session).await
    }

    /// The 401 that starts a registration: the dummy flow and a new session.
    async fn register_challenge(&self) -> Result<register::Response, HandlerError> {
        let session = self.new_session(REGISTER, None).await?;
        tracing::debug!("registration: UIAA session started");
        Ok(register::Response::Unauthorized(uiaa::challenge(uiaa::DUMMY, session)))
    }

    /// The 401 for an `auth` without a `type`: the flow and no completed stage, in the client's
    /// session while it is live, else in a new one (as Synapse answers).
    async fn register_progress(&self, session_id: Option<String>) -> Result<register::Response, HandlerError> {
        let live = match session_id {
            Some(id) => self.live_session(id.clone(), REGISTER).await?.map(|_| id),
            None => None,
        };
        let session = match live {
            Some(id) => id,
            None => self.new_session(REGISTER, None).await?,
        };
        Ok(register::Response::Unauthorized(uiaa::progress(uiaa::DUMMY, session)))
    }

    /// Creates the account (requested or generated name), then deletes the finished session.
    async fn create_account(
        &self,
        username: Option<String>,
        hash: String,
        session_id: Option<String>,
    ) -> Result<register::Response, HandlerError> {
        let result = self
            .with_store(move |store| {
                let registered = match username.as_deref() {
                    Some(name) => store.register(name, Some(&hash), false, None),
                    None => register_generated(store, generate_localpart, Some(&hash), false),
                }?;
                if let Some(session_id) = session_id
                    && let Err(error) = store.delete_session(&session_id)
                {
                    tracing::warn!(%error, "could not delete a finished UIAA session; it will expire");
                }
                Ok(registered)
            })
            .await?;
        match result {
            Ok(registered) => Ok(register::Response::Ok(self.registered_body(registered))),
            Err(StoreError::UserInUse) => {
                tracing::info!("registration refused: username taken during UIAA");
                Ok(user_in_use())
            }
            Err(error) => Err(error.into()),
        }
    }
}

/// Password change.
impl Homeserver {
    /// The 401 without an access token: the email flow, which this server never completes.
    async fn email_challenge(&self) -> Result<change_password::Response, HandlerError> {
        let session = self.new_session(CHANGE_PASSWORD, None).await?;
        tracing::debug!("password change without a token: offering the email flow");
        Ok(change_password::Response::Unauthorized(uiaa::challenge(
            uiaa::EMAIL_IDENTITY,
            session,
        )))
    }

    /// `session_id` if it is a live password-change session of `user_id`.
    async fn own_session(&self, session_id: Option<String>, user_id: &str) -> Result<Option<String>, HandlerError> {
        let Some(session_id) = session_id else {
            return Ok(None);
        };
        let owner = self.live_session(session_id.clone(), CHANGE_PASSWORD).await?;
        Ok((owner.flatten().as_deref() == Some(user_id)).then_some(session_id))
    }

    /// The 401 refusing a password stage: the UIAA body with `completed: []` and
    /// `M_FORBIDDEN`, in the user's session or a new one.
    async fn refuse(
        &self,
        session_id: Option<String>,
        user_id: &str,
        error: &str,
    ) -> Result<change_password::Response, HandlerError> {
        let session = match session_id {
            Some(session_id) => session_id,
            None => self.new_session(CHANGE_PASSWORD, Some(user_id.to_owned())).await?,
        };
        let body = uiaa::failed(uiaa::PASSWORD, session, ErrorCode::Forbidden, error);
        Ok(change_password::Response::Unauthorized(body))
    }

    /// Changes the password of `owner` once the `m.login.password` stage in `auth` passes.
    async fn change_own_password(
        &self,
        owner: TokenOwner,
        auth: matrix_registration::types::AuthData,
        new_password: String,
    ) -> Result<change_password::Response, HandlerError> {
        let creds = match uiaa::password_auth(&auth) {
            Ok(creds) => creds,
            Err(error) => {
                return Ok(password_error(
                    StatusCode::BAD_REQUEST,
                    error.errcode().into(),
                    &error.message(),
                ));
            }
        };
        let user_id = owner.user_id;
        let session = self.own_session(auth.session, &user_id).await?;
        if !uiaa::names_user(&creds.user, &user_id, &self.server_name) {
            tracing::info!(%user_id, "password change refused: the identifier names another user");
            return self
                .refuse(session, &user_id, "The user does not match the access token")
                .await;
        }
        let lookup = user_id.clone();
        let hash = self.with_store(move |store| store.password_hash(&lookup)).await??;
        let has_password = hash.is_some();
        // Argon2 runs whether or not there is a hash (`check_password`), so a missing account
        // or password takes as long to refuse as a wrong password.
        let matches = self.check_password(creds.password, hash).await?;
        if !has_password {
            return Ok(password_error(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                "This account has no password",
            ));
        }
        if !matches {
            tracing::info!(%user_id, "password change refused: wrong password");
            return self.refuse(session, &user_id, "Invalid password").await;
        }
        self.store_password(user_id, new_password, session).await
    }

    /// Hashes and stores the new password, deletes the finished session, and answers 200 `{}`.
    async fn store_password(
        &self,
        user_id: String,
        new_password: String,
        session_id: Option<String>,
    ) -> Result<change_password::Response, HandlerError> {
        let hash = self.hash_password(new_password).await?;
        self.with_store(move |store| {
            store.set_password_hash(&user_id, &hash)?;
            if let Some(session_id) = session_id
                && let Err(error) = store.delete_session(&session_id)
            {
                tracing::warn!(%error, "could not delete a finished UIAA session; it will expire");
            }
            Ok::<_, StoreError>(())
        })
        .await??;
        Ok(change_password::Response::Ok(serde_json::Map::new()))
    }
}

impl Server for Homeserver {
    type Identity = TokenOwner;

    async fn authenticate(&self, token: &str) -> Result<Option<TokenOwner>, HandlerError> {
        let token = token.to_owned();
        let owner = self.with_store(move |store| store.user_for_token(&token)).await??;
        if owner.is_none() {
            tracing::debug!("unknown access token");
        }
        Ok(owner)
    }

    async fn register(
        &self,
        request: register::Request,
        context: RequestContext,
    ) -> Result<register::Response, HandlerError> {
        self.check_register_rate(&context)?;
        match request.kind {
            RegistrationKind::Guest => self.register_guest().await,
            RegistrationKind::User => self.register_user(request.body).await,
            other => Ok(register_error(
                ErrorCode::InvalidParam,
                &format!("Unsupported kind: {other}"),
            )),
        }
    }

    async fn change_password(
        &self,
        request: change_password::Request,
        identity: Option<TokenOwner>,
        _context: RequestContext,
    ) -> Result<change_password::Response, HandlerError> {
        let Some(owner) = identity else {
            return self.email_challenge().await;
        };
        if owner.is_guest {
            tracing::info!(user_id = %owner.user_id, "password change refused: guest account");
            Err(MatrixError::new(
                ErrorCode::Forbidden,
                "Guest accounts have no password",
            ))?;
        }
        let body = request.body;
        if body.new_password.is_empty() {
            return Ok(password_error(
                StatusCode::BAD_REQUEST,
                ErrorCode::MissingParam,
                "Missing params: new_password",
            ));
        }
        match body.auth {
            None => {
                let session = self.new_session(CHANGE_PASSWORD, Some(owner.user_id)).await?;
                Ok(change_password::Response::Unauthorized(uiaa::challenge(
                    uiaa::PASSWORD,
                    session,
                )))
            }
            Some(auth) if auth.r#type.as_deref() == Some(uiaa::PASSWORD) => {
                self.change_own_password(owner, auth, body.new_password).await
            }
            // `"auth": {}` (matrix-js-sdk's first call) or only a session: where the flow stands.
            Some(auth) if auth.r#type.is_none() => {
                let session = match self.own_session(auth.session, &owner.user_id).await? {
                    Some(session) => session,
                    None => self.new_session(CHANGE_PASSWORD, Some(owner.user_id)).await?,
                };
                Ok(change_password::Response::Unauthorized(uiaa::progress(
                    uiaa::PASSWORD,
                    session,
                )))
            }
            Some(_) => Ok(password_error(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidParam,
                "Invalid login submission",
            )),
        }
    }

    async fn request_token_to_register_email(
        &self,
        request: email_token::Request,
        _context: RequestContext,
    ) -> Result<email_token::Response, HandlerError> {
        let email = request.body.email;
        let refuse =
            |errcode: ErrorCode, message: &str| email_token::Response::error(StatusCode::BAD_REQUEST, errcode, message);
        if !looks_like_email(&email) {
            return Ok(refuse(ErrorCode::InvalidParam, "Unable to parse email address"));
        }
        if self
            .with_store(move |store| store.email_owner(&email))
            .await??
            .is_some()
        {
            tracing::info!("email token refused: address already bound");
            return Ok(refuse(ErrorCode::ThreepidInUse, "Email is already in use"));
        }
        Ok(refuse(
            ErrorCode::Unknown,
            "Email-based registration has been disabled on this server",
        ))
    }
}

/// The whole HTTP application with the default registration rate limit
/// ([`RateLimit::default`]): [`app_with`]`(homeserver, Some(RateLimit::default()))`.
///
/// The limit applies per client address, which axum only knows when the app is served with
/// `into_make_service_with_connect_info::<SocketAddr>()` (as the binary does); served as a plain
/// router (`axum::serve(listener, app(server))`, as in-process tests do), nothing is limited.
pub fn app(homeserver: Homeserver) -> axum::Router {
    app_with(homeserver, Some(RateLimit::default()))
}

/// The whole HTTP application: the generated router for `homeserver` under
/// `/_matrix/client/{r0,v3}` (CORS on, as the spec recommends for web clients), with
/// registration limited per client address by `register_limit` (`None`: no limit; the
/// `register` method checks it with its request context) and [`log_request`] around every
/// request, rate-limited ones included.
pub fn app_with(homeserver: Homeserver, register_limit: Option<RateLimit>) -> axum::Router {
    app_with_options(homeserver, register_limit, ServerOptions::default())
}

/// [`app_with`] with the generated router's options (`ServerOptions::default().cors(None)`
/// turns CORS off).
pub fn app_with_options(
    homeserver: Homeserver,
    register_limit: Option<RateLimit>,
    options: ServerOptions,
) -> axum::Router {
    matrix_registration::server::router_with(homeserver.with_register_limit(register_limit), options)
        .layer(axum::middleware::from_fn(log_request))
}

/// Logs each request's method, path (never the query, which may hold `access_token`), status
/// and latency, at info.
pub async fn log_request(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let start = Instant::now();
    let response = next.run(request).await;
    let latency = start.elapsed();
    tracing::info!(%method, %path, status = response.status().as_u16(), ?latency, "request");
    response
}

#[cfg(test)]
mod tests;
