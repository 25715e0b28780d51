//! Conventions of the Hugo site the Matrix spec is written for (since v1.8): site-relative links.

use std::collections::BTreeMap;

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

/// The fence (character and length) that `line` opens, if it opens one.
fn fence_open(line: &str) -> Option<(char, usize)> {
    let text = line.trim();
    let ch = text.chars().next().filter(|&c| c == '`' || c == '~')?;
    let len = text.chars().take_while(|&c| c == ch).count();
    (len >= 3 && !(ch == '`' && text[len..].contains('`'))).then_some((ch, len))
}

/// Whether `line` closes a fence of `len` `ch` characters.
fn closes_fence(line: &str, ch: char, len: usize) -> bool {
    let text = line.trim();
    let run = text.chars().take_while(|&c| c == ch).count();
    run >= len && text[run..].trim().is_empty()
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

/// Start positions of the maximal backtick runs, grouped by run length.
fn backtick_runs(c: &[char]) -> BTreeMap<usize, Vec<usize>> {
    let mut runs: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut at = 0;
    while at < c.len() {
        let len = run_len(c, at);
        if len > 0 {
            runs.entry(len).or_default().push(at);
        }
        at += len.max(1);
    }
    runs
}

/// Number of backticks starting at `at`.
fn run_len(c: &[char], at: usize) -> usize {
    c[at..].iter().take_while(|&&ch| ch == '`').count()
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
