//! Turns spec descriptions (reStructuredText and Markdown mixed) into rustdoc-safe Markdown.
//!
//! [`doc_lines`] works in three passes. A text pass replaces the Hugo shortcodes of the spec
//! site (since Matrix v1.8) by their text and puts each box tag on a line of its own. The block
//! pass walks the lines, keeps list items and boxes together, turns every kind of code block
//! into a fence tagged `text` and re-indents prose so that nothing can become an indented code
//! block (rustdoc would run it as a doctest). The inline pass rewrites each paragraph:
//! reStructuredText literals and hyperlink references, relative links, bare URLs, and
//! characters rustdoc would read as HTML tags or intra-doc links.
//!
//! [`absolute_links`] runs before it, for callers that know which spec version the text comes
//! from: it points the spec's site-relative links at that version on the web, so they stay links.

mod blocks;
mod hugo;
mod inline;

/// Converts one description into Markdown that rustdoc renders without warnings and never runs as a doctest.
///
/// Returns the lines of the doc comment, without the leading `///` and without a leading space
/// (the caller adds `#[doc = " line"]`). Trailing blank lines are dropped; an empty or
/// whitespace-only input gives an empty Vec.
///
/// What it does:
/// - reStructuredText literals (two backticks) become Markdown code spans, with a longer fence
///   when the content holds backticks; single-backtick code spans stay code.
/// - reStructuredText hyperlink references (a single-backtick phrase followed by `_` or `__`)
///   become plain text: the phrase names a section of the spec that the generated crate does
///   not have, so it reads as prose. An embedded absolute target (`` `Matrix <https://…>`_ ``)
///   becomes a Markdown link; an embedded relative target is dropped.
/// - Markdown links and images with a relative destination (`/…`, `#…`, `../…`) are replaced
///   by their text (run [`absolute_links`] first to keep the spec's site-relative links);
///   absolute `http(s)`, `ftp` and `mailto` links stay, also when their text spans lines (titles
///   are dropped, images become links). Bare `http(s)` URLs are wrapped in angle brackets.
/// - `<`, `>`, `[` and `]` in prose are backslash-escaped unless they belong to a kept link
///   or autolink. Existing escapes are kept, never doubled.
/// - Every code block (fenced, indented, or a reStructuredText literal block after `::`)
///   becomes a fence tagged `text` with its content unchanged (indented blocks are dedented,
///   blank lines inside are kept); an unclosed fence is closed. A paragraph's trailing `::`
///   becomes `:` (` ::` and a lone `::` disappear), as reStructuredText renders it.
/// - reStructuredText explicit markup: substitutions (`.. |name| replace:: text`) are applied
///   where `|name|` is used, hyperlink targets and comments are dropped, a directive shows its
///   content under a bold label (`**Note:**`), a `code` directive becomes a code block. The
///   backslash that separates inline markup from a following letter (``` ``name``\s ```) is dropped.
/// - List items keep their continuation lines and always start with one space after the
///   marker (an empty item gets `&nbsp;`); prose indentation is normalised so that no line can
///   become an indented code block, tabs in prose are expanded, and runs of blank lines
///   outside code collapse to one.
/// - Hugo shortcodes never reach the output. `{{% boxes/warning %}}` … `{{% /boxes/warning %}}`
///   becomes rustdoc's warning block: raw `<div class="warning">` and `</div>` lines around the
///   converted content, with blank lines between so that the content still renders as Markdown.
///   `boxes/note` and `boxes/rationale` become block quotes (every line prefixed by `> `)
///   starting with a bold label (`**Note:**`). A box stays open until its closing tag, also
///   across list items and indentation changes; an unclosed box is closed at the end, a closing
///   tag that matches no open box is dropped, and a box tag ends a code block it appears in.
/// - `{{% added-in v="1.18" %}}` becomes `Added in Matrix 1.18.`, `{{% changed-in v="1.11" %}}`
///   becomes `Changed in Matrix 1.11:` (also written `{{< … >}}`, quoted or not). Other
///   shortcodes are dropped with their text around them kept; a `name=` or `path=` argument is
///   kept as code (`` `m.room.member` ``). A line left empty by a dropped tag disappears, and a
///   leftover `{{%` or `{{<` (an unterminated tag) loses a brace.
pub fn doc_lines(text: &str) -> Vec<String> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let text = hugo::expand_shortcodes(&text);
    let lines: Vec<&str> = text.split('\n').map(str::trim_end).collect();
    blocks::convert_lines(&lines).into_iter().map(hugo::defuse).collect()
}

