//! What each enum value means, in the spec's own words: the spec rarely documents a value
//! where it lists it (`enum: [guest, user]`), but the prose around it often does.
//!
//! A value's meaning is, in this order of preference, from the first text that has one:
//! - a Markdown list item that starts with the value as code (`` - `guest` accounts. ... ``,
//!   `` * `login`: ... ``): the whole item, its continuation lines and paragraphs too;
//! - the sentences of a paragraph that start with the value as code (`` `content` (the
//!   default) will return ... ``), or that start with `When` or `If` and whose first code is
//!   the value followed by a comma (`` When `all`, all thread roots ... ``), and that name no
//!   other value of the enum;
//! - else the first such sentence that names other values of the enum too (`` `f` for
//!   forwards, `b` for backwards. ``): the whole sentence, never a piece of it.
//!
//! The texts searched, in order: the enum's own description; the descriptions of the
//! parameters and fields of that type (an enum parameter's schema seldom has one); then, for
//! an enum that is a parameter or a request body field, the operation's description, where
//! only a list in which every item starts with a value of the enum counts. A value matches a
//! code span only as a whole (`m.login.sso` never takes the text of `m.login.sso.xyz`).
//!
//! The meaning is raw spec text (Markdown), cut at item or sentence bounds only (a sentence on
//! one line, an item with its lines as written), and is converted to rustdoc like every other
//! description when emitted. Where nothing is found, the value has no meaning and its doc stays
//! the value alone; nothing is made up.

use super::{Api, EnumValue, TypeId, TypeKind, TypeRef};
use crate::docs::{closes_fence, fence_open};

/// Where a text is read from, which decides what in it may give a meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// The enum's own description, or its parameter's or field's: items and sentences.
    Own,
    /// An operation's description: only lists made of the enum's values.
    Operation,
}

/// Sets [`super::Variant::doc`] of every enum value the spec explains.
pub(super) fn fill(api: &mut Api) {
    for index in 0..api.types.len() {
        let TypeKind::Enum(e) = &api.types[index].kind else {
            continue;
        };
        let values: Vec<String> = e.variants.iter().map(|v| EnumValue::text(&v.wire)).collect();
        let texts = texts(api, TypeId(index));
        let meanings: Vec<Option<String>> = values
            .iter()
            .map(|value| {
                texts
                    .iter()
                    .find_map(|(text, scope)| meaning(value, &values, text, *scope))
            })
            .collect();
        if let TypeKind::Enum(e) = &mut api.types[index].kind {
            for (variant, meaning) in e.variants.iter_mut().zip(meanings) {
                variant.doc = meaning;
            }
        }
    }
}

/// The texts that may explain the values of enum `id`, in the order they are searched.
fn texts(api: &Api, id: TypeId) -> Vec<(&str, Scope)> {
    let mut texts: Vec<(&str, Scope)> = Vec::new();
    add(api.ty(id).description.as_deref(), Scope::Own, &mut texts);
    for op in &api.operations {
        for param in op.params.iter().filter(|p| holds(&p.ty, id)) {
            add(param.doc.as_deref(), Scope::Own, &mut texts);
        }
    }
    for def in &api.types {
        if let TypeKind::Struct(s) = &def.kind {
            for field in s.fields.iter().filter(|f| holds(&f.ty, id)) {
                add(field.doc.as_deref(), Scope::Own, &mut texts);
            }
        }
    }
    for op in &api.operations {
        let in_params = op.params.iter().any(|p| holds(&p.ty, id));
        let in_body = op.body.as_ref().is_some_and(|body| match &body.ty {
            TypeRef::Named(body_id) => match &api.ty(*body_id).kind {
                TypeKind::Struct(s) => s.fields.iter().any(|f| holds(&f.ty, id)),
                _ => false,
            },
            _ => false,
        });
        if in_params || in_body {
            add(op.description.as_deref(), Scope::Operation, &mut texts);
        }
    }
    texts
}

