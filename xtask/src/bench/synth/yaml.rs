//! Specs written as block-style YAML, every scalar a double-quoted JSON string, so they go
//! through the same YAML parser as the seed and openapi-generator reads them too.

use serde_json::{Map, Value};

/// A JSON value as block-style YAML; every string double-quoted (JSON's escapes are YAML's),
/// so no scalar is read back as another type.
pub(super) fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(object) if !object.is_empty() => yaml_map(object, 0, false, &mut out),
        Value::Array(items) if !items.is_empty() => yaml_seq(items, 0, &mut out),
        other => {
            out.push_str(&yaml_scalar(other));
            out.push('\n');
        }
    }
    out
}

fn yaml_scalar(value: &Value) -> String {
    match value {
        Value::Object(_) => "{}".to_owned(),
        Value::Array(_) => "[]".to_owned(),
        other => other.to_string(),
    }
}

fn is_block(value: &Value) -> bool {
    match value {
        Value::Object(object) => !object.is_empty(),
        Value::Array(items) => !items.is_empty(),
        _ => false,
    }
}

/// A mapping at `indent`; with `after_dash`, its first key goes on the line a `- ` started.
fn yaml_map(object: &Map<String, Value>, indent: usize, after_dash: bool, out: &mut String) {
    for (i, (key, value)) in object.iter().enumerate() {
        if !(after_dash && i == 0) {
            out.push_str(&" ".repeat(indent));
        }
        // A double-quoted key: JSON's string escapes are YAML's.
        out.push_str(&Value::String(key.clone()).to_string());
        out.push(':');
        yaml_value(value, indent, out);
    }
}

fn yaml_seq(items: &[Value], indent: usize, out: &mut String) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        match item {
            Value::Object(object) if is_block(item) => {
                out.push_str("- ");
                yaml_map(object, indent + 2, true, out);
            }
            _ => {
                out.push('-');
                yaml_value(item, indent, out);
            }
        }
    }
}

/// The value after `key:` or `-`: on the same line if a scalar, else on the next lines.
fn yaml_value(value: &Value, indent: usize, out: &mut String) {
    match value {
        Value::Object(object) if is_block(value) => {
            out.push('\n');
            yaml_map(object, indent + 2, false, out);
        }
        Value::Array(items) if is_block(value) => {
            out.push('\n');
            yaml_seq(items, indent + 2, out);
        }
        other => {
            out.push(' ');
            out.push_str(&yaml_scalar(other));
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_round_trips_through_the_generators_parser() {
        let value = serde_json::json!({
            "a": {"b": [1, "two", {"c": null, "d": true}], "e": {}, "f": []},
            "200": "line\n\"quoted\" \\ tab\t",
            "g": [[1, 2], [], [{"h": 1, "i": [{"j": {}}]}], {"k": [1], "l": 2}],
        });
        let text = to_yaml(&value);
        assert_eq!(generator::load::parse_yaml(&text, "x.yaml").unwrap(), value, "{text}");
    }
}
