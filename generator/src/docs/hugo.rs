//! Conventions of the Hugo site the Matrix spec is written for (since v1.8): shortcodes
//! (`{{% boxes/note %}}`, `{{% added-in v="1.18" %}}`) and site-relative links.

use std::collections::BTreeMap;

use super::inline::{backtick_runs, run_len};
use super::{closes_fence, fence_open};

/// A box shortcode that the block pass turns into a container.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum BoxKind {
    Note,
    Rationale,
    Warning,
}

impl BoxKind {
    /// The bold label that starts a box shown as a block quote; `None` for a rustdoc warning block.
    pub(super) fn label(self) -> Option<&'static str> {
        match self {
            BoxKind::Note => Some("Note"),
            BoxKind::Rationale => Some("Rationale"),
            BoxKind::Warning => None,
        }
    }
}

/// An opening or closing box tag standing alone on a line.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct BoxTag {
    pub(super) kind: BoxKind,
    pub(super) closing: bool,
}

/// The box tag that `line` consists of, if it is one.
pub(super) fn box_tag(line: &str) -> Option<BoxTag> {
    let line = line.trim();
    let (tag, len) = parse_tag(line)?;
    let kind = box_kind(tag.name)?;
    (len == line.len()).then_some(BoxTag {
        kind,
        closing: tag.closing,
    })
}

/// Replaces every shortcode but the boxes by its text, and puts each box tag on a line of its
/// own (indented like the line it was on) for the block pass. A line left empty only by dropped
/// tags disappears, so that it cannot split a paragraph.
pub(super) fn expand_shortcodes(text: &str) -> String {
    if find_opener(text).is_none() {
        return text.to_string();
    }
    let mut out = Vec::new();
    for line in text.split('\n') {
        expand_line(line, &mut out);
    }
    out.join("\n")
}

/// Removes one brace of every `{{%` and `{{<` left in an output line (an unterminated tag, or
/// one formed when markup around it was removed), so that nothing in the docs reads as a shortcode.
pub(super) fn defuse(line: String) -> String {
    if !line.contains("{{") {
        return line;
    }
    let mut out = String::with_capacity(line.len());
    for ch in line.chars() {
        out.push(ch);
        while out.ends_with("{{%") || out.ends_with("{{<") {
            out.remove(out.len() - 2);
        }
    }
    out
}

/// Expands the shortcodes of one line into `out`.
fn expand_line(line: &str, out: &mut Vec<String>) {
    let indent = &line[..line.len() - line.trim_start().len()];
    let mut current = String::new();
    let mut rest = line;
    while let Some(at) = find_opener(rest) {
        current.push_str(&rest[..at]);
        let Some((tag, len)) = parse_tag(&rest[at..]) else {
            current.push_str(&rest[at..at + 3]);
            rest = &rest[at + 3..];
            continue;
        };
        let source = &rest[at..at + len];
        rest = &rest[at + len..];
        if box_kind(tag.name).is_some() {
            if !current.trim().is_empty() {
                out.push(current.trim_end().to_string());
            }
            out.push(format!("{indent}{source}"));
            current = indent.to_string();
            rest = rest.trim_start();
            continue;
        }
        let text = inline_text(&tag);
        // A dropped tag at the start of a line must not change the line's indentation.
        if text.is_empty() && current.trim().is_empty() {
            rest = rest.trim_start();
        }
        current.push_str(&text);
    }
    current.push_str(rest);
    if !current.trim().is_empty() || line.trim().is_empty() {
        out.push(current);
    }
}

/// Byte position of the first `{{%` or `{{<`.
fn find_opener(text: &str) -> Option<usize> {
    text.as_bytes()
        .windows(3)
        .position(|w| w[0] == b'{' && w[1] == b'{' && matches!(w[2], b'%' | b'<'))
}

/// A shortcode tag: `{{% name key="value" %}}`, `{{< name >}}`, or a closing `{{% /name %}}`.
struct Tag<'a> {
    name: &'a str,
    closing: bool,
    /// Named (`key=value`) and positional arguments, quotes removed.
    args: Vec<(Option<&'a str>, &'a str)>,
}

