//! JSON Schema that the OpenAPI 3.0 model of `openapiv3` cannot hold, rewritten into schemas it
//! can, for every input version (the Matrix spec writes both in Swagger 2.0 files too):
//!
//! - a `type` list: `[T, "null"]` is a nullable `T`; several types are `oneOf` one schema per
//!   type, each with the keywords that apply to it (`properties` to `object`, `items` to
//!   `array`, `enum` values of its type...), the rest (`description`) staying outside;
//! - `patternProperties` with one pattern, and no other `additionalProperties`, is
//!   `additionalProperties` of that schema: a map whose keys the pattern describes (kept as
//!   `x-pattern` for the docs; the generated code does not check keys).

use serde_json::{Map, Value};

use crate::error::Cause;

/// The keywords that apply to values of one JSON type.
fn applies_to(keyword: &str, ty: &str) -> bool {
    match keyword {
        "properties"
        | "additionalProperties"
        | "patternProperties"
        | "required"
        | "minProperties"
        | "maxProperties"
        | "propertyNames" => ty == "object",
        "items" | "minItems" | "maxItems" | "uniqueItems" => ty == "array",
        "minLength" | "maxLength" | "pattern" => ty == "string",
        "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" | "multipleOf" => {
            ty == "integer" || ty == "number"
        }
        _ => false,
    }
}

/// Rewrites one schema object in place (its children are rewritten on their own).
pub fn rewrite(schema: &mut Map<String, Value>) -> Result<(), Cause> {
    type_list(schema)?;
    pattern_properties(schema);
    Ok(())
}

fn type_list(schema: &mut Map<String, Value>) -> Result<(), Cause> {
    if schema.get("type").is_some_and(|t| t == "null") {
        return Err(Cause::Unsupported("`type: \"null\"` alone is not supported yet".into()));
    }
    let Some(Value::Array(types)) = schema.get("type") else {
        return Ok(());
    };
    let null = types.iter().any(|t| t == "null");
    let others: Vec<String> = types
        .iter()
        .filter(|t| *t != "null")
        .filter_map(|t| t.as_str().map(str::to_owned))
        .collect();
    if others.len() + usize::from(null) != types.len() {
        return Err(Cause::Invalid("`type` lists something that is not a type name".into()));
    }
    if null {
        schema.insert("nullable".into(), Value::Bool(true));
    }
    match others.as_slice() {
        [] => Err(Cause::Unsupported("`type: \"null\"` alone is not supported yet".into())),
        [one] => {
            schema.insert("type".into(), Value::String(one.clone()));
            Ok(())
        }
        several => {
            schema.remove("type");
            let variants = several.iter().map(|ty| Value::Object(variant(schema, ty))).collect();
            let keywords: Vec<String> = schema
                .keys()
                .filter(|k| several.iter().any(|t| applies_to(k, t)))
                .cloned()
                .collect();
            for keyword in keywords {
                schema.remove(&keyword);
            }
            schema.remove("enum");
            schema.remove("format");
            schema.insert("oneOf".into(), Value::Array(variants));
            Ok(())
        }
    }
}

/// The schema of one type of a type list.
fn variant(schema: &Map<String, Value>, ty: &str) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("type".into(), Value::String(ty.to_owned()));
    for (keyword, value) in schema.iter().filter(|(k, _)| applies_to(k, ty)) {
        out.insert(keyword.clone(), value.clone());
    }
    if let Some(format) = schema
        .get("format")
        .filter(|_| ty != "object" && ty != "array" && ty != "boolean")
    {
        out.insert("format".into(), format.clone());
    }
    if let Some(Value::Array(values)) = schema.get("enum") {
        let own: Vec<Value> = values.iter().filter(|v| json_type(v) == Some(ty)).cloned().collect();
        if !own.is_empty() {
            out.insert("enum".into(), Value::Array(own));
        }
    }
    out
}

fn json_type(value: &Value) -> Option<&'static str> {
    Some(match value {
        Value::String(_) => "string",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        Value::Null => return None,
    })
}

fn pattern_properties(schema: &mut Map<String, Value>) {
    let Some(Value::Object(patterns)) = schema.get("patternProperties") else {
        return;
    };
    let open = matches!(schema.get("additionalProperties"), None | Some(Value::Bool(true)));
    if patterns.len() != 1 || !open {
        return;
    }
    let Some((pattern, value)) = patterns.iter().next().map(|(p, v)| (p.clone(), v.clone())) else {
        return;
    };
    schema.remove("patternProperties");
    schema.insert("additionalProperties".into(), value);
    schema.insert("x-pattern".into(), Value::String(pattern));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rewritten(schema: Value) -> Value {
        let Value::Object(mut object) = schema else {
            panic!("an object")
        };
        rewrite(&mut object).expect("rewritten");
        Value::Object(object)
    }

    #[test]
    fn several_types_are_one_of_with_their_own_keywords() {
        let got = rewritten(json!({
            "type": ["string", "object", "null"],
            "description": "A URL or an object.",
            "format": "uri",
            "properties": {"url": {"type": "string"}},
        }));
        assert_eq!(
            got,
            json!({
                "description": "A URL or an object.",
                "nullable": true,
                "oneOf": [
                    {"type": "string", "format": "uri"},
                    {"type": "object", "properties": {"url": {"type": "string"}}},
                ],
            })
        );
    }

    #[test]
    fn enum_values_go_to_their_type() {
        let got = rewritten(json!({"type": ["string", "integer", "boolean"], "enum": ["a", 1, true]}));
        assert_eq!(got["oneOf"][0], json!({"type": "string", "enum": ["a"]}));
        assert_eq!(got["oneOf"][1], json!({"type": "integer", "enum": [1]}));
        assert_eq!(got["oneOf"][2], json!({"type": "boolean", "enum": [true]}));
    }

    #[test]
    fn one_pattern_is_a_map_of_its_schema() {
        let got = rewritten(json!({"type": "object", "patternProperties": {"^@": {"type": "integer"}}}));
        assert_eq!(
            got,
            json!({"type": "object", "additionalProperties": {"type": "integer"}, "x-pattern": "^@"})
        );
    }
}