/// Adds a text to search, unless it is none or already there.
fn add<'a>(text: Option<&'a str>, scope: Scope, texts: &mut Vec<(&'a str, Scope)>) {
    if let Some(text) = text
        && !texts.iter().any(|(t, _)| *t == text)
    {
        texts.push((text, scope));
    }
}

/// Whether a value of `ty` is, or holds (as items or map values), a value of type `id`.
fn holds(ty: &TypeRef, id: TypeId) -> bool {
    match ty {
        TypeRef::Named(named) => *named == id,
        TypeRef::Array(inner) | TypeRef::Map(inner) | TypeRef::Nullable(inner) => holds(inner, id),
        _ => false,
    }
}

/// What `text` says `value` means, as raw spec text; `values` are all the enum's values.
fn meaning(value: &str, values: &[String], text: &str, scope: Scope) -> Option<String> {
    let text = text.replace("\r\n", "\n");
    let blocks = Blocks::read(&text);
    let in_list_of_values = |item: &Item| {
        let siblings = blocks.siblings(item);
        siblings.iter().all(|i| is_value(i.lead.as_deref(), values))
    };
    let item = blocks
        .items
        .iter()
        .find(|item| item.lead.as_deref() == Some(value) && (scope == Scope::Own || in_list_of_values(item)));
    if let Some(item) = item {
        return Some(item.text.clone());
    }
    if scope == Scope::Operation {
        return None;
    }
    let mut own = Vec::new();
    let mut shared = None;
    for paragraph in &blocks.paragraphs {
        for sentence in sentences(paragraph) {
            let Some(subject) = subject(sentence, values) else {
                continue;
            };
            let named: Vec<&str> = code_spans(sentence)
                .into_iter()
                .filter(|code| is_value(Some(code), values))
                .collect();
            if subject == value && named.iter().all(|code| *code == value) {
                own.push(sentence);
            } else if shared.is_none() && named.contains(&value) {
                shared = Some(sentence);
            }
        }
    }
    if own.is_empty() {
        shared.map(str::to_owned)
    } else {
        Some(own.join(" "))
    }
}

/// Whether `code` is one of the enum's values.
fn is_value(code: Option<&str>, values: &[String]) -> bool {
    code.is_some_and(|code| values.iter().any(|v| v == code))
}

/// The value a sentence is about: a value it starts with, or the value that ends its opening
/// condition (`` When `all`, ... ``, `` If this is set to `f`, ... ``).
fn subject<'t>(sentence: &'t str, values: &[String]) -> Option<&'t str> {
    if let Some((code, _)) = code_at(sentence) {
        return is_value(Some(code), values).then_some(code);
    }
    if !(sentence.starts_with("When ") || sentence.starts_with("If ")) {
        return None;
    }
    let start = sentence.find('`')?;
    let (code, rest) = code_at(&sentence[start..])?;
    (is_value(Some(code), values) && rest.starts_with(',')).then_some(code)
}

/// A list item: where its marker is and its text.
#[derive(Debug)]
struct Item {
    /// The column of its marker.
    column: usize,
    /// Its first line.
    first: usize,
    /// The line after its last.
    end: usize,
    /// The text after the marker, with its continuation lines (dedented) and paragraphs.
    text: String,
    /// The code the text starts with, if it starts with code.
    lead: Option<String>,
}

/// A text's list items (nested ones too) and the paragraphs outside them, each on one line
/// (the spec's line breaks in prose are soft, and a sentence seldom starts a line).
#[derive(Debug, Default)]
struct Blocks {
    items: Vec<Item>,
    paragraphs: Vec<String>,
    /// Which lines are blank.
    blank: Vec<bool>,
}

