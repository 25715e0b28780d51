//! The hand-written parts of the generated crate (`templates/`), copied in with a header.

use crate::emit::File;
use crate::error::{Cause, Error, Errors, Location};
use crate::model::Api;

/// A template: its path in `templates/` (and in the output) and its text.
struct Template {
    path: &'static str,
    text: &'static str,
}

macro_rules! templates {
    ($($path:literal),* $(,)?) => {
        &[$(Template { path: $path, text: include_str!(concat!("../../../../templates/", $path)) }),*]
    };
}

/// Every template, compiled into the generator so that `cargo xtask codegen` always uses the
/// current ones.
const TEMPLATES: &[Template] = templates![
    "Cargo.toml",
    "README.md",
    "rustfmt.toml",
    "src/runtime/client.rs",
    "src/runtime/error.rs",
    "src/runtime/mod.rs",
    "src/runtime/http.rs",
    "src/runtime/server.rs",
];

/// Whether `path` is one of the templates.
pub(in crate::emit) fn is_template(path: &str) -> bool {
    TEMPLATES.iter().any(|t| t.path == path)
}

/// The templates as output files: `Cargo.toml` gets the package name; each file gets a header.
pub(in crate::emit) fn files(api: &Api, header: &str) -> Result<Vec<File>, Errors> {
    TEMPLATES
        .iter()
        .map(|t| {
            let contents = match t.path {
                "Cargo.toml" => manifest(t.text, &api.package, header)?,
                path if path.ends_with(".rs") => format!("{header}{}", t.text),
                path if path.ends_with(".md") => format!("{}\n{}", comment_lines(header, "<!-- ", " -->"), t.text),
                _ => format!("{}{}", comment_lines(header, "# ", ""), t.text),
            };
            Ok(File {
                path: t.path.to_owned(),
                contents,
            })
        })
        .collect()
}

/// The manifest with `package.name` set, keeping the template's comments and layout.
fn manifest(template: &str, package: &str, header: &str) -> Result<String, Error> {
    let at = || Location::file("templates/Cargo.toml");
    let mut doc: toml_edit::DocumentMut = template
        .parse()
        .map_err(|e: toml_edit::TomlError| Error::new(at(), Cause::Invalid(e.to_string())))?;
    let Some(package_table) = doc.get_mut("package").and_then(|p| p.as_table_like_mut()) else {
        return Err(Error::new(at(), Cause::Invalid("no [package] table".into())));
    };
    package_table.insert("name", toml_edit::value(package));
    let body = doc.to_string();
    let body = body
        .lines()
        .skip_while(|l| l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    Ok(format!("{}{}\n", comment_lines(header, "# ", ""), body.trim_start()))
}

/// The `//` header re-commented for another file type.
fn comment_lines(header: &str, open: &str, close: &str) -> String {
    header
        .lines()
        .map(|l| format!("{open}{}{close}\n", l.trim_start_matches("// ")))
        .collect()
}
