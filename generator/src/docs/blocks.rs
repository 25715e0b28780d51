//! Block-level pass: paragraphs, list items, code blocks, reStructuredText explicit markup and Hugo boxes.

use super::fence_open;
use super::hugo::{self, BoxKind, BoxTag};
use super::inline::convert_inline;

/// Walks `lines` (already without `\r` and trailing white space) and returns the output lines.
pub(super) fn convert_lines(lines: &[&str]) -> Vec<String> {
    let mut blocks = Blocks::new(lines);
    while blocks.pos < lines.len() {
        blocks.step();
    }
    blocks.finish()
}

/// Most boxes open at once (the spec's descriptions hardly nest them at all).
const MAX_BOXES: usize = 8;

/// An open container: a list item, a reStructuredText directive's content (which has no
/// output indentation of its own), or a Hugo box. Holds the column its content starts at in
/// the input and the prefix of its output lines (indentation, and `> ` inside a block quote).
struct Item {
    src: usize,
    out: String,
    /// Set for a Hugo box, which only its closing tag (or the end of the text) closes.
    hugo: Option<BoxKind>,
}

/// A paragraph being collected, with the prefixes of its first and following output lines.
struct Para {
    first: String,
    rest: String,
    lines: Vec<String>,
    /// Input indentation of the paragraph; a reStructuredText literal block must go deeper.
    src: usize,
    item: bool,
    /// The paragraph holds only a box label, which the next line joins.
    label: bool,
}

/// Block-level state while walking the lines of one description.
struct Blocks<'a> {
    lines: &'a [&'a str],
    pos: usize,
    out: Vec<String>,
    items: Vec<Item>,
    para: Option<Para>,
    /// The previous input line was blank.
    after_blank: bool,
    /// A blank line must be written before the next output line.
    blank_pending: bool,
    /// Set by a paragraph ending in `::`: lines indented deeper than this form a literal block.
    literal_after: Option<usize>,
    /// reStructuredText substitutions (`.. |name| replace:: text`) defined anywhere in the text.
    substitutions: Vec<(String, String)>,
}

