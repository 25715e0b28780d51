//! Registrations under load: N full UIAA flows (401, then `m.login.dummy` -> 200) from C
//! concurrent tasks sharing one client, each timed as a whole and per HTTP request; optionally
//! the server is SIGKILLed by its pid once K registrations got their 200.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher as _, Hasher as _};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use matrix_registration::client::{Client, ClientError};
use matrix_registration::endpoints::register;

/// The one stage of the example homeserver's registration flow.
const DUMMY: &str = "m.login.dummy";
/// How long one registration flow may take before it counts as failed.
const FLOW_TIMEOUT: Duration = Duration::from_secs(300);
/// How often a run prints its progress.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// One HTTP request of a flow: its status (`None`: no answer) and latency.
#[derive(Clone, Copy, Debug)]
pub struct Request {
    pub status: Option<u16>,
    pub latency: Duration,
}

/// How a registration ended.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// 200 with a user id and an access token.
    Registered { user_id: String, access_token: String },
    /// An answer other than a 200 with both (the status and what was wrong).
    Refused { status: u16, detail: String },
    /// No answer: the connection failed (expected once the server is killed).
    Connection(String),
    /// No answer for another reason: an unreadable answer or a timeout.
    Failed(String),
}

/// One registration: who, with which password, how long, which requests, and how it ended.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub username: String,
    pub password: String,
    /// The whole flow, from the first request to the final answer or error.
    pub flow: Duration,
    pub requests: Vec<Request>,
    pub outcome: Outcome,
    /// Whether the first 401 offered `m.login.dummy` with a session.
    pub challenge_ok: bool,
}

/// When to SIGKILL the server: its pid, and after how many 200s.
#[derive(Clone, Copy, Debug)]
pub struct KillAt {
    pub pid: u32,
    pub after: usize,
}

/// What happened to the kill: when it was sent (since the start) and whether `kill` succeeded.
#[derive(Clone, Debug)]
pub struct Killed {
    pub at: Duration,
    pub result: Result<(), String>,
}

/// The registrations of one run.
#[derive(Debug)]
pub struct Run {
    pub attempts: Vec<Attempt>,
    pub elapsed: Duration,
    pub killed: Option<Killed>,
}

/// Shared by the tasks: the next registration to run, the 200s so far, and the kill.
struct Shared {
    client: Client,
    prefix: String,
    total: usize,
    next: AtomicUsize,
    registered: AtomicUsize,
    kill: Option<KillAt>,
    started: Instant,
    killed: Mutex<Option<Killed>>,
    passwords: RandomState,
}

/// Runs `total` registrations of `{prefix}{i}` against `url` from `concurrency` tasks.
pub async fn run(url: &str, prefix: &str, total: usize, concurrency: usize, kill: Option<KillAt>) -> Run {
    let shared = Arc::new(Shared {
        client: Client::new(url),
        prefix: prefix.to_owned(),
        total,
        next: AtomicUsize::new(0),
        registered: AtomicUsize::new(0),
        kill,
        started: Instant::now(),
        killed: Mutex::new(None),
        passwords: RandomState::new(),
    });
    let progress = tokio::spawn(progress(Arc::clone(&shared)));
    let tasks: Vec<_> = (0..concurrency.max(1))
        .map(|_| tokio::spawn(worker(Arc::clone(&shared))))
        .collect();
    let mut attempts = Vec::with_capacity(total);
    for task in tasks {
        match task.await {
            Ok(done) => attempts.extend(done),
            // A panicking task loses its attempts; the counts then fall short and a check fails.
            Err(error) => eprintln!("a load task failed: {error}"),
        }
    }
    let elapsed = shared.started.elapsed();
    progress.abort();
    let killed = shared.killed.lock().unwrap_or_else(PoisonError::into_inner).clone();
    Run {
        attempts,
        elapsed,
        killed,
    }
}

/// Prints how far the run is every ten seconds.
async fn progress(shared: Arc<Shared>) {
    loop {
        tokio::time::sleep(PROGRESS_EVERY).await;
        let started = shared.next.load(Ordering::Relaxed).min(shared.total);
        eprintln!(
            "  {:.0} s: {started} of {} registrations started, {} got a 200",
            shared.started.elapsed().as_secs_f64(),
            shared.total,
            shared.registered.load(Ordering::Relaxed)
        );
    }
}

