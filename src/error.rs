//! The crate's error type: concrete errors in the library, pretty reports at the top (miette).

use miette::{Diagnostic, LabeledSpan, NamedSource};

/// An error that points into source text: a parse error, an unknown name, a cycle in a program.
/// Rendered by miette with line, column and a caret under each labelled span.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
pub struct SourceError {
    /// What went wrong, in words a student understands.
    pub message: String,
    /// The text the spans point into.
    #[source_code]
    pub src: NamedSource<String>,
    /// One or more labelled places (a cycle shows both ends).
    #[label(collection)]
    pub labels: Vec<LabeledSpan>,
    /// A hint, where one exists.
    #[help]
    pub help: Option<String>,
}

impl SourceError {
    /// An error with one labelled span (`start..end` in bytes) in `src`.
    pub fn new(
        src_name: &str,
        src: &str,
        start: usize,
        end: usize,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Self {
        SourceError {
            message: message.into(),
            src: NamedSource::new(src_name, src.to_string()),
            labels: vec![LabeledSpan::new(
                Some(label.into()),
                start,
                end.saturating_sub(start),
            )],
            help: None,
        }
    }

    /// Adds a hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds another labelled span.
    pub fn with_label(mut self, start: usize, end: usize, label: impl Into<String>) -> Self {
        self.labels.push(LabeledSpan::new(
            Some(label.into()),
            start,
            end.saturating_sub(start),
        ));
        self
    }
}

/// A request the library cannot serve as made, said with the names involved rather than in
/// the words of one front end: the CLI words each one with the flag or command that makes
/// the request (`cli::worded`), another front end (the planned Python package) its own way.
/// Its own text ([`std::fmt::Display`]) names no flag.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Request {
    /// No value was given for the input `name`.
    #[error("no value for `{name}`: the point must give every input a value")]
    NoValue {
        /// The input.
        name: String,
    },
    /// The output asked for, `name`, is not a definition of the program.
    #[error("the program has no definition named `{name}` to take as its output")]
    NoDefinition {
        /// The name asked for.
        name: String,
    },
    /// `name`, asked to be data, is not an input of the program's output.
    #[error("`{name}` is not an input of `{output}`, so it cannot be data")]
    NotAnInput {
        /// The name asked for.
        name: String,
        /// The output's name.
        output: String,
    },
    /// `name`, asked to be data, is a parameter by the program's `wrt`.
    #[error("the program's `wrt` names `{name}` as a parameter, so it cannot be data")]
    ParameterAsData {
        /// The name asked for.
        name: String,
    },
    /// Exact arithmetic was asked for, but the program uses an irrational function.
    #[error(
        "exact arithmetic needs every operation to stay rational; this program uses an irrational function"
    )]
    NotRational,
}

/// Every error chainrule reports.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum Error {
    /// Parse and program errors, with places in the source (exit code 2).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Source(Box<SourceError>),
    /// A malformed request: a bad option value, a missing variable (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// A mathematical error: log of a non-positive number, division by zero (exit code 1).
    #[error("{message}")]
    Domain {
        /// What went wrong, naming the subexpression.
        message: String,
        /// A hint, where one exists.
        #[help]
        help: Option<String>,
    },
    /// A documented limit was reached (exit code 1).
    #[error("{0}")]
    Limit(String),
    /// A mathematical error at a place in the source: the failing subexpression, or a part
    /// of the input as written that simplifying cancelled (exit code 1, as [`Error::Domain`]).
    #[error(transparent)]
    #[diagnostic(transparent)]
    DomainAt(Box<SourceError>),
    /// A request the library cannot serve as made (exit code 2, as [`Error::Usage`]).
    #[error("{0}")]
    Request(Request),
    /// A bug in chainrule: the computation panicked (exit code 3, unlike any answer about the
    /// input, so that scripts and tests never take it for one).
    #[error("internal error: {0}")]
    #[diagnostic(help(
        "this is a bug in chainrule, not a problem with your input; please report the input"
    ))]
    Internal(String),
    /// A report too large to write out (exit code 1, as [`Error::Limit`]); the front end
    /// says what to ask for instead.
    #[error("{0}")]
    TooLarge(TooLarge),
}

