//! `matrix-register`: registers a Matrix account through User-Interactive Authentication and,
//! with `--change-password`, changes its password.
//!
//! ```sh
//! MATRIX_PASSWORD=... cargo run -p client-example -- --server http://127.0.0.1:8008 --username carol
//! ```
//!
//! The password comes from `MATRIX_PASSWORD`, else from a prompt without echo (asked twice); the
//! new one from `MATRIX_NEW_PASSWORD`, else likewise. Never from an argument: arguments are
//! visible to every user of the machine. Success prints `registered @carol:server (device ID)`
//! (and `password changed for @carol:server`) on stdout; a failure prints one line on stderr and
//! exits with status 1. Passwords and access tokens are never printed.

use std::env::{self, VarError};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::{Parser, ValueEnum};
use client_example::{change_password, one_line, register};
use matrix_registration::client::Client;

/// The environment variable holding the account's password.
const PASSWORD_VAR: &str = "MATRIX_PASSWORD";
/// The environment variable holding the new password for `--change-password`.
const NEW_PASSWORD_VAR: &str = "MATRIX_NEW_PASSWORD";

/// Registers a Matrix account (completing `m.login.dummy`) and optionally changes its password.
///
/// The password is read from MATRIX_PASSWORD (the new one from MATRIX_NEW_PASSWORD), or else
/// prompted for without echo.
// `--version` picks the API version, so clap's own version flag is off.
#[derive(Debug, Parser)]
#[command(name = "matrix-register", about, disable_version_flag = true)]
struct Args {
    /// The homeserver's base URL, e.g. http://127.0.0.1:8008 (plain HTTP only: no TLS stack).
    #[arg(long, value_parser = parse_server)]
    server: String,
    /// The localpart of the account to register (`carol` for @carol:server).
    #[arg(long)]
    username: String,
    /// The Client-Server API version in the path (`/_matrix/client/<version>`).
    #[arg(long, value_enum, default_value_t = Version::V3)]
    version: Version,
    /// After registering, change the password (through m.login.password).
    #[arg(long)]
    change_password: bool,
}

/// A value of `CLIENT_MAJOR_VERSION`.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Version {
    /// `/_matrix/client/v3`
    V3,
    /// `/_matrix/client/r0`, for older servers.
    R0,
}

impl Version {
    fn as_str(self) -> &'static str {
        match self {
            Self::V3 => "v3",
            Self::R0 => "r0",
        }
    }
}

/// Accepts an `http://` URL. The generated client leaves TLS to its user (a reqwest TLS feature in
/// the user's manifest) and this example adds none, so `https://` is refused here with the reason
/// rather than later with reqwest's "scheme is not http".
fn parse_server(url: &str) -> Result<String, String> {
    if url.starts_with("http://") {
        Ok(url.to_owned())
    } else if url.starts_with("https://") {
        Err("this build speaks plain HTTP only (no TLS stack): use an http:// URL".to_owned())
    } else {
        Err("the server URL must start with http://".to_owned())
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("matrix-register: {}", one_line(&error));
            ExitCode::FAILURE
        }
    }
}

/// Reads the passwords, registers, then changes the password if asked.
fn run(args: Args) -> Result<()> {
    let password = read_secret(PASSWORD_VAR, "Password for the new account: ")?;
    let new_password = if args.change_password {
        Some(read_secret(NEW_PASSWORD_VAR, "New password: ")?)
    } else {
        None
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let client = Client::new(args.server).with_variable("CLIENT_MAJOR_VERSION", args.version.as_str());

    let registered = runtime.block_on(register(&client, &args.username, &password))?;
    println!("registered {registered}");

    if let Some(new_password) = new_password {
        let token = registered
            .access_token()
            .context("password change failed: the registration gave no access token to authenticate with")?;
        let client = client.with_access_token(token);
        runtime.block_on(change_password(&client, &registered.user_id, &password, &new_password))?;
        println!("password changed for {}", registered.user_id);
    }
    Ok(())
}

/// A password from the environment variable `var`, or else from the terminal without echo,
/// typed twice. Empty passwords are refused.
fn read_secret(var: &str, prompt: &str) -> Result<String> {
    let secret = match env::var(var) {
        Ok(secret) => secret,
        Err(VarError::NotUnicode(_)) => bail!("{var} is not valid UTF-8"),
        Err(VarError::NotPresent) => {
            let cannot_read = || format!("cannot read the password from the terminal (or set {var})");
            let first = rpassword::prompt_password(prompt).with_context(cannot_read)?;
            let again = rpassword::prompt_password("Repeat it: ").with_context(cannot_read)?;
            if first != again {
                bail!("the two passwords typed differ");
            }
            first
        }
    };
    if secret.is_empty() {
        bail!("the password is empty (from {var} or the prompt)");
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn the_command_line_is_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn arguments_parse() {
        let args = Args::try_parse_from([
            "matrix-register",
            "--server",
            "http://127.0.0.1:8008",
            "--username",
            "carol",
            "--version",
            "r0",
            "--change-password",
        ])
        .unwrap();
        assert_eq!(args.server, "http://127.0.0.1:8008");
        assert_eq!(args.username, "carol");
        assert_eq!(args.version.as_str(), "r0");
        assert!(args.change_password);
        let defaults = Args::try_parse_from([
            "matrix-register",
            "--server",
            "http://example.org",
            "--username",
            "carol",
        ])
        .unwrap();
        assert_eq!(defaults.version.as_str(), "v3");
        assert!(!defaults.change_password);
        assert!(Args::try_parse_from(["matrix-register", "--server", "example.org", "--username", "carol"]).is_err());
        assert!(
            Args::try_parse_from([
                "matrix-register",
                "--server",
                "https://example.org",
                "--username",
                "carol"
            ])
            .is_err()
        );
        assert!(
            Args::try_parse_from([
                "matrix-register",
                "--server",
                "http://x",
                "--username",
                "c",
                "--version",
                "v2"
            ])
            .is_err()
        );
    }
}
