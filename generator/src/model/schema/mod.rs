//! Turns schemas into Rust types: `allOf` merged into one struct, inline objects named by
//! their place, one type per component, recursion boxed.

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;
use openapiv3 as oa;
use serde_json::Value;

mod flat;
mod union;

use self::flat::{Flat, is_named, is_nullable, is_union, merge, nullable_if, only_strings, view};
use super::{
    DefaultValue, Enum, EnumValue, ErrorFields, Example, Extra, Field, Lifecycle, Module, Presence, Struct, TypeDef,
    TypeId, TypeKind, TypeRef, Variant,
};
use crate::error::{Cause, Error, Location, Place};
use crate::naming::{self, Scope};
use crate::read::component_of_ref;

/// A schema or a reference to a component, borrowed.
#[derive(Clone, Copy)]
pub(super) enum SchemaRef<'s> {
    Ref(&'s str),
    Item(&'s oa::Schema),
}

impl<'s> From<&'s oa::ReferenceOr<oa::Schema>> for SchemaRef<'s> {
    fn from(r: &'s oa::ReferenceOr<oa::Schema>) -> Self {
        match r {
            oa::ReferenceOr::Reference { reference } => SchemaRef::Ref(reference),
            oa::ReferenceOr::Item(schema) => SchemaRef::Item(schema),
        }
    }
}

impl<'s> From<&'s oa::ReferenceOr<Box<oa::Schema>>> for SchemaRef<'s> {
    fn from(r: &'s oa::ReferenceOr<Box<oa::Schema>>) -> Self {
        match r {
            oa::ReferenceOr::Reference { reference } => SchemaRef::Ref(reference),
            oa::ReferenceOr::Item(schema) => SchemaRef::Item(schema),
        }
    }
}

/// Where a schema is converted: names for a new type, the example name, the error location.
#[derive(Debug, Clone)]
pub(super) struct Ctx {
    /// Module a new type goes into.
    pub module: Module,
    /// Candidate names for a new type, best first.
    pub hints: Vec<String>,
    /// The model place, for example names (`register::RequestBody.password`).
    pub place: String,
    /// Where errors point.
    pub at: Location,
    /// What a new type is for, when the spec does not say (`The JSON body of ...`).
    pub role: Option<String>,
}

impl Ctx {
    /// The role of a part of this place: `An item of the ...`.
    fn part_role(&self, part: &str) -> Option<String> {
        let role = self.role.as_ref()?;
        let mut chars = role.chars();
        let first = chars.next()?.to_lowercase().collect::<String>();
        Some(format!("{part} {first}{}", chars.as_str()))
    }

    pub(super) fn at_key(&self, keys: &[&str]) -> Location {
        match &self.at.place {
            Place::Path(path) => {
                let path = keys.iter().fold(path.clone(), |p, k| p.key(k));
                Location::at(self.at.file.clone(), path)
            }
            _ => self.at.clone(),
        }
    }
}

enum ComponentState {
    Converting(Option<TypeId>),
    Done(TypeRef),
}

/// Config renames of types, tracking which were used.
#[derive(Debug, Default)]
pub(super) struct Renames {
    map: BTreeMap<String, String>,
    used: BTreeSet<String>,
}

impl Renames {
    pub fn new(map: BTreeMap<String, String>) -> Self {
        Self {
            map,
            used: BTreeSet::new(),
        }
    }

    fn get(&mut self, key: &str) -> Option<String> {
        let new = self.map.get(key)?.clone();
        self.used.insert(key.to_owned());
        Some(new)
    }

    /// The rename (its key) that gives some other type `name` in `module`.
    fn giving(&self, module: &Module, name: &str) -> Option<&String> {
        self.map.iter().find_map(|(key, new)| {
            let same_module = match (module, key.split_once("::")) {
                (Module::Shared, None) => true,
                (Module::Operation(op), Some((key_op, _))) => key_op == op,
                _ => false,
            };
            (same_module && new == name).then_some(key)
        })
    }

    /// Keys that matched nothing.
    pub fn unused(&self) -> Vec<String> {
        self.map.keys().filter(|k| !self.used.contains(*k)).cloned().collect()
    }
}

