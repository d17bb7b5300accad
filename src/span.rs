//! Places in source text. Syntax trees carry one on every node, domain conditions
//! ([`crate::expr::Condition`]) carry the place of the part that must be defined, and errors
//! point at them; the expression DAG itself has none (hash-consing merges the `x` at column 3
//! with the `x` at column 9).

/// A byte range `start..end` into the source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from byte offsets.
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
    /// The smallest span covering both.
    pub fn join(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}
