//! The load and fault test of the example homeserver, run by `cargo xtask load` (which builds
//! it, starts and kills the servers, and prints the summary). Three phases, one subcommand each,
//! each writing a JSON report (`--report`) and exiting 1 when a check fails:
//!
//! - `load`: N registrations (full UIAA flows) from C tasks, then every 200 is checked against
//!   the database: one account per 200, each with its password hash, each token resolving to
//!   its user, no user id or token given twice, no 5xx.
//! - `kill`: the same load, but the server is SIGKILLed (`kill -9 PID`) once K registrations
//!   got their 200; the connection errors that follow are counted (expected). The accounts
//!   (200s, and attempts left without an answer) are written to `--accounts`.
//! - `verify`, after the server was restarted on the same database: every account that got a
//!   200 is whole in the database and changes its password through UIAA `m.login.password`
//!   with its token and password (all concurrently), and no row is half an account.

mod register;
mod report;
mod store;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand};
use matrix_registration::client::Client;
use matrix_registration::endpoints::change_password;
use serde_json::{Value, json};

use crate::register::{Attempt, KillAt, Outcome, Run};
use crate::report::{Report, ms, percentiles, rate};
use crate::store::{Account, Findings};

/// Registrations under load against a running example homeserver.
#[derive(Parser)]
#[command(about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Register N accounts from C tasks, then check every 200 against the database.
    Load(LoadArgs),
    /// Register N accounts and SIGKILL the server after K 200s; write the accounts.
    Kill(KillArgs),
    /// After a restart: check the accounts of `kill` in the database and change their passwords.
    Verify(VerifyArgs),
}

#[derive(Args)]
struct Common {
    /// The server's base URL (`http://127.0.0.1:8008`).
    #[arg(long)]
    url: String,
    /// The server name in user ids.
    #[arg(long, default_value = "localhost")]
    server_name: String,
    /// How many requests run at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Where the JSON report is written.
    #[arg(long)]
    report: PathBuf,
}

#[derive(Args)]
struct LoadArgs {
    #[command(flatten)]
    common: Common,
    /// The server's SQLite database, checked after the load.
    #[arg(long)]
    database: PathBuf,
    /// How many accounts to register.
    #[arg(long, default_value_t = 2000)]
    registrations: usize,
    /// The usernames: this prefix and a number.
    #[arg(long, default_value = "load-")]
    prefix: String,
}

#[derive(Args)]
struct KillArgs {
    #[command(flatten)]
    common: Common,
    /// How many accounts to register (the ones after the kill fail to connect).
    #[arg(long, default_value_t = 2000)]
    registrations: usize,
    /// SIGKILL the server after this many 200s.
    #[arg(long)]
    kill_after: usize,
    /// The server's process id.
    #[arg(long)]
    server_pid: u32,
    /// The usernames: this prefix and a number.
    #[arg(long, default_value = "kill-")]
    prefix: String,
    /// Where the accounts are written for `verify` (with their passwords and tokens).
    #[arg(long)]
    accounts: PathBuf,
}

