//! Reads spec files: each file once, never outside the spec root, YAML turned into JSON values.
//!
//! A `$ref` is a path relative to the file it is written in. The loader refuses absolute
//! paths, URLs and paths that climb out of the root (also through symbolic links), so a spec
//! can never make the generator read `/etc/passwd` or the network.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::config::Patch;
use crate::error::{Cause, DocPath, Error, Location, Place};

/// Files larger than this are refused: no spec file is anywhere near it.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Index of a loaded document.
pub type DocId = usize;

/// One parsed spec file.
#[derive(Debug, Clone)]
pub struct Document {
    /// Path relative to the spec root, with `/` separators.
    pub file: String,
    /// The file's content as JSON.
    pub value: Value,
}

/// Where a `$ref` points: a document and a JSON pointer into it (empty for the whole file).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Target {
    /// The document.
    pub doc: DocId,
    /// JSON pointer (`/definitions/Foo`), empty for the whole document.
    pub pointer: String,
}

/// Loads spec files under one root, each once.
#[derive(Debug)]
pub struct Loader {
    root: PathBuf,
    docs: Vec<Document>,
    by_file: BTreeMap<String, DocId>,
    patches: Vec<(Patch, bool)>,
}

impl Loader {
    /// A loader confined to `root` that applies `patches` to the files they name.
    pub fn new(root: &Path, patches: &[Patch]) -> Result<Self, Error> {
        let root = root.canonicalize().map_err(|e| {
            Error::new(
                Location::file(root.display().to_string()),
                Cause::Read(format!("the spec root is not a readable folder: {e}")),
            )
        })?;
        let patches = patches.iter().cloned().map(|p| (p, false)).collect();
        Ok(Self {
            root,
            docs: Vec::new(),
            by_file: BTreeMap::new(),
            patches,
        })
    }

    /// Loads the entry file, which must be inside the root.
    pub fn load_entry(&mut self, entry: &Path) -> Result<DocId, Error> {
        let shown = entry.display().to_string();
        let canonical = entry
            .canonicalize()
            .map_err(|e| Error::new(Location::file(&shown), Cause::Read(e.to_string())))?;
        let Ok(relative) = canonical.strip_prefix(&self.root) else {
            let why = format!("the entry file is not inside the spec root {}", self.root.display());
            return Err(Error::new(Location::file(shown), Cause::Read(why)));
        };
        let file = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        self.load_file(&file)
    }

    /// A loaded document.
    pub fn doc(&self, id: DocId) -> &Document {
        &self.docs[id]
    }

    /// Follows a `$ref` written in document `from`, loading its file if needed.
    ///
    /// The error is the cause only: the caller knows where the `$ref` was written.
    pub fn resolve_ref(&mut self, from: DocId, reference: &str) -> Result<Target, RefError> {
        let (path_part, fragment) = match reference.split_once('#') {
            Some((path, fragment)) => (path, fragment),
            None => (reference, ""),
        };
        let pointer = decode_fragment(fragment);
        let doc = if path_part.is_empty() {
            from
        } else {
            let file = self.ref_file(from, reference, path_part)?;
            self.load_file(&file).map_err(RefError::Load)?
        };
        if !pointer.is_empty() && !pointer.starts_with('/') {
            let why = "the part after `#` must be a JSON pointer such as `#/definitions/Name`";
            return Err(RefError::Cause(refused(reference, why)));
        }
        if self.docs[doc].value.pointer(&pointer).is_none() {
            return Err(RefError::Cause(Cause::RefMissingTarget {
                reference: reference.to_owned(),
                file: self.docs[doc].file.clone(),
                pointer,
            }));
        }
        Ok(Target { doc, pointer })
    }

    /// Patches that named a file that was never loaded, as errors.
    pub fn unused_patches(&self, config_file: &str) -> Vec<Error> {
        let unused = self.patches.iter().filter(|(_, used)| !used);
        unused
            .map(|(patch, _)| {
                let why = format!(
                    "a [[patch]] names `{}`, which the spec never loads; remove or fix the patch",
                    patch.file
                );
                Error::new(Location::file(config_file), Cause::Config(why))
            })
            .collect()
    }

