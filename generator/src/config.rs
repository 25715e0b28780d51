//! The codegen config (`codegen.toml` next to the spec): names, path variables, patches.
//!
//! Everything a maintainer needs to change in the output is said here, never by editing
//! `generated/`. Unknown keys are errors, so a typo never silently does nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Cause, Error, Location};

/// The name of the config file looked for next to the entry files.
pub const FILE_NAME: &str = "codegen.toml";

/// The parsed config. Every section is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The generated crate's package.
    #[serde(default)]
    pub package: PackageConfig,
    /// Values of `%NAME%` placeholders in `basePath` (server variables).
    #[serde(default)]
    pub variables: BTreeMap<String, VariableConfig>,
    /// Renames of operations and types.
    #[serde(default)]
    pub rename: RenameConfig,
    /// How responses are typed.
    #[serde(default)]
    pub responses: ResponsesConfig,
    /// How operations are authenticated.
    #[serde(default)]
    pub auth: AuthConfig,
    /// Fields that hold secrets, beyond the built-in list.
    #[serde(default)]
    pub secrets: SecretsConfig,
    /// Edits of spec files where the spec and real servers disagree.
    #[serde(default, rename = "patch")]
    pub patches: Vec<Patch>,
    /// Examples in the spec that are known to be wrong.
    #[serde(default, rename = "known_example_error")]
    pub known_example_errors: Vec<KnownExampleError>,
    /// How the spec's descriptions become docs.
    #[serde(default)]
    pub docs: DocsConfig,
}

/// `[docs]`: how the spec's descriptions become docs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocsConfig {
    /// The spec site that site-relative links (`/client-server-api/#...`) point into, e.g.
    /// `https://spec.matrix.org/v1.19`; default: the latest release.
    pub site: Option<String>,
}

/// `[package]`: the generated crate's Cargo package.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageConfig {
    /// Package name; default: the spec's `info.title` in kebab-case.
    pub name: Option<String>,
    /// The API's title in the crate's docs; default: the first entry file's `info.title`
    /// (which names only that file's part when there are many).
    pub title: Option<String>,
}

/// `[variables.NAME]`: the values a `%NAME%` placeholder takes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableConfig {
    /// Every value the server serves (the router mounts the API under each).
    pub values: Vec<String>,
    /// The value a client uses unless told otherwise; default: the last of `values`.
    pub default: Option<String>,
}

impl VariableConfig {
    /// The value a client uses unless told otherwise: `default`, else the last of `values`.
    pub fn default_value(&self) -> Option<String> {
        self.default.clone().or_else(|| self.values.last().cloned())
    }
}

/// `[rename]`: names chosen by hand.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameConfig {
    /// Derived operation name (snake_case) -> new name.
    #[serde(default)]
    pub operations: BTreeMap<String, String>,
    /// Derived type name (`Name` for shared types, `operation::Name` for an operation's own) -> new name.
    #[serde(default)]
    pub types: BTreeMap<String, String>,
}

/// `[responses]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponsesConfig {
    /// The shared type (final name) that a 4xx/5xx status documented without a schema carries.
    pub error: Option<String>,
}

/// `[auth]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// Operations (final names) whose access token is optional although the spec lists `security`.
    #[serde(default)]
    pub optional: Vec<String>,
}

/// `[secrets]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsConfig {
    /// Wire names of fields whose values never appear in `Debug` output.
    #[serde(default)]
    pub fields: Vec<String>,
}

/// `[[patch]]`: an edit of one spec file, applied when it is loaded.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    /// The file, relative to the spec root.
    pub file: String,
    /// Why the spec is patched (shown in the model summary).
    pub reason: String,
    /// JSON pointers of values to delete; each must exist.
    #[serde(default)]
    pub remove: Vec<String>,
    /// JSON pointer -> value to set; the parent must exist.
    #[serde(default)]
    pub set: BTreeMap<String, toml::Value>,
}

/// `[[known_example_error]]`: an example of the spec that does not fit its own schema.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownExampleError {
    /// The example's name in the model summary, e.g. `op::RequestBody.field`.
    pub example: String,
    /// Why it is wrong.
    pub reason: String,
}

impl Config {
    /// The config given (`explicit`), else `codegen.toml` next to the first entry file (in the
    /// folder, when a folder of entry files is given), else the defaults; with how errors
    /// name the file.
    pub fn find(explicit: Option<&Path>, specs: &[PathBuf]) -> Result<(Config, String), Error> {
        let path = match explicit {
            Some(path) => path.to_owned(),
            None => {
                let first = specs.first().map(PathBuf::as_path).unwrap_or(Path::new("."));
                let folder = if first.is_dir() {
                    first.to_owned()
                } else {
                    crate::read::folder_of(first)
                };
                let next_to_spec = folder.join(FILE_NAME);
                if !next_to_spec.exists() {
                    return Ok((Config::default(), FILE_NAME.to_owned()));
                }
                next_to_spec
            }
        };
        let shown = path.display().to_string();
        Ok((Self::load(&path, &shown)?, shown))
    }

    /// Reads a config file; `display` is how errors name it.
    pub fn load(path: &Path, display: &str) -> Result<Config, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::new(Location::file(display), Cause::Read(e.to_string())))?;
        Self::parse(&text, display)
    }

    /// Parses config text; `display` is how errors name the file.
    pub fn parse(text: &str, display: &str) -> Result<Config, Error> {
        toml::from_str(text).map_err(|e| {
            let message = e.message().to_owned();
            let place = match e.span() {
                Some(span) => line_column(text, span.start),
                None => crate::error::Place::File,
            };
            Error::new(
                Location {
                    file: display.to_owned(),
                    place,
                },
                Cause::Config(message),
            )
        })
    }
}

fn line_column(text: &str, offset: usize) -> crate::error::Place {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    crate::error::Place::LineColumn { line, column }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_is_an_error_with_a_line() {
        let err = Config::parse("[package]\nnmae = \"x\"\n", "codegen.toml").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("codegen.toml:2:1"), "{text}");
        assert!(text.contains("unknown field `nmae`"), "{text}");
    }

    #[test]
    fn patches_and_variables_parse() {
        let config = Config::parse(
            r#"
            [variables.CLIENT_MAJOR_VERSION]
            values = ["r0", "v3"]
            [[patch]]
            file = "definitions/auth_data.yaml"
            reason = "clients send strings"
            remove = ["/additionalProperties/type"]
            "#,
            "codegen.toml",
        )
        .unwrap();
        assert_eq!(config.variables["CLIENT_MAJOR_VERSION"].values, ["r0", "v3"]);
        assert_eq!(config.patches[0].remove, ["/additionalProperties/type"]);
    }
}