impl Blocks {
    fn read(text: &str) -> Self {
        let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
        let code = code_lines(&lines);
        let mut blocks = Self {
            blank: lines.iter().map(|l| l.is_empty()).collect(),
            ..Self::default()
        };
        let mut covered = vec![false; lines.len()];
        for first in 0..lines.len() {
            if code[first] {
                continue;
            }
            let Some((column, content)) = item_start(lines[first]) else {
                continue;
            };
            let (end, text) = item_text(&lines, &code, first, content);
            covered[first..end].fill(true);
            blocks.items.push(Item {
                column,
                first,
                end,
                lead: code_at(&text).map(|(lead, _)| lead.to_owned()),
                text,
            });
        }
        let mut paragraph: Vec<&str> = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            if !covered[i] && !code[i] && !line.is_empty() && !is_other_block(line) {
                paragraph.push(line.trim());
            } else if !paragraph.is_empty() {
                blocks.paragraphs.push(paragraph.join(" "));
                paragraph.clear();
            }
        }
        if !paragraph.is_empty() {
            blocks.paragraphs.push(paragraph.join(" "));
        }
        blocks
    }

    /// The items of the list `item` belongs to: those at its column, one after the other with
    /// only blank lines between.
    fn siblings(&self, item: &Item) -> Vec<&Item> {
        let same: Vec<&Item> = self.items.iter().filter(|i| i.column == item.column).collect();
        let at = same.iter().position(|i| i.first == item.first).unwrap_or_default();
        let joined = |a: &Item, b: &Item| a.end <= b.first && self.blank[a.end..b.first].iter().all(|blank| *blank);
        let mut start = at;
        while start > 0 && joined(same[start - 1], same[start]) {
            start -= 1;
        }
        let mut end = at;
        while end + 1 < same.len() && joined(same[end], same[end + 1]) {
            end += 1;
        }
        same[start..=end].to_vec()
    }
}

/// Which lines belong to a fenced code block, its fences included.
fn code_lines(lines: &[&str]) -> Vec<bool> {
    let mut code = vec![false; lines.len()];
    let mut open: Option<(char, usize)> = None;
    for (i, line) in lines.iter().enumerate() {
        match open {
            None => {
                open = fence_open(line);
                code[i] = open.is_some();
            }
            Some((ch, len)) => {
                code[i] = true;
                if closes_fence(line, ch, len) {
                    open = None;
                }
            }
        }
    }
    code
}

/// A list item's first line: the column of its marker and of its text.
fn item_start(line: &str) -> Option<(usize, usize)> {
    let column = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[column..];
    let marker = if rest.starts_with(['-', '*', '+']) {
        1
    } else {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let after = &rest[digits..];
        if (1..=9).contains(&digits) && after.starts_with(['.', ')']) {
            digits + 1
        } else {
            return None;
        }
    };
    let after = &rest[marker..];
    let spaces = after.len() - after.trim_start_matches(' ').len();
    if spaces == 0 || after.trim().is_empty() {
        return None;
    }
    // More than four spaces after the marker make the text indented code; the text then
    // starts one space after the marker.
    let spaces = if spaces > 4 { 1 } else { spaces };
    Some((column, column + marker + spaces))
}

/// The item starting at line `first` whose text starts at column `content`: the line after
/// its last, and its text (continuation lines dedented; blank lines between its paragraphs
/// kept; lazy continuation lines, not indented, taken as Markdown does).
fn item_text(lines: &[&str], code: &[bool], first: usize, content: usize) -> (usize, String) {
    let indent = |line: &str| line.len() - line.trim_start_matches(' ').len();
    let mut text = vec![lines[first][content..].trim_start()];
    let mut end = first + 1;
    let mut i = first + 1;
    while i < lines.len() {
        let line = lines[i];
        if line.is_empty() {
            let next = (i..lines.len()).find(|&j| !lines[j].is_empty());
            match next {
                Some(j) if indent(lines[j]) >= content => {
                    text.extend(std::iter::repeat_n("", j - i));
                    i = j;
                    continue;
                }
                _ => break,
            }
        }
        if indent(line) >= content {
            text.push(&line[content..]);
        } else if lines[i - 1].is_empty() || code[i] || item_start(line).is_some() || is_other_block(line) {
            break;
        } else {
            text.push(line.trim_start());
        }
        i += 1;
        end = i;
    }
    (end, text.join("\n"))
}