/// Builds the types of an API.
pub(super) struct Types<'a> {
    components: &'a IndexMap<String, oa::ReferenceOr<oa::Schema>>,
    origins: &'a BTreeMap<String, Location>,
    pub defs: Vec<TypeDef>,
    state: BTreeMap<String, ComponentState>,
    names: BTreeMap<String, String>,
    scopes: BTreeMap<Module, Scope>,
    pub renames: Renames,
    pub examples: Vec<Example>,
    pub errors: Vec<Error>,
    secrets: BTreeSet<String>,
}

/// Names taken in every operation module by the generated request, response and metadata.
pub(super) const OPERATION_RESERVED: &[&str] = &["Request", "Response", "METADATA"];

impl<'a> Types<'a> {
    pub fn new(
        components: &'a IndexMap<String, oa::ReferenceOr<oa::Schema>>,
        origins: &'a BTreeMap<String, Location>,
        renames: Renames,
        secrets: BTreeSet<String>,
    ) -> Self {
        let names = component_names(components.keys());
        Self {
            components,
            origins,
            defs: Vec::new(),
            state: BTreeMap::new(),
            names,
            scopes: BTreeMap::new(),
            renames,
            examples: Vec::new(),
            errors: Vec::new(),
            secrets,
        }
    }

    fn error(&mut self, at: Location, cause: Cause) {
        self.errors.push(Error::new(at, cause));
    }

    /// Converts every component, in key order, so shared types exist and are named first.
    pub fn convert_components(&mut self) {
        for key in self.components.keys() {
            self.component(key);
        }
    }

    /// The type of a schema or reference found at `ctx`.
    pub fn type_of(&mut self, schema: SchemaRef<'_>, ctx: &Ctx) -> TypeRef {
        match schema {
            SchemaRef::Ref(reference) => match component_of_ref(reference) {
                Some(key) => self.component(&key),
                None => {
                    let why = format!("`$ref: {reference}` does not point at a schema");
                    self.error(ctx.at.clone(), Cause::Invalid(why));
                    TypeRef::Json
                }
            },
            SchemaRef::Item(schema) => self.inline(schema, ctx),
        }
    }

    fn component_location(&self, key: &str) -> Location {
        self.origins.get(key).cloned().unwrap_or_else(|| Location::file(key))
    }

    fn component(&mut self, key: &str) -> TypeRef {
        match self.state.get(key) {
            Some(ComponentState::Done(ty)) => return ty.clone(),
            Some(ComponentState::Converting(Some(id))) => return TypeRef::Named(*id),
            Some(ComponentState::Converting(None)) => {
                let why = format!("`{key}` contains itself without being an object, so it has no finite type");
                self.error(self.component_location(key), Cause::Invalid(why));
                return TypeRef::Json;
            }
            None => {}
        }
        let Some(oa::ReferenceOr::Item(schema)) = self.components.get(key) else {
            let why = format!("no schema `{key}`");
            self.error(self.component_location(key), Cause::Invalid(why));
            return TypeRef::Json;
        };
        let name = self.names.get(key).cloned().unwrap_or_else(|| naming::type_ident(key));
        let at = self.component_location(key);
        let ctx = Ctx {
            module: Module::Shared,
            hints: vec![name.clone()],
            place: String::new(),
            at,
            role: None,
        };
        self.state.insert(key.to_owned(), ComponentState::Converting(None));
        let flat = self.flatten(schema, &ctx, &mut vec![key.to_owned()]);
        let ty = if is_union(&flat) {
            let id = self.alloc(&ctx, &flat, key.to_owned(), true);
            self.state.insert(key.to_owned(), ComponentState::Converting(Some(id)));
            let ctx = Ctx {
                place: self.place_of(id),
                ..ctx
            };
            self.fill_union(id, &flat, &ctx);
            self.record_example(&flat, &ctx, TypeRef::Named(id));
            TypeRef::Named(id)
        } else if is_named(&flat) {
            let id = self.alloc(&ctx, &flat, key.to_owned(), true);
            self.state.insert(key.to_owned(), ComponentState::Converting(Some(id)));
            let place = self.place_of(id);
            let ctx = Ctx { place, ..ctx };
            self.fill(id, &flat, &ctx);
            self.record_example(&flat, &ctx, TypeRef::Named(id));
            TypeRef::Named(id)
        } else {
            let ctx = Ctx {
                place: format!("types::{name}"),
                ..ctx
            };
            let ty = self.flat_type(flat.clone(), &ctx);
            self.record_example(&flat, &ctx, ty.clone());
            ty
        };
        self.state.insert(key.to_owned(), ComponentState::Done(ty.clone()));
        ty
    }