/// Points the site-relative links of a spec description at the spec on the web, so that
/// [`doc_lines`] keeps them as links instead of reducing them to their text.
///
/// With `site` = `https://spec.matrix.org/v1.19` (a trailing `/` is fine),
/// `[text](/client-server-api/#anchor)` becomes
/// `[text](https://spec.matrix.org/v1.19/client-server-api/#anchor)`; images too. Only
/// destinations that start with a single `/` change: `#anchor`, `../x`, `//host/x` and absolute
/// URLs stay, and so does everything inside code spans and fenced code blocks. The link text
/// may span lines. An empty `site` changes nothing.
pub(crate) fn absolute_links(text: &str, site: &str) -> String {
    hugo::absolute_links(text, site)
}

/// Joins several doc sources (e.g. summary, then description) into one doc: each non-empty source becomes a paragraph,
/// separated by one blank line; a source that is identical (after trimming) to an earlier one is skipped.
pub fn join_docs<'a>(sources: impl IntoIterator<Item = Option<&'a str>>) -> Vec<String> {
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for source in sources.into_iter().flatten() {
        let key = source.trim();
        if key.is_empty() || seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let lines = doc_lines(source);
        if !lines.is_empty() && !out.is_empty() {
            out.push(String::new());
        }
        out.extend(lines);
    }
    out
}

/// The fence (character and length) that `line` opens, if it opens one: three or more
/// backticks or tildes, and no backtick after backticks (that is inline code).
pub(crate) fn fence_open(line: &str) -> Option<(char, usize)> {
    let text = line.trim();
    let ch = text.chars().next().filter(|&c| c == '`' || c == '~')?;
    let len = text.chars().take_while(|&c| c == ch).count();
    (len >= 3 && !(ch == '`' && text[len..].contains('`'))).then_some((ch, len))
}

