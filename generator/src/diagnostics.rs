//! Renders errors the way good Rust tools do: the cause, then the file, line and column, and a
//! snippet of the source with the place underlined and named.

use std::path::Path;

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};

use crate::error::{Error, Errors, Place};
use crate::locate::locate;

/// Every error, one report each; `root` is the folder the errors' files are relative to.
pub fn render(errors: &Errors, root: &Path, styled: bool) -> String {
    let renderer = if styled { Renderer::styled() } else { Renderer::plain() };
    let mut out = String::new();
    for error in &errors.0 {
        out.push_str(&render_one(error, root, &renderer));
        out.push('\n');
    }
    out
}

fn render_one(error: &Error, root: &Path, renderer: &Renderer) -> String {
    let cause = error.cause.to_string();
    let file = &error.location.file;
    let source = read_source(root, file);
    let annotated = source.as_deref().and_then(|text| {
        let (span, label) = span(text, &error.location.place)?;
        Some((text, span, label))
    });
    match annotated {
        Some((text, span, label)) => {
            let snippet = Snippet::source(text)
                .path(file.as_str())
                .annotation(AnnotationKind::Primary.span(span).label(label));
            renderer
                .render(&[Level::ERROR.primary_title(cause.as_str()).element(snippet)])
                .to_string()
        }
        // No source to quote (a file that cannot be read, or an error about the whole file).
        None => format!("error: {cause}\n  --> {}\n", error.location),
    }
}

/// The text of an error's file, if it can be read (it is relative to `root`, or as given).
fn read_source(root: &Path, file: &str) -> Option<String> {
    let relative = root.join(file);
    let path = if relative.is_file() {
        relative
    } else {
        Path::new(file).to_owned()
    };
    let metadata = std::fs::metadata(&path).ok()?;
    // Snippets come from spec files; an enormous file is the error itself, not worth quoting.
    if metadata.len() > crate::load::MAX_FILE_BYTES {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

/// The byte range to underline and its label.
fn span(text: &str, place: &Place) -> Option<(std::ops::Range<usize>, String)> {
    match place {
        Place::File => None,
        Place::LineColumn { line, column } => {
            let start = offset(text, *line, *column)?;
            let end = text[start..]
                .find('\n')
                .map_or(text.len(), |n| start + n)
                .max((start + 1).min(text.len()));
            Some((start..end, "here".to_owned()))
        }
        Place::Path(path) => {
            let span = locate(text, path)?;
            Some((span, format!("at {path}")))
        }
    }
}

/// The byte offset of a 1-based line and column.
fn offset(text: &str, line: usize, column: usize) -> Option<usize> {
    let mut start = 0;
    for _ in 1..line {
        start += text[start..].find('\n')? + 1;
    }
    let line_text = text[start..].split('\n').next().unwrap_or_default();
    let byte = line_text
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(line_text.len(), |(i, _)| i);
    Some(start + byte)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Cause, DocPath, Location};

    #[test]
    fn an_error_at_a_document_path_shows_its_line() {
        let dir = tempfile::tempdir().expect("a folder");
        std::fs::write(
            dir.path().join("api.yaml"),
            "swagger: '2.0'\ndefinitions:\n  A:\n    type: strnig\n",
        )
        .expect("written");
        let at = DocPath::root().key("definitions").key("A").key("type");
        let error = Error::new(
            Location::at("api.yaml", at),
            Cause::Invalid("unknown schema `type: strnig`".into()),
        );
        let text = render(&Errors(vec![error]), dir.path(), false);
        assert!(text.contains("error: unknown schema `type: strnig`"), "{text}");
        assert!(text.contains("api.yaml:4:5"), "{text}");
        assert!(text.contains("type: strnig"), "{text}");
        assert!(text.contains("at definitions.A.type"), "{text}");
    }

    #[test]
    fn an_error_without_a_snippet_still_names_its_place() {
        let error = Error::new(Location::file("gone.yaml"), Cause::Read("no such file".into()));
        let text = render(&Errors(vec![error]), Path::new("/nonexistent"), false);
        assert!(text.contains("error: cannot read the file: no such file"), "{text}");
        assert!(text.contains("--> gone.yaml"), "{text}");
    }

    #[test]
    fn a_yaml_error_points_at_its_line_and_column() {
        let dir = tempfile::tempdir().expect("a folder");
        std::fs::write(dir.path().join("bad.yaml"), "a: 1\nb: [1, 2\n").expect("written");
        let error = crate::load::parse_yaml("a: 1\nb: [1, 2\n", "bad.yaml").expect_err("invalid");
        let text = render(&Errors(vec![error]), dir.path(), false);
        assert!(text.contains("bad.yaml:"), "{text}");
        assert!(text.contains("invalid YAML"), "{text}");
    }
}
