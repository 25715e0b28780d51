//! Emits the sans-IO conversions of each operation: `Request` <-> `http::Request<Bytes>` (the
//! client writes, the server reads) and `Response` <-> `http::Response<Bytes>` (the server
//! writes, the client reads, by status first).

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use crate::emit::tokens::{default_fn, doc1, ident, rust_type};
use crate::model::{Api, Auth, Module, Operation, Param, ParamLocation, PathSegment, Presence, Status, TypeRef};

/// The sans-IO conversions of one operation: methods of `Request` and of `Response` (the
/// module puts each in the type's one `impl`), and the `Endpoint` implementation.
pub(in crate::emit) struct Conversions {
    /// `try_into_http` and `try_from_http` of `Request`.
    pub request: TokenStream,
    /// `into_http` and `try_from_http` of `Response`.
    pub response: TokenStream,
    /// `impl crate::Endpoint for Request`.
    pub endpoint: TokenStream,
}

/// The conversions of `op`.
pub(in crate::emit) fn conversions(api: &Api, op: &Operation) -> Conversions {
    let into_http = request_into_http(op);
    let from_http = request_from_http(api, op);
    let response_into = response_into_http(op);
    let response_from = response_from_http(api, op);
    Conversions {
        request: quote! { #into_http #from_http },
        response: quote! { #response_into #response_from },
        endpoint: quote! {
            impl crate::Endpoint for Request {
                type Response = Response;
                const METADATA: crate::Metadata = METADATA;

                fn to_http(&self, prefix: &str) -> Result<http::Request<bytes::Bytes>, crate::IntoHttpError> {
                    self.try_into_http(prefix)
                }

                fn from_http_response(response: http::Response<bytes::Bytes>) -> Result<Response, crate::DecodeError> {
                    Response::try_from_http(response)
                }
            }
        },
    }
}

fn method(op: &Operation) -> TokenStream {
    let method = ident(&op.method.to_ascii_uppercase());
    quote! { http::Method::#method }
}

fn request_into_http(op: &Operation) -> TokenStream {
    let path = op.segments.iter().map(|segment| match segment {
        PathSegment::Literal(text) => quote! { uri.literal(#text); },
        PathSegment::Param(index) => {
            let field = ident(&op.params[*index].ident);
            quote! { uri.param(&self.#field); }
        }
    });
    let query = op.params_in(ParamLocation::Query).map(query_into);
    let headers: Vec<TokenStream> = op.params_in(ParamLocation::Header).map(header_into).collect();
    let headers_init = if headers.is_empty() {
        quote! { let headers = Vec::new(); }
    } else {
        quote! { let mut headers = Vec::new(); #(#headers)* }
    };
    let token = match op.auth {
        Auth::None => quote! { None },
        Auth::Optional | Auth::Required => quote! { self.access_token.as_deref() },
    };
    let body = match &op.body {
        None => quote! { None },
        Some(body) if body.is_raw() => {
            let media = body.media.as_deref().unwrap_or("application/octet-stream");
            if body.required {
                quote! { Some(crate::runtime::http::RawBody::new(self.body.clone(), #media)) }
            } else {
                quote! { self.body.clone().map(|bytes| crate::runtime::http::RawBody::new(bytes, #media)) }
            }
        }
        Some(body) if body.required => quote! { Some(crate::runtime::http::to_json(&self.body)?.into()) },
        Some(_) => quote! { self.body.as_ref().map(crate::runtime::http::to_json).transpose()?.map(Into::into) },
    };
    let method = method(op);
    let mutable =
        (!op.segments.is_empty() || op.params_in(ParamLocation::Query).next().is_some()).then(|| quote! { mut });
    quote! {
        /// The HTTP request that sends this, to `prefix`: the server's URL and the base path with
        /// its variables filled (`https://example.org/_matrix/client/v3`), or only the path.
        ///
        /// # Errors
        /// When a value cannot travel in HTTP: a header value with a line break, say.
        pub fn try_into_http(&self, prefix: &str) -> Result<http::Request<bytes::Bytes>, crate::IntoHttpError> {
            let #mutable uri = crate::runtime::http::UriBuilder::new(prefix);
            #(#path)*
            #(#query)*
            #headers_init
            let body = #body;
            crate::runtime::http::build_request(#method, uri.finish(), headers, #token, body)
        }
    }
}

fn query_into(p: &Param) -> TokenStream {
    let field = ident(&p.ident);
    let wire = &p.wire;
    let explode = p.explode;
    match (&p.ty, &p.presence) {
        (TypeRef::Map(_), Presence::Optional) => quote! {
            if let Some(values) = &self.#field {
                for (name, value) in values {
                    uri.query(name, value);
                }
            }
        },
        (TypeRef::Map(_), _) => quote! {
            for (name, value) in &self.#field {
                uri.query(name, value);
            }
        },
        (TypeRef::Array(_), Presence::Optional) => {
            quote! { if let Some(values) = &self.#field { uri.query_list(#wire, values, #explode); } }
        }
        (TypeRef::Array(_), _) => quote! { uri.query_list(#wire, &self.#field, #explode); },
        (_, Presence::Required) => quote! { uri.query(#wire, &self.#field); },
        (_, Presence::Optional) => quote! { if let Some(value) = &self.#field { uri.query(#wire, value); } },
        (_, Presence::Default(_)) => {
            let default = default_fn("Request", &p.ident, false);
            quote! { if self.#field != #default() { uri.query(#wire, &self.#field); } }
        }
    }
}

fn header_into(p: &Param) -> TokenStream {
    let field = ident(&p.ident);
    let wire = &p.wire;
    match &p.presence {
        Presence::Optional => {
            quote! { if let Some(value) = &self.#field { headers.push((#wire, value.to_string())); } }
        }
        Presence::Required | Presence::Default(_) => quote! { headers.push((#wire, self.#field.to_string())); },
    }
}

fn request_from_http(api: &Api, op: &Operation) -> TokenStream {
    let template = format!("{}{}", api.base_path, op.path);
    let has_path_params = op.params_in(ParamLocation::Path).next().is_some();
    let has_query = op.params_in(ParamLocation::Query).next().is_some();
    // Without path parameters the match only has to succeed (a bad escape is still an error).
    let path_binding = if has_path_params {
        quote! { let path = path?; }
    } else {
        quote! { path?; }
    };
    let query = has_query.then(|| quote! { let query = crate::runtime::http::Query::parse(request.uri().query()); });
    let fields = op.params.iter().map(|p| param_from(op, p));
    let token = (op.auth != Auth::None).then(|| quote! { access_token: crate::runtime::http::access_token(request)?, });
    let body = op.body.as_ref().map(|body| match (body.required, body.object) {
        _ if body.is_raw() && body.required => quote! { body: request.body().clone(), },
        _ if body.is_raw() => quote! { body: crate::runtime::http::optional_raw_body(request.body()), },
        (true, true) => quote! { body: crate::runtime::http::json_object_body(request.body())?, },
        (true, false) => quote! { body: crate::runtime::http::json_body(request.body())?, },
        (false, true) => quote! { body: crate::runtime::http::optional_json_object_body(request.body())?, },
        (false, false) => quote! { body: crate::runtime::http::optional_json_body(request.body())?, },
    });
    let doc = doc1(&format!(
        "Reads this request from HTTP, as a server does; its path must match `{template}`."
    ));
    quote! {
        #doc
        ///
        /// # Errors
        /// The Matrix error to answer with: `M_NOT_JSON`, `M_BAD_JSON` (naming the field),
        /// `M_INVALID_PARAM`, `M_MISSING_PARAM`, `M_MISSING_TOKEN` or `M_UNRECOGNIZED`.
        pub fn try_from_http(request: &http::Request<bytes::Bytes>) -> Result<Self, crate::RequestError> {
            let Some(path) = crate::runtime::http::PathParams::match_template(#template, request.uri().path()) else {
                return Err(crate::RequestError::unrecognized());
            };
            #path_binding
            #query
            Ok(Self {
                #(#fields)*
                #token
                #body
            })
        }
    }
}

fn param_from(op: &Operation, p: &Param) -> TokenStream {
    let field = ident(&p.ident);
    let wire = &p.wire;
    let explode = p.explode;
    let read = match (p.location, &p.ty) {
        (ParamLocation::Path, _) => return quote! { #field: path.get(#wire)?, },
        (ParamLocation::Query, TypeRef::Map(_)) => {
            let known = op
                .params_in(ParamLocation::Query)
                .filter(|other| other.wire != p.wire)
                .map(|other| other.wire.as_str())
                .chain((op.auth != Auth::None).then_some("access_token"));
            quote! { query.rest(&[#(#known),*])? }
        }
        (ParamLocation::Query, TypeRef::Array(_)) => quote! { query.list(#wire, #explode)? },
        (ParamLocation::Query, _) => quote! { query.optional(#wire)? },
        (ParamLocation::Header, _) => quote! { crate::runtime::http::header(request.headers(), #wire)? },
    };
    let value = match &p.presence {
        Presence::Optional => read,
        Presence::Required => quote! { #read.ok_or_else(|| crate::RequestError::missing_param(#wire))? },
        Presence::Default(_) => {
            let default = default_fn("Request", &p.ident, false);
            quote! { #read.unwrap_or_else(#default) }
        }
    };
    quote! { #field: #value, }
}

/// A function of the runtime's HTTP module (`crate::runtime::http::decode`): the files import
/// it, [`crate::format`] decides under which name.
fn runtime_http(name: &str) -> TokenStream {
    let name = ident(name);
    quote! { crate::runtime::http::#name }
}

/// How an answer's body is written: JSON, or raw bytes.
fn write_body(ty: &TypeRef, status: TokenStream) -> TokenStream {
    let raw_response = runtime_http("raw_response");
    let json_response = runtime_http("json_response");
    if *ty == TypeRef::Bytes {
        quote! { #raw_response(#status, body) }
    } else {
        quote! { #json_response(#status, &body) }
    }
}

/// The arm of a variant with documented headers: the body (or none), then each header.
fn into_http_with_headers(r: &crate::model::Response) -> TokenStream {
    let raw_response = runtime_http("raw_response");
    let status_code = runtime_http("status_code");
    let variant = ident(&r.variant);
    let (status_field, status) = match r.status {
        Status::Code(code) => {
            let code = Literal::u16_unsuffixed(code);
            (None, quote! { #status_code(#code) })
        }
        _ => (Some(quote! { status, }), quote! { status }),
    };
    let body_field = r.ty.as_ref().map(|_| quote! { body, });
    let response = match &r.ty {
        Some(ty) => write_body(ty, status),
        None => quote! { #raw_response(#status, bytes::Bytes::new()) },
    };
    let names: Vec<_> = r.headers.iter().map(|h| ident(&h.ident)).collect();
    let sets = r.headers.iter().zip(&names).map(|(h, name)| {
        let wire = &h.wire;
        if h.required {
            quote! { crate::runtime::http::set_header(&mut response, #wire, Some(&#name)); }
        } else {
            quote! { crate::runtime::http::set_header(&mut response, #wire, #name.as_ref()); }
        }
    });
    quote! {
        Self::#variant { #status_field #body_field #(#names),* } => {
            let mut response = #response;
            #(#sets)*
            response
        }
    }
}

fn response_into_http(op: &Operation) -> TokenStream {
    let raw_response = runtime_http("raw_response");
    let json_response = runtime_http("json_response");
    let status_code = runtime_http("status_code");
    let arms = op.responses.iter().map(|r| {
        let variant = ident(&r.variant);
        if !r.headers.is_empty() {
            return into_http_with_headers(r);
        }
        match (r.status, &r.ty) {
            (Status::Code(code), Some(TypeRef::Bytes)) => {
                let code = Literal::u16_unsuffixed(code);
                quote! { Self::#variant(body) => #raw_response(#status_code(#code), body) }
            }
            (_, Some(TypeRef::Bytes)) => quote! { Self::#variant { status, body } => #raw_response(status, body) },
            (Status::Code(code), Some(_)) => {
                let code = Literal::u16_unsuffixed(code);
                quote! { Self::#variant(body) => #json_response(#status_code(#code), &body) }
            }
            (Status::Code(code), None) => {
                let code = Literal::u16_unsuffixed(code);
                quote! { Self::#variant => #raw_response(#status_code(#code), bytes::Bytes::new()) }
            }
            (_, Some(_)) => quote! { Self::#variant { status, body } => #json_response(status, &body) },
            (_, None) => quote! { Self::#variant { status } => #raw_response(status, bytes::Bytes::new()) },
        }
    });
    quote! {
        /// The HTTP response that sends this answer, as a server does.
        #[must_use]
        pub fn into_http(self) -> http::Response<bytes::Bytes> {
            match self {
                #(#arms,)*
                Self::Error { status, error } => #json_response(status, &error),
                Self::Unexpected { status, body } => #raw_response(status, body),
            }
        }
    }
}

/// The value of a variant with documented headers: each header read from `parts`, then the
/// body.
fn from_http_with_headers(r: &crate::model::Response) -> TokenStream {
    let decode = runtime_http("decode");
    let variant = ident(&r.variant);
    let status_field = (!matches!(r.status, Status::Code(_))).then(|| quote! { status, });
    let names: Vec<_> = r.headers.iter().map(|h| ident(&h.ident)).collect();
    let reads = r.headers.iter().zip(&names).map(|(h, name)| {
        let wire = &h.wire;
        if h.required {
            quote! { let #name = crate::runtime::http::required_response_header(&parts.headers, #wire, status, &body)?; }
        } else {
            quote! { let #name = crate::runtime::http::response_header(&parts.headers, #wire, status, &body)?; }
        }
    });
    let value = match &r.ty {
        None => quote! { Self::#variant { #status_field #(#names),* } },
        Some(TypeRef::Bytes) => quote! { Self::#variant { #status_field body, #(#names),* } },
        Some(_) => quote! { #decode(status, &body, |body| Self::#variant { #status_field body, #(#names),* }, error)? },
    };
    quote! {{
        #(#reads)*
        #value
    }}
}

fn response_from_http(api: &Api, op: &Operation) -> TokenStream {
    let decode = runtime_http("decode");
    let module = Module::Operation(op.name.clone());
    let error = rust_type(api, &TypeRef::Named(api.error), &module);
    let arms = op.responses.iter().map(|r| {
        let variant = ident(&r.variant);
        let pattern = match r.status {
            Status::Code(code) => {
                let code = Literal::u16_unsuffixed(code);
                quote! { #code }
            }
            Status::Range(class) => {
                let (low, high) = (
                    Literal::u16_unsuffixed(class * 100),
                    Literal::u16_unsuffixed(class * 100 + 99),
                );
                quote! { #low..=#high }
            }
            Status::Default => quote! { _ },
        };
        if !r.headers.is_empty() {
            let value = from_http_with_headers(r);
            return quote! { #pattern => #value, };
        }
        let value = match (r.status, &r.ty) {
            (Status::Code(_), Some(TypeRef::Bytes)) => quote! { Self::#variant(body) },
            (_, Some(TypeRef::Bytes)) => quote! { Self::#variant { status, body } },
            (Status::Code(_), None) => quote! { Self::#variant },
            (_, None) => quote! { Self::#variant { status } },
            (Status::Code(_), Some(_)) => quote! { #decode(status, &body, Self::#variant, error)? },
            (_, Some(_)) => quote! { #decode(status, &body, |body| Self::#variant { status, body }, error)? },
        };
        quote! { #pattern => #value, }
    });
    let fallback = (!op.responses.iter().any(|r| r.status == Status::Default)).then(|| {
        quote! {
            _ => match crate::runtime::http::decode_undocumented::<#error>(&body) {
                Some(error) => Self::Error { status, error },
                None => Self::Unexpected { status, body },
            },
        }
    });
    let typed = op
        .responses
        .iter()
        .any(|r| r.ty.as_ref().is_some_and(|ty| *ty != TypeRef::Bytes));
    let helpers = typed.then(|| quote! { let error = |error: #error| Self::Error { status, error }; });
    let uses_body = op.responses.iter().any(|r| r.ty.is_some() || !r.headers.is_empty()) || fallback.is_some();
    let body_binding = if uses_body {
        quote! { body }
    } else {
        quote! { _body }
    };
    quote! {
        /// Reads an answer from HTTP, as a client does: by status first, then the body as that
        /// status's documented type; a Matrix error body where another type is documented is
        /// [`Response::Error`], and an undocumented status keeps its raw body.
        ///
        /// # Errors
        /// A documented status whose body is neither its type nor a Matrix error.
        pub fn try_from_http(response: http::Response<bytes::Bytes>) -> Result<Self, crate::DecodeError> {
            let (parts, #body_binding) = response.into_parts();
            let status = parts.status;
            #helpers
            Ok(match status.as_u16() {
                #(#arms)*
                #fallback
            })
        }
    }
}