    fn inline(&mut self, schema: &oa::Schema, ctx: &Ctx) -> TypeRef {
        let flat = self.flatten(schema, ctx, &mut Vec::new());
        let ty = self.flat_type(flat.clone(), ctx);
        let place = match &ty {
            TypeRef::Named(id) if flat.alias.is_none() => self.place_of(*id),
            _ => ctx.place.clone(),
        };
        self.record_example(&flat, &Ctx { place, ..ctx.clone() }, ty.clone());
        ty
    }

    fn record_example(&mut self, flat: &Flat, ctx: &Ctx, ty: TypeRef) {
        if let Some(value) = &flat.example {
            self.examples.push(Example::new(ctx.place.clone(), ty, value.clone()));
        }
    }

    /// Whether values of `ty` are JSON objects: a struct or a free-form object.
    pub fn is_object(&self, ty: &TypeRef) -> bool {
        match ty {
            TypeRef::Named(id) => matches!(self.defs[id.0].kind, TypeKind::Struct(_)),
            TypeRef::JsonObject => true,
            _ => false,
        }
    }

    /// The model place of a type: `module::Name`.
    pub fn place_of(&self, id: TypeId) -> String {
        let def = &self.defs[id.0];
        format!("{}::{}", super::Api::module_name(&def.module), def.name)
    }

    /// The Rust type of a merged schema; creates a type for objects and enums.
    fn flat_type(&mut self, flat: Flat, ctx: &Ctx) -> TypeRef {
        if let Some(key) = &flat.alias {
            return self.component(key);
        }
        if is_union(&flat) {
            let id = self.alloc(ctx, &flat, ctx.place.clone(), false);
            let ctx = Ctx {
                place: self.place_of(id),
                ..ctx.clone()
            };
            self.fill_union(id, &flat, &ctx);
            return TypeRef::Named(id);
        }
        if is_named(&flat) {
            let id = self.alloc(ctx, &flat, ctx.place.clone(), false);
            let ctx = Ctx {
                place: self.place_of(id),
                ..ctx.clone()
            };
            self.fill(id, &flat, &ctx);
            return TypeRef::Named(id);
        }
        if !flat.members.is_empty() && flat.properties.is_empty() && only_strings(&flat) {
            return TypeRef::String;
        }
        match flat.typ.as_deref() {
            Some("string") => TypeRef::String,
            Some("boolean") => TypeRef::Bool,
            Some("integer") if flat.format.as_deref() == Some("int32") => TypeRef::I32,
            Some("integer") => TypeRef::I64,
            // JSON numbers are doubles: an `f32` would write `0.1` back as `0.10000000149011612`.
            Some("number") => TypeRef::F64,
            Some("array") => self.array(&flat, ctx),
            Some("object") | None => self.map_or_json(&flat, ctx),
            // Swagger 2.0's file: the raw bytes of an upload or a download.
            Some("file") => TypeRef::Bytes,
            Some(other) => {
                let why = format!(
                    "unknown schema `type: {other}` (expected string, number, integer, boolean, array or object)"
                );
                self.error(ctx.at_key(&["type"]), Cause::Invalid(why));
                TypeRef::Json
            }
        }
    }

    fn array(&mut self, flat: &Flat, ctx: &Ctx) -> TypeRef {
        let Some(items) = &flat.items else {
            return TypeRef::Array(Box::new(TypeRef::Json));
        };
        let last = ctx.hints.first().cloned().unwrap_or_default();
        let mut hints: Vec<String> = flat.title.iter().map(|t| naming::type_ident(t)).collect();
        hints.extend(ctx.hints.iter().map(|h| naming::item_type(h)));
        if hints.is_empty() {
            hints.push(naming::item_type(&last));
        }
        let place = format!("{}[]", ctx.place);
        let child = Ctx {
            hints,
            place,
            at: ctx.at_key(&["items"]),
            role: ctx.part_role("An item of"),
            ..ctx.clone()
        };
        let item = self.type_of(items.into(), &child);
        TypeRef::Array(Box::new(nullable_if(is_nullable(items), item)))
    }