/// Whether `line` closes a fence of `len` `ch` characters: as many or more, and nothing after.
pub(crate) fn closes_fence(line: &str, ch: char, len: usize) -> bool {
    let text = line.trim();
    let run = text.chars().take_while(|&c| c == ch).count();
    run >= len && text[run..].trim().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The converted doc as one string, for readable assertions.
    fn doc(text: &str) -> String {
        doc_lines(text).join("\n")
    }

    /// Real descriptions from the Matrix Client-Server spec (registration API, r0.x to v1.7),
    /// plus inputs for each conversion rule.
    const SAMPLES: &[&str] = &[
        "This API endpoint uses the `User-Interactive Authentication API`_.\n\n\
        An access token should be submitted to this endpoint if the client has\n\
        an active session.",
        "Part of the request was invalid. This may include one of the following error codes:\n\n\
        * ``M_USER_IN_USE`` : The desired user ID is already taken.\n\
        * ``M_INVALID_USERNAME`` : The desired user ID is not a valid user name.\n\
        * ``M_EXCLUSIVE`` : The desired user ID is in the exclusive namespace\n  claimed by an application service.\n\n\
        These errors may be returned at any stage of the registration process,\n\
        including after authentication if the requested user ID was registered\n\
        whilst the client was performing authentication.",
        "This API endpoint uses the [User-Interactive Authentication API](/client-server-api/#user-interactive-authentication-api), except in\n\
        the cases where a guest account is being registered.",
        "A unique string generated by the client, and used to identify the\n\
        validation attempt. It must be a string consisting of the characters\n\
        `[0-9a-zA-Z.=_-]`. Its length must not exceed 255 characters and it\n\
        must not be empty.",
        "A unique string generated by the client, and used to identify the\n\
        validation attempt. It must be a string consisting of the characters\n\
        ``[0-9a-zA-Z.=_-]``. Its length must not exceed 255 characters and it\n\
        must not be empty.",
        "(optional) A ``refresh_token`` may be exchanged for a new ``access_token`` using the /tokenrefresh API endpoint.",
        "An optional field containing a URL where the client must submit the\n\
        validation token to, with identical parameters to the Identity Service\n\
        API's ``POST /validate/email/submitToken`` endpoint. The homeserver must\n\
        send this token to the user (if applicable), who should then be\n\
        prompted to provide it to the client. https://example.org/path/to/submitToken",
        "Authorization: Bearer <token>",
        "Proxies the identity server API `validate/email/requestToken`, but\n\
        additionally inform the user if the given email is already associated\n\
        with an account on this Home Server. Note that, for consistency,\n\
        this API takes JSON objects, though the Identity Server API takes\n\
        ``x-www-form-urlencoded`` parameters.",
        "The local part of the desired Matrix ID. If omitted,\n\
        the homeserver MUST generate a Matrix ID local part. See the\n\
        `Matrix specification <../appendices.html#user-identifiers>`_.",
        "When ``false``, the server can still take advantage of `the soft logout method <#soft-logout>`_\n\
        for the user's remaining devices.",
        "The server will use this to send the user a link to\n\
        [`/register/email/requestToken`](/client-server-api/#post_matrixclientv3registeremailrequesttoken)\n\
        for details.",
        "The value of the session key given by the homeserver (completed\nvia the [fallback mechanism](#fallback)).",
        "See the [Matrix spec](https://spec.matrix.org/v1.7/client-server-api/) and `Matrix <https://matrix.org>`_.",
        "An example response:\n\n```json\n{\n  \"user_id\": \"@cheeky_monkey:matrix.org\"\n}\n```\n\nDone.",
        "Example::\n\n    {\n      \"errcode\": \"M_USER_IN_USE\"\n    }\n\nAfter the example.",
        "Markdown indented code:\n\n    let x = [1, 2];\n    <b>\n\nThen prose.",
        "* ``M_EXCLUSIVE`` : The desired user ID\n  claimed by a service.\n\n  More about it::\n\n      literal <inside> list\n\n\
        * Next item with `code`",
        "There are two kinds of user account:\n\n\
        - `user` accounts. These accounts may use the full API described in this specification.\n\n\
        - `guest` accounts. These accounts may have limited permissions and may not be supported by all servers.",
        "a < b > c, [foo], [x][y], \\[already\\] and <https://example.org/kept>.",
        "Unclosed fence:\n~~~\ncode <here>\n",
        "~~~ python\nprint(\"```\")\n```\n~~~",
        "Trailing  \r\nspaces\r\n\r\n\r\n\r\nand CRLF\t\r\n\n\n",
        "\n\n\tTabbed code after leading blanks",
        "Lone ` backtick and ``double `` and `` a`b `` and ```` x ```` end",
        "Nested [a [b](https://b.example) c](/relative) and ![img](/x.png) and ![logo](https://x.example/l.png)",
        "identical to that of the HS API |/register/email/requestToken|_ except that\n\n\
        .. |/register/email/requestToken| replace:: ``/register/email/requestToken``\n\n\
        .. _/register/email/requestToken: #post-matrix-client-%CLIENT_MAJOR_VERSION%-register-email-requesttoken",
        "the server MUST either map the provided\n\
        ``username`` onto a ``user_id`` in a logical manner, or reject\n\
        ``username``\\s which do not comply to the grammar, with\n\
        ``M_INVALID_USERNAME``.",
        ".. note::\n   Servers MUST <check>.\n\n\
        .. code:: json\n\n   {\"a\": 1}\n\n\
        .. a comment\n   spanning lines\n\n\
        After.",
    ];

    #[test]
    fn rst_literals_become_code_spans() {
        let got = doc(SAMPLES[1]);
        assert!(
            got.contains("* `M_USER_IN_USE` : The desired user ID is already taken."),
            "{got}"
        );
        assert!(doc(SAMPLES[8]).contains("`x-www-form-urlencoded` parameters."));
        assert_eq!(
            doc(SAMPLES[5]),
            "(optional) A `refresh_token` may be exchanged for a new `access_token` using the /tokenrefresh API endpoint."
        );
    }

    #[test]
    fn code_with_backticks_gets_longer_fences() {
        assert_eq!(doc("``a`b``"), "``a`b``");
        assert_eq!(doc("`` `x` ``"), "`` `x` ``");
        assert_eq!(doc("```` `` ````"), "` `` `");
        assert_eq!(doc("``double\nline``"), "`double line`");
    }

    #[test]
    fn lone_backticks_are_escaped() {
        assert_eq!(doc("a ` b"), "a \\` b");
        assert_eq!(doc("a `` b ` c"), "a \\`\\` b \\` c");
    }

    #[test]
    fn rst_references_become_plain_text() {
        let got = doc_lines(SAMPLES[0]);
        assert_eq!(
            got[0],
            "This API endpoint uses the User-Interactive Authentication API."
        );
        assert_eq!(got[1], "");
        assert!(doc(SAMPLES[9]).ends_with("See the\nMatrix specification."));
        assert!(doc(SAMPLES[10]).contains("take advantage of the soft logout method\nfor the"));
        assert_eq!(doc("see `Anonymous`__ here"), "see Anonymous here");
        assert_eq!(doc("`a_b <http://x.org/y>`_"), "[a\\_b](http://x.org/y)");
        assert_eq!(doc("`x`_y stays"), "`x`\\_y stays");
    }

    #[test]
    fn rst_explicit_markup_is_resolved() {
        let got = doc(SAMPLES[26]);
        assert_eq!(
            got,
            "identical to that of the HS API `/register/email/requestToken` except that"
        );
        assert!(doc(SAMPLES[27]).contains("or reject\n`username`s which do not"));
        let got = doc(SAMPLES[28]);
        assert_eq!(
            got,
            "**Note:**\nServers MUST \\<check\\>.\n\n```text\n{\"a\": 1}\n```\n\nAfter."
        );
        assert_eq!(
            doc("* item\n\n  .. WARNING:: Careful\n     here\n\nOut."),
            "* item\n\n  **Warning:** Careful\n  here\n\nOut."
        );
    }

    #[test]
    fn single_backtick_code_stays_code() {
        let text = "This API endpoint uses the `User-Interactive Authentication API`.";
        assert_eq!(doc(text), text);
        assert!(doc(SAMPLES[3]).contains("\n`[0-9a-zA-Z.=_-]`. Its length"));
        assert!(doc(SAMPLES[4]).contains("\n`[0-9a-zA-Z.=_-]`. Its length"));
    }

    #[test]
    fn relative_links_keep_their_text_only() {
        assert_eq!(
            doc(SAMPLES[2]),
            "This API endpoint uses the User-Interactive Authentication API, except in\nthe cases where a guest account is being registered."
        );
        assert!(doc(SAMPLES[11]).contains("link to\n`/register/email/requestToken`\nfor details."));
        assert!(doc(SAMPLES[12]).ends_with("via the fallback mechanism)."));
        assert_eq!(doc("[a](../appendices.html#ids) [b]()"), "a b");
    }

    #[test]
    fn absolute_links_stay() {
        let got = doc(SAMPLES[13]);
        assert_eq!(
            got,
            "See the [Matrix spec](https://spec.matrix.org/v1.7/client-server-api/) and [Matrix](https://matrix.org)."
        );
        assert_eq!(doc("[t](https://a.example/x \"title\")"), "[t](https://a.example/x)");
        assert_eq!(doc("[two\nlines](https://a.example)"), "[two lines](https://a.example)");
        let got = doc(SAMPLES[25]);
        assert_eq!(
            got,
            "Nested a [b](https://b.example) c and img and [logo](https://x.example/l.png)"
        );
    }

    #[test]
    fn bare_urls_are_wrapped() {
        assert!(doc(SAMPLES[6]).ends_with("provide it to the client. <https://example.org/path/to/submitToken>"));
        assert_eq!(doc("see https://x.org/a."), "see <https://x.org/a>.");
        assert_eq!(doc("(see http://x.org/a_(b))"), "(see <http://x.org/a_(b)>)");
        assert_eq!(
            doc("`https://in.code` <https://kept.org>"),
            "`https://in.code` <https://kept.org>"
        );
        assert_eq!(doc("[https://x.org](/rel)"), "<https://x.org>");
    }

    #[test]
    fn html_like_text_is_escaped() {
        assert_eq!(doc(SAMPLES[7]), "Authorization: Bearer \\<token\\>");
        assert_eq!(doc("a < b > c and `<user_id>`"), "a \\< b \\> c and `<user_id>`");
        assert_eq!(doc("<!-- comment -->"), "\\<!-- comment --\\>");
    }

    #[test]
    fn brackets_outside_links_are_escaped() {
        assert_eq!(
            doc(SAMPLES[19]),
            "a \\< b \\> c, \\[foo\\], \\[x\\]\\[y\\], \\[already\\] and <https://example.org/kept>."
        );
        assert_eq!(doc("[0-9a-zA-Z.=_-]"), "\\[0-9a-zA-Z.=_-\\]");
        assert_eq!(doc("- [ ] task"), "- \\[ \\] task");
    }

    #[test]
    fn fenced_blocks_become_text_fences() {
        let got = doc(SAMPLES[14]);
        assert_eq!(
            got,
            "An example response:\n\n```text\n{\n  \"user_id\": \"@cheeky_monkey:matrix.org\"\n}\n```\n\nDone."
        );
        assert_eq!(doc(SAMPLES[20]), "Unclosed fence:\n```text\ncode <here>\n```");
        assert_eq!(doc(SAMPLES[21]), "````text\nprint(\"```\")\n```\n````");
    }

    #[test]
    fn literal_and_indented_blocks_become_text_fences() {
        let got = doc(SAMPLES[15]);
        assert_eq!(
            got,
            "Example:\n\n```text\n{\n  \"errcode\": \"M_USER_IN_USE\"\n}\n```\n\nAfter the example."
        );
        let got = doc(SAMPLES[16]);
        assert_eq!(
            got,
            "Markdown indented code:\n\n```text\nlet x = [1, 2];\n<b>\n```\n\nThen prose."
        );
        assert_eq!(doc("Shown ::\n\n  x"), "Shown\n\n```text\nx\n```");
        assert_eq!(doc("Text\n\n::\n\n  x"), "Text\n\n```text\nx\n```");
        assert_eq!(doc("Ends with::"), "Ends with:");
    }

    #[test]
    fn list_items_keep_their_continuations() {
        let got = doc_lines(SAMPLES[1]);
        assert_eq!(
            got[4],
            "* `M_EXCLUSIVE` : The desired user ID is in the exclusive namespace"
        );
        assert_eq!(got[5], "  claimed by an application service.");
        assert_eq!(got[6], "");
        assert!(got[7].starts_with("These errors"));
        let got = doc(SAMPLES[17]);
        assert_eq!(
            got,
            "* `M_EXCLUSIVE` : The desired user ID\n  claimed by a service.\n\n  More about it:\n\n  ```text\n  literal <inside> list\n  ```\n\n* Next item with `code`"
        );
        assert_eq!(doc("-   wide marker\n    continued"), "- wide marker\n  continued");
        assert_eq!(
            doc("Text\n   indented prose\n\n  more prose"),
            "Text\nindented prose\n\nmore prose"
        );
    }

    #[test]
    fn line_starts_never_open_code() {
        assert_eq!(doc("a\n     ~~~\nb"), "a\n\\~\\~\\~\nb");
        assert_eq!(doc("[](/x)-     code?"), "\\-     code?");
        assert_eq!(doc("* ```rust"), "* \\`\\`\\`rust");
        assert_eq!(doc("*"), "* &nbsp;");
        assert_eq!(doc("- [](/x)- -"), "- \\- -");
    }

    #[test]
    fn whitespace_is_normalised() {
        assert_eq!(doc_lines(SAMPLES[22]), vec!["Trailing", "spaces", "", "and CRLF"]);
        assert_eq!(doc(SAMPLES[23]), "```text\nTabbed code after leading blanks\n```");
        assert_eq!(doc("a\tb"), "a   b");
        assert!(doc_lines("").is_empty());
        assert!(doc_lines(" \n\t\r\n ").is_empty());
    }

    #[test]
    fn output_converts_to_itself() {
        for sample in SAMPLES {
            let once = doc_lines(sample);
            assert_eq!(doc_lines(&once.join("\n")), once, "{sample:?}");
        }
    }

    #[test]
    fn join_docs_skips_empty_and_repeated_sources() {
        let got = join_docs([
            Some("Changes a user's password."),
            None,
            Some("  "),
            Some("Changes a user's password.\n"),
            Some("Uses `<token>`."),
        ]);
        assert_eq!(got, vec!["Changes a user's password.", "", "Uses `<token>`."]);
        assert!(join_docs([None, Some("")]).is_empty());
    }

    /// A small deterministic generator (xorshift64*), so the property test needs no crate.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A pseudo-random description built from characters and snippets that are tricky here.
    fn random_input(seed: u64) -> String {
        const ALPHABET: &[&str] = &[
            "`", "``", "[", "]", "(", ")", "<", ">", "_", ":", "::", "\n", "\n\n", " ", "    ", "*", "-", "\\", "~",
            "a", "b", "Z", "é", "http://", "https://", ".", "\t", "\r\n", "1.", "#", "|", "```", "~~~", "!",
        ];
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let len = next(&mut state) % 60;
        (0..len)
            .map(|_| ALPHABET[usize::try_from(next(&mut state) % ALPHABET.len() as u64).unwrap_or(0)])
            .collect()
    }

    #[test]
    fn random_inputs_never_panic_or_break_lines() {
        for seed in 0..600 {
            let input = random_input(seed);
            let lines = doc_lines(&input);
            assert!(
                lines.iter().all(|l| !l.contains('\n') && !l.contains('\r')),
                "{input:?}"
            );
            assert!(lines.iter().all(|l| l.trim_end() == l), "{input:?}");
            assert!(lines.first().is_none_or(|l| !l.is_empty()) && lines.last().is_none_or(|l| !l.is_empty()));
        }
    }

    #[test]
    fn long_and_odd_inputs_stay_fast() {
        let long = "[(`<http://x".repeat(20_000);
        assert!(!doc_lines(&long).is_empty());
        let deep = format!("{}x{}", "[".repeat(50_000), "](/a)".repeat(50_000));
        assert!(!doc_lines(&deep).is_empty());
        let nested = "- ".repeat(10_000) + "x";
        assert_eq!(doc_lines(&nested).len(), 1);
    }
}
