//! Inline pass: code spans, reStructuredText references, links, bare URLs and escaping.

use std::collections::BTreeMap;

/// Rewrites the inline markup of one paragraph (its lines joined by `\n`).
pub(super) fn convert_inline(text: &str) -> String {
    let mut inline = Inline::new(text);
    let mut at = 0;
    while at < inline.c.len() {
        at = inline.step(at);
    }
    inline.out
}

/// An absolute Markdown link being copied: the position of its `]`, its end, its destination.
struct Link {
    close: usize,
    end: usize,
    dest: String,
}

/// State of the inline pass over one paragraph.
struct Inline {
    c: Vec<char>,
    /// At the opening backtick run of a code span: where the closing run starts, and the run length.
    code: Vec<Option<(usize, usize)>>,
    /// At a `[`: its matching `]`.
    close: Vec<Option<usize>>,
    /// At the `<` of an autolink: its `>`.
    auto: Vec<Option<usize>>,
    out: String,
    /// Set while copying the text of an absolute link, which must not contain another link.
    link: Option<Link>,
    /// Relative links being unwrapped: the `]` to drop and where the link ends.
    skips: Vec<(usize, usize)>,
    /// Where the last code span or reStructuredText reference ended.
    markup_end: usize,
}

impl Inline {
    /// Finds code spans, autolinks and matching brackets, as CommonMark's left-to-right scan does.
    fn new(text: &str) -> Self {
        let c: Vec<char> = text.chars().collect();
        let n = c.len();
        let mut inline = Inline {
            c,
            code: vec![None; n],
            close: vec![None; n],
            auto: vec![None; n],
            out: String::new(),
            link: None,
            skips: Vec::new(),
            markup_end: 0,
        };
        inline.scan();
        inline
    }

    /// The structural pre-pass: code spans hide brackets, escapes hide anything.
    fn scan(&mut self) {
        let runs = backtick_runs(&self.c);
        let mut open = Vec::new();
        let mut at = 0;
        while at < self.c.len() {
            at = match self.c[at] {
                '\\' if self.c.get(at + 1).is_some_and(char::is_ascii_punctuation) => at + 2,
                '`' => self.scan_code(at, &runs),
                '<' => match autolink_end(&self.c, at) {
                    Some(end) => {
                        self.auto[at] = Some(end);
                        end + 1
                    }
                    None => at + 1,
                },
                '[' => {
                    open.push(at);
                    at + 1
                }
                ']' => {
                    if let Some(start) = open.pop() {
                        self.close[start] = Some(at);
                    }
                    at + 1
                }
                _ => at + 1,
            };
        }
    }

    /// Records the code span opened by the backtick run at `at`, if a run of the same length closes it.
    fn scan_code(&mut self, at: usize, runs: &BTreeMap<usize, Vec<usize>>) -> usize {
        let len = run_len(&self.c, at);
        let starts = runs.get(&len).map_or(&[][..], Vec::as_slice);
        match starts.get(starts.partition_point(|&s| s < at + len)) {
            Some(&closer) => {
                self.code[at] = Some((closer, len));
                closer + len
            }
            None => at + len,
        }
    }

    /// Converts the construct starting at `at` and returns where the next one starts.
    fn step(&mut self, at: usize) -> usize {
        let in_link = self.link.is_some();
        match self.c[at] {
            '\\' => self.backslash(at),
            '`' => self.backticks(at),
            '[' => self.open_bracket(at),
            ']' => self.close_bracket(at),
            // An image becomes a link (or its text), so the `!` goes.
            '!' if !in_link && self.c.get(at + 1) == Some(&'[') && self.link_at(at + 1).is_some() => at + 1,
            '<' if !in_link && self.auto[at].is_some() => self.copy_autolink(at),
            'h' | 'H' if !in_link && starts_url(&self.c, at) => self.bare_url(at),
            // Link text stays on one line, so no block structure can cut the link apart.
            '\n' if in_link => self.push_at(at, " "),
            '|' if in_link => self.push_at(at, "\\|"),
            '<' => self.push_at(at, "\\<"),
            '>' => self.push_at(at, "\\>"),
            ch => {
                self.out.push(ch);
                at + 1
            }
        }
    }