/// One task: takes registrations from the shared counter until none is left.
async fn worker(shared: Arc<Shared>) -> Vec<Attempt> {
    let mut done = Vec::new();
    loop {
        let index = shared.next.fetch_add(1, Ordering::Relaxed);
        if index >= shared.total {
            return done;
        }
        let username = format!("{}{index}", shared.prefix);
        let password = password(&shared.passwords, index);
        let attempt = attempt(&shared.client, username, password).await;
        if matches!(attempt.outcome, Outcome::Registered { .. }) {
            let registered = shared.registered.fetch_add(1, Ordering::SeqCst) + 1;
            if let Some(kill) = shared.kill
                && registered == kill.after
            {
                let result = kill_9(kill.pid).await;
                let at = shared.started.elapsed();
                eprintln!(
                    "sent SIGKILL to pid {} after {registered} registrations: {result:?}",
                    kill.pid
                );
                *shared.killed.lock().unwrap_or_else(PoisonError::into_inner) = Some(Killed { at, result });
            }
        }
        done.push(attempt);
    }
}

/// A password of its own for registration `index`: random, never logged.
fn password(state: &RandomState, index: usize) -> String {
    let mut first = state.build_hasher();
    first.write_usize(index);
    let mut second = state.build_hasher();
    second.write_usize(index);
    second.write_u8(1);
    format!("pw-{index}-{:016x}{:016x}", first.finish(), second.finish())
}

/// `kill -9 pid`, run off the async workers.
async fn kill_9(pid: u32) -> Result<(), String> {
    let run = tokio::task::spawn_blocking(move || {
        std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
    })
    .await;
    match run {
        Ok(Ok(status)) if status.success() => Ok(()),
        Ok(Ok(status)) => Err(format!("kill -9 {pid}: {status}")),
        Ok(Err(error)) => Err(format!("running kill: {error}")),
        Err(error) => Err(format!("the kill task failed: {error}")),
    }
}

/// One registration through UIAA: the 401 with the flows, then `m.login.dummy` in its session.
pub async fn attempt(client: &Client, username: String, password: String) -> Attempt {
    let mut body = register::RequestBody::new();
    body.username = Some(username.clone());
    body.password = Some(password.clone());
    let start = Instant::now();
    // When each UIAA state (a 401) arrived, and whether the first offered the dummy stage.
    let mut challenges: Vec<Instant> = Vec::new();
    let mut challenge_ok = false;
    let call = client.register_interactive(register::Request::new(body), |state| {
        challenges.push(Instant::now());
        if challenges.len() > 1 {
            return std::future::ready(None); // a second 401 answers the dummy stage: give up and count it
        }
        challenge_ok = state.session.is_some() && state.flows.iter().any(|flow| flow.stages == [DUMMY]);
        std::future::ready(Some(client_example::stage(DUMMY)))
    });
    let result = tokio::time::timeout(FLOW_TIMEOUT, call).await;
    let end = Instant::now();

    let mut requests = Vec::new();
    let mut previous = start;
    for &at in &challenges {
        requests.push(Request {
            status: Some(401),
            latency: at - previous,
        });
        previous = at;
    }
    let outcome = match result {
        Ok(Ok(answer)) => {
            let status = answer.status().as_u16();
            if !matches!(answer, register::Response::Unauthorized(_)) {
                // (a final 401 was already counted when `next` saw it)
                requests.push(Request {
                    status: Some(status),
                    latency: end - previous,
                });
            }
            outcome(answer, status)
        }
        Ok(Err(error)) => {
            requests.push(Request {
                status: None,
                latency: end - previous,
            });
            match error {
                ClientError::Transport(error) => Outcome::Connection(chain(&error)),
                other => Outcome::Failed(other.to_string()),
            }
        }
        Err(_) => {
            requests.push(Request {
                status: None,
                latency: end - previous,
            });
            Outcome::Failed(format!("no answer within {} s", FLOW_TIMEOUT.as_secs()))
        }
    };
    Attempt {
        username,
        password,
        flow: end - start,
        requests,
        outcome,
        challenge_ok,
    }
}

/// An error and its sources, `: `-separated (reqwest's own message omits the cause).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The outcome of a final answer.
fn outcome(answer: register::Response, status: u16) -> Outcome {
    match answer {
        register::Response::Ok(body) => match (body.user_id, body.access_token) {
            (Some(user_id), Some(access_token)) => Outcome::Registered { user_id, access_token },
            _ => Outcome::Refused {
                status,
                detail: "200 without user_id or access_token".to_owned(),
            },
        },
        other => Outcome::Refused {
            status,
            detail: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_differ_per_registration() {
        let state = RandomState::new();
        let passwords: std::collections::HashSet<String> = (0..1000).map(|i| password(&state, i)).collect();
        assert_eq!(passwords.len(), 1000);
    }
}