/// A report that would be too large to write out: its size and the limit it passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TooLarge {
    /// The chain-rule form of a gradient: `factors` local derivatives over all parameters.
    ChainForm {
        /// The factors in all; `u64::MAX` stands for more than that.
        factors: u64,
        /// The most that are written out.
        limit: u64,
    },
    /// The expanded gradient: more than `limit` distinct nodes over its `partials`.
    Expanded {
        /// The most distinct nodes written out.
        limit: usize,
        /// How many partial derivatives the gradient has.
        partials: usize,
    },
    /// The derivation of `∂output/∂wrt`: the paths run through `factors` local derivatives.
    Derivation {
        /// The program's output.
        output: String,
        /// The variable differentiated by.
        wrt: String,
        /// Local derivatives along all paths; `u64::MAX` stands for more than that.
        factors: u64,
        /// The most that are written out.
        limit: u64,
    },
}

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Counts saturate: a saturated one is not exact.
        let count = |n: u64| {
            if n == u64::MAX {
                "more than 10^19".to_string()
            } else {
                n.to_string()
            }
        };
        match self {
            TooLarge::ChainForm { factors, limit } => write!(
                f,
                "the chain-rule form of this gradient has {} factors in all (the limit is {limit})",
                count(*factors)
            ),
            TooLarge::Expanded { limit, partials } => write!(
                f,
                "the expanded gradient has more than {limit} distinct nodes over its {partials} partial derivatives"
            ),
            TooLarge::Derivation {
                output,
                wrt,
                factors,
                limit,
            } => write!(
                f,
                "∂{output}/∂{wrt} runs through {} local derivatives (the limit is {limit})",
                count(*factors)
            ),
        }
    }
}

/// The longest source line shown under an error. miette aligns its labels with formatting
/// widths, which Rust limits to 65 535 columns (it panics past that), and a line of 100 000
/// characters helps nobody: a longer line is replaced by its line and column, in words.
pub const MAX_SHOWN_LINE: usize = 1000;

impl SourceError {
    /// This error ready to render: unchanged, or, when a labelled line is longer than
    /// [`MAX_SHOWN_LINE`], without the source and with each label's place spelt out.
    pub fn for_display(self) -> Self {
        let text = self.src.inner().as_str();
        let line_of = |offset: usize| {
            let offset = offset.min(text.len());
            let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
            let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
            (start, end)
        };
        let too_long = self.labels.iter().any(|l| {
            let (start, end) = line_of(l.offset());
            end - start > MAX_SHOWN_LINE
        });
        if !too_long {
            return self;
        }
        let places: Vec<String> = self
            .labels
            .iter()
            .map(|l| {
                let offset = l.offset().min(text.len());
                let (start, _) = line_of(offset);
                let line = text[..start].matches('\n').count() + 1;
                let column = text.get(start..offset).map_or(0, |s| s.chars().count()) + 1;
                let what = l.label().unwrap_or("here");
                format!("{}:{line}:{column}: {what}", self.src.name())
            })
            .collect();
        let help = match self.help {
            Some(h) => format!("{}\n(the line is too long to show)\n{h}", places.join("\n")),
            None => format!("{}\n(the line is too long to show)", places.join("\n")),
        };
        SourceError {
            message: self.message,
            src: NamedSource::new(self.src.name(), String::new()),
            labels: Vec::new(),
            help: Some(help),
        }
    }
}