    /// Writes `text` in place of the character at `at`.
    fn push_at(&mut self, at: usize, text: &str) -> usize {
        self.out.push_str(text);
        at + 1
    }

    /// Keeps Markdown escapes; a backslash escaping nothing is doubled so that it cannot
    /// escape what this pass writes after it (such as the `<` of an autolink).
    fn backslash(&mut self, at: usize) -> usize {
        let next = self.c.get(at + 1).copied();
        // reStructuredText separates inline markup from adjacent text by escaping a letter
        // (``name``\s) or a space (foo\ ``bar``); neither shows in the rendered text.
        let after_markup = at > 0 && self.markup_end == at && next != Some('\n');
        match next {
            Some(' ') if after_markup || self.c.get(at + 2) == Some(&'`') => at + 2,
            Some(next) if after_markup && !next.is_ascii_punctuation() => at + 1,
            Some(next) if next.is_ascii_punctuation() => {
                self.out.push('\\');
                self.out.push(next);
                at + 2
            }
            _ => self.push_at(at, "\\\\"),
        }
    }

    /// Writes a code span or reStructuredText reference, or escapes a backtick run that closes nothing.
    fn backticks(&mut self, at: usize) -> usize {
        let Some((closer, len)) = self.code[at] else {
            let len = run_len(&self.c, at);
            self.out.push_str(&"\\`".repeat(len));
            return at + len;
        };
        let content: String = self.c[at + len..closer].iter().collect();
        let after = closer + len;
        self.markup_end = if let Some(end) = rst_reference_end(&self.c, after).filter(|_| len == 1) {
            self.rst_reference(&content);
            end
        } else {
            self.out.push_str(&code_span(&content));
            // A code span followed by `_` would read as a reference when converted again.
            if self.c.get(after) == Some(&'_') {
                self.out.push_str("\\_");
                after + 1
            } else {
                after
            }
        };
        self.markup_end
    }

    /// Writes a reStructuredText hyperlink reference as plain text, or as a Markdown link when it
    /// embeds an absolute target.
    fn rst_reference(&mut self, phrase: &str) {
        let in_link = self.link.is_some();
        let (text, target) = split_rst_target(phrase);
        let text = if text.is_empty() { target.unwrap_or("") } else { text };
        match target.filter(|t| !in_link && is_absolute(t) && t.chars().all(is_plain_url_char)) {
            Some(url) => {
                let text = escape_plain(text, true);
                self.out.extend(["[", &text, "](", url, ")"]);
            }
            None => self.out.push_str(&escape_plain(text, in_link)),
        }
    }

    /// Opens an absolute link, starts unwrapping a relative one, or escapes a lone `[`.
    fn open_bracket(&mut self, at: usize) -> usize {
        if self.link.is_none()
            && let Some((close, end, dest)) = self.link_at(at)
        {
            if is_absolute(&dest) {
                self.out.push('[');
                self.link = Some(Link { close, end, dest });
            } else {
                self.skips.push((close, end));
            }
            return at + 1;
        }
        self.push_at(at, "\\[")
    }

    /// Closes the link or relative link ending here, or escapes a lone `]`.
    fn close_bracket(&mut self, at: usize) -> usize {
        if let Some(link) = self.link.take_if(|link| link.close == at) {
            self.out.extend(["](", &link.dest, ")"]);
            return link.end;
        }
        if let Some(&(_, end)) = self.skips.last().filter(|(close, _)| *close == at) {
            self.skips.pop();
            return end;
        }
        self.push_at(at, "\\]")
    }

    /// The inline link `[text](destination "title")` opening at `at`: its `]`, end and destination.
    fn link_at(&self, at: usize) -> Option<(usize, usize, String)> {
        let close = self.close[at]?;
        if self.c.get(close + 1) != Some(&'(') {
            return None;
        }
        let (end, dest) = link_target(&self.c, close + 2)?;
        Some((close, end, dest))
    }

    /// Copies an autolink that was already in the text.
    fn copy_autolink(&mut self, at: usize) -> usize {
        let end = self.auto[at].unwrap_or(at);
        self.out.extend(&self.c[at..=end]);
        end + 1
    }

