//! The base path every operation's path goes under, and its variables, from the spec's first
//! server and the config.
//!
//! A server URL may be a path (`/_matrix/client/{version}`, what a Swagger 2.0 `basePath`
//! becomes) or a URL (`{protocol}://{hostname}{basePath}`, as the Matrix spec writes it since
//! OpenAPI 3.1). The scheme and host are the deployment's, not the API's: they are dropped,
//! the part where the path starts found with the variables at their defaults. A variable of
//! the path with one possible value (no `enum`, nothing in the config) is written into the
//! base path; one with several values, or values in the config (`[variables.NAME]`), stays a
//! `{NAME}` placeholder that the router serves under each value and the client fills in.

use std::collections::BTreeMap;

use openapiv3 as oa;

use super::Variable;
use crate::config::Config;
use crate::error::{Cause, DocPath, Error, Location};

/// Where the errors of this stage are reported.
pub(super) struct Places<'a> {
    /// The entry file the servers are written in.
    pub spec: &'a str,
    /// The config file.
    pub config: &'a str,
}

/// The base path of the whole API and what each path adds to it.
#[derive(Debug, Default)]
pub(super) struct BasePaths {
    /// The prefix of every operation's path, with `{NAME}` for each variable.
    pub base: String,
    /// The variables of `base`.
    pub variables: Vec<Variable>,
    /// What goes between `base` and a spec path, for paths whose own servers (those of the
    /// entry file they were written in) give a longer base path than `base`.
    pub extra: BTreeMap<String, String>,
}

/// The base paths of the API: one for all when every path is served alike (the usual case);
/// else the longest common prefix, and each path's remainder written into its path. A
/// remainder cannot hold a variable (it would be a path parameter).
pub(super) fn base_paths(
    openapi: &oa::OpenAPI,
    config: &Config,
    errors: &mut Vec<Error>,
    places: &Places<'_>,
) -> BasePaths {
    let (base, variables) = base_path(&openapi.servers, config, errors, places);
    let mut own: BTreeMap<String, String> = BTreeMap::new();
    for (path, item) in openapi.paths.iter() {
        let oa::ReferenceOr::Item(item) = item else { continue };
        if item.servers.is_empty() || item.servers == openapi.servers {
            continue;
        }
        let mut quiet = Vec::new();
        let (path_base, _) = base_path(&item.servers, config, &mut quiet, places);
        errors.extend(quiet.into_iter().filter(|e| !matches!(e.cause, Cause::Config(_))));
        own.insert(path.clone(), path_base);
    }
    if own.values().all(|b| *b == base) {
        return BasePaths {
            base,
            variables,
            extra: BTreeMap::new(),
        };
    }
    let common = common_prefix(own.values().chain([&base]));
    let mut extra = BTreeMap::new();
    for path in openapi.paths.paths.keys() {
        let full = own.get(path).unwrap_or(&base);
        let rest = full[common.len()..].to_owned();
        if rest.contains('{') {
            let why = format!(
                "the base path `{full}` of `{path}` differs from others and has a server variable; entry files with different base paths need them without variables"
            );
            errors.push(Error::new(
                Location::at(places.spec, DocPath::root().key("paths").key(path)),
                Cause::Unsupported(why),
            ));
        }
        extra.insert(path.clone(), rest);
    }
    let variables = if common.contains('{') { variables } else { Vec::new() };
    BasePaths {
        base: common,
        variables,
        extra,
    }
}

/// The longest common prefix of base paths that ends at a segment boundary.
fn common_prefix<'a>(mut paths: impl Iterator<Item = &'a String>) -> String {
    let Some(first) = paths.next() else {
        return String::new();
    };
    let mut common: Vec<&str> = first.split('/').collect();
    for path in paths {
        let parts: Vec<&str> = path.split('/').collect();
        let same = common.iter().zip(&parts).take_while(|(a, b)| a == b).count();
        common.truncate(same);
    }
    common.join("/").trim_end_matches('/').to_owned()
}

