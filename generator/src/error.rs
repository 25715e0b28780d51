//! Errors of the generator: each one names the file, the place in it and the cause.

use std::fmt;

/// A key as a JSON pointer token: `~` is `~0`, `/` is `~1` (RFC 6901).
pub fn escape_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The key a JSON pointer token stands for.
pub fn unescape_token(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// A place inside a YAML or JSON document, shown as `paths./register.post.parameters[1].schema`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocPath(Vec<Segment>);

/// One step of a [`DocPath`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    /// A key of a mapping.
    Key(String),
    /// An index into a sequence.
    Index(usize),
}

impl DocPath {
    /// The root of a document.
    pub fn root() -> Self {
        Self::default()
    }

    /// This path extended by a mapping key.
    pub fn key(&self, key: &str) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(key.to_owned()));
        Self(segments)
    }

    /// This path extended by a sequence index.
    pub fn index(&self, index: usize) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        Self(segments)
    }

    /// The path of a JSON pointer (`/definitions/Foo`); numeric tokens stay keys.
    pub fn from_pointer(pointer: &str) -> Self {
        let segments = pointer
            .split('/')
            .skip(1)
            .map(|token| Segment::Key(unescape_token(token)))
            .collect();
        Self(segments)
    }

    /// The path of these steps.
    pub fn from_segments(segments: Vec<Segment>) -> Self {
        Self(segments)
    }

    /// The JSON pointer of this path (`/definitions/Foo`).
    pub fn to_pointer(&self) -> String {
        self.0.iter().fold(String::new(), |mut pointer, segment| {
            pointer.push('/');
            match segment {
                Segment::Key(key) => pointer.push_str(&escape_token(key)),
                Segment::Index(index) => pointer.push_str(&index.to_string()),
            }
            pointer
        })
    }

    /// The path joined to a relative one.
    pub fn join(&self, other: &DocPath) -> Self {
        Self(self.0.iter().chain(&other.0).cloned().collect())
    }

    /// The steps of the path, outermost first.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// Whether this is the root of the document.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for DocPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(document root)");
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(index) => write!(f, "[{index}]")?,
                Segment::Key(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    let plain = !key.is_empty() && !key.contains(['.', '[', ']', ' ', '"', '\n']);
                    if plain {
                        f.write_str(key)?;
                    } else {
                        write!(f, "{key:?}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Where something is: a file (relative to the spec root) and a place inside it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// The file, relative to the spec root, with `/` separators.
    pub file: String,
    /// The place inside the file.
    pub place: Place,
}

/// A place inside a file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Place {
    /// The whole file.
    File,
    /// A line and column (1-based), where the YAML parser gives one.
    LineColumn {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// A path inside the document.
    Path(DocPath),
}

impl Location {
    /// A whole file.
    pub fn file(file: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            place: Place::File,
        }
    }

    /// A path inside a file.
    pub fn at(file: impl Into<String>, path: DocPath) -> Self {
        Self {
            file: file.into(),
            place: Place::Path(path),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.place {
            Place::File => f.write_str(&self.file),
            Place::LineColumn { line, column } => write!(f, "{}:{line}:{column}", self.file),
            Place::Path(path) if path.is_root() => f.write_str(&self.file),
            Place::Path(path) => write!(f, "{} at {path}", self.file),
        }
    }
}

/// What went wrong, in words a spec author understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Cause {
    /// The file could not be read.
    #[error("cannot read the file: {0}")]
    Read(String),
    /// The file is larger than the generator accepts.
    #[error("the file is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// Size of the file.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The file is not UTF-8 text.
    #[error("the file is not UTF-8 text (invalid byte at offset {0})")]
    NotUtf8(usize),
    /// The YAML parser refused the text.
    #[error("invalid YAML: {0}")]
    Yaml(String),
    /// A `$ref` the generator refuses to follow.
    #[error("`$ref: {reference}` is refused: {why}")]
    RefRefused {
        /// The reference as written.
        reference: String,
        /// Why it is refused.
        why: String,
    },
    /// A `$ref` to a file that does not exist.
    #[error("`$ref: {reference}` points to a file that does not exist (looked for {looked})")]
    RefMissingFile {
        /// The reference as written.
        reference: String,
        /// The path that was tried.
        looked: String,
    },
    /// A `$ref` whose JSON pointer finds nothing.
    #[error("`$ref: {reference}` points to nothing: {file} has no `{pointer}`")]
    RefMissingTarget {
        /// The reference as written.
        reference: String,
        /// The file the pointer was applied to.
        file: String,
        /// The JSON pointer.
        pointer: String,
    },
    /// References that only point at each other.
    #[error("`$ref` cycle that never reaches a schema: {0}")]
    RefCycle(String),
    /// A spec version the generator does not read.
    #[error("{0}")]
    UnsupportedVersion(String),
    /// Two things would get the same Rust name.
    #[error("name collision: {0}")]
    NameCollision(String),
    /// The document does not have the shape the spec format requires.
    #[error("{0}")]
    Invalid(String),
    /// Something valid that the generator does not support.
    #[error("not supported: {0}")]
    Unsupported(String),
    /// The codegen config is wrong.
    #[error("{0}")]
    Config(String),
}

/// One error, with its location.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {cause}")]
pub struct Error {
    /// Where it was found.
    pub location: Location,
    /// What is wrong.
    pub cause: Cause,
}

impl Error {
    /// An error at a location.
    pub fn new(location: Location, cause: Cause) -> Self {
        Self { location, cause }
    }
}

/// All the errors one run found, in the order found (at least one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Errors(pub Vec<Error>);

impl Errors {
    /// Turns a list into `Ok(())` when empty, else into `Err`.
    pub fn check(errors: Vec<Error>) -> Result<(), Errors> {
        if errors.is_empty() { Ok(()) } else { Err(Errors(errors)) }
    }
}

impl From<Error> for Errors {
    fn from(error: Error) -> Self {
        Errors(vec![error])
    }
}

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "error: {error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Errors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_path_reads_like_the_document() {
        let path = DocPath::root()
            .key("paths")
            .key("/register")
            .key("post")
            .key("parameters")
            .index(1)
            .key("schema");
        assert_eq!(path.to_string(), "paths./register.post.parameters[1].schema");
        assert_eq!(DocPath::root().key("a.b").to_string(), "\"a.b\"");
    }

    #[test]
    fn pointer_tokens_are_unescaped() {
        let path = DocPath::from_pointer("/definitions/a~1b~0c");
        assert_eq!(
            path.segments(),
            &[Segment::Key("definitions".into()), Segment::Key("a/b~c".into())]
        );
    }
}