    fn ref_file(&self, from: DocId, reference: &str, path_part: &str) -> Result<String, RefError> {
        if let Some(why) = refusal(path_part) {
            return Err(RefError::Cause(refused(reference, why)));
        }
        let file = join_relative(&self.docs[from].file, path_part)
            .ok_or_else(|| RefError::Cause(refused(reference, "it leaves the spec root")))?;
        let on_disk = self.root.join(&file);
        let canonical = on_disk.canonicalize().map_err(|_| {
            RefError::Cause(Cause::RefMissingFile {
                reference: reference.to_owned(),
                looked: on_disk.display().to_string(),
            })
        })?;
        if !canonical.starts_with(&self.root) {
            let why = "it resolves, through a symbolic link, to a file outside the spec root";
            return Err(RefError::Cause(refused(reference, why)));
        }
        if !canonical.is_file() {
            let why = "it names a folder, not a file";
            return Err(RefError::Cause(refused(reference, why)));
        }
        Ok(file)
    }

    fn load_file(&mut self, file: &str) -> Result<DocId, Error> {
        if let Some(&id) = self.by_file.get(file) {
            return Ok(id);
        }
        let text = read_text(&self.root.join(file), file)?;
        let mut value = parse_yaml(&text, file)?;
        self.apply_patches(file, &mut value)?;
        let id = self.docs.len();
        self.docs.push(Document {
            file: file.to_owned(),
            value,
        });
        self.by_file.insert(file.to_owned(), id);
        Ok(id)
    }

    fn apply_patches(&mut self, file: &str, value: &mut Value) -> Result<(), Error> {
        for (patch, used) in self.patches.iter_mut().filter(|(p, _)| p.file == file) {
            *used = true;
            apply_patch(patch, value).map_err(|why| {
                let cause = Cause::Config(format!("[[patch]] for `{file}` does not apply: {why}"));
                Error::new(Location::file(file), cause)
            })?;
        }
        Ok(())
    }
}

/// Why a `$ref` could not be followed.
#[derive(Debug)]
pub enum RefError {
    /// The reference itself is wrong; the caller adds where it was written.
    Cause(Cause),
    /// The referenced file could not be loaded; the error names that file.
    Load(Error),
}

fn refused(reference: &str, why: &str) -> Cause {
    Cause::RefRefused {
        reference: reference.to_owned(),
        why: why.to_owned(),
    }
}

/// Why a `$ref` path is refused outright, before touching the file system.
fn refusal(path: &str) -> Option<&'static str> {
    let scheme_len = path.find(':').filter(|&i| {
        i > 0
            && path[..i]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    });
    if scheme_len.is_some() {
        Some("URLs are not followed; refer to files inside the spec root by relative path")
    } else if path.starts_with('/') || path.starts_with('\\') {
        Some("absolute paths are not followed; use a path relative to the referring file")
    } else if path.contains('\\') || path.contains('\0') {
        Some("use `/` as the path separator")
    } else {
        None
    }
}

/// The root-relative path of `reference` written in root-relative file `base`; `None` if it
/// climbs out of the root.
fn join_relative(base: &str, reference: &str) -> Option<String> {
    let mut parts: Vec<&str> = base.split('/').collect();
    parts.pop();
    for segment in reference.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            name => parts.push(name),
        }
    }
    Some(parts.join("/"))
}

/// A URI fragment as a JSON pointer: percent-decoded.
fn decode_fragment(fragment: &str) -> String {
    let bytes = fragment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn read_text(path: &Path, file: &str) -> Result<String, Error> {
    let at = || Location::file(file);
    let handle = std::fs::File::open(path).map_err(|e| Error::new(at(), Cause::Read(e.to_string())))?;
    let mut bytes = Vec::new();
    handle
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::new(at(), Cause::Read(e.to_string())))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        let size = std::fs::metadata(path).map_or(bytes.len() as u64, |m| m.len());
        return Err(Error::new(
            at(),
            Cause::TooLarge {
                size,
                limit: MAX_FILE_BYTES,
            },
        ));
    }
    String::from_utf8(bytes).map_err(|e| Error::new(at(), Cause::NotUtf8(e.utf8_error().valid_up_to())))
}

/// Parses YAML text into JSON; errors carry a line and column where the parser gives one.
pub fn parse_yaml(text: &str, file: &str) -> Result<Value, Error> {
    let yaml: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| {
        let place = e.location().map_or(Place::File, |l| Place::LineColumn {
            line: l.line(),
            column: l.column(),
        });
        Error::new(
            Location {
                file: file.to_owned(),
                place,
            },
            Cause::Yaml(yaml_message(&e)),
        )
    })?;
    yaml_to_json(yaml, &DocPath::root())
        .map_err(|(path, why)| Error::new(Location::at(file, path), Cause::Invalid(why)))
}