/// The base path with `{NAME}` for each variable, and the variables, of a server list.
fn base_path(
    servers: &[oa::Server],
    config: &Config,
    errors: &mut Vec<Error>,
    places: &Places<'_>,
) -> (String, Vec<Variable>) {
    let no_variables = indexmap::IndexMap::new();
    let (url, declared) = match servers.first() {
        Some(server) => (server.url.as_str(), server.variables.as_ref().unwrap_or(&no_variables)),
        None => ("", &no_variables),
    };
    let at = Location::at(places.spec, DocPath::root().key("servers").index(0).key("url"));
    let tokens = match tokens(url, declared) {
        Ok(tokens) => tokens,
        Err(why) => {
            errors.push(Error::new(at, Cause::Invalid(why)));
            return (String::new(), Vec::new());
        }
    };
    let mut path = String::new();
    let mut variables = Vec::new();
    for token in path_tokens(&tokens) {
        match token {
            Token::Text(text) => path.push_str(text),
            Token::Variable(name, declared) => match variable(name, declared, config, errors, places) {
                Some(variable) => {
                    path.push_str(&format!("{{{name}}}"));
                    variables.push(variable);
                }
                None => path.push_str(&declared.default),
            },
        }
    }
    for name in config.variables.keys() {
        if !variables.iter().any(|v| &v.name == name) {
            let why = format!("[variables.{name}]: the base path `{path}` has no `{{{name}}}`");
            errors.push(Error::new(Location::file(places.config), Cause::Config(why)));
        }
    }
    (path.trim_end_matches('/').to_owned(), variables)
}

enum Token<'u> {
    Text(&'u str),
    Variable(&'u str, &'u oa::ServerVariable),
}

/// The URL split into text and declared variables; an undeclared or unclosed `{` is an error.
fn tokens<'u>(
    url: &'u str,
    declared: &'u indexmap::IndexMap<String, oa::ServerVariable>,
) -> Result<Vec<Token<'u>>, String> {
    let mut tokens = Vec::new();
    let mut rest = url;
    while let Some(start) = rest.find('{') {
        if start > 0 {
            tokens.push(Token::Text(&rest[..start]));
        }
        let Some(len) = rest[start + 1..].find('}') else {
            return Err(format!("the server URL `{url}` has a `{{` without its `}}`"));
        };
        let name = &rest[start + 1..start + 1 + len];
        let Some(variable) = declared.get(name) else {
            return Err(format!(
                "the server URL `{url}` uses `{{{name}}}`, which its `variables` do not declare"
            ));
        };
        tokens.push(Token::Variable(name, variable));
        rest = &rest[start + len + 2..];
    }
    if !rest.is_empty() {
        tokens.push(Token::Text(rest));
    }
    Ok(tokens)
}

/// The tokens of the path: after `scheme://host`, found with the variables at their defaults.
fn path_tokens<'t, 'u>(tokens: &'t [Token<'u>]) -> &'t [Token<'u>] {
    let text = |t: &Token<'u>| match t {
        Token::Text(text) => text.to_string(),
        Token::Variable(_, v) => v.default.clone(),
    };
    let expanded: String = tokens.iter().map(text).collect();
    let Some(scheme_end) = expanded.find("://") else {
        return tokens;
    };
    // The host ends where the path starts: the first `/` after `://`. Skip whole tokens up to
    // there; a token that holds both host and path text stays (it cannot be split).
    let host_end = expanded[scheme_end + 3..]
        .find('/')
        .map_or(expanded.len(), |i| i + scheme_end + 3);
    let mut consumed = 0;
    for (i, token) in tokens.iter().enumerate() {
        if consumed >= host_end {
            return &tokens[i..];
        }
        consumed += text(token).len();
    }
    &[]
}