/// A line that is no prose: a table row, a heading, a Hugo shortcode on its own.
fn is_other_block(line: &str) -> bool {
    let line = line.trim_start();
    line.starts_with('|') || line.starts_with('#') || line.starts_with("{{")
}

/// The sentences of a paragraph: each ends at `.`, `!` or `?` before white space or the end,
/// outside code spans and link destinations, and not in `e.g.` or `i.e.`.
fn sentences(paragraph: &str) -> Vec<&str> {
    let mut sentences = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < paragraph.len() {
        let rest = &paragraph[i..];
        if rest.starts_with('`') {
            i += match code_at(rest) {
                Some((_, after)) => rest.len() - after.len(),
                None => rest.len() - rest.trim_start_matches('`').len(),
            };
            continue;
        }
        if rest.starts_with("](") {
            i += rest.find(')').map_or(rest.len(), |close| close + 1);
            continue;
        }
        let Some(c) = rest.chars().next() else { break };
        i += c.len_utf8();
        let at_end = paragraph[i..].chars().next().is_none_or(char::is_whitespace);
        let sentence = &paragraph[start..i];
        let abbreviation = ["e.g.", "i.e."].iter().any(|a| sentence.ends_with(a));
        if matches!(c, '.' | '!' | '?') && at_end && !abbreviation {
            sentences.push(sentence.trim());
            start = i;
        }
    }
    let last = paragraph[start..].trim();
    if !last.is_empty() {
        sentences.push(last);
    }
    sentences
}

/// The contents of the code spans of a text.
fn code_spans(text: &str) -> Vec<&str> {
    let mut spans = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('`') {
        rest = &rest[start..];
        match code_at(rest) {
            Some((code, after)) => {
                spans.push(code);
                rest = after;
            }
            None => rest = rest.trim_start_matches('`'),
        }
    }
    spans
}

