//! When the Matrix spec added, changed or deprecated an operation, field or parameter: its
//! `x-addedInMatrixVersion` and `x-changedInMatrixVersion` keys and `deprecated`.

use indexmap::IndexMap;
use serde_json::Value;

use super::Lifecycle;

impl Lifecycle {
    /// Reads the Matrix spec's keys from a spec object's extensions and `deprecated`.
    pub(super) fn read(extensions: &IndexMap<String, Value>, deprecated: bool) -> Self {
        let version = |value: &Value| match value {
            Value::String(text) => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        };
        let added_in = extensions.get("x-addedInMatrixVersion").and_then(version);
        let changed_in = match extensions.get("x-changedInMatrixVersion") {
            Some(Value::Object(changes)) => changes
                .iter()
                .map(|(version, what)| (version.clone(), what.as_str().unwrap_or_default().trim().to_owned()))
                .collect(),
            _ => Vec::new(),
        };
        Self {
            added_in,
            changed_in,
            deprecated,
        }
    }

    /// Whether the spec says nothing of it.
    pub fn is_empty(&self) -> bool {
        self.added_in.is_none() && self.changed_in.is_empty() && !self.deprecated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_changes_are_read() {
        let extensions: IndexMap<String, Value> = serde_json::from_str(
            r#"{"x-addedInMatrixVersion": "1.3", "x-changedInMatrixVersion": {"1.10": "Added `erase`.\n"}}"#,
        )
        .unwrap();
        let lifecycle = Lifecycle::read(&extensions, true);
        assert_eq!(lifecycle.added_in.as_deref(), Some("1.3"));
        assert_eq!(lifecycle.changed_in, [("1.10".to_owned(), "Added `erase`.".to_owned())]);
        assert!(lifecycle.deprecated && !lifecycle.is_empty());
        assert!(Lifecycle::read(&IndexMap::new(), false).is_empty());
    }
}