    /// Wraps a bare URL in angle brackets, stopping before the `]` of a relative link being unwrapped.
    fn bare_url(&mut self, at: usize) -> usize {
        let stop = self.skips.last().map(|&(close, _)| close);
        let end = url_end(&self.c, at, stop);
        if end <= at {
            return self.push_at(at, &self.c[at].to_string());
        }
        self.out.push('<');
        self.out.extend(&self.c[at..end]);
        self.out.push('>');
        end
    }
}

/// Start positions of all maximal backtick runs, grouped by run length.
pub(super) fn backtick_runs(c: &[char]) -> BTreeMap<usize, Vec<usize>> {
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
pub(super) fn run_len(c: &[char], at: usize) -> usize {
    c[at..].iter().take_while(|&&ch| ch == '`').count()
}

/// A Markdown code span for `content` (line ends become spaces, as CommonMark does), fenced by
/// the shortest backtick run the content does not contain, padded when it would be ambiguous.
fn code_span(content: &str) -> String {
    let content = content.replace('\n', " ");
    let spaced = |s: &str| s.len() >= 2 && s.starts_with(' ') && s.ends_with(' ') && !s.trim().is_empty();
    let inner = if spaced(&content) {
        &content[1..content.len() - 1]
    } else {
        &content[..]
    };
    let chars: Vec<char> = inner.chars().collect();
    let mut lens = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let len = run_len(&chars, at);
        lens.push(len);
        at += len.max(1);
    }
    let fence = "`".repeat((1..=lens.len() + 1).find(|n| !lens.contains(n)).unwrap_or(1));
    let pad = if inner.starts_with('`') || inner.ends_with('`') || spaced(inner) {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{inner}{pad}{fence}")
}

/// Where a reStructuredText reference ends if the code span ending at `after` is followed by
/// `_` or `__` and then no word character.
fn rst_reference_end(c: &[char], after: usize) -> Option<usize> {
    if c.get(after) != Some(&'_') {
        return None;
    }
    let end = if c.get(after + 1) == Some(&'_') {
        after + 2
    } else {
        after + 1
    };
    (!c.get(end).is_some_and(|ch| ch.is_alphanumeric())).then_some(end)
}

/// Splits `` `text <target>`_ `` into its text and embedded target.
fn split_rst_target(phrase: &str) -> (&str, Option<&str>) {
    let phrase = phrase.trim();
    if let Some(inner) = phrase.strip_suffix('>')
        && let Some(at) = inner.rfind('<')
        && (at == 0 || inner[..at].ends_with(char::is_whitespace))
    {
        return (inner[..at].trim(), Some(&inner[at + 1..]));
    }
    (phrase, None)
}

/// Writes plain text so that none of its characters acts as markup. Inside link text, line
/// ends become spaces and URLs stay text; elsewhere bare URLs become autolinks.
fn escape_plain(text: &str, in_link: bool) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut at = 0;
    while at < c.len() {
        if !in_link && starts_url(&c, at) {
            let end = url_end(&c, at, None).max(at + 1);
            out.push('<');
            out.extend(&c[at..end]);
            out.push('>');
            at = end;
            continue;
        }
        match c[at] {
            '\n' if in_link => out.push(' '),
            ch @ ('\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '~' | '|') => {
                out.push('\\');
                out.push(ch);
            }
            ch => out.push(ch),
        }
        at += 1;
    }
    out
}

/// Whether a link destination points outside the generated docs (`http(s)`, `ftp`, `mailto`).
fn is_absolute(dest: &str) -> bool {
    let dest = dest.trim_start_matches('<').to_ascii_lowercase();
    ["http://", "https://", "ftp://", "mailto:"]
        .iter()
        .any(|scheme| dest.starts_with(scheme))
}

/// Characters allowed in a destination written without angle brackets or escapes.
fn is_plain_url_char(ch: char) -> bool {
    !ch.is_whitespace() && !ch.is_control() && !matches!(ch, '<' | '>' | '(' | ')' | '`' | '\\' | '"')
}

/// Whether `pattern` (ASCII) starts at `at`, ignoring ASCII case.
fn starts_ci(c: &[char], at: usize, pattern: &str) -> bool {
    pattern
        .chars()
        .enumerate()
        .all(|(k, p)| c.get(at + k).is_some_and(|ch| ch.eq_ignore_ascii_case(&p)))
}

/// Whether a bare `http://` or `https://` URL starts at `at`.
fn starts_url(c: &[char], at: usize) -> bool {
    starts_ci(c, at, "http://") || starts_ci(c, at, "https://")
}