/// The model variable of `{name}`, or `None` when it has one value only (written in place).
fn variable(
    name: &str,
    declared: &oa::ServerVariable,
    config: &Config,
    errors: &mut Vec<Error>,
    places: &Places<'_>,
) -> Option<Variable> {
    let configured = config.variables.get(name);
    let values = match configured {
        Some(c) => c.values.clone(),
        None if declared.enumeration.len() > 1 => declared.enumeration.clone(),
        None if declared.default.is_empty() => Vec::new(),
        None => return None,
    };
    let default = configured
        .and_then(|c| c.default_value())
        .or_else(|| Some(declared.default.clone()).filter(|d| !d.is_empty() && values.contains(d)));
    let default = default.or_else(|| values.last().cloned());
    if let Some(default) = &default
        && !values.contains(default)
    {
        let why = format!("[variables.{name}] default `{default}` is not one of its values");
        errors.push(Error::new(Location::file(places.config), Cause::Config(why)));
    }
    Some(Variable {
        name: name.to_owned(),
        values,
        default,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(url: &str, variables: &[(&str, &str, &[&str])]) -> oa::OpenAPI {
        let variables = variables
            .iter()
            .map(|(name, default, values)| {
                let variable = oa::ServerVariable {
                    default: (*default).to_owned(),
                    enumeration: values.iter().map(|v| (*v).to_owned()).collect(),
                    ..Default::default()
                };
                ((*name).to_owned(), variable)
            })
            .collect();
        oa::OpenAPI {
            servers: vec![oa::Server {
                url: url.to_owned(),
                variables: Some(variables),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn run(openapi: &oa::OpenAPI, config: &Config) -> (String, Vec<Variable>, Vec<Error>) {
        let mut errors = Vec::new();
        let places = Places {
            spec: "api.yaml",
            config: "codegen.toml",
        };
        let paths = base_paths(openapi, config, &mut errors, &places);
        (paths.base, paths.variables, errors)
    }

    #[test]
    fn scheme_and_host_are_dropped_and_a_single_value_is_written_in() {
        let openapi = server(
            "{protocol}://{hostname}{basePath}",
            &[
                ("protocol", "https", &["http", "https"]),
                ("hostname", "localhost:8008", &[]),
                ("basePath", "/_matrix/client/v3", &[]),
            ],
        );
        let (path, variables, errors) = run(&openapi, &Config::default());
        assert_eq!(path, "/_matrix/client/v3");
        assert!(variables.is_empty() && errors.is_empty(), "{variables:?} {errors:?}");
    }

    #[test]
    fn the_config_gives_a_path_variable_its_values() {
        let openapi = server(
            "{protocol}://{hostname}{basePath}",
            &[
                ("protocol", "https", &[]),
                ("hostname", "h", &[]),
                ("basePath", "/_matrix/client/v3", &[]),
            ],
        );
        let config = Config::parse(
            "[variables.basePath]\nvalues = [\"/_matrix/client/r0\", \"/_matrix/client/v3\"]\n",
            "codegen.toml",
        )
        .unwrap();
        let (path, variables, errors) = run(&openapi, &config);
        assert_eq!(path, "{basePath}");
        assert_eq!(variables[0].default.as_deref(), Some("/_matrix/client/v3"));
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn a_path_template_keeps_a_variable_without_a_value() {
        let openapi = server(
            "/_matrix/client/{CLIENT_MAJOR_VERSION}",
            &[("CLIENT_MAJOR_VERSION", "", &[])],
        );
        let (path, variables, _) = run(&openapi, &Config::default());
        assert_eq!(path, "/_matrix/client/{CLIENT_MAJOR_VERSION}");
        assert!(variables[0].values.is_empty());
    }

    #[test]
    fn an_undeclared_variable_is_an_error_at_the_url() {
        let openapi = server("{protocol}://{hostname}{basePath}", &[("protocol", "https", &[])]);
        let (_, _, errors) = run(&openapi, &Config::default());
        let text = errors[0].to_string();
        assert!(text.contains("api.yaml at servers[0].url"), "{text}");
        assert!(text.contains("`{hostname}`"), "{text}");
    }

    #[test]
    fn paths_of_files_with_other_base_paths_carry_the_rest_of_theirs() {
        let mut openapi = server("/_matrix/client/v3", &[]);
        for (path, base) in [("/register", "/_matrix/client/v3"), ("/upload", "/_matrix/media/v3")] {
            let item = oa::PathItem {
                servers: server(base, &[]).servers,
                ..Default::default()
            };
            openapi.paths.paths.insert(path.to_owned(), oa::ReferenceOr::Item(item));
        }
        let mut errors = Vec::new();
        let places = Places {
            spec: "api.yaml",
            config: "codegen.toml",
        };
        let paths = base_paths(&openapi, &Config::default(), &mut errors, &places);
        assert_eq!(paths.base, "/_matrix");
        assert_eq!(paths.extra["/register"], "/client/v3");
        assert_eq!(paths.extra["/upload"], "/media/v3");
        assert!(errors.is_empty(), "{errors:?}");
    }
}