    fn map_or_json(&mut self, flat: &Flat, ctx: &Ctx) -> TypeRef {
        match &flat.additional {
            Some(oa::AdditionalProperties::Schema(schema)) => {
                let hints = ctx.hints.iter().map(|h| naming::value_type(h)).collect();
                let child = Ctx {
                    hints,
                    place: format!("{}{{}}", ctx.place),
                    at: ctx.at_key(&["additionalProperties"]),
                    role: ctx.part_role("A value of"),
                    ..ctx.clone()
                };
                let schema: &oa::ReferenceOr<oa::Schema> = schema;
                let value = self.type_of(schema.into(), &child);
                let nullable = matches!(schema, oa::ReferenceOr::Item(s) if s.schema_data.nullable);
                TypeRef::Map(Box::new(nullable_if(nullable, value)))
            }
            Some(oa::AdditionalProperties::Any(true)) => TypeRef::Map(Box::new(TypeRef::Json)),
            _ if flat.typ.is_some() => TypeRef::JsonObject,
            _ => TypeRef::Json,
        }
    }

    /// Creates a type (not yet filled) named from `ctx`, or from a component's precomputed name.
    fn alloc(&mut self, ctx: &Ctx, flat: &Flat, origin: String, is_component: bool) -> TypeId {
        // A component is named after its file or definition; an inline type after its title, if any.
        let inline_title = flat.title.as_ref().filter(|_| !is_component);
        let mut hints: Vec<String> = inline_title.map(|t| naming::type_ident(t)).into_iter().collect();
        hints.extend(ctx.hints.iter().cloned());
        let name = self.claim_name(&ctx.module, &hints, &ctx.at);
        let id = TypeId(self.defs.len());
        self.defs.push(TypeDef {
            module: ctx.module.clone(),
            name,
            origin,
            title: flat.title.clone(),
            description: flat.description.clone(),
            role: ctx.role.clone(),
            kind: TypeKind::Struct(Struct {
                fields: Vec::new(),
                extra: None,
                has_default: true,
                matrix_error: None,
            }),
        });
        id
    }

    fn claim_name(&mut self, module: &Module, hints: &[String], at: &Location) -> String {
        let scope = self.scopes.entry(module.clone()).or_insert_with(|| match module {
            Module::Shared => Scope::default(),
            Module::Operation(_) => Scope::with_reserved(OPERATION_RESERVED),
        });
        let default = hints.iter().find(|h| !scope.is_taken(h)).unwrap_or(&hints[0]).clone();
        let key = match module {
            Module::Shared => default.clone(),
            Module::Operation(op) => format!("{op}::{default}"),
        };
        let Some(renamed) = self.renames.get(&key) else {
            if let Some(other) = self.renames.giving(module, &hints[0]) {
                let why = format!(
                    "[rename.types] `{other}` = `{}` takes the name of another type; rename one of them",
                    hints[0]
                );
                self.errors.push(Error::new(at.clone(), Cause::NameCollision(why)));
            }
            return scope.claim(hints);
        };
        if !scope.take(&renamed) {
            let why = format!("[rename.types] `{key}` = `{renamed}`, but `{renamed}` is already a type in that module");
            self.errors.push(Error::new(at.clone(), Cause::NameCollision(why)));
        }
        renamed
    }

    fn fill(&mut self, id: TypeId, flat: &Flat, ctx: &Ctx) {
        let kind = if flat.enumeration.is_empty() {
            TypeKind::Struct(self.fields(flat, ctx))
        } else {
            TypeKind::Enum(self.variants(id, flat, ctx))
        };
        self.defs[id.0].kind = kind;
    }

