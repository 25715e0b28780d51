//! The homeserver binary: serves the registration API of [`homeserver::server::Homeserver`].
//!
//! ```sh
//! cargo run -p homeserver -- --listen 127.0.0.1:8008 --server-name localhost --database homeserver.db
//! ```
//!
//! After binding it prints exactly one line, `listening on <address>`, to stdout with the real
//! bound address (so `--listen 127.0.0.1:0` works for tests); everything else is logged to
//! stderr, filtered by `RUST_LOG` (default `info`). Ctrl-C or SIGTERM stops accepting
//! connections, lets running requests finish, and exits 0.
//!
//! Registration (`POST /_matrix/client/*/register`) is rate-limited per client address: a token
//! bucket of `--register-burst` requests (default 20) refilled at `--register-rate-per-second`
//! (default 1), answering 429 `M_LIMIT_EXCEEDED` with `retry_after_ms` over the limit.
//! `--no-rate-limit` turns it off: load tests, which register many accounts from one address,
//! must pass it. Behind a reverse proxy every client shares the proxy's address, so limit there
//! and pass `--no-rate-limit` here.
//!
//! The hidden flag `--insecure-fast-hashing` switches argon2 to its cheapest setting. It exists
//! for tests only: never use it for real accounts.

use std::error::Error;
use std::io::{IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use homeserver::rate_limit::{DEFAULT_BURST, DEFAULT_RATE_PER_SECOND, RateLimit, RateLimitError};
use homeserver::secrets::PasswordHasher;
use homeserver::server::{Config, Homeserver, app_with_options};
use matrix_registration::server::ServerOptions;
use tracing_subscriber::EnvFilter;

/// Example Matrix homeserver: registration, password change and email token requests.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8008")]
    listen: SocketAddr,
    /// The server name in user ids (`@alice:<server-name>`).
    #[arg(long, default_value = "localhost", value_parser = parse_server_name)]
    server_name: String,
    /// The SQLite database file, created if missing.
    #[arg(long, default_value = "homeserver.db")]
    database: PathBuf,
    /// Registrations per second each client address regains (0.1: one every ten seconds).
    #[arg(long, value_name = "F", default_value_t = DEFAULT_RATE_PER_SECOND, value_parser = parse_rate)]
    register_rate_per_second: f64,
    /// Registrations each client address may make at once before the rate applies.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BURST,
          value_parser = clap::value_parser!(u32).range(1..))]
    register_burst: u32,
    /// Do not rate-limit registration (load tests, or a reverse proxy that limits instead).
    #[arg(long, conflicts_with_all = ["register_rate_per_second", "register_burst"])]
    no_rate_limit: bool,
    /// For tests only: the cheapest argon2 setting, so hashing costs nothing. Never in production.
    #[arg(long, hide = true)]
    insecure_fast_hashing: bool,
    /// Send no CORS headers and refuse preflights (405), so web pages of other origins cannot
    /// call this server. For a reverse proxy that sends its own, and for the browser test's
    /// control run.
    #[arg(long)]
    no_cors: bool,
}

impl Args {
    /// The registration rate limit, `None` with `--no-rate-limit`.
    fn register_limit(&self) -> Result<Option<RateLimit>, RateLimitError> {
        if self.no_rate_limit {
            return Ok(None);
        }
        RateLimit::new(self.register_rate_per_second, self.register_burst).map(Some)
    }
}

/// Accepts a positive, finite number of requests per second.
fn parse_rate(value: &str) -> Result<f64, String> {
    match value.trim().parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err("a positive number of requests per second, such as 1 or 0.5".to_owned()),
    }
}

/// Accepts a server name of host name or IP literal characters and an optional port
/// (`localhost`, `example.org:8448`, `[::1]:8448`).
fn parse_server_name(name: &str) -> Result<String, String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
    if name.is_empty() || !name.chars().all(allowed) {
        return Err("a server name is a host name or IP literal with an optional :port".to_owned());
    }
    Ok(name.to_owned())
}

fn main() -> ExitCode {
    let args = Args::parse();
    let register_limit = match args.register_limit() {
        Ok(limit) => limit,
        Err(error) => {
            use clap::CommandFactory as _;
            Args::command()
                .error(clap::error::ErrorKind::ValueValidation, error)
                .exit()
        }
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match run(args, register_limit) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the homeserver failed");
            ExitCode::FAILURE
        }
    }
}