/// Characters that end a bare URL: they cannot be in an autolink, or would be read as markup.
fn is_url_stop(ch: char) -> bool {
    ch.is_whitespace() || ch.is_control() || matches!(ch, '<' | '>' | '`' | '"' | '\\' | '|')
}

/// End of a bare URL starting at `at`, without trailing punctuation or unbalanced closing brackets.
fn url_end(c: &[char], at: usize, stop: Option<usize>) -> usize {
    let mut end = at;
    while end < c.len() && Some(end) != stop && !is_url_stop(c[end]) {
        end += 1;
    }
    let balance = |open: char, close: char| {
        c[at..end]
            .iter()
            .map(|&ch| isize::from(ch == open) - isize::from(ch == close))
            .sum::<isize>()
    };
    let (mut parens, mut brackets) = (balance('(', ')'), balance('[', ']'));
    while end > at {
        match c[end - 1] {
            '.' | ',' | ':' | ';' | '!' | '?' | '\'' | '*' | '_' | '~' => {}
            ')' if parens < 0 => parens += 1,
            ']' if brackets < 0 => brackets += 1,
            _ => break,
        }
        end -= 1;
    }
    end
}

/// End (the `>`) of an autolink opening at `at`, for the schemes kept as links.
fn autolink_end(c: &[char], at: usize) -> Option<usize> {
    if !["http://", "https://", "ftp://", "mailto:"]
        .iter()
        .any(|scheme| starts_ci(c, at + 1, scheme))
    {
        return None;
    }
    (at + 1..c.len())
        .take_while(|&k| c[k] == '>' || !is_url_stop(c[k]))
        .find(|&k| c[k] == '>')
}

/// Parses the `destination "title")` part of an inline link, from just after its `(`: returns
/// the position after the `)` and the destination. Bounded so that long lines stay linear.
fn link_target(c: &[char], start: usize) -> Option<(usize, String)> {
    let limit = c.len().min(start + 2048);
    let from = skip_space(c, start, limit);
    let to = if c.get(from) == Some(&'<') {
        pointy_end(c, from, limit)?
    } else {
        raw_dest_end(c, from, limit)?
    };
    let mut at = skip_space(c, to, limit);
    if at > to && matches!(c.get(at), Some('"' | '\'' | '(')) {
        at = skip_space(c, title_end(c, at, limit)?, limit);
    }
    (at < limit && c[at] == ')').then(|| (at + 1, c[from..to].iter().collect()))
}

/// Skips spaces and tabs with at most one line end.
fn skip_space(c: &[char], mut at: usize, limit: usize) -> usize {
    let mut newline = false;
    while at < limit {
        match c[at] {
            ' ' | '\t' => {}
            '\n' if !newline => newline = true,
            _ => break,
        }
        at += 1;
    }
    at
}

/// End (after the `>`) of a destination written as `<…>`.
fn pointy_end(c: &[char], from: usize, limit: usize) -> Option<usize> {
    let mut at = from + 1;
    while at < limit {
        match c[at] {
            '>' => return Some(at + 1),
            '<' | '\n' => return None,
            '\\' => at += 2,
            _ => at += 1,
        }
    }
    None
}

/// End of a destination without angle brackets: no white space, balanced parentheses.
fn raw_dest_end(c: &[char], from: usize, limit: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut at = from;
    while at < limit {
        match c[at] {
            ch if ch.is_whitespace() || ch.is_control() => break,
            '\\' if c.get(at + 1).is_some_and(char::is_ascii_punctuation) => at += 1,
            '(' => depth += 1,
            ')' if depth == 0 => break,
            ')' => depth -= 1,
            _ => {}
        }
        at += 1;
    }
    (depth == 0).then_some(at)
}

/// End (after the closing quote) of a link title in `"…"`, `'…'` or `(…)`.
fn title_end(c: &[char], open: usize, limit: usize) -> Option<usize> {
    let close = if c[open] == '(' { ')' } else { c[open] };
    let mut at = open + 1;
    while at < limit {
        match c[at] {
            '\\' => at += 2,
            ch if ch == close => return Some(at + 1),
            '(' if close == ')' => return None,
            _ => at += 1,
        }
    }
    None
}
