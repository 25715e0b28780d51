//! The generator never panics, whatever the spec: arbitrary YAML-like text, and the real spec
//! files mutated at random (keys removed, values replaced, types and `$ref`s changed), go
//! through the whole pipeline and come out as output or as errors, never as a panic and never
//! as generated code that does not parse.
//!
//! The number of cases per property is `FUZZ_CASES` (default 64; CI runs more).

mod common;

use std::path::Path;

use proptest::prelude::*;
use serde_json::Value;

fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(64)
}

/// Runs the pipeline on `entry` under `root`; a panic fails the property, and so does an
/// internal error (emitted code that does not parse).
fn generate_checked(root: &Path, entry: &Path) -> Result<(), TestCaseError> {
    let options = generator::Options {
        specs: vec![entry.to_owned()],
        root: Some(root.to_owned()),
        config: None,
    };
    match generator::generate(&options) {
        Ok(_) => Ok(()),
        Err(errors) => {
            let text = errors.to_string();
            prop_assert!(!text.contains("internal error"), "{text}");
            // Rendering the errors must not panic either.
            let _ = generator::diagnostics::render(&errors, root, false);
            Ok(())
        }
    }
}

/// Text built from YAML's structural characters and the words specs use.
fn yamlish() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "swagger: '2.0'\n",
        "info: {title: t, version: '1'}\n",
        "paths:\n",
        "  /register:\n",
        "    post:\n",
        "      responses: {200: {description: ok}}\n",
        "definitions:\n",
        "  A:\n",
        "    type: object\n",
        "    properties:\n",
        "      x: {type: strnig}\n",
        "    $ref: '#/definitions/A'\n",
        "    $ref: b.yaml\n",
        "    allOf: [{$ref: '#/definitions/A'}]\n",
        "&anchor ",
        "*anchor",
        "!!binary ",
        "- ",
        ": ",
        "{",
        "}",
        "[",
        "]",
        ",",
        "\"",
        "'",
        "\n",
        "  ",
        "\t",
        "#",
        "?",
        "|\n",
        ">\n",
        "---\n",
        "...\n",
        "%YAML 1.2\n",
        "\u{feff}",
        "enum: [a, b]\n",
        "default: 3\n",
        "required: [x]\n",
        "additionalProperties: true\n",
        "items: {}\n",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_yaml_never_panics(text in yamlish()) {
        let _ = generator::load::parse_yaml(&text, "api.yaml");
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(dir.path().join("api.yaml"), &text).expect("written");
        std::fs::write(dir.path().join("b.yaml"), "$ref: api.yaml#/definitions/A\n").expect("written");
        generate_checked(dir.path(), &dir.path().join("api.yaml"))?;
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(dir.path().join("api.yaml"), &bytes).expect("written");
        generate_checked(dir.path(), &dir.path().join("api.yaml"))?;
    }

    #[test]
    fn mutated_seed_never_panics(mutations in prop::collection::vec(mutation(), 1..6)) {
        mutate_and_generate(&common::workspace_root().join("spec"), "registration.yaml", &mutations)?;
    }

    #[test]
    fn mutated_spec_bump_never_panics(mutations in prop::collection::vec(mutation(), 1..6)) {
        let root = common::workspace_root().join("generator/tests/fixtures/spec-bumps/v1.7");
        mutate_and_generate(&root, "client-server/registration.yaml", &mutations)?;
    }
}

/// One change to a spec file: which file, where (a walk of indices into the document), what.
#[derive(Clone, Debug)]
struct Mutation {
    file: usize,
    walk: Vec<usize>,
    change: Change,
}

#[derive(Clone, Debug)]
enum Change {
    Remove,
    Replace(Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let replacement = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        prop::sample::select(vec![
            "string",
            "object",
            "integer",
            "number",
            "boolean",
            "array",
            "file",
            "strnig",
            "",
            "definitions/auth_data.yaml",
            "#/definitions/Nope",
            "../../../etc/passwd",
            "https://example.org/x.yaml",
            "registration.yaml",
            "#",
            "application/xml",
        ])
        .prop_map(Value::from),
        Just(serde_json::json!({ "$ref": "#/definitions/A" })),
        Just(serde_json::json!({ "$ref": "definitions/auth_data.yaml" })),
        Just(serde_json::json!({ "allOf": [{ "$ref": "definitions/error.yaml" }, { "type": "string" }] })),
        Just(serde_json::json!({ "type": "array" })),
        Just(
            serde_json::json!({ "type": "object", "additionalProperties": { "$ref": "definitions/auth_response.yaml" } })
        ),
        Just(serde_json::json!([])),
        Just(serde_json::json!({})),
    ];
    let change = prop_oneof![Just(Change::Remove), replacement.prop_map(Change::Replace)];
    (0..8usize, prop::collection::vec(0..64usize, 0..8), change).prop_map(|(file, walk, change)| Mutation {
        file,
        walk,
        change,
    })
}

/// Copies the spec folder, applies the mutations to its YAML files, and generates.
fn mutate_and_generate(root: &Path, entry: &str, mutations: &[Mutation]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut files = Vec::new();
    copy_tree(root, dir.path(), &mut files);
    files.sort();
    for mutation in mutations {
        let path = &files[mutation.file % files.len()];
        let Ok(mut value) = serde_yaml::from_str::<Value>(&std::fs::read_to_string(path).expect("readable")) else {
            continue;
        };
        apply(&mut value, &mutation.walk, &mutation.change);
        std::fs::write(path, serde_yaml::to_string(&value).expect("YAML")).expect("written");
    }
    generate_checked(dir.path(), &dir.path().join(entry))
}

fn copy_tree(from: &Path, to: &Path, yaml_files: &mut Vec<std::path::PathBuf>) {
    std::fs::create_dir_all(to).expect("created");
    for entry in std::fs::read_dir(from).expect("readable").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target, yaml_files);
        } else {
            std::fs::copy(entry.path(), &target).expect("copied");
            if target.extension().is_some_and(|e| e == "yaml") {
                yaml_files.push(target);
            }
        }
    }
}

/// Walks into the document (each index picks a child, modulo their number) and changes the
/// value reached.
fn apply(value: &mut Value, walk: &[usize], change: &Change) {
    let mut current = value;
    let mut parent_key: Option<(usize, bool)> = None;
    for (depth, step) in walk.iter().enumerate() {
        let len = match &*current {
            Value::Object(map) => map.len(),
            Value::Array(items) => items.len(),
            _ => 0,
        };
        if len == 0 || depth + 1 == walk.len() {
            parent_key = (len > 0).then_some((step % len.max(1), current.is_object()));
            break;
        }
        current = match current {
            Value::Object(map) => map.values_mut().nth(step % len).expect("in range"),
            Value::Array(items) => &mut items[step % len],
            _ => unreachable!("only containers have children"),
        };
    }
    match (parent_key, change) {
        (Some((index, true)), Change::Remove) => {
            let Value::Object(map) = current else { return };
            let key = map.keys().nth(index).cloned();
            if let Some(key) = key {
                map.shift_remove(&key);
            }
        }
        (Some((index, false)), Change::Remove) => {
            if let Value::Array(items) = current {
                items.remove(index);
            }
        }
        (Some((index, is_object)), Change::Replace(new)) => {
            let slot = if is_object {
                current.as_object_mut().and_then(|m| m.values_mut().nth(index))
            } else {
                current.as_array_mut().map(|a| &mut a[index])
            };
            if let Some(slot) = slot {
                *slot = new.clone();
            }
        }
        (None, Change::Replace(new)) => *current = new.clone(),
        (None, Change::Remove) => {}
    }
}