    fn fields(&mut self, flat: &Flat, ctx: &Ctx) -> Struct {
        let mut scope = Scope::default();
        let type_name = ctx.place.rsplit("::").next().unwrap_or_default().to_owned();
        let mut fields = Vec::new();
        for (wire, schema) in &flat.properties {
            let ident = scope.claim(&[naming::field_ident(wire)]);
            let hint = naming::type_ident(wire);
            let child = Ctx {
                module: ctx.module.clone(),
                hints: vec![hint.clone(), format!("{type_name}{hint}")],
                place: format!("{}.{wire}", ctx.place),
                at: ctx.at_key(&["properties", wire]),
                role: Some(format!("The `{wire}` field of [`{type_name}`].")),
            };
            let ty = self.type_of(schema.into(), &child);
            let (doc, lifecycle, nullable) = match schema {
                oa::ReferenceOr::Item(schema) => {
                    let data = &schema.schema_data;
                    let lifecycle = Lifecycle::read(&data.extensions, data.deprecated);
                    (data.description.clone(), lifecycle, data.nullable)
                }
                oa::ReferenceOr::Reference { .. } => (None, Lifecycle::default(), false),
            };
            let default = match schema {
                oa::ReferenceOr::Item(schema) => schema.schema_data.default.as_ref(),
                oa::ReferenceOr::Reference { .. } => None,
            };
            let presence = self.presence(flat.required.contains(wire), default, &ty, &child);
            let secret = self.is_secret(wire, &ty);
            fields.push(Field {
                wire: wire.clone(),
                ident,
                ty,
                presence,
                boxed: false,
                doc,
                secret,
                nullable,
                lifecycle,
            });
        }
        let extra = self.extra(flat, ctx, &mut scope, &type_name);
        let has_default = fields.iter().all(|f| f.presence != Presence::Required);
        Struct {
            matrix_error: ErrorFields::type_code(&mut fields),
            fields,
            extra,
            has_default,
        }
    }

    fn extra(&mut self, flat: &Flat, ctx: &Ctx, scope: &mut Scope, type_name: &str) -> Option<Extra> {
        let (ty, doc) = match &flat.additional {
            Some(oa::AdditionalProperties::Any(true)) => (TypeRef::Json, None),
            Some(oa::AdditionalProperties::Schema(schema)) => {
                let child = Ctx {
                    module: ctx.module.clone(),
                    hints: vec![naming::value_type(type_name)],
                    place: format!("{}{{}}", ctx.place),
                    at: ctx.at_key(&["additionalProperties"]),
                    role: Some(format!(
                        "The value of a key of [`{type_name}`] that is not one of its fields."
                    )),
                };
                let schema: &oa::ReferenceOr<oa::Schema> = schema;
                let doc = match schema {
                    oa::ReferenceOr::Item(schema) => schema.schema_data.description.clone(),
                    oa::ReferenceOr::Reference { .. } => None,
                };
                (self.type_of(schema.into(), &child), doc)
            }
            _ => return None,
        };
        let candidates = ["extra", "additional_properties", "other_keys"].map(String::from);
        let ident = scope.claim(&candidates);
        Some(Extra { ident, ty, doc })
    }

    /// Adds the standard Matrix error object, for a spec whose config names none.
    pub fn add_matrix_error(&mut self) -> TypeId {
        let at = Location::file("(generator)");
        let name = self.claim_name(&Module::Shared, &["MatrixError".to_owned()], &at);
        let id = TypeId(self.defs.len());
        let field = |wire: &str, presence, doc: &str| Field {
            wire: wire.to_owned(),
            ident: wire.to_owned(),
            ty: TypeRef::String,
            presence,
            boxed: false,
            doc: Some(doc.to_owned()),
            secret: false,
            nullable: false,
            lifecycle: Lifecycle::default(),
        };
        let mut fields = vec![
            field("errcode", Presence::Required, "An error code, such as `M_FORBIDDEN`."),
            field("error", Presence::Optional, "A human-readable error message."),
        ];
        let extra = Extra {
            ident: "extra".to_owned(),
            ty: TypeRef::Json,
            doc: Some("Keys some error codes add, such as `retry_after_ms`.".to_owned()),
        };
        self.defs.push(TypeDef {
            module: Module::Shared,
            name,
            origin: "the Matrix error object, added by the generator".to_owned(),
            title: None,
            description: Some("A Matrix error: an error code and a message.".to_owned()),
            role: None,
            kind: TypeKind::Struct(Struct {
                matrix_error: ErrorFields::type_code(&mut fields),
                fields,
                extra: Some(extra),
                has_default: false,
            }),
        });
        id
    }

