//! A readable summary of the model, so that the review of a spec bump starts from a semantic diff.

use std::fmt::{self, Write};

use super::{Api, Auth, DefaultValue, ParamLocation, Presence, Status, TypeKind, TypeRef};

impl Api {
    /// The summary: each operation with its inputs and one line per response status, each
    /// type with its fields, wire names and optionality, and every example.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_summary(&mut out);
        out
    }

    fn write_summary(&self, out: &mut String) -> fmt::Result {
        writeln!(out, "{} {} (from {})", self.title, self.version, self.source)?;
        writeln!(out, "package: {}", self.package)?;
        writeln!(out, "base path: {}", self.base_path)?;
        for v in &self.variables {
            let default = v.default.as_deref().unwrap_or("none");
            writeln!(out, "  {{{}}}: [{}], default {default}", v.name, v.values.join(", "))?;
        }
        for (file, reason) in &self.patches {
            writeln!(out, "patched: {file}: {reason}")?;
        }
        for op in &self.operations {
            self.write_operation(out, op)?;
        }
        for (i, def) in self.types.iter().enumerate() {
            self.write_type(out, i)?;
            let _ = def;
        }
        if !self.examples.is_empty() {
            writeln!(out, "\nexamples:")?;
        }
        for example in &self.examples {
            write!(out, "  {}: {}", example.name, self.type_name(&example.ty))?;
            match &example.known_error {
                Some(reason) => writeln!(out, "  KNOWN SPEC ERROR: {reason}")?,
                None => writeln!(out)?,
            }
        }
        Ok(())
    }

    fn write_operation(&self, out: &mut String, op: &super::Operation) -> fmt::Result {
        writeln!(out, "\noperation {}: {} {}", op.name, op.method, op.path)?;
        match op.auth {
            Auth::None => {}
            Auth::Optional => writeln!(out, "  access token: optional")?,
            Auth::Required => writeln!(out, "  access token: required")?,
        }
        for p in &op.params {
            let place = match p.location {
                ParamLocation::Path => "path",
                ParamLocation::Query => "query",
                ParamLocation::Header => "header",
            };
            let explode = if p.explode { ", one pair per item" } else { "" };
            let secret = if p.secret { ", secret" } else { "" };
            writeln!(
                out,
                "  {place} {:?} -> {}: {}, {}{explode}{secret}",
                p.wire,
                p.ident,
                self.type_name(&p.ty),
                self.presence(&p.presence)
            )?;
        }
        if let Some(body) = &op.body {
            let required = if body.required { "required" } else { "optional" };
            writeln!(out, "  body: {}, {required}", self.type_name(&body.ty))?;
        }
        for r in &op.responses {
            let status = match r.status {
                Status::Code(code) => code.to_string(),
                Status::Range(class) => format!("{class}XX"),
                Status::Default => "default".to_owned(),
            };
            let ty =
                r.ty.as_ref()
                    .map_or_else(|| "no body".to_owned(), |t| self.type_name(t));
            writeln!(out, "  {status} {}: {ty}", r.variant)?;
        }
        if let Some(uiaa) = &op.uiaa {
            let state = self.type_name(&TypeRef::Named(uiaa.state));
            let auth = self.type_name(&TypeRef::Named(uiaa.auth));
            writeln!(
                out,
                "  interactive auth: {} state {state}, next stage in body.{}: {auth}",
                uiaa.variant, uiaa.auth_field
            )?;
        }
        Ok(())
    }

    fn write_type(&self, out: &mut String, index: usize) -> fmt::Result {
        let def = &self.types[index];
        let module = Api::module_name(&def.module);
        match &def.kind {
            TypeKind::Struct(s) => {
                let default = if s.has_default { ", Default" } else { "" };
                writeln!(out, "\nstruct {module}::{} (from {}{default})", def.name, def.origin)?;
                for f in &s.fields {
                    let boxed = if f.boxed { ", boxed" } else { "" };
                    let secret = if f.secret { ", secret" } else { "" };
                    writeln!(
                        out,
                        "  {:?} -> {}: {}, {}{boxed}{secret}",
                        f.wire,
                        f.ident,
                        self.type_name(&f.ty),
                        self.presence(&f.presence)
                    )?;
                }
                if let Some(extra) = &s.extra {
                    writeln!(
                        out,
                        "  every other key -> {}: {}",
                        extra.ident,
                        self.type_name(&extra.ty)
                    )?;
                }
            }
            TypeKind::Enum(e) => {
                writeln!(out, "\nenum {module}::{} (from {})", def.name, def.origin)?;
                for (i, v) in e.variants.iter().enumerate() {
                    let default = if e.default == Some(i) { ", default" } else { "" };
                    let wire = v.wire.quoted();
                    writeln!(out, "  {wire} -> {}{default}", v.ident)?;
                }
            }
            TypeKind::Union(u) => {
                writeln!(out, "\nunion {module}::{} (from {})", def.name, def.origin)?;
                for v in &u.variants {
                    let boxed = if v.boxed { ", boxed" } else { "" };
                    writeln!(out, "  {}: {}{boxed}", v.ident, self.type_name(&v.ty))?;
                }
            }
        }
        Ok(())
    }

    fn presence(&self, presence: &Presence) -> String {
        match presence {
            Presence::Required => "required".to_owned(),
            Presence::Optional => "optional".to_owned(),
            Presence::Default(value) => format!("default {}", self.default_text(value)),
        }
    }

    fn default_text(&self, value: &DefaultValue) -> String {
        match value {
            DefaultValue::Bool(b) => b.to_string(),
            DefaultValue::Int(i) => i.to_string(),
            DefaultValue::Float(f) => f.to_string(),
            DefaultValue::Str(s) => format!("{s:?}"),
            DefaultValue::Variant(id, index) => match &self.ty(*id).kind {
                TypeKind::Enum(e) => e.variants[*index].ident.clone(),
                TypeKind::Struct(_) | TypeKind::Union(_) => String::new(),
            },
        }
    }

    /// A type as the summary shows it: Rust-like, with its module.
    pub fn type_name(&self, ty: &TypeRef) -> String {
        match ty {
            TypeRef::Bytes => "Bytes".to_owned(),
            TypeRef::Named(id) => {
                let def = self.ty(*id);
                format!("{}::{}", Api::module_name(&def.module), def.name)
            }
            TypeRef::String => "String".into(),
            TypeRef::Bool => "bool".into(),
            TypeRef::I32 => "i32".into(),
            TypeRef::I64 => "i64".into(),
            TypeRef::F32 => "f32".into(),
            TypeRef::F64 => "f64".into(),
            TypeRef::ErrorCode => "ErrorCode".into(),
            TypeRef::Json => "JsonValue".into(),
            TypeRef::JsonObject => "JsonObject".into(),
            TypeRef::Array(item) => format!("Vec<{}>", self.type_name(item)),
            TypeRef::Map(value) => format!("Map<String, {}>", self.type_name(value)),
            TypeRef::Nullable(inner) => format!("{} or null", self.type_name(inner)),
        }
    }
}