/// serde_yaml's message without the position it also appends (the location says it).
fn yaml_message(error: &serde_yaml::Error) -> String {
    let text = error.to_string();
    match text.find(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

fn yaml_to_json(value: serde_yaml::Value, path: &DocPath) -> Result<Value, (DocPath, String)> {
    use serde_yaml::Value as Y;
    Ok(match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => number_to_json(&n).ok_or_else(|| (path.clone(), format!("`{n}` is not a finite number")))?,
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => {
            let items = items
                .into_iter()
                .enumerate()
                .map(|(i, v)| yaml_to_json(v, &path.index(i)));
            Value::Array(items.collect::<Result<_, _>>()?)
        }
        Y::Mapping(map) => {
            let mut object = serde_json::Map::with_capacity(map.len());
            for (key, v) in map {
                let key = mapping_key(key)
                    .ok_or_else(|| (path.clone(), "a mapping key must be a string or a number".to_owned()))?;
                let v = yaml_to_json(v, &path.key(&key))?;
                object.insert(key, v);
            }
            Value::Object(object)
        }
        Y::Tagged(tagged) => {
            return Err((
                path.clone(),
                format!("YAML tags such as `{}` are not supported", tagged.tag),
            ));
        }
    })
}

fn number_to_json(n: &serde_yaml::Number) -> Option<Value> {
    if let Some(i) = n.as_i64() {
        Some(Value::from(i))
    } else if let Some(u) = n.as_u64() {
        Some(Value::from(u))
    } else {
        n.as_f64().and_then(serde_json::Number::from_f64).map(Value::Number)
    }
}

fn mapping_key(key: serde_yaml::Value) -> Option<String> {
    match key {
        serde_yaml::Value::String(s) => Some(s),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn apply_patch(patch: &Patch, value: &mut Value) -> Result<(), String> {
    for pointer in &patch.remove {
        let (parent, key) = split_pointer(pointer)?;
        let removed = match value.pointer_mut(parent) {
            Some(Value::Object(map)) => map.shift_remove(&key).is_some(),
            Some(Value::Array(items)) => match key.parse::<usize>() {
                Ok(i) if i < items.len() => {
                    items.remove(i);
                    true
                }
                _ => false,
            },
            _ => false,
        };
        if !removed {
            return Err(format!("nothing to remove at `{pointer}`"));
        }
    }
    for (pointer, new) in &patch.set {
        let new = serde_json::to_value(new).map_err(|e| e.to_string())?;
        let (parent, key) = split_pointer(pointer)?;
        match value.pointer_mut(parent) {
            Some(Value::Object(map)) => {
                map.insert(key, new);
            }
            Some(Value::Array(items)) => match key.parse::<usize>() {
                Ok(i) if i < items.len() => items[i] = new,
                _ => return Err(format!("no array element at `{pointer}`")),
            },
            _ => return Err(format!("no object or array at `{parent}` to set `{pointer}` in")),
        }
    }
    Ok(())
}

fn split_pointer(pointer: &str) -> Result<(&str, String), String> {
    let Some(i) = pointer.rfind('/') else {
        return Err(format!("`{pointer}` is not a JSON pointer (it must start with `/`)"));
    };
    let key = crate::error::unescape_token(&pointer[i + 1..]);
    Ok((&pointer[..i], key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn cause(result: Result<Target, RefError>) -> String {
        match result {
            Ok(target) => panic!("expected an error, got {target:?}"),
            Err(RefError::Cause(cause)) => cause.to_string(),
            Err(RefError::Load(error)) => error.to_string(),
        }
    }

    #[test]
    fn relative_refs_climb_and_descend_inside_the_root() {
        let dir = tree(&[
            ("cs/api.yaml", "a: 1"),
            ("cs/definitions/x.yaml", "type: object"),
            ("identity/definitions/y.yaml", "definitions: {Y: {type: string}}"),
        ]);
        let mut loader = Loader::new(dir.path(), &[]).unwrap();
        let entry = loader.load_entry(&dir.path().join("cs/api.yaml")).unwrap();
        let x = loader.resolve_ref(entry, "./definitions/x.yaml").unwrap();
        assert_eq!(loader.doc(x.doc).file, "cs/definitions/x.yaml");
        let y = loader
            .resolve_ref(x.doc, "../../identity/definitions/y.yaml#/definitions/Y")
            .unwrap();
        assert_eq!(loader.doc(y.doc).file, "identity/definitions/y.yaml");
        assert_eq!(y.pointer, "/definitions/Y");
        let again = loader.resolve_ref(entry, "definitions/x.yaml").unwrap();
        assert_eq!(again.doc, x.doc, "each file is loaded once");
        let local = loader.resolve_ref(entry, "#/a").unwrap();
        assert_eq!(
            local,
            Target {
                doc: entry,
                pointer: "/a".into()
            }
        );
    }

    #[test]
    fn a_missing_file_says_where_it_looked() {
        let dir = tree(&[("api.yaml", "a: 1")]);
        let mut loader = Loader::new(dir.path(), &[]).unwrap();
        let entry = loader.load_entry(&dir.path().join("api.yaml")).unwrap();
        let text = cause(loader.resolve_ref(entry, "definitions/nope.yaml"));
        assert!(text.contains("does not exist"), "{text}");
        assert!(text.contains("definitions/nope.yaml"), "{text}");
    }

    #[test]
    fn escapes_from_the_root_are_refused() {
        let dir = tree(&[("spec/api.yaml", "a: 1"), ("secret.yaml", "s: 1")]);
        let mut loader = Loader::new(&dir.path().join("spec"), &[]).unwrap();
        let entry = loader.load_entry(&dir.path().join("spec/api.yaml")).unwrap();
        for reference in [
            "../secret.yaml",
            "/etc/passwd",
            "https://example.org/x.yaml",
            "file:///etc/passwd",
            "C:/x.yaml",
            "a\\..\\..\\secret.yaml",
        ] {
            let text = cause(loader.resolve_ref(entry, reference));
            assert!(text.contains("is refused"), "{reference}: {text}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_out_of_the_root_is_refused() {
        let dir = tree(&[("spec/api.yaml", "a: 1"), ("secret.yaml", "s: 1")]);
        std::os::unix::fs::symlink(dir.path().join("secret.yaml"), dir.path().join("spec/link.yaml")).unwrap();
        let mut loader = Loader::new(&dir.path().join("spec"), &[]).unwrap();
        let entry = loader.load_entry(&dir.path().join("spec/api.yaml")).unwrap();
        let text = cause(loader.resolve_ref(entry, "link.yaml"));
        assert!(text.contains("symbolic link"), "{text}");
    }

    #[test]
    fn a_fragment_to_nothing_names_the_pointer() {
        let dir = tree(&[("api.yaml", "definitions: {A: {}}")]);
        let mut loader = Loader::new(dir.path(), &[]).unwrap();
        let entry = loader.load_entry(&dir.path().join("api.yaml")).unwrap();
        let text = cause(loader.resolve_ref(entry, "#/definitions/B"));
        assert!(text.contains("has no `/definitions/B`"), "{text}");
        let text = cause(loader.resolve_ref(entry, "#definitions/A"));
        assert!(text.contains("JSON pointer"), "{text}");
    }

    #[test]
    fn yaml_errors_have_a_line_and_integer_keys_become_strings() {
        let err = parse_yaml("a: 1\nb: [\n", "x.yaml").unwrap_err();
        assert!(matches!(err.location.place, Place::LineColumn { .. }), "{err}");
        let value = parse_yaml("200: {description: ok}", "x.yaml").unwrap();
        assert_eq!(value["200"]["description"], "ok");
        let err = parse_yaml("a: 1\na: 2\n", "x.yaml").unwrap_err();
        assert!(err.to_string().contains("duplicate"), "{err}");
    }

    #[test]
    fn patches_remove_and_set_and_must_apply() {
        let mut value = serde_json::json!({"additionalProperties": {"type": "object", "description": "d"}});
        let patch = Patch {
            file: "x.yaml".into(),
            reason: "r".into(),
            remove: vec!["/additionalProperties/type".into()],
            set: [("/title".to_owned(), toml::Value::String("T".into()))].into(),
        };
        apply_patch(&patch, &mut value).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"additionalProperties": {"description": "d"}, "title": "T"})
        );
        assert!(
            apply_patch(&patch, &mut value)
                .unwrap_err()
                .contains("nothing to remove")
        );
    }
}