impl Tag<'_> {
    /// The value of a named argument.
    fn arg(&self, key: &str) -> Option<&str> {
        self.args.iter().find(|(k, _)| *k == Some(key)).map(|(_, v)| *v)
    }
}

/// Longest tag looked for, so that a line full of unterminated openers stays linear.
const MAX_TAG: usize = 512;

/// Parses the tag at the start of `text`; returns it and its length in bytes. A tag ends on
/// the line it starts on, with the delimiter it was opened with.
fn parse_tag(text: &str) -> Option<(Tag<'_>, usize)> {
    let close = match text.get(..3)? {
        "{{%" => "%}}",
        "{{<" => ">}}",
        _ => return None,
    };
    let limit = (0..=text.len().min(MAX_TAG))
        .rev()
        .find(|&at| text.is_char_boundary(at))?;
    let window = text[3..limit].split('\n').next()?;
    let end = window.find(close)?;
    let inner = window[..end].trim();
    // `{{</* name */>}}` is how Hugo shows a tag literally; it shows nothing here either.
    let inner = inner
        .strip_prefix("/*")
        .and_then(|i| i.strip_suffix("*/"))
        .unwrap_or(inner)
        .trim();
    let (closing, inner) = match inner.strip_prefix('/') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, inner),
    };
    let name_len = inner.find(char::is_whitespace).unwrap_or(inner.len());
    let name = &inner[..name_len];
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.'));
    let tag = Tag {
        name,
        closing,
        args: parse_args(&inner[name_len..]),
    };
    valid.then_some((tag, 3 + end + 3))
}

/// Splits shortcode arguments: `key="quoted value"`, `key=value`, `"positional"`, `positional`.
fn parse_args(mut text: &str) -> Vec<(Option<&str>, &str)> {
    let mut args = Vec::new();
    loop {
        text = text.trim_start();
        if text.is_empty() {
            return args;
        }
        let key_len = text
            .find(|c: char| c == '=' || c == '"' || c.is_whitespace())
            .unwrap_or(text.len());
        let (key, rest) = match text[key_len..].strip_prefix('=') {
            Some(rest) if key_len > 0 => (Some(&text[..key_len]), rest),
            _ => (None, text),
        };
        let (value, rest) = split_value(rest);
        args.push((key, value));
        text = rest;
    }
}

/// Splits an argument value (quoted, or up to the next white space) from the rest.
fn split_value(text: &str) -> (&str, &str) {
    if let Some(quoted) = text.strip_prefix(['"', '`']) {
        let quote = if text.starts_with('"') { '"' } else { '`' };
        return match quoted.find(quote) {
            Some(end) => (&quoted[..end], &quoted[end + 1..]),
            None => (quoted, ""),
        };
    }
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    (&text[..end], &text[end..])
}

/// The box a shortcode name opens, for the boxes shown in the docs.
fn box_kind(name: &str) -> Option<BoxKind> {
    match name {
        "boxes/note" => Some(BoxKind::Note),
        "boxes/rationale" => Some(BoxKind::Rationale),
        "boxes/warning" => Some(BoxKind::Warning),
        _ => None,
    }
}

/// What an inline shortcode shows: version notes as words, a named event or definition as code,
/// nothing for the others (their content, if any, stays in the text around them).
fn inline_text(tag: &Tag) -> String {
    if tag.closing {
        return String::new();
    }
    let version = tag
        .arg("v")
        .or_else(|| tag.args.first().filter(|(key, _)| key.is_none()).map(|(_, v)| *v))
        .map(|v| v.strip_prefix('v').unwrap_or(v))
        .filter(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '.'));
    match (tag.name, version) {
        ("added-in", Some(v)) => format!("Added in Matrix {v}."),
        ("added-in", None) if tag.arg("this") == Some("true") => "New in this version.".to_string(),
        ("changed-in", Some(v)) => format!("Changed in Matrix {v}:"),
        ("added-in" | "changed-in", None) => String::new(),
        _ => tag
            .arg("name")
            .or_else(|| tag.arg("path"))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| {
                if v.contains('`') {
                    format!("`` {v} ``")
                } else {
                    format!("`{v}`")
                }
            })
            .unwrap_or_default(),
    }
}

