//! What every xtask command shares: running cargo, finding its target folder, a child process
//! that is stopped when dropped, and a pinned Python package in a virtual environment.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, bail};

/// The cargo that runs this xtask (`CARGO`), else `cargo` from `PATH`.
pub fn cargo_bin() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// Runs `cargo ARGS` in the workspace, its output going to ours; an error if it fails.
pub fn cargo(workspace: &Path, args: &[&str]) -> anyhow::Result<()> {
    let status = Command::new(cargo_bin())
        .args(args)
        .current_dir(workspace)
        .status()
        .context("running cargo")?;
    if !status.success() {
        bail!("`cargo {}` failed", args.join(" "));
    }
    Ok(())
}

/// Runs `cargo ARGS` in the workspace and returns what it printed on stdout; on failure the
/// error carries its stderr.
pub fn cargo_output(workspace: &Path, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new(cargo_bin())
        .args(args)
        .current_dir(workspace)
        .output()
        .context("running cargo")?;
    if !output.status.success() {
        bail!(
            "`cargo {}` failed:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Where cargo puts the builds: `CARGO_TARGET_DIR`, else `target/` of the workspace.
pub fn target_dir(workspace: &Path) -> PathBuf {
    target_dir_from(workspace, std::env::var_os("CARGO_TARGET_DIR"))
}

/// [`target_dir`] with the variable's value given: a relative folder is the workspace's, as
/// cargo reads it when run from the workspace.
fn target_dir_from(workspace: &Path, variable: Option<std::ffi::OsString>) -> PathBuf {
    variable
        .filter(|dir| !dir.is_empty())
        .map_or_else(|| workspace.join("target"), |dir| workspace.join(dir))
}

/// A folder of a command's files under the target folder (`target/interop`), so that every
/// command writes where cargo builds, `CARGO_TARGET_DIR` included.
pub fn work_dir(workspace: &Path, name: &str) -> PathBuf {
    target_dir(workspace).join(name)
}

/// A binary of the workspace built by `cargo build` in `profile` (`debug`, `release`).
pub fn binary(workspace: &Path, profile: &str, name: &str) -> PathBuf {
    target_dir(workspace).join(profile).join(name)
}

/// A child process killed when dropped, so that no server outlives a failed run.
pub struct Guard {
    name: &'static str,
    child: Child,
}

impl Guard {
    /// Guards `child`; `name` is what the line printed when it is stopped calls it.
    pub fn new(name: &'static str, child: Child) -> Self {
        Self { name, child }
    }

    /// The guarded process, to read its output.
    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        eprintln!("stopped {} (pid {})", self.name, self.child.id());
    }
}

/// A Python package installed in the virtual environment `venv` (made if missing): pip installs
/// `requirement` unless the installed version of `distribution` is already `wanted`. Returns
/// the environment's `bin/` folder.
pub fn python_package(
    venv: &Path,
    distribution: &str,
    requirement: &str,
    wanted: impl Fn(&str) -> bool,
) -> anyhow::Result<PathBuf> {
    let bin = venv.join("bin");
    let python = bin.join("python");
    if installed_version(&python, distribution).is_some_and(|version| wanted(&version)) {
        return Ok(bin);
    }
    eprintln!("installing {requirement} into {}", venv.display());
    if !python.exists() {
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(venv)
            .status()
            .context("running python3 -m venv")?;
        if !status.success() {
            bail!("python3 -m venv {} failed", venv.display());
        }
    }
    let status = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            requirement,
        ])
        .status()
        .context("running pip")?;
    let version = installed_version(&python, distribution);
    if !status.success() || !version.as_deref().is_some_and(&wanted) {
        bail!("pip install {requirement} failed (installed now: {version:?})");
    }
    Ok(bin)
}

/// The version of `distribution` that `python` imports, if any.
fn installed_version(python: &Path, distribution: &str) -> Option<String> {
    let output = Command::new(python)
        .arg("-c")
        .arg(format!(
            "import importlib.metadata as m; print(m.version({distribution:?}))"
        ))
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Starts the example homeserver (debug build) on a free loopback port with a fresh database
/// in `dir` and `extra` flags; its guard and base URL.
pub fn start_homeserver(workspace: &Path, dir: &Path, extra: &[&str]) -> anyhow::Result<(Guard, String)> {
    let database = dir.join("homeserver.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", database.display()));
    }
    let mut child = Command::new(binary(workspace, "debug", "homeserver"))
        .args(["--listen", "127.0.0.1:0", "--server-name", "localhost"])
        .args(extra)
        .arg("--database")
        .arg(&database)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting the example homeserver")?;
    let stdout = child.stdout.take().context("the homeserver's stdout")?;
    let guard = Guard::new("homeserver", child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let address = line
        .trim()
        .strip_prefix("listening on ")
        .context("the homeserver did not say where it listens")?;
    Ok((guard, format!("http://{address}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_folder_follows_cargo_target_dir() {
        let workspace = Path::new("/ws");
        assert_eq!(target_dir_from(workspace, None), Path::new("/ws/target"));
        assert_eq!(target_dir_from(workspace, Some("".into())), Path::new("/ws/target"));
        assert_eq!(target_dir_from(workspace, Some("/tmp/t".into())), Path::new("/tmp/t"));
        assert_eq!(target_dir_from(workspace, Some("out".into())), Path::new("/ws/out"));
    }

    #[test]
    fn no_command_names_the_target_folder_itself() {
        // Every path under the target folder goes through `target_dir`, `work_dir` or `binary`.
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut offenders = Vec::new();
        let mut folders = vec![src];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    folders.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    let needle = ["join(\"", "target/"].concat();
                    if text.contains(&needle) {
                        offenders.push(path.display().to_string());
                    }
                }
            }
        }
        assert!(offenders.is_empty(), "paths built from `target/`: {offenders:?}");
    }
}
