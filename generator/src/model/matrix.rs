//! The Matrix conventions the model follows: which fields hold secrets, what a Matrix error
//! body is, and how an operation uses User-Interactive Authentication.

use super::schema::Types;
use super::{Module, Operation, Presence, TypeId, TypeKind, TypeRef};
use crate::config::Config;
use crate::error::{Cause, Error, Location};

/// Wire names of fields that always hold secrets; the config can add more.
pub const SECRET_FIELDS: &[&str] = &[
    "password",
    "new_password",
    "access_token",
    "refresh_token",
    "client_secret",
];

/// The type of Matrix error bodies: the config's, checked to have `errcode` and `error`, or
/// one the generator adds when the config names none.
pub(super) fn error_type(config: &Config, types: &mut Types<'_>, errors: &mut Vec<Error>, config_file: &str) -> TypeId {
    let Some(name) = &config.responses.error else {
        // Without a config, a shared type of the right shape is the error type, the one named
        // `Error` first; a spec that has none gets one.
        let fits = |d: &&super::TypeDef| d.module == Module::Shared && error_shape(d).is_ok();
        let named_error = types.defs.iter().position(|d| fits(&d) && d.name == "Error");
        let any = types.defs.iter().position(|d| fits(&d));
        return named_error.or(any).map_or_else(|| types.add_matrix_error(), TypeId);
    };
    let found = types
        .defs
        .iter()
        .position(|d| d.module == Module::Shared && &d.name == name);
    let why = match found.map(|i| (i, error_shape(&types.defs[i]))) {
        Some((i, Ok(()))) => return TypeId(i),
        Some((_, Err(why))) => format!("[responses] error = `{name}`: {why}"),
        None => format!("[responses] error = `{name}`, but there is no shared type `{name}`"),
    };
    errors.push(Error::new(Location::file(config_file), Cause::Config(why)));
    types.add_matrix_error()
}

/// A Matrix error type has a required string `errcode`, an optional string `error`, and no
/// other required field (the generated code builds it from those two).
fn error_shape(def: &super::TypeDef) -> Result<(), String> {
    let TypeKind::Struct(s) = &def.kind else {
        return Err("it is not an object".into());
    };
    let field = |wire: &str| s.fields.iter().find(|f| f.wire == wire);
    match field("errcode") {
        Some(f) if matches!(f.ty, TypeRef::String | TypeRef::ErrorCode) && f.presence == Presence::Required => {}
        _ => return Err("it needs a required string `errcode`".into()),
    }
    match field("error") {
        Some(f) if f.ty == TypeRef::String && f.presence == Presence::Optional => {}
        _ => return Err("it needs an optional string `error`".into()),
    }
    match s
        .fields
        .iter()
        .find(|f| f.presence == Presence::Required && f.wire != "errcode")
    {
        Some(f) => Err(format!(
            "its field `{}` is required, so it cannot be built from an errcode",
            f.wire
        )),
        None => Ok(()),
    }
}

/// Whether an operation is driven by User-Interactive Authentication: its 401 carries a state
/// with `flows` and `session`, and its (required) body an `auth` object with a `session`.
pub(super) fn uiaa(defs: &[super::TypeDef], op: &Operation) -> Option<super::Uiaa> {
    let field = |id: TypeId, wire: &str| -> Option<&super::Field> {
        let TypeKind::Struct(s) = &defs[id.0].kind else {
            return None;
        };
        s.fields.iter().find(|f| f.wire == wire)
    };
    let named = |ty: &TypeRef| match ty {
        TypeRef::Named(id) => Some(*id),
        _ => None,
    };
    let unauthorized = op.responses.iter().find(|r| r.status == super::Status::Code(401))?;
    let state = named(unauthorized.ty.as_ref()?)?;
    let flows = field(state, "flows")?;
    let state_session =
        field(state, "session").filter(|f| f.ty == TypeRef::String && f.presence == Presence::Optional)?;
    let body = op.body.as_ref().filter(|b| b.required)?;
    let auth_field = field(named(&body.ty)?, "auth")?;
    let auth = named(&auth_field.ty)?;
    let auth_session =
        field(auth, "session").filter(|f| f.ty == TypeRef::String && f.presence == Presence::Optional)?;
    if !matches!(flows.ty, TypeRef::Array(_)) || auth_field.presence != Presence::Optional {
        return None;
    }
    Some(super::Uiaa {
        variant: unauthorized.variant.clone(),
        state,
        state_session: state_session.ident.clone(),
        auth_field: auth_field.ident.clone(),
        auth,
        auth_session: auth_session.ident.clone(),
    })
}