/// Opens the database, then serves until a shutdown signal.
fn run(args: Args, register_limit: Option<RateLimit>) -> Result<(), Box<dyn Error>> {
    let mut config = Config::new(args.server_name, args.database);
    if args.insecure_fast_hashing {
        tracing::warn!("--insecure-fast-hashing: passwords are hashed with the cheapest argon2 setting");
        config.hasher = PasswordHasher::insecure_fast();
    }
    let homeserver = Homeserver::open(config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match register_limit {
        Some(limit) => tracing::info!(
            per_second = limit.per_second(),
            burst = limit.burst(),
            "registration is rate-limited per client address"
        ),
        None => tracing::warn!("--no-rate-limit: registration is not rate-limited"),
    }
    let options = if args.no_cors {
        tracing::warn!("--no-cors: web pages of other origins cannot call this server");
        ServerOptions::default().cors(None)
    } else {
        ServerOptions::default()
    };
    runtime.block_on(serve(args.listen, homeserver, register_limit, options))
}

/// Binds `listen`, announces the bound address on stdout, and serves until Ctrl-C or SIGTERM,
/// with each connection's peer address known to the app (for the rate limit).
async fn serve(
    listen: SocketAddr,
    homeserver: Homeserver,
    register_limit: Option<RateLimit>,
    options: ServerOptions,
) -> Result<(), Box<dyn Error>> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let address = listener.local_addr()?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {address}")?;
    stdout.flush()?;
    drop(stdout);
    tracing::info!(%address, server_name = homeserver.server_name(), "serving");
    let app = app_with_options(homeserver, register_limit, options).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("shut down");
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM. A signal that cannot be listened for is logged and ignored.
async fn shutdown_signal() {
    let ctrl_c = async {
        match tokio::signal::ctrl_c().await {
            Ok(()) => tracing::info!("Ctrl-C: shutting down"),
            Err(error) => {
                tracing::warn!(%error, "cannot listen for Ctrl-C");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {}
        () = terminate() => {}
    }
}

/// Completes on SIGTERM (never on platforms without it).
#[cfg(unix)]
async fn terminate() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut sigterm) => {
            sigterm.recv().await;
            tracing::info!("SIGTERM: shutting down");
        }
        Err(error) => {
            tracing::warn!(%error, "cannot listen for SIGTERM");
            std::future::pending::<()>().await;
        }
    }
}

/// Completes on SIGTERM (never on platforms without it).
#[cfg(not(unix))]
async fn terminate() {
    std::future::pending::<()>().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn the_command_line_is_consistent_and_has_the_documented_defaults() {
        Args::command().debug_assert();
        let args = Args::try_parse_from(["homeserver"]).unwrap();
        assert_eq!(args.listen, "127.0.0.1:8008".parse().unwrap());
        assert_eq!(args.server_name, "localhost");
        assert_eq!(args.database, PathBuf::from("homeserver.db"));
        assert!(!args.insecure_fast_hashing);
        assert!(!args.no_cors, "CORS is on by default");
        assert_eq!(args.register_limit(), Ok(Some(RateLimit::default())));
        assert_eq!((args.register_rate_per_second, args.register_burst), (1.0, 20));
        let help = Args::command().render_long_help().to_string();
        assert!(!help.contains("insecure"), "the test-only flag is hidden");
        for flag in ["--register-rate-per-second", "--register-burst", "--no-rate-limit"] {
            assert!(help.contains(flag), "{flag} is documented");
        }
    }

    #[test]
    fn rate_limit_flags() {
        let parse = |extra: &[&str]| Args::try_parse_from(["homeserver"].iter().chain(extra));
        let args = parse(&["--register-rate-per-second", "0.5", "--register-burst", "3"]).unwrap();
        assert_eq!(args.register_limit(), Ok(Some(RateLimit::new(0.5, 3).unwrap())));
        let args = parse(&["--no-rate-limit"]).unwrap();
        assert_eq!(args.register_limit(), Ok(None));
        for bad in [
            &["--register-rate-per-second", "0"][..],
            &["--register-rate-per-second", "-1"],
            &["--register-rate-per-second", "NaN"],
            &["--register-rate-per-second", "inf"],
            &["--register-rate-per-second", "fast"],
            &["--register-burst", "0"],
            &["--register-burst", "-3"],
            &["--no-rate-limit", "--register-burst", "5"],
            &["--no-rate-limit", "--register-rate-per-second", "5"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        let too_slow = parse(&["--register-rate-per-second", "0.000000001"]).unwrap();
        assert!(too_slow.register_limit().is_err());
    }

    #[test]
    fn server_names() {
        for good in ["localhost", "example.org:8448", "[::1]:8448", "127.0.0.1"] {
            assert_eq!(parse_server_name(good).as_deref(), Ok(good));
        }
        for bad in ["", "exa mple.org", "@example.org", "example.org/x"] {
            assert!(parse_server_name(bad).is_err(), "{bad:?}");
        }
    }
}