impl<'a> Blocks<'a> {
    /// Starts walking `lines` (already without `\r` and trailing white space).
    fn new(lines: &'a [&'a str]) -> Self {
        Blocks {
            lines,
            pos: 0,
            out: Vec::new(),
            items: Vec::new(),
            para: None,
            after_blank: true,
            blank_pending: false,
            literal_after: None,
            substitutions: lines.iter().filter_map(|line| substitution(line)).take(64).collect(),
        }
    }

    /// Writes what is still open and returns the output lines.
    fn finish(mut self) -> Vec<String> {
        self.close_to(0);
        while self.out.last().is_some_and(String::is_empty) {
            self.out.pop();
        }
        self.out
    }

    /// Handles the line at `pos`, and the following lines of a code block it starts.
    fn step(&mut self) {
        let raw = self.lines[self.pos];
        let label_only = self.para.as_ref().is_some_and(|para| para.label);
        if raw.trim().is_empty() && label_only {
            // A box's label stays on one line with the box's first text.
            self.pos += 1;
            return;
        }
        if raw.trim().is_empty() {
            self.flush_para(true);
            self.after_blank = true;
            self.blank_pending = true;
            self.pos += 1;
            return;
        }
        let line = expand_tabs(raw);
        let indent = line.len() - line.trim_start_matches(' ').len();
        if let Some(tag) = hugo::box_tag(raw) {
            self.literal_after = None;
            self.hugo_box(tag, indent);
            self.after_blank = false;
            return;
        }
        match self.literal_after.take() {
            Some(base) if self.after_blank && indent > base => self.literal_block(base),
            _ => self.classify(&line, indent),
        }
        self.after_blank = false;
    }

    /// Decides what a non-blank line starts or continues, following CommonMark's block rules
    /// so that the containers of the output are the ones tracked here.
    fn classify(&mut self, line: &str, indent: usize) {
        let text = &line[indent..];
        let depth = self.depth(indent);
        let base = depth.checked_sub(1).map_or(0, |d| self.items[d].src);
        let lazy = self.para.is_some() && !self.after_blank;
        if indent.saturating_sub(base) >= 4 {
            if !lazy {
                self.close_to(depth);
                self.indented_code(base + 4);
                return;
            }
        } else if let Some(fence) = fence_open(text) {
            self.close_to(depth);
            self.fenced(fence, indent, base);
            return;
        } else if let Some(marker) = list_marker(text).filter(|m| self.starts_item(m, text, depth)) {
            self.close_to(depth);
            self.list_item(&marker, text, indent);
            return;
        } else if !lazy && (text == ".." || text.starts_with(".. ")) {
            self.close_to(depth);
            self.explicit_markup(text, indent);
            return;
        }
        if !lazy {
            self.close_to(depth);
            self.start_para(indent);
        }
        if let Some(para) = &mut self.para {
            match para.lines.last_mut().filter(|_| std::mem::take(&mut para.label)) {
                Some(label) => label.extend([" ", text]),
                None => para.lines.push(text.to_string()),
            }
        }
        self.pos += 1;
    }

    /// How many open containers a line indented by `indent` columns stays in. A box stays open
    /// whatever the indentation, as Hugo closes it only at its closing tag.
    fn depth(&self, indent: usize) -> usize {
        let by_indent = self.items.iter().take_while(|item| indent >= item.src).count();
        let boxed = self
            .items
            .iter()
            .rposition(|item| item.hugo.is_some())
            .map_or(0, |at| at + 1);
        by_indent.max(boxed)
    }

    /// Whether a list marker starts an item: thematic breaks win over items, and an item that
    /// interrupts a paragraph must not be empty and, if ordered, must start at 1 (CommonMark).
    fn starts_item(&self, marker: &Marker, text: &str, depth: usize) -> bool {
        let interrupts = self.para.is_some() && !self.after_blank && depth == self.items.len();
        let allowed = !marker.empty && (marker.bullet || marker.starts_at_one);
        !is_thematic_break(text) && (!interrupts || allowed)
    }

    /// Ends the open paragraph and the containers deeper than `depth`, writing the end of the boxes among them.
    fn close_to(&mut self, depth: usize) {
        self.flush_para(false);
        while self.items.len() > depth {
            if let Some(kind) = self.items.pop().and_then(|item| item.hugo) {
                self.end_box(kind);
            }
        }
    }

    /// Output prefix of the innermost open container.
    fn prefix(&self) -> String {
        self.items.last().map_or_else(String::new, |item| item.out.clone())
    }

    /// Opens a plain paragraph in the innermost container (or at the top).
    fn start_para(&mut self, indent: usize) {
        let prefix = self.prefix();
        self.para = Some(Para {
            first: prefix.clone(),
            rest: prefix,
            lines: Vec::new(),
            src: indent,
            item: false,
            label: false,
        });
    }

    /// Opens or closes a Hugo box; a closing tag that matches no open box is dropped.
    fn hugo_box(&mut self, tag: BoxTag, indent: usize) {
        self.pos += 1;
        if !tag.closing {
            // Every box adds to the prefix of the lines inside it; deeper nesting is dropped
            // so that the output stays linear in the input.
            if self.items.iter().filter(|item| item.hugo.is_some()).count() < MAX_BOXES {
                self.open_box(tag.kind, indent);
            }
        } else if let Some(at) = self.items.iter().rposition(|item| item.hugo == Some(tag.kind)) {
            self.close_to(at);
        }
    }

    /// Starts a box: a rustdoc warning block (raw HTML, separated from its Markdown content by
    /// blank lines so that the content still renders), or a block quote starting with a bold label.
    fn open_box(&mut self, kind: BoxKind, indent: usize) {
        self.close_to(self.depth(indent));
        self.blank_pending = true;
        let prefix = self.prefix();
        let Some(label) = kind.label() else {
            self.push(format!("{prefix}<div class=\"warning\">"));
            self.blank_pending = true;
            self.items.push(Item {
                src: indent,
                out: prefix,
                hugo: Some(kind),
            });
            return;
        };
        // The blank line before the quote belongs to the container around it.
        self.separate();
        let out = format!("{prefix}> ");
        self.items.push(Item {
            src: indent,
            out: out.clone(),
            hugo: Some(kind),
        });
        self.para = Some(Para {
            first: out.clone(),
            rest: out,
            lines: vec![format!("**{label}:**")],
            src: indent,
            item: false,
            label: true,
        });
    }

    /// Writes the end of a box that was just closed. What follows is kept apart by a blank
    /// line, which ends the raw HTML block and stops lazy continuation of the quote.
    fn end_box(&mut self, kind: BoxKind) {
        self.blank_pending = true;
        if kind.label().is_none() {
            let prefix = self.prefix();
            self.push(format!("{prefix}</div>"));
            self.blank_pending = true;
        }
    }

    /// Opens a list item and the paragraph holding the rest of its first line. The output
    /// always has one space after the marker, so the item's content column is predictable.
    fn list_item(&mut self, marker: &Marker, text: &str, indent: usize) {
        let prefix = self.prefix();
        let content = text[marker.width..].trim_start_matches(' ');
        let gap = if marker.empty || marker.spaces > 4 {
            1
        } else {
            marker.spaces
        };
        let src = indent + marker.width + gap;
        let out = format!("{prefix}{}", " ".repeat(marker.width + 1));
        self.items.push(Item {
            src,
            out: out.clone(),
            hugo: None,
        });
        self.para = Some(Para {
            first: format!("{prefix}{} ", &text[..marker.width]),
            rest: out,
            lines: vec![content.to_string()],
            src,
            item: true,
            label: false,
        });
        self.pos += 1;
    }

    /// Handles reStructuredText explicit markup (a block starting with `..`). Directives show
    /// their content under a bold label, code directives as a code block; comments, hyperlink
    /// targets and substitution definitions (applied where they are used) are dropped.
    fn explicit_markup(&mut self, text: &str, indent: usize) {
        self.pos += 1;
        match directive(text).map(|(name, args)| (name.to_ascii_lowercase(), args)) {
            Some((name, _)) if matches!(name.as_str(), "code" | "code-block" | "sourcecode") => {
                let body = self.take_indented(indent + 1);
                self.code_block(&body);
            }
            Some((name, args)) => self.directive_content(&name, args, indent),
            None => {
                self.take_indented(indent + 1);
            }
        }
    }

    /// Opens the content of a directive: a paragraph starting with its label, and a container
    /// without output indentation holding the lines indented under the directive.
    fn directive_content(&mut self, name: &str, args: &str, indent: usize) {
        let next = self.lines[self.pos..].iter().find(|line| !line.trim().is_empty());
        let src = next
            .map(|line| indent_of(line))
            .filter(|&body| body > indent)
            .unwrap_or(indent + 3);
        let prefix = self.prefix();
        self.items.push(Item {
            src,
            out: prefix.clone(),
            hugo: None,
        });
        let label = if name == "seealso" {
            "See also".to_string()
        } else {
            capitalized(name)
        };
        let first = format!("**{label}:** {args}").trim_end().to_string();
        self.para = Some(Para {
            first: prefix.clone(),
            rest: prefix,
            lines: vec![first],
            src,
            item: false,
            label: false,
        });
    }

    /// Copies a fenced code block up to its closing fence (or the end of the text).
    fn fenced(&mut self, (ch, len): (char, usize), indent: usize, base: usize) {
        let mut body = Vec::new();
        let mut closed = false;
        self.pos += 1;
        while self.pos < self.lines.len() {
            let raw = self.lines[self.pos];
            // A box tag ends the code inside a box, as Hugo renders the box's content on its own.
            if hugo::box_tag(raw).is_some() {
                break;
            }
            self.pos += 1;
            if closes_fence(raw, ch, len, base) {
                closed = true;
                break;
            }
            // CommonMark removes the opening fence's indentation from the content lines.
            body.push(strip_columns(raw, indent));
        }
        if !closed {
            while body.last().is_some_and(|line| line.trim().is_empty()) {
                body.pop();
            }
        }
        self.code_block(&body);
    }

    /// Turns an indented code block (lines indented by at least `min` columns) into a fence.
    fn indented_code(&mut self, min: usize) {
        let body = self.take_indented(min);
        self.code_block(&body);
    }

    /// Turns the reStructuredText literal block after a `::` paragraph into a fence.
    fn literal_block(&mut self, base: usize) {
        let body = self.take_indented(base + 1);
        self.code_block(&body);
    }

    /// Takes the lines from `pos` that are blank or indented by at least `min` columns, without
    /// trailing blank lines, dedented by their common indentation.
    fn take_indented(&mut self, min: usize) -> Vec<String> {
        let start = self.pos;
        let mut end = start;
        let mut at = start;
        while at < self.lines.len() {
            let raw = self.lines[at];
            at += 1;
            if raw.trim().is_empty() {
                continue;
            }
            if indent_of(raw) < min || hugo::box_tag(raw).is_some() {
                break;
            }
            end = at;
        }
        self.pos = end;
        let taken = &self.lines[start..end];
        let taken = &taken[taken.iter().take_while(|line| line.trim().is_empty()).count()..];
        let blank = |line: &&str| line.trim().is_empty();
        let cut = taken
            .iter()
            .filter(|l| !blank(l))
            .map(|l| indent_of(l))
            .min()
            .unwrap_or(0);
        taken
            .iter()
            .map(|l| if blank(l) { String::new() } else { strip_columns(l, cut) })
            .collect()
    }

    /// Writes a code block as a fence tagged `text`, longer than any backtick run that starts
    /// a body line, so that no body line can close it.
    fn code_block(&mut self, body: &[String]) {
        let prefix = self.prefix();
        let longest = body
            .iter()
            .map(|l| l.trim_start().chars().take_while(|&c| c == '`').count())
            .max();
        let fence = "`".repeat(longest.unwrap_or(0).max(2) + 1);
        self.push(format!("{prefix}{fence}text"));
        for line in body {
            // Inside a block quote, a blank line without `>` would end the quote.
            let line = if line.trim().is_empty() {
                prefix.trim_end().to_string()
            } else {
                format!("{prefix}{line}")
            };
            self.out.push(line);
        }
        self.out.push(format!("{prefix}{fence}"));
    }

    /// Writes the collected paragraph, converted inline, one output line per non-empty line.
    fn flush_para(&mut self, by_blank: bool) {
        let Some(mut para) = self.para.take() else {
            return;
        };
        if strip_rst_colons(&mut para.lines) && by_blank {
            self.literal_after = Some(para.src);
        }
        let converted = convert_inline(&substitute(para.lines.join("\n"), &self.substitutions));
        let mut lines: Vec<String> = converted
            .split('\n')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(safe_line_start)
            .collect();
        if para.item {
            fix_item_start(&para.first, &mut lines);
        }
        for (n, line) in lines.iter().enumerate() {
            let prefix = if n == 0 { &para.first } else { &para.rest };
            self.push(format!("{prefix}{line}"));
        }
    }

    /// Appends an output line, after the blank line that separates it from the previous block.
    fn push(&mut self, line: String) {
        self.separate();
        self.out.push(line);
    }

    /// Writes the pending blank line, in the innermost container (`>` inside a block quote).
    fn separate(&mut self) {
        if self.blank_pending && !self.out.is_empty() {
            let blank = self.prefix().trim_end().to_string();
            self.out.push(blank);
        }
        self.blank_pending = false;
    }
}

