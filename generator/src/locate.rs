//! Finds where a path inside a YAML document (`paths./register.post.parameters[1]`) is written,
//! so that an error found in the parsed document can point at its line and column.
//!
//! The parsed document has no positions, so this reads the text the way a person does:
//! block mappings by their keys' indentation, sequences by their `- ` items. It finds the
//! deepest part of the path it can; flow style (`{a: 1}`) ends the search at its line.

use std::ops::Range;

use crate::error::{DocPath, Segment};

/// A line of the text: where it starts, its indentation, its content.
struct Line<'t> {
    start: usize,
    indent: usize,
    text: &'t str,
}

/// The byte range in `text` of the deepest part of `path` that can be found: the key (or
/// `- `) that opens it, to the end of its line. `None` when not even the first step is found.
pub fn locate(text: &str, path: &DocPath) -> Option<Range<usize>> {
    let lines: Vec<Line<'_>> = lines(text).collect();
    let mut block = Block {
        first: 0,
        end: lines.len(),
        parent_indent: None,
        inline: None,
    };
    let mut found = None;
    for segment in path.segments() {
        let step = match segment {
            Segment::Key(key) => block.key(&lines, key),
            Segment::Index(index) => block.item(&lines, *index),
        };
        let Some((next, span)) = step else { break };
        found = Some(span);
        block = next;
    }
    found
}

fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    let mut start = 0;
    text.split_inclusive('\n').map(move |raw| {
        let line = raw.trim_end_matches(['\n', '\r']);
        let indent = line.len() - line.trim_start_matches(' ').len();
        let item = Line {
            start,
            indent,
            text: line,
        };
        start += raw.len();
        item
    })
}

/// A region of lines that holds one value; `inline` is the column where its first entry starts
/// when it begins on the line of a `- ` item.
#[derive(Clone, Copy)]
struct Block {
    first: usize,
    end: usize,
    parent_indent: Option<usize>,
    inline: Option<usize>,
}

impl Block {
    /// The lines of the block that hold content, with the column their entry starts at.
    fn entries<'a>(&self, lines: &'a [Line<'a>]) -> impl Iterator<Item = (usize, usize, &'a Line<'a>)> + 'a {
        let inline = self.inline;
        let first = self.first;
        lines[self.first..self.end]
            .iter()
            .enumerate()
            .filter_map(move |(i, line)| {
                let column = match (i, inline) {
                    (0, Some(column)) => column,
                    _ => line.indent,
                };
                let rest = line.text.get(column..)?.trim_start();
                (!rest.is_empty() && !rest.starts_with('#')).then_some((first + i, column, line))
            })
    }

    /// The column the block's own entries start at.
    fn child_indent(&self, lines: &[Line<'_>]) -> Option<usize> {
        let parent = self.parent_indent;
        self.entries(lines)
            .map(|(_, column, _)| column)
            .find(|c| parent.is_none_or(|p| *c > p))
    }

    /// The entry `key: ...` of this mapping.
    fn key(&self, lines: &[Line<'_>], key: &str) -> Option<(Block, Range<usize>)> {
        let indent = self.child_indent(lines)?;
        let (index, column, line) = self.entries(lines).find(|(_, column, line)| {
            *column == indent && line.text.get(*column..).is_some_and(|rest| starts_with_key(rest, key))
        })?;
        let span = line.start + column..line.start + line.text.len();
        let end = self.block_end(lines, index, indent);
        Some((
            Block {
                first: index + 1,
                end,
                parent_indent: Some(indent),
                inline: None,
            },
            span,
        ))
    }

    /// The `index`-th `- ` item of this sequence.
    fn item(&self, lines: &[Line<'_>], index: usize) -> Option<(Block, Range<usize>)> {
        let indent = self.child_indent(lines)?;
        let mut items = self.entries(lines).filter(|(_, column, line)| {
            *column == indent
                && line
                    .text
                    .get(*column..)
                    .is_some_and(|rest| rest == "-" || rest.starts_with("- "))
        });
        let (line_index, column, line) = items.nth(index)?;
        let span = line.start + column..line.start + line.text.len();
        let end = self.block_end(lines, line_index, indent);
        let inline = line
            .text
            .get(column + 1..)
            .filter(|rest| !rest.trim().is_empty())
            .map(|rest| column + 1 + (rest.len() - rest.trim_start().len()));
        Some((
            Block {
                first: line_index,
                end,
                parent_indent: Some(column),
                inline,
            },
            span,
        ))
    }

    /// The end of the entry at `index`: the next content line indented no deeper than `indent`.
    fn block_end(&self, lines: &[Line<'_>], index: usize, indent: usize) -> usize {
        lines[index + 1..self.end]
            .iter()
            .position(|line| {
                let rest = line.text.trim_start();
                !rest.is_empty() && !rest.starts_with('#') && line.indent <= indent
            })
            .map_or(self.end, |offset| index + 1 + offset)
    }
}

/// Whether `text` starts with the mapping key `key` (plain, `"quoted"` or `'quoted'`) and its colon.
fn starts_with_key(text: &str, key: &str) -> bool {
    let rest = if let Some(rest) = text.strip_prefix('"') {
        rest.strip_prefix(key).and_then(|r| r.strip_prefix('"'))
    } else if let Some(rest) = text.strip_prefix('\'') {
        rest.strip_prefix(key).and_then(|r| r.strip_prefix('\''))
    } else {
        text.strip_prefix(key)
    };
    rest.is_some_and(|r| r.trim_start().starts_with(':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"swagger: '2.0'
paths:
  "/register":
    post:
      parameters:
        - in: query
          name: kind
        - in: body
          name: body
          schema:
            type: object
            properties:
              username:
                type: strnig
  /other:
    get: {}
definitions:
  Flow: {type: object}
"#;

    fn line_of(path: DocPath) -> Option<&'static str> {
        let range = locate(SPEC, &path)?;
        SPEC[range.start..].lines().next()
    }

    #[test]
    fn keys_and_items_are_found_by_indentation() {
        let body = DocPath::root()
            .key("paths")
            .key("/register")
            .key("post")
            .key("parameters")
            .index(1);
        assert_eq!(line_of(body.clone()), Some("- in: body"));
        assert_eq!(line_of(body.key("name")), Some("name: body"));
        let schema_type = body.key("schema").key("properties").key("username").key("type");
        assert_eq!(line_of(schema_type), Some("type: strnig"));
        let first = DocPath::root()
            .key("paths")
            .key("/register")
            .key("post")
            .key("parameters")
            .index(0)
            .key("in");
        assert_eq!(line_of(first), Some("in: query"), "the key on the item's own line");
        assert_eq!(
            line_of(DocPath::root().key("paths").key("/other").key("get")),
            Some("get: {}")
        );
    }

    #[test]
    fn the_deepest_part_found_is_returned() {
        let flow = DocPath::root().key("definitions").key("Flow").key("type");
        assert_eq!(
            line_of(flow),
            Some("Flow: {type: object}"),
            "flow style ends the search"
        );
        let missing = DocPath::root().key("paths").key("/nope");
        assert_eq!(line_of(missing), Some("paths:"));
        assert_eq!(line_of(DocPath::root().key("nothing")), None);
    }

    #[test]
    fn a_key_nested_deeper_with_the_same_name_is_not_taken() {
        let text = "a:\n  b:\n    name: deep\n  name: shallow\n";
        let range = locate(text, &DocPath::root().key("a").key("name")).expect("found");
        assert_eq!(&text[range], "name: shallow");
    }
}
