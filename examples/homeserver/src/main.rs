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
//! The hidden flag `--insecure-fast-hashing` switches argon2 to its cheapest setting. It exists
//! for tests only: never use it for real accounts.

use std::error::Error;
use std::io::{IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use homeserver::secrets::PasswordHasher;
use homeserver::server::{Config, Homeserver, app};
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
    /// For tests only: the cheapest argon2 setting, so hashing costs nothing. Never in production.
    #[arg(long, hide = true)]
    insecure_fast_hashing: bool,
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
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the homeserver failed");
            ExitCode::FAILURE
        }
    }
}

/// Opens the database, then serves until a shutdown signal.
fn run(args: Args) -> Result<(), Box<dyn Error>> {
    let mut config = Config::new(args.server_name, args.database);
    if args.insecure_fast_hashing {
        tracing::warn!("--insecure-fast-hashing: passwords are hashed with the cheapest argon2 setting");
        config.hasher = PasswordHasher::insecure_fast();
    }
    let homeserver = Homeserver::open(config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(serve(args.listen, homeserver))
}

/// Binds `listen`, announces the bound address on stdout, and serves until Ctrl-C or SIGTERM.
async fn serve(listen: SocketAddr, homeserver: Homeserver) -> Result<(), Box<dyn Error>> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let address = listener.local_addr()?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {address}")?;
    stdout.flush()?;
    drop(stdout);
    tracing::info!(%address, server_name = homeserver.server_name(), "serving");
    axum::serve(listener, app(homeserver))
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
        let help = Args::command().render_long_help().to_string();
        assert!(!help.contains("insecure"), "the test-only flag is hidden");
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