/// Column width of a line's leading spaces and tabs (tab stops every 4 columns, as in CommonMark).
fn indent_of(line: &str) -> usize {
    let mut col = 0;
    for ch in line.chars() {
        match ch {
            ' ' => col += 1,
            '\t' => col = col / 4 * 4 + 4,
            _ => break,
        }
    }
    col
}

/// Replaces every tab by spaces up to the next tab stop.
fn expand_tabs(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut col = 0;
    for ch in line.chars() {
        if ch == '\t' {
            let next = col / 4 * 4 + 4;
            out.extend(std::iter::repeat_n(' ', next - col));
            col = next;
        } else {
            out.push(ch);
            col += 1;
        }
    }
    out
}

/// Removes up to `n` columns of leading indentation, splitting a tab that straddles column `n`.
fn strip_columns(line: &str, n: usize) -> String {
    let mut col = 0;
    for (at, ch) in line.char_indices() {
        if col >= n {
            return line[at..].to_string();
        }
        match ch {
            ' ' => col += 1,
            '\t' => {
                let next = col / 4 * 4 + 4;
                if next > n {
                    return format!("{}{}", " ".repeat(next - n), &line[at + 1..]);
                }
                col = next;
            }
            _ => return line[at..].to_string(),
        }
    }
    String::new()
}