    /// Whether a field's value is a secret: its wire name is listed and it holds text.
    pub fn is_secret(&self, wire: &str, ty: &TypeRef) -> bool {
        self.secrets.contains(wire) && matches!(ty, TypeRef::String)
    }

    /// Required, optional, or defaulted (the default checked against the type).
    pub fn presence(&mut self, required: bool, default: Option<&Value>, ty: &TypeRef, ctx: &Ctx) -> Presence {
        if required {
            return Presence::Required;
        }
        let Some(default) = default else {
            return Presence::Optional;
        };
        match self.default_value(default, ty) {
            Some(value) => Presence::Default(value),
            None => {
                let why = format!("`default: {default}` is not a value of this schema's type");
                self.error(ctx.at_key(&["default"]), Cause::Invalid(why));
                Presence::Optional
            }
        }
    }

    fn default_value(&self, value: &Value, ty: &TypeRef) -> Option<DefaultValue> {
        Some(match (ty, value) {
            (TypeRef::Bool, Value::Bool(b)) => DefaultValue::Bool(*b),
            (TypeRef::I32 | TypeRef::I64, Value::Number(n)) => DefaultValue::Int(n.as_i64()?),
            (TypeRef::F32 | TypeRef::F64, Value::Number(n)) => DefaultValue::Float(n.as_f64()?),
            (TypeRef::String, Value::String(s)) => DefaultValue::Str(s.clone()),
            (TypeRef::Named(id), _) => {
                let TypeKind::Enum(e) = &self.defs[id.0].kind else {
                    return None;
                };
                let index = e.variants.iter().position(|v| enum_value_matches(&v.wire, value))?;
                DefaultValue::Variant(*id, index)
            }
            _ => return None,
        })
    }

    fn variants(&mut self, id: TypeId, flat: &Flat, ctx: &Ctx) -> Enum {
        let integer = flat.typ.as_deref() == Some("integer");
        let mut scope = Scope::default();
        let mut variants = Vec::new();
        for value in &flat.enumeration {
            let wire = match (value, integer) {
                (Value::String(s), false) => EnumValue::Str(s.clone()),
                (Value::Number(n), true) if n.is_i64() => EnumValue::Int(n.as_i64().unwrap_or_default()),
                (Value::Null, _) => continue,
                _ => {
                    let why = format!(
                        "enum value `{value}` does not fit `type: {}`",
                        flat.typ.as_deref().unwrap_or("string")
                    );
                    self.error(ctx.at_key(&["enum"]), Cause::Invalid(why));
                    continue;
                }
            };
            let text = wire.text();
            let ident = scope.claim(&[naming::variant_ident(&text)]);
            if !variants.iter().any(|v: &Variant| v.wire == wire) {
                variants.push(Variant { ident, wire, doc: None });
            }
        }
        let default = flat
            .default
            .as_ref()
            .and_then(|d| variants.iter().position(|v| enum_value_matches(&v.wire, d)));
        if flat.default.is_some() && default.is_none() {
            let why = format!("`default` of {} is not one of its `enum` values", self.place_of(id));
            self.error(ctx.at_key(&["default"]), Cause::Invalid(why));
        }
        Enum { variants, default }
    }

    /// Merges `allOf` members (following references) into one flat schema.
    fn flatten(&mut self, schema: &oa::Schema, ctx: &Ctx, chain: &mut Vec<String>) -> Flat {
        let (mut own, all_of) = view(schema);
        if all_of.is_empty() {
            return own;
        }
        if let [oa::ReferenceOr::Reference { reference }] = all_of.as_slice()
            && own.properties.is_empty()
            && own.additional.is_none()
            && own.items.is_none()
            && own.enumeration.is_empty()
            && matches!(own.typ.as_deref(), None | Some("object"))
        {
            own.alias = component_of_ref(reference);
            return own;
        }
        let mut merged = Flat::default();
        for member in &all_of {
            let member = match member {
                oa::ReferenceOr::Item(schema) => self.flatten(schema, ctx, chain),
                oa::ReferenceOr::Reference { reference } => match self.member(reference, ctx, chain) {
                    Some(flat) => flat,
                    None => continue,
                },
            };
            merge(&mut merged, member, false);
        }
        merge(&mut merged, own, true);
        merged
    }

