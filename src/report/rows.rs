//! The rows of a large report's JSON, made on two threads a block at a time and written in
//! order ([`Rows`]).
//!
//! A program's backward-pass report has a row per definition and per adjoint, and making a row
//! (printing its formulas as text and LaTeX, its value as a decimal) costs far more than
//! writing it out. The rows of a block are made on two threads at once, the block's second
//! half on a thread of its own with the same names in play ([`NamesInPlay`]), then written
//! in order on this one: the same text as rows made one by one, and never more than a block
//! of rows held at a time.

use crate::parallel;
use crate::print::NamesInPlay;
use serde::Serialize;
use serde::ser::SerializeSeq;
use std::ops::Range;

/// Rows made, and then written, together.
const BLOCK: usize = 4096;

/// From how many rows a block's second half is made on a thread of its own: a thread costs
/// tens of microseconds, a row some microseconds.
const PARALLEL_ROWS: usize = 256;

/// A JSON array of `len` rows, row `i` made by `make(i)`.
pub(super) struct Rows<F> {
    pub len: usize,
    pub make: F,
}

impl<R, F> Rows<F>
where
    R: Send,
    F: Fn(usize) -> R + Sync,
{
    fn made(&self, range: Range<usize>) -> Vec<R> {
        range.map(&self.make).collect()
    }
}

impl<R, F> Serialize for Rows<F>
where
    R: Serialize + Send,
    F: Fn(usize) -> R + Sync,
{
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.len))?;
        let names = (self.len >= PARALLEL_ROWS).then(NamesInPlay::here);
        for start in (0..self.len).step_by(BLOCK) {
            let end = (start + BLOCK).min(self.len);
            let (first, second) = match &names {
                Some(names) if end - start >= PARALLEL_ROWS => {
                    let mid = start + (end - start) / 2;
                    parallel::join(
                        || self.made(start..mid),
                        || names.run(|| self.made(mid..end)),
                    )
                }
                _ => (self.made(start..end), Vec::new()),
            };
            for row in first.iter().chain(&second) {
                seq.serialize_element(row)?;
            }
        }
        seq.end()
    }
}