/// Whether `raw` closes a fence of `len` `ch` characters opened in a container at column `base`.
fn closes_fence(raw: &str, ch: char, len: usize, base: usize) -> bool {
    indent_of(raw) < base + 4 && super::closes_fence(raw, ch, len)
}

/// Whether a line is a CommonMark thematic break (`***`, `- - -`, `___`).
fn is_thematic_break(text: &str) -> bool {
    let mut marks = text.chars().filter(|&c| c != ' ' && c != '\t');
    let Some(first) = marks.next() else {
        return false;
    };
    let rest: Vec<char> = marks.collect();
    matches!(first, '-' | '*' | '_') && rest.len() >= 2 && rest.iter().all(|&c| c == first)
}

/// A list marker at the start of a line.
struct Marker {
    /// Byte length of the marker (`-`, `10.`).
    width: usize,
    /// Columns of white space after the marker (a tab counts as reaching the next tab stop).
    spaces: usize,
    bullet: bool,
    starts_at_one: bool,
    /// Nothing follows the marker on its line.
    empty: bool,
}

/// Parses a CommonMark list marker (`-`, `*`, `+`, `1.`, `1)`) followed by white space or the line end.
fn list_marker(text: &str) -> Option<Marker> {
    let bytes = text.as_bytes();
    let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    let (width, bullet) = match bytes.first()? {
        b'-' | b'*' | b'+' => (1, true),
        _ if (1..=9).contains(&digits) && matches!(bytes.get(digits), Some(b'.' | b')')) => (digits + 1, false),
        _ => return None,
    };
    let after = &text[width..];
    let spaces = indent_of(after);
    if spaces == 0 && !after.is_empty() {
        return None;
    }
    Some(Marker {
        width,
        spaces,
        bullet,
        starts_at_one: !bullet && text[..digits].parse() == Ok(1u32),
        empty: after.trim_start_matches([' ', '\t']).is_empty(),
    })
}