    fn member(&mut self, reference: &str, ctx: &Ctx, chain: &mut Vec<String>) -> Option<Flat> {
        let key = component_of_ref(reference)?;
        if chain.contains(&key) {
            let why = format!("`allOf` includes itself: {} -> {key}", chain.join(" -> "));
            self.error(ctx.at.clone(), Cause::Invalid(why));
            return None;
        }
        let Some(oa::ReferenceOr::Item(schema)) = self.components.get(&key) else {
            return None;
        };
        chain.push(key);
        let mut flat = self.flatten(schema, ctx, chain);
        chain.pop();
        if let Some(alias) = flat.alias.take() {
            flat = self
                .member(&crate::read::component_ref(&alias), ctx, chain)
                .unwrap_or_default();
        }
        Some(flat)
    }
}

fn enum_value_matches(wire: &EnumValue, value: &Value) -> bool {
    match (wire, value) {
        (EnumValue::Str(s), Value::String(v)) => s == v,
        (EnumValue::Int(i), Value::Number(n)) => n.as_i64() == Some(*i),
        _ => false,
    }
}

/// Names of the component schemas: from the file stem or pointer; where two would clash, the
/// one with the fewest folders keeps the plain name and the others are prefixed by their folders.
fn component_names<'k>(keys: impl Iterator<Item = &'k String>) -> BTreeMap<String, String> {
    let mut groups: BTreeMap<String, Vec<&String>> = BTreeMap::new();
    for key in keys {
        groups
            .entry(naming::type_ident(&naming::component_hint(key)))
            .or_default()
            .push(key);
    }
    let mut scope = Scope::default();
    let mut names = BTreeMap::new();
    for (base, mut members) in groups {
        members.sort_by_key(|k| (naming::component_folders(k).len(), (*k).clone()));
        for (i, key) in members.into_iter().enumerate() {
            let name = if i == 0 {
                base.clone()
            } else {
                let folders: String = naming::component_folders(key).concat();
                naming::type_ident(&format!("{folders}{base}"))
            };
            names.insert(key.clone(), scope.claim(&[name]));
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namesakes_in_other_folders_get_a_folder_prefix() {
        let keys = [
            "client-server/definitions/request_email_validation.yaml".to_owned(),
            "identity/definitions/request_email_validation.yaml".to_owned(),
            "client-server/definitions/errors/error.yaml".to_owned(),
        ];
        let names = component_names(keys.iter());
        assert_eq!(names[&keys[0]], "RequestEmailValidation");
        assert_eq!(names[&keys[1]], "IdentityRequestEmailValidation");
        assert_eq!(names[&keys[2]], "Error");
    }

    fn field(wire: &str, ty: TypeRef) -> Field {
        Field {
            wire: wire.to_owned(),
            ident: wire.to_owned(),
            ty,
            presence: Presence::Optional,
            boxed: false,
            doc: None,
            secret: false,
            nullable: false,
            lifecycle: Lifecycle::default(),
        }
    }

    #[test]
    fn matrix_error_fields_are_text_named_errcode_and_error() {
        let uiaa = [
            field("flows", TypeRef::Json),
            field("errcode", TypeRef::String),
            field("error", TypeRef::String),
        ];
        assert_eq!(
            ErrorFields::of(&uiaa),
            Some(ErrorFields {
                errcode: 1,
                message: Some(2)
            })
        );
        let code_only = [field("errcode", TypeRef::String), field("error", TypeRef::Json)];
        assert_eq!(
            ErrorFields::of(&code_only),
            Some(ErrorFields {
                errcode: 0,
                message: None
            })
        );
        assert_eq!(ErrorFields::of(&[field("errcode", TypeRef::I64)]), None);
        assert_eq!(ErrorFields::of(&[field("error", TypeRef::String)]), None);
    }
}