/// The code span `text` starts with (one or more backticks, closed by as many), trimmed, and
/// the text after it.
fn code_at(text: &str) -> Option<(&str, &str)> {
    let ticks = text.len() - text.trim_start_matches('`').len();
    if ticks == 0 {
        return None;
    }
    let body = &text[ticks..];
    let mut from = 0;
    while let Some(found) = body[from..].find('`') {
        let at = from + found;
        let run = body[at..].len() - body[at..].trim_start_matches('`').len();
        if run == ticks {
            let code = body[..at].trim();
            return (!code.is_empty()).then_some((code, &body[at + run..]));
        }
        from = at + run;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(list: &[&str]) -> Vec<String> {
        list.iter().map(|v| (*v).to_owned()).collect()
    }

    /// `POST /register`'s description (the seed, and v1.19 alike), in part.
    const REGISTER: &str = "Register for an account on this homeserver.\n\n\
        There are two kinds of user account:\n\n\
        - `user` accounts. These accounts may use the full API described in this specification.\n\n\
        - `guest` accounts. These accounts may have limited permissions and may not be supported by all servers.\n\n\
        If registration is successful, this endpoint will issue an access token\n\
        the client can use to authorise itself in subsequent requests.";

    #[test]
    fn a_list_in_the_operation_description_explains_a_parameter() {
        let kinds = values(&["guest", "user"]);
        assert_eq!(
            meaning("guest", &kinds, REGISTER, Scope::Operation).as_deref(),
            Some(
                "`guest` accounts. These accounts may have limited permissions and may not be supported by all servers."
            )
        );
        assert_eq!(
            meaning("user", &kinds, REGISTER, Scope::Operation).as_deref(),
            Some("`user` accounts. These accounts may use the full API described in this specification.")
        );
        // The parameter's own description only names the default: no meaning.
        let param = "The kind of account to register. Defaults to `user`.";
        assert_eq!(meaning("user", &kinds, param, Scope::Own), None);
        assert_eq!(meaning("guest", &kinds, param, Scope::Own), None);
    }

    #[test]
    fn an_item_keeps_its_continuation_lines_and_converts_whole() {
        // `GET /login/sso/redirect`, parameter `action` (v1.19).
        let action = "The action that the user wishes to take at the SSO redirect.\n\n\
            The following values are supported:\n  \
            * `login`: the SSO redirect is for the purposes of signing an\n    \
            existing user in.\n  \
            * `register`: the SSO redirect is for the purpose of registering a\n    \
            new user account.";
        let actions = values(&["login", "register"]);
        let login = meaning("login", &actions, action, Scope::Own).unwrap();
        assert_eq!(
            login,
            "`login`: the SSO redirect is for the purposes of signing an\nexisting user in."
        );
        assert_eq!(
            crate::docs::doc_lines(&login),
            [
                "`login`: the SSO redirect is for the purposes of signing an",
                "existing user in."
            ]
        );
        let register = meaning("register", &actions, action, Scope::Own).unwrap();
        assert!(register.ends_with("registering a\nnew user account."), "{register}");
    }

    #[test]
    fn sentences_about_one_value_explain_it() {
        // `GET /rooms/{roomId}/state/{eventType}/{stateKey}`, parameter `format` (v1.19).
        let format = "The format to use for the returned data. `content` (the default) will\n\
            return only the content of the state event. `event` will return the entire\n\
            event in the usual format suitable for clients, including fields like event\n\
            ID, sender and timestamp.";
        let formats = values(&["content", "event"]);
        assert_eq!(
            meaning("content", &formats, format, Scope::Own).as_deref(),
            Some("`content` (the default) will return only the content of the state event.")
        );
        assert!(
            meaning("event", &formats, format, Scope::Own)
                .is_some_and(|m| m.starts_with("`event` will return") && m.ends_with("ID, sender and timestamp."))
        );
        // `GET /rooms/{roomId}/threads`, parameter `include`: "When `all`, ...", not the
        // sentence that names it as the default.
        let include = "Optional (default `all`) flag to denote which thread roots are of interest to the caller.\n\
            When `all`, all thread roots found in the room are returned. When `participated`, only\n\
            thread roots for threads the user has [participated in](/client-server-api/#server-side-aggregation-of-mthread-relationships)\n\
            will be returned.";
        let includes = values(&["all", "participated"]);
        assert_eq!(
            meaning("all", &includes, include, Scope::Own).as_deref(),
            Some("When `all`, all thread roots found in the room are returned.")
        );
        assert_eq!(
            meaning("participated", &includes, include, Scope::Own).as_deref(),
            Some(
                "When `participated`, only thread roots for threads the user has [participated in]\
                (/client-server-api/#server-side-aggregation-of-mthread-relationships) will be returned."
            )
        );
    }

    #[test]
    fn a_sentence_about_several_values_explains_each_whole() {
        // `GET /rooms/{roomId}/timestamp_to_event`, parameter `dir` (v1.19).
        let dir = "The direction in which to search.  `f` for forwards, `b` for backwards.";
        let dirs = values(&["f", "b"]);
        assert_eq!(
            meaning("b", &dirs, dir, Scope::Own).as_deref(),
            Some("`f` for forwards, `b` for backwards.")
        );
        assert_eq!(
            meaning("f", &dirs, dir, Scope::Own).as_deref(),
            Some("`f` for forwards, `b` for backwards.")
        );
    }

    #[test]
    fn a_value_with_nothing_said_has_no_meaning() {
        // `PUT /presence/{userId}/status`, field `presence` (v1.19).
        let presence = values(&["online", "offline", "unavailable"]);
        assert_eq!(
            meaning("online", &presence, "The new presence state.", Scope::Own),
            None
        );
        // Named as the default, or in a sentence that is about something else.
        let visibility = "The new visibility setting for the room.\nDefaults to `public`.";
        assert_eq!(
            meaning("public", &values(&["private", "public"]), visibility, Scope::Own),
            None
        );
        let preset = "If unspecified, the server should use the `visibility` to determine\n\
            which preset to use. A visibility of `public` equates to a preset of\n\
            `public_chat` and `private` visibility equates to a preset of\n`private_chat`.";
        let presets = values(&["private_chat", "public_chat", "trusted_private_chat"]);
        assert_eq!(meaning("public_chat", &presets, preset, Scope::Own), None);
    }

    #[test]
    fn a_value_never_takes_the_text_of_a_longer_one() {
        let text = "* `m.login.sso.xyz`: an unstable single sign-on.\n* `m.login.sso`: single sign-on.";
        let both = values(&["m.login.sso", "m.login.sso.xyz"]);
        assert_eq!(
            meaning("m.login.sso", &both, text, Scope::Own).as_deref(),
            Some("`m.login.sso`: single sign-on.")
        );
        let only_longer = "* `m.login.sso.xyz`: an unstable single sign-on.";
        assert_eq!(meaning("m.login.sso", &both, only_longer, Scope::Own), None);
        let sentence = "`m.login.sso.xyz` is unstable.";
        assert_eq!(meaning("m.login.sso", &both, sentence, Scope::Own), None);
    }

    #[test]
    fn an_operation_description_counts_only_lists_of_the_values() {
        let kinds = values(&["guest", "user"]);
        let mixed = "Kinds:\n\n- `user` accounts, the usual ones.\n- Other accounts, elsewhere.";
        assert_eq!(meaning("user", &kinds, mixed, Scope::Operation), None);
        assert!(meaning("user", &kinds, mixed, Scope::Own).is_some());
        let sentence = "`user` accounts may use the full API.";
        assert_eq!(meaning("user", &kinds, sentence, Scope::Operation), None);
        assert!(meaning("user", &kinds, sentence, Scope::Own).is_some());
    }

    #[test]
    fn code_blocks_tables_and_abbreviations_are_not_prose() {
        let kinds = values(&["guest", "user"]);
        let fenced = "Example:\n\n```\n- `user` accounts.\n```";
        assert_eq!(meaning("user", &kinds, fenced, Scope::Own), None);
        let table = "| `user` | full API |\n|---|---|";
        assert_eq!(meaning("user", &kinds, table, Scope::Own), None);
        let abbreviated = "`user` accounts, e.g. most of them, use the full API. Others do not.";
        assert_eq!(
            meaning("user", &kinds, abbreviated, Scope::Own).as_deref(),
            Some("`user` accounts, e.g. most of them, use the full API.")
        );
    }

    #[test]
    fn items_keep_their_paragraphs_and_end_at_the_next_item() {
        let text = "* `a`: first,\n  continued.\n\n  A second paragraph.\n* `b`: lazy\ncontinuation.\n\nAfter.";
        let ab = values(&["a", "b"]);
        assert_eq!(
            meaning("a", &ab, text, Scope::Own).as_deref(),
            Some("`a`: first,\ncontinued.\n\nA second paragraph.")
        );
        assert_eq!(
            meaning("b", &ab, text, Scope::Own).as_deref(),
            Some("`b`: lazy\ncontinuation.")
        );
    }

    #[test]
    fn the_seed_registration_kind_gets_its_meanings() {
        let spec = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/registration.yaml");
        let api = crate::build_model(&crate::Options::new(spec)).unwrap_or_else(|e| panic!("{e}"));
        let kind = api.types.iter().find(|d| d.name == "RegistrationKind").unwrap();
        let TypeKind::Enum(e) = &kind.kind else {
            panic!("not an enum")
        };
        let docs: Vec<Option<&str>> = e.variants.iter().map(|v| v.doc.as_deref()).collect();
        assert_eq!(
            docs,
            [
                Some(
                    "`guest` accounts. These accounts may have limited permissions and may not be supported by all servers."
                ),
                Some("`user` accounts. These accounts may use the full API described in this specification."),
            ]
        );
    }
}