/// Applies reStructuredText's `::` rule to a paragraph's last line: `text::` becomes `text:`,
/// `text ::` becomes `text`, and a lone `::` disappears. Returns whether the paragraph ended in `::`.
fn strip_rst_colons(lines: &mut Vec<String>) -> bool {
    let Some(last) = lines.last_mut() else {
        return false;
    };
    let Some(head) = last.strip_suffix("::").filter(|head| !head.ends_with(':')) else {
        return false;
    };
    if head.trim().is_empty() {
        lines.pop();
    } else if head.ends_with(' ') {
        *last = head.trim_end().to_string();
    } else {
        last.pop();
    }
    true
}

/// Parses a substitution definition `.. |name| replace:: text` into the reference and its text.
fn substitution(line: &str) -> Option<(String, String)> {
    let rest = line.trim_start().strip_prefix(".. |")?;
    let (name, rest) = rest.split_once('|')?;
    let text = rest.trim_start().strip_prefix("replace::")?.trim();
    (!name.is_empty()).then(|| (format!("|{name}|"), text.to_string()))
}

/// Replaces substitution references (`|name|`, also when followed by `_` or `__`) by their text.
fn substitute(mut text: String, substitutions: &[(String, String)]) -> String {
    for (name, value) in substitutions {
        for suffix in ["__", "_", ""] {
            text = text.replace(&format!("{name}{suffix}"), value);
        }
    }
    text
}

/// Parses a directive line `.. name:: arguments` into its lowercase name and arguments.
fn directive(text: &str) -> Option<(&str, &str)> {
    let (name, args) = text.strip_prefix("..")?.trim_start().split_once("::")?;
    let simple = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    simple.then(|| (name, args.trim()))
}

/// `name` with its first letter in upper case.
fn capitalized(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Escapes what would let a prose line open a block rustdoc could run as a doctest: a code
/// fence, or a list marker followed by five spaces (an indented code block), also after other
/// list markers on the same line.
fn safe_line_start(line: &str) -> String {
    let mut done = 0;
    while let Some(marker) = list_marker(&line[done..]) {
        if marker.empty {
            return line.to_string();
        }
        if marker.spaces > 4 {
            let (head, tail) = line.split_at(done + marker.width - 1);
            return format!("{head}\\{tail}");
        }
        let after = &line[done + marker.width..];
        done += marker.width + after.len() - after.trim_start_matches([' ', '\t']).len();
    }
    match fence_open(&line[done..]) {
        Some((ch, len)) => format!(
            "{}{}{}",
            &line[..done],
            format!("\\{ch}").repeat(len),
            &line[done + len..]
        ),
        None => line.to_string(),
    }
}

/// Keeps a list item's first line a list item: never empty (an empty item cannot interrupt a
/// paragraph and ends at a blank line) and never read as a thematic break.
fn fix_item_start(marker: &str, lines: &mut Vec<String>) {
    match lines.first_mut() {
        None => lines.push("&nbsp;".to_string()),
        Some(first) => {
            if is_thematic_break(&format!("{}{first}", marker.trim_start())) {
                first.insert(0, '\\');
            }
        }
    }
}