/// Prefixes `site` (without its trailing `/`) to every Markdown link destination that starts
/// with a single `/`, outside code spans and fenced code blocks.
pub(super) fn absolute_links(text: &str, site: &str) -> String {
    let site = site.trim_end_matches('/');
    if site.is_empty() || !text.contains("](") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 64);
    let mut prose = String::new();
    let mut fence: Option<(char, usize)> = None;
    for line in text.split_inclusive('\n') {
        match fence {
            Some((ch, len)) => {
                out.push_str(line);
                if closes_fence(line, ch, len) {
                    fence = None;
                }
            }
            None => match fence_open(line) {
                Some(open) => {
                    out.push_str(&rewrite_prose(&std::mem::take(&mut prose), site));
                    out.push_str(line);
                    fence = Some(open);
                }
                None => prose.push_str(line),
            },
        }
    }
    out.push_str(&rewrite_prose(&prose, site));
    out
}

/// Rewrites the link destinations of text outside code blocks (a link may span lines).
fn rewrite_prose(text: &str, site: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let runs = backtick_runs(&c);
    let mut out = String::with_capacity(text.len());
    let mut open = 0usize;
    let mut at = 0;
    while at < c.len() {
        match c[at] {
            '\\' => {
                out.extend(&c[at..c.len().min(at + 2)]);
                at += 2;
            }
            '`' => {
                let end = code_span_end(&c, at, &runs);
                out.extend(&c[at..end]);
                at = end;
            }
            '[' => {
                open += 1;
                out.push('[');
                at += 1;
            }
            ']' if open > 0 && c.get(at + 1) == Some(&'(') => {
                open -= 1;
                out.push_str("](");
                at += 2;
                while let Some(&ch @ (' ' | '\t' | '\n' | '<')) = c.get(at) {
                    out.push(ch);
                    at += 1;
                }
                if c.get(at) == Some(&'/') && c.get(at + 1) != Some(&'/') {
                    out.push_str(site);
                }
            }
            ch => {
                open = if ch == ']' { open.saturating_sub(1) } else { open };
                out.push(ch);
                at += 1;
            }
        }
    }
    out
}