#[derive(Args)]
struct VerifyArgs {
    #[command(flatten)]
    common: Common,
    /// The server's SQLite database.
    #[arg(long)]
    database: PathBuf,
    /// The accounts written by `kill`.
    #[arg(long)]
    accounts: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")
        .and_then(|runtime| {
            runtime.block_on(async {
                match cli.command {
                    Command::Load(args) => with_report(&args.common.report, load(&args)).await,
                    Command::Kill(args) => with_report(&args.common.report, kill(&args)).await,
                    Command::Verify(args) => with_report(&args.common.report, verify(&args)).await,
                }
            })
        });
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) => {
            eprintln!("loadtest: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Runs a phase, prints and writes its report; whether every check passed.
async fn with_report(path: &Path, phase: impl Future<Output = anyhow::Result<Report>>) -> anyhow::Result<bool> {
    let report = phase.await?;
    print!("{}", report.text());
    report.write(path)?;
    Ok(report.passed())
}

/// Phase 1: the load, then the database.
async fn load(args: &LoadArgs) -> anyhow::Result<Report> {
    let common = &args.common;
    let run = register::run(&common.url, &args.prefix, args.registrations, common.concurrency, None).await;
    let mut report = Report::new("load");
    describe(&mut report, &run, args.registrations, common.concurrency);
    check_answers(&mut report, &run, &common.server_name);
    let counts = Counts::of(&run.attempts);
    report.check_eq("every registration answered 200", counts.registered, args.registrations);
    report.check_eq(
        "no connection error or unreadable answer",
        counts.connection + counts.failed,
        0,
    );
    let accounts = registered(&run.attempts);
    let findings = inspect(&args.database, &common.server_name, &accounts).await?;
    report.row("users in the database", findings.users);
    report.row("accounts found whole", findings.found);
    report.check_eq(
        "one stored account per 200 (users in the database)",
        findings.users,
        accounts.len(),
    );
    report.check(
        "every 200's user exists with a password hash and its token resolves to it",
        findings.found == accounts.len(),
        found_detail(&findings, accounts.len()),
    );
    check_database(&mut report, &findings);
    Ok(report)
}

/// Phase 2: the load, killed after K 200s; the accounts are written for `verify`.
async fn kill(args: &KillArgs) -> anyhow::Result<Report> {
    let common = &args.common;
    if args.kill_after == 0 || args.kill_after > args.registrations {
        bail!(
            "--kill-after must be between 1 and --registrations ({})",
            args.registrations
        );
    }
    let at = KillAt {
        pid: args.server_pid,
        after: args.kill_after,
    };
    let run = register::run(
        &common.url,
        &args.prefix,
        args.registrations,
        common.concurrency,
        Some(at),
    )
    .await;
    let mut report = Report::new("kill");
    describe(&mut report, &run, args.registrations, common.concurrency);
    check_answers(&mut report, &run, &common.server_name);
    let counts = Counts::of(&run.attempts);
    report.row("registrations answered 200 (before the server died)", counts.registered);
    report.row("connection errors after the kill (expected)", counts.connection);
    if let Some(error) = run.attempts.iter().find_map(|a| match &a.outcome {
        Outcome::Connection(error) => Some(error),
        _ => None,
    }) {
        report.row("a connection error", error);
    }
    match &run.killed {
        Some(killed) => {
            report.row(
                "SIGKILL sent",
                format!("after {} 200s, {} ms into the run", at.after, ms(killed.at)),
            );
            report.check(
                format!("SIGKILL sent to pid {} after {} 200s", at.pid, at.after),
                killed.result.is_ok(),
                killed.result.as_ref().err().map_or("sent", String::as_str),
            );
        }
        None => report.check(
            format!("SIGKILL sent to pid {} after {} 200s", at.pid, at.after),
            false,
            format!("only {} registrations got a 200", counts.registered),
        ),
    }
    report.check(
        "every answer was 200 (the rest are connection errors)",
        counts.refused == 0 && counts.failed == 0,
        format!(
            "{} other answers, {} unreadable or timed out",
            counts.refused, counts.failed
        ),
    );
    write_accounts(&args.accounts, &run.attempts)?;
    Ok(report)
}

/// Phase 3, after the restart: the accounts in the database, then a password change each.
async fn verify(args: &VerifyArgs) -> anyhow::Result<Report> {
    let common = &args.common;
    let (accounts, unanswered) = read_accounts(&args.accounts)?;
    let mut report = Report::new("restart");
    let stored: Vec<Account> = accounts.iter().map(|a| a.account.clone()).collect();
    let findings = inspect(&args.database, &common.server_name, &stored).await?;
    let answered: HashSet<&str> = accounts.iter().map(|a| a.account.user_id.as_str()).collect();
    let lost: HashSet<String> = unanswered
        .iter()
        .map(|name| format!("@{name}:{}", common.server_name))
        .collect();
    let committed_unanswered = findings.user_ids.iter().filter(|id| lost.contains(*id)).count();
    let strays: Vec<&String> = findings
        .user_ids
        .iter()
        .filter(|id| !answered.contains(id.as_str()) && !lost.contains(*id))
        .collect();
    report.row("registrations that got 200 before the kill", accounts.len());
    report.row("users in the database", findings.users);
    report.row("accounts found whole", findings.found);
    report.row(
        "accounts committed whose answer was lost in the kill",
        committed_unanswered,
    );
    report.row("half-created rows found", findings.half_created());
    report.check(
        "every 200 is in the database, with its password hash and token",
        findings.found == accounts.len(),
        found_detail(&findings, accounts.len()),
    );
    report.check(
        "no user in the database that was not registered",
        strays.is_empty(),
        format!(
            "{} such users {:?}",
            strays.len(),
            strays.iter().take(5).collect::<Vec<_>>()
        ),
    );
    check_database(&mut report, &findings);

    let started = Instant::now();
    let changes = change_passwords(&common.url, &accounts, common.concurrency).await;
    let elapsed = started.elapsed();
    let ok = changes.iter().filter(|c| c.status == Some(200)).count();
    let latencies: Vec<Duration> = changes.iter().map(|c| c.latency).collect();
    report.row("accounts re-authenticated (password change 200)", ok);
    report.row(
        "password changes",
        format!(
            "{} in {:.1} s ({} /s), {}",
            changes.len(),
            elapsed.as_secs_f64(),
            rate(changes.len(), elapsed),
            percentiles(&latencies)
        ),
    );
    let failures: Vec<&str> = changes
        .iter()
        .filter(|c| c.status != Some(200))
        .map(|c| c.detail.as_str())
        .take(5)
        .collect();
    report.check(
        "every account that got a 200 changes its password with it (UIAA m.login.password)",
        ok == accounts.len(),
        format!("{ok} of {}; first failures: {failures:?}", accounts.len()),
    );
    Ok(report)
}

/// How the attempts of a run ended.
#[derive(Debug, Default)]
struct Counts {
    registered: usize,
    refused: usize,
    connection: usize,
    failed: usize,
}

impl Counts {
    fn of(attempts: &[Attempt]) -> Self {
        let mut counts = Self::default();
        for attempt in attempts {
            match attempt.outcome {
                Outcome::Registered { .. } => counts.registered += 1,
                Outcome::Refused { .. } => counts.refused += 1,
                Outcome::Connection(_) => counts.connection += 1,
                Outcome::Failed(_) => counts.failed += 1,
            }
        }
        counts
    }
}

/// The rows every run has: counts, statuses, throughput and latencies.
fn describe(report: &mut Report, run: &Run, total: usize, concurrency: usize) {
    let counts = Counts::of(&run.attempts);
    let requests: Vec<_> = run.attempts.iter().flat_map(|a| a.requests.iter()).collect();
    let answered: Vec<Duration> = requests
        .iter()
        .filter(|r| r.status.is_some())
        .map(|r| r.latency)
        .collect();
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    for request in &requests {
        let key = request.status.map_or_else(|| "no answer".to_owned(), |s| s.to_string());
        *statuses.entry(key).or_default() += 1;
    }
    let flows: Vec<Duration> = run
        .attempts
        .iter()
        .filter(|a| matches!(a.outcome, Outcome::Registered { .. }))
        .map(|a| a.flow)
        .collect();
    let nth = |n: usize| -> Vec<Duration> {
        run.attempts
            .iter()
            .filter_map(|a| a.requests.get(n))
            .filter(|r| r.status.is_some())
            .map(|r| r.latency)
            .collect()
    };
    report.row("registrations attempted", format!("{total} ({concurrency} concurrent)"));
    report.row(
        "outcomes",
        format!(
            "{} 200, {} other answers, {} connection errors, {} unreadable or timed out",
            counts.registered, counts.refused, counts.connection, counts.failed
        ),
    );
    report.row(
        "HTTP requests by status",
        statuses
            .iter()
            .map(|(status, n)| format!("{status}: {n}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    report.row("wall time", format!("{:.2} s", run.elapsed.as_secs_f64()));
    report.row(
        "throughput",
        format!(
            "{} registrations/s, {} requests/s",
            rate(counts.registered, run.elapsed),
            rate(answered.len(), run.elapsed)
        ),
    );
    report.row("latency of a registration (200 flows)", percentiles(&flows));
    report.row("latency of a request (all answered)", percentiles(&answered));
    report.row("latency of request 1 (-> 401)", percentiles(&nth(0)));
    report.row("latency of request 2 (dummy -> 200)", percentiles(&nth(1)));
}

/// The checks of the answers every run has: no 5xx, the challenge, distinct ids and tokens.
fn check_answers(report: &mut Report, run: &Run, server_name: &str) {
    let server_errors = run
        .attempts
        .iter()
        .flat_map(|a| a.requests.iter())
        .filter(|r| r.status.is_some_and(|s| s >= 500))
        .count();
    report.check_eq("no 5xx answer", server_errors, 0);
    let bad_challenges = run
        .attempts
        .iter()
        .filter(|a| a.requests.first().is_some_and(|r| r.status == Some(401)) && !a.challenge_ok)
        .count();
    report.check_eq(
        "every first 401 offered m.login.dummy with a session",
        bad_challenges,
        0,
    );
    let mut user_ids = HashSet::new();
    let mut tokens = HashSet::new();
    let (mut shared_ids, mut shared_tokens, mut wrong_ids) = (0, 0, 0);
    for attempt in &run.attempts {
        if let Outcome::Registered { user_id, access_token } = &attempt.outcome {
            shared_ids += usize::from(!user_ids.insert(user_id.as_str()));
            shared_tokens += usize::from(!tokens.insert(access_token.as_str()));
            wrong_ids += usize::from(*user_id != format!("@{}:{server_name}", attempt.username));
        }
    }
    report.check_eq("no two 200s share a user id", shared_ids, 0);
    report.check_eq("no two 200s share an access token", shared_tokens, 0);
    report.check_eq("every 200's user id is @username:server", wrong_ids, 0);
    let samples: Vec<String> = run
        .attempts
        .iter()
        .filter_map(|a| match &a.outcome {
            Outcome::Refused { status, detail } => Some(format!("{status} {detail}")),
            Outcome::Failed(why) => Some(why.clone()),
            _ => None,
        })
        .take(3)
        .collect();
    if !samples.is_empty() {
        report.row("first unexpected outcomes", format!("{samples:?}"));
    }
}

/// The checks of the whole database: nothing half an account, and SQLite's own checks.
fn check_database(report: &mut Report, findings: &Findings) {
    report.check(
        "no half-created account",
        findings.half_created() == 0,
        format!(
            "{} users without password hash, {} tokens without user, {} users without token",
            findings.without_hash, findings.orphan_tokens, findings.users_without_token
        ),
    );
    report.check_eq("no guest account", findings.guests, 0);
    report.check(
        "SQLite integrity and foreign keys",
        findings.integrity == "ok" && findings.foreign_key_violations == 0,
        format!(
            "integrity_check {:?}, {} foreign key violations",
            findings.integrity, findings.foreign_key_violations
        ),
    );
}

fn found_detail(findings: &Findings, expected: usize) -> String {
    format!(
        "{} of {expected}; first missing: {:?}",
        findings.found,
        findings.missing.iter().take(5).collect::<Vec<_>>()
    )
}

/// The accounts of the 200s.
fn registered(attempts: &[Attempt]) -> Vec<Account> {
    attempts
        .iter()
        .filter_map(|a| match &a.outcome {
            Outcome::Registered { user_id, access_token } => Some(Account {
                user_id: user_id.clone(),
                access_token: access_token.clone(),
            }),
            _ => None,
        })
        .collect()
}

/// [`store::inspect`] off the async workers.
async fn inspect(database: &Path, server_name: &str, accounts: &[Account]) -> anyhow::Result<Findings> {
    let (database, server_name, accounts) = (database.to_owned(), server_name.to_owned(), accounts.to_vec());
    tokio::task::spawn_blocking(move || store::inspect(&database, &server_name, &accounts))
        .await
        .context("the database check panicked")?
}

/// An account of the kill phase, with what `verify` needs to use it.
#[derive(Clone, Debug)]
struct Credentials {
    username: String,
    password: String,
    account: Account,
}

/// Writes the 200s (with password and token) and the usernames left without an answer.
fn write_accounts(path: &Path, attempts: &[Attempt]) -> anyhow::Result<()> {
    let mut registered = Vec::new();
    let mut unanswered = Vec::new();
    for attempt in attempts {
        match &attempt.outcome {
            Outcome::Registered { user_id, access_token } => registered.push(json!({
                "username": attempt.username,
                "password": attempt.password,
                "user_id": user_id,
                "access_token": access_token,
            })),
            Outcome::Connection(_) | Outcome::Failed(_) => unanswered.push(json!(attempt.username)),
            Outcome::Refused { .. } => {}
        }
    }
    let text = serde_json::to_string(&json!({ "registered": registered, "unanswered": unanswered }))?;
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// Reads what [`write_accounts`] wrote.
fn read_accounts(path: &Path) -> anyhow::Result<(Vec<Credentials>, Vec<String>)> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let value: Value = serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let list = |key: &str| -> anyhow::Result<&Vec<Value>> {
        value
            .get(key)
            .and_then(Value::as_array)
            .with_context(|| format!("{}: no {key} list", path.display()))
    };
    let text_of = |item: &Value, key: &str| -> anyhow::Result<String> {
        item.get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .with_context(|| format!("{}: an entry without {key}", path.display()))
    };
    let mut accounts = Vec::new();
    for item in list("registered")? {
        accounts.push(Credentials {
            username: text_of(item, "username")?,
            password: text_of(item, "password")?,
            account: Account {
                user_id: text_of(item, "user_id")?,
                access_token: text_of(item, "access_token")?,
            },
        });
    }
    let unanswered = list("unanswered")?
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    Ok((accounts, unanswered))
}

/// One password change: the final status (`None`: no answer), why if not 200, and latency.
#[derive(Debug)]
struct Change {
    status: Option<u16>,
    detail: String,
    latency: Duration,
}

/// Changes the password of every account, `concurrency` at a time.
async fn change_passwords(url: &str, accounts: &[Credentials], concurrency: usize) -> Vec<Change> {
    let client = Client::new(url);
    let accounts = Arc::new(accounts.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let (client, accounts, next) = (client.clone(), Arc::clone(&accounts), Arc::clone(&next));
            tokio::spawn(async move {
                let mut done = Vec::new();
                while let Some(account) = accounts.get(next.fetch_add(1, Ordering::Relaxed)) {
                    done.push(change_password(&client, account).await);
                }
                done
            })
        })
        .collect();
    let mut changes = Vec::with_capacity(accounts.len());
    for task in tasks {
        match task.await {
            Ok(done) => changes.extend(done),
            Err(error) => eprintln!("a password-change task failed: {error}"),
        }
    }
    changes
}

/// Changes the password of `account` with its token, through UIAA with its current password.
async fn change_password(client: &Client, account: &Credentials) -> Change {
    let client = client.clone().with_access_token(account.account.access_token.clone());
    let new_password = format!("{}-changed", account.password);
    let request = change_password::Request::new(change_password::RequestBody::new(new_password));
    let mut states = 0;
    let started = Instant::now();
    let call = client.change_password_interactive(request, |state| {
        states += 1;
        // Only the first, plain 401 gets the stage: a second one refuses it.
        let stage = (states == 1)
            .then(|| client_example::password_stage(&state, &account.username, &account.password).ok())
            .flatten();
        std::future::ready(stage)
    });
    let result = tokio::time::timeout(Duration::from_secs(300), call).await;
    let latency = started.elapsed();
    match result {
        Ok(Ok(change_password::Response::Ok(_))) => Change {
            status: Some(200),
            detail: String::new(),
            latency,
        },
        Ok(Ok(other)) => Change {
            status: Some(other.status().as_u16()),
            detail: format!("{}: {other}", account.account.user_id),
            latency,
        },
        Ok(Err(error)) => Change {
            status: None,
            detail: format!("{}: {error}", account.account.user_id),
            latency,
        },
        Err(_) => Change {
            status: None,
            detail: format!("{}: no answer within 300 s", account.account.user_id),
            latency,
        },
    }
}