impl Error {
    /// This error ready to render (see [`SourceError::for_display`]), with long parts of its
    /// message elided ([`elide`]).
    pub fn for_display(self) -> Self {
        match self {
            Error::Source(e) => {
                let mut e = e.for_display();
                e.message = elide(&e.message);
                e.help = e.help.map(|h| elide(&h));
                Error::Source(Box::new(e))
            }
            Error::DomainAt(e) => {
                let mut e = e.for_display();
                e.message = elide(&e.message);
                e.help = e.help.map(|h| elide(&h));
                Error::DomainAt(Box::new(e))
            }
            Error::Usage(m) => Error::Usage(elide(&m)),
            Error::Request(r) => Error::Usage(elide(&r.to_string())),
            Error::Limit(m) => Error::Limit(elide(&m)),
            Error::Internal(m) => Error::Internal(elide(&m)),
            Error::TooLarge(t) => Error::Limit(elide(&t.to_string())),
            Error::Domain { message, help } => Error::Domain {
                message: elide(&message),
                help: help.map(|h| elide(&h)),
            },
        }
    }
}

/// The longest run of text without a space a message shows whole; a longer one (a number of
/// 20,000 digits, a formula of a megabyte) keeps its start and end.
pub const MAX_SHOWN_WORD: usize = 120;

/// `text` with every run of more than [`MAX_SHOWN_WORD`] characters without whitespace cut
/// to its first 60 and last 20 characters around `…(N characters)…`, and the whole cut the
/// same way past [`MAX_SHOWN_MESSAGE`] characters.
pub fn elide(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(4096));
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let n = word.chars().count();
        if n > MAX_SHOWN_WORD {
            let head: String = word.chars().take(60).collect();
            let tail: String = word.chars().skip(n - 20).collect();
            out.push_str(&format!("{head}…({} characters)…{tail}", n - 80));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_whitespace() {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    let n = out.chars().count();
    if n > MAX_SHOWN_MESSAGE {
        let head: String = out.chars().take(MAX_SHOWN_MESSAGE - 200).collect();
        let tail: String = out.chars().skip(n - 100).collect();
        out = format!(
            "{head} …({} characters)… {tail}",
            n - MAX_SHOWN_MESSAGE + 100
        );
    }
    out
}

/// The longest message shown whole; a longer one keeps its start and end.
pub const MAX_SHOWN_MESSAGE: usize = 2000;

impl From<SourceError> for Error {
    fn from(e: SourceError) -> Self {
        Error::Source(Box::new(e))
    }
}

impl Error {
    /// A domain error that names its subexpression (`log of zero in log(x - 1)`), pointed at in
    /// the source `src` when the subexpression is written there (spaces aside); any other
    /// error as it is. For the front ends, which know the text they read.
    pub fn located(self, src_name: &str, src: &str) -> Error {
        let Error::Domain { message, help } = self else {
            return self;
        };
        let place = message.rsplit_once(" in ").and_then(|(_, sub)| {
            // Byte offsets of the source's non-space characters, to map a match back.
            let (squeezed, offsets): (String, Vec<usize>) = src
                .char_indices()
                .filter(|(_, c)| !c.is_whitespace())
                .map(|(i, c)| (c, i))
                .unzip();
            let wanted: String = sub.chars().filter(|c| !c.is_whitespace()).collect();
            if wanted.is_empty() {
                return None;
            }
            let at = squeezed.find(&wanted)?;
            let first = squeezed[..at].chars().count();
            let last = first + wanted.chars().count() - 1;
            let end = offsets[last] + src[offsets[last]..].chars().next()?.len_utf8();
            Some((offsets[first], end))
        });
        match place {
            Some((start, end)) => {
                let e = SourceError::new(src_name, src, start, end, message, "fails here");
                Error::DomainAt(Box::new(match help {
                    Some(h) => e.with_help(h),
                    None => e,
                }))
            }
            None => Error::Domain { message, help },
        }
    }

    /// The process exit code for this error: 2 for usage and parse errors, 1 for math errors.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Source(_) | Error::Usage(_) | Error::Request(_) => 2,
            Error::Domain { .. } | Error::DomainAt(_) | Error::Limit(_) | Error::TooLarge(_) => 1,
            Error::Internal(_) => 3,
        }
    }

    /// A domain error without a hint.
    pub fn domain(message: impl Into<String>) -> Self {
        Error::Domain {
            message: message.into(),
            help: None,
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