/// End of the code span opened by the backtick run at `at` (after its closing run), or of
/// the run alone when no run of the same length follows.
fn code_span_end(c: &[char], at: usize, runs: &BTreeMap<usize, Vec<usize>>) -> usize {
    let len = run_len(c, at);
    let starts = runs.get(&len).map_or(&[][..], Vec::as_slice);
    match starts.get(starts.partition_point(|&s| s <= at)) {
        Some(&closer) => closer + len,
        None => at + len,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{absolute_links, doc_lines};

    const SITE: &str = "https://spec.matrix.org/v1.19";

    /// The converted doc as one string, for readable assertions.
    fn doc(text: &str) -> String {
        doc_lines(text).join("\n")
    }

    /// Real descriptions from the Matrix spec v1.19 (OpenAPI 3.1, written for its Hugo site),
    /// then shapes of the other shortcodes seen in the spec.
    const SAMPLES: &[&str] = &[
        "{{% boxes/note %}}\n\
        {{% added-in v=\"1.17\" %}}\n\
        Even if the server doesn't support the Legacy authentication API, it\n\
        MUST support this endpoint for application services to be able to\n\
        [create users](/application-service-api/#server-admin-style-permissions).\n\
        {{% /boxes/note %}}",
        "{{% boxes/warning %}}\n\
        {{% added-in v=\"1.18\" %}} [OAuth 2.0 aware clients](/client-server-api/#oauth-20-aware-clients)\n\
        MUST NOT use this endpoint ...\n\
        {{% /boxes/warning %}}",
        "* {{% added-in v=\"1.17\" %}} `M_APPSERVICE_LOGIN_UNSUPPORTED`: an application service ...",
        "The login attempt failed. This can include one of the following error codes:\n\n\
        * `M_FORBIDDEN`: The provided authentication data was incorrect.\n\n  \
          {{% boxes/note %}}\n  \
          Servers MAY also return:\n  \
          * `M_USER_DEACTIVATED`\n  \
          * `M_LIMIT_EXCEEDED`\n\n  \
          ```\n  \
          {\"errcode\": \"M_FORBIDDEN\"}\n  \
          ```\n  \
          {{% /boxes/note %}}\n\
        * `M_USER_DEACTIVATED`: The user has been deactivated.",
        "{{% boxes/rationale %}}\n\
        HKDF is used over the plain shared secret as it results in a <harder>\n\
        attack as well as more uniform data to work with.\n\n\
        New implementations are discouraged from it.\n\
        {{% /boxes/rationale %}}\n\
        For verification of each party's device keys.",
        "Clients SHOULD follow the advice given in the field description when the field is not available.  \
        {{% boxes/note %}} Both clients and server administrators should be aware that proxies may \
        enforce a lower upload size limit. {{% /boxes/note %}}",
        "{{< added-in v=1.3 >}} The `refresh_token`. {{% changed-in v=\"1.11\" %}} Servers MUST send it.",
        "{{% http-api spec=\"client-server\" api=\"registration\" %}}\n\
        See {{% event name=\"m.room.member\" %}} and {{% definition path=\"api/client-server/definitions/room_event_filter\" %}}.",
        "1. Ask the server.\n\n   {{% boxes/warning %}}\n   Use [the `m.login.sso`\n   authentication flow](/client-server-api/#client-login-via-sso) first.\n   {{% /boxes/warning %}}\n2. Log in.",
    ];

    #[test]
    fn warning_box_becomes_rustdoc_warning_block() {
        assert_eq!(
            doc(SAMPLES[1]),
            "<div class=\"warning\">\n\nAdded in Matrix 1.18. OAuth 2.0 aware clients\nMUST NOT use this endpoint ...\n\n</div>"
        );
        assert_eq!(
            doc(SAMPLES[8]),
            "1. Ask the server.\n\n   <div class=\"warning\">\n\n   Use the `m.login.sso`\n   authentication flow first.\n\n   \
             </div>\n\n2. Log in."
        );
        assert_eq!(
            doc("a\n{{% boxes/warning %}}\n<b>\n{{% /boxes/warning %}}\nc"),
            "a\n\n<div class=\"warning\">\n\n\\<b\\>\n\n</div>\n\nc"
        );
    }

    #[test]
    fn note_and_rationale_boxes_become_quotes() {
        assert_eq!(
            doc(SAMPLES[0]),
            "> **Note:** Added in Matrix 1.17.\n\
             > Even if the server doesn't support the Legacy authentication API, it\n\
             > MUST support this endpoint for application services to be able to\n\
             > create users."
        );
        assert_eq!(
            doc(SAMPLES[3]),
            "The login attempt failed. This can include one of the following error codes:\n\n\
             * `M_FORBIDDEN`: The provided authentication data was incorrect.\n\n  \
               > **Note:** Servers MAY also return:\n  \
               > * `M_USER_DEACTIVATED`\n  \
               > * `M_LIMIT_EXCEEDED`\n  \
               >\n  \
               > ```text\n  \
               > {\"errcode\": \"M_FORBIDDEN\"}\n  \
               > ```\n\n\
             * `M_USER_DEACTIVATED`: The user has been deactivated."
        );
        assert_eq!(
            doc(SAMPLES[4]),
            "> **Rationale:** HKDF is used over the plain shared secret as it results in a \\<harder\\>\n\
             > attack as well as more uniform data to work with.\n>\n\
             > New implementations are discouraged from it.\n\n\
             For verification of each party's device keys."
        );
        assert_eq!(
            doc("{{% boxes/note %}}\n\nLater.\n{{% /boxes/note %}}"),
            "> **Note:** Later."
        );
        assert_eq!(
            doc("{{% boxes/note %}}\n{{% boxes/warning %}}\nDanger\n{{% /boxes/warning %}}\n{{% /boxes/note %}}"),
            "> **Note:**\n>\n> <div class=\"warning\">\n>\n> Danger\n>\n> </div>"
        );
    }

    #[test]
    fn version_shortcodes_become_words() {
        assert_eq!(
            doc(SAMPLES[2]),
            "* Added in Matrix 1.17. `M_APPSERVICE_LOGIN_UNSUPPORTED`: an application service ..."
        );
        assert_eq!(
            doc(SAMPLES[6]),
            "Added in Matrix 1.3. The `refresh_token`. Changed in Matrix 1.11: Servers MUST send it."
        );
        assert_eq!(doc("{{< changed-in v=\"v1.4\" >}} x"), "Changed in Matrix 1.4: x");
        assert_eq!(doc("{{% added-in this=true %}} x"), "New in this version. x");
        assert_eq!(doc("{{% added-in %}} x\n  {{% changed-in v=\"<b>\" %}} y"), "x\ny");
    }

    #[test]
    fn other_shortcodes_leave_their_text() {
        assert_eq!(
            doc(SAMPLES[7]),
            "See `m.room.member` and `api/client-server/definitions/room_event_filter`."
        );
        assert_eq!(
            doc(
                "{{% boxes/added-in-paragraph %}}\n{{< added-in v=\"1.4\" >}} Your text\n{{% /boxes/added-in-paragraph %}}"
            ),
            "Added in Matrix 1.4. Your text"
        );
        assert_eq!(doc("a {{< unknown >}} b {{%/ unknown %}}"), "a  b");
        assert_eq!(doc("{{% event name=\"a`b\" %}}"), "``a`b``");
    }

    #[test]
    fn boxes_are_closed_and_split_where_needed() {
        assert_eq!(
            doc(SAMPLES[5]),
            "Clients SHOULD follow the advice given in the field description when the field is not available.\n\n\
             > **Note:** Both clients and server administrators should be aware that proxies may enforce a lower upload size limit."
        );
        assert_eq!(
            doc("{{% boxes/warning %}}\nUnclosed"),
            "<div class=\"warning\">\n\nUnclosed\n\n</div>"
        );
        assert_eq!(doc("{{% boxes/note %}}\n* open"), "> **Note:**\n> * open");
        assert_eq!(doc("Stray\n{{% /boxes/note %}}\nclose."), "Stray\nclose.");
        assert_eq!(
            doc("{{% boxes/note %}}\n```\ncode\n{{% /boxes/note %}}\nAfter."),
            "> **Note:**\n> ```text\n> code\n> ```\n\nAfter."
        );
        assert_eq!(
            doc("* item\n  {{% boxes/note %}}\ndedented\n  {{% /boxes/note %}}\n\nout"),
            "* item\n\n  > **Note:** dedented\n\nout"
        );
    }

    /// The words of `text`: runs of letters and digits.
    fn words(text: &str) -> Vec<&str> {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect()
    }

    /// `text` without its shortcode tags.
    fn without_tags(text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find("{{") {
            out.push_str(&rest[..at]);
            let end = rest[at..].find("}}").map_or(rest.len(), |end| at + end + 2);
            rest = &rest[end..];
        }
        out + rest
    }

    #[test]
    fn nothing_outside_the_tags_is_lost() {
        for sample in SAMPLES {
            let got = doc(&absolute_links(sample, SITE));
            let kept = words(&got);
            for word in words(&without_tags(sample)) {
                assert!(kept.contains(&word), "{word:?} lost from {sample:?}:\n{got}");
            }
        }
    }

    #[test]
    fn no_shortcode_reaches_the_output() {
        const ALPHABET: &[&str] = &[
            "{{% boxes/note %}}",
            "{{% /boxes/note %}}",
            "{{< boxes/warning >}}",
            "{{% /boxes/warning %}}",
            "{{% boxes/rationale %}}",
            "{{% added-in v=\"1.2\" %}}",
            "{{< changed-in v=1.3 >}}",
            "{{% event name=x %}}",
            "{{%",
            "{{<",
            "{",
            "%}}",
            ">}}",
            "[",
            "](/a)",
            "`",
            "```",
            "\n",
            "\n\n",
            "  ",
            "    ",
            "* ",
            "1. ",
            "x",
            ">",
            "::",
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        for _ in 0..800 {
            let mut input = String::new();
            for _ in 0..next(&mut state) % 40 {
                input.push_str(ALPHABET[usize::try_from(next(&mut state) % ALPHABET.len() as u64).unwrap_or(0)]);
            }
            let lines = doc_lines(&absolute_links(&input, SITE));
            let text = lines.join("\n");
            assert!(!text.contains("{{%") && !text.contains("{{<"), "{input:?}\n{text}");
            assert!(
                lines.iter().all(|l| l.trim_end() == l && !l.contains('\n')),
                "{input:?}"
            );
            assert!(lines.first().is_none_or(|l| !l.is_empty()) && lines.last().is_none_or(|l| !l.is_empty()));
            assert_eq!(
                text.matches("<div").count(),
                text.matches("</div>").count(),
                "{input:?}"
            );
        }
        assert_eq!(doc("{{{% x"), "{% x");
        assert_eq!(doc("{[{](/a)% x"), "{% x");
    }

    /// A small deterministic generator (xorshift64*), so the property test needs no crate.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    #[test]
    fn long_and_odd_inputs_stay_fast() {
        for text in [
            "{{%".repeat(30_000),
            "{{% a".repeat(30_000),
            "{{% boxes/note %}}".repeat(5_000),
        ] {
            assert!(!doc(&text).contains("{{%"));
        }
    }

    #[test]
    fn absolute_links_point_at_the_site() {
        let text = "[create users](/application-service-api/#server-admin-style-permissions)";
        let want =
            "[create users](https://spec.matrix.org/v1.19/application-service-api/#server-admin-style-permissions)";
        assert_eq!(absolute_links(text, SITE), want);
        assert_eq!(absolute_links(text, "https://spec.matrix.org/v1.19/"), want);
        assert_eq!(absolute_links(want, SITE), want);
        let kept = "[a](#fallback) [b](../appendices) [c](https://x.org/y) [d](//cdn.example/x) \\[e](/f) `[g](/h)`";
        assert_eq!(absolute_links(kept, SITE), kept);
        assert_eq!(absolute_links(text, ""), text);
        assert_eq!(
            absolute_links(
                "[`m.login.sso`\nauthentication flow](/client-server-api/#client-login-via-sso)",
                SITE
            ),
            "[`m.login.sso`\nauthentication flow](https://spec.matrix.org/v1.19/client-server-api/#client-login-via-sso)"
        );
        assert_eq!(
            absolute_links("![logo](/x.png) [p](</a b>)\n```\n[in](/code)\n```\n``[s](/t)``", SITE),
            "![logo](https://spec.matrix.org/v1.19/x.png) [p](<https://spec.matrix.org/v1.19/a b>)\n```\n[in](/code)\n```\n``[s](/t)``"
        );
        let long = "[`](/a".repeat(30_000);
        assert!(absolute_links(&long, SITE).len() > long.len());
    }

    #[test]
    fn doc_lines_keeps_links_made_absolute() {
        let text = "Use the [`m.login.sso`\nauthentication flow](/client-server-api/#client-login-via-sso).";
        assert_eq!(
            doc(&absolute_links(text, SITE)),
            "Use the [`m.login.sso` authentication flow](https://spec.matrix.org/v1.19/client-server-api/#client-login-via-sso)."
        );
        assert_eq!(doc(text), "Use the `m.login.sso`\nauthentication flow.");
        let text = "invalidate any access token previously associated with that device. See\n\
            [Relationship between access tokens and devices](/client-server-api/#relationship-between-access-tokens-and-devices).";
        assert_eq!(
            doc(&absolute_links(text, SITE)),
            "invalidate any access token previously associated with that device. See\n\
             [Relationship between access tokens and devices](https://spec.matrix.org/v1.19/client-server-api/#relationship-between-access-tokens-and-devices)."
        );
    }
}
