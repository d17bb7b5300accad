//! The rows of a large report's JSON, made on two threads a block at a time and written in
//! order ([`Rows`]).
//!
//! A program's backward-pass report has a row per definition and per adjoint, and making a row
//! (printing its formulas as text and LaTeX, its value as a decimal) costs more than writing
//! it out. Each block of rows is made in two parts: the first third on this thread, the rest
//! on a helper thread with the same names in play ([`NamesInPlay`]), which works a block ahead
//! while this thread writes the rows out in order. The text is the same as rows made one by
//! one, and no more than a few blocks of rows are held at a time.

use crate::print::NamesInPlay;
use serde::Serialize;
use serde::ser::SerializeSeq;
use std::ops::Range;
use std::sync::mpsc::sync_channel;

/// Rows made, and then written, together.
const BLOCK: usize = 4096;

/// From how many rows part of them are made on a helper thread: a thread costs tens of
/// microseconds, a row some microseconds.
const PARALLEL_ROWS: usize = 256;

/// A JSON array of `len` rows, row `i` made by `make(i)`.
pub(super) struct Rows<F> {
    pub len: usize,
    pub make: F,
}

impl<R, F> Rows<F>
where
    F: Fn(usize) -> R,
{
    fn made(&self, range: Range<usize>) -> Vec<R> {
        range.map(&self.make).collect()
    }
}

/// The blocks of `len` rows, each split where this thread's part (a third: it also writes
/// every row out) ends and the helper's begins.
fn blocks(len: usize) -> Vec<(usize, usize, usize)> {
    (0..len)
        .step_by(BLOCK)
        .map(|start| {
            let end = (start + BLOCK).min(len);
            (start, start + (end - start) / 3, end)
        })
        .collect()
}

impl<R, F> Serialize for Rows<F>
where
    R: Serialize + Send,
    F: Fn(usize) -> R + Sync,
{
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.len))?;
        if self.len < PARALLEL_ROWS {
            for i in 0..self.len {
                seq.serialize_element(&(self.make)(i))?;
            }
            return seq.end();
        }
        let names = NamesInPlay::here();
        let blocks = blocks(self.len);
        std::thread::scope(|scope| {
            // The helper's parts, in order, at most one block ahead of the writing.
            let (parts, theirs) = sync_channel::<Vec<R>>(1);
            let helper = crate::parallel::thread().spawn_scoped(scope, {
                let (names, blocks) = (&names, &blocks);
                move || {
                    names.run(|| {
                        for &(_, mid, end) in blocks {
                            if parts.send(self.made(mid..end)).is_err() {
                                // The writing stopped (an error): so does the helper.
                                return;
                            }
                        }
                    })
                }
            });
            let mut helper = helper.ok();
            for &(start, mid, end) in &blocks {
                for row in self.made(start..mid) {
                    seq.serialize_element(&row)?;
                }
                let rest = match helper.is_some() {
                    false => self.made(mid..end),
                    true => theirs.recv().unwrap_or_else(|_| {
                        // The helper panicked: its panic is this thread's.
                        let h = helper.take().expect("a helper");
                        match h.join() {
                            Err(p) => std::panic::resume_unwind(p),
                            Ok(()) => unreachable!("the helper sends every block"),
                        }
                    }),
                };
                for row in rest {
                    seq.serialize_element(&row)?;
                }
            }
            seq.end()
        })
    }
}

/// `f` of each index below `len`, in order: of a long range's two halves at the same time,
/// the second on a thread with the same names in play (the rows of a text or LaTeX report,
/// values printed in two places of a report, made once).
pub(super) fn map_in_halves<R: Send>(len: usize, f: impl Fn(usize) -> R + Sync) -> Vec<R> {
    if len < PARALLEL_ROWS {
        return (0..len).map(f).collect();
    }
    let names = NamesInPlay::here();
    let mid = len / 2;
    let (mut a, b) = crate::parallel::join(
        || (0..mid).map(&f).collect::<Vec<_>>(),
        || names.run(|| (mid..len).map(&f).collect::<Vec<_>>()),
    );
    a.extend(b);
    a
}

#[cfg(test)]
mod tests {
    use super::{BLOCK, blocks};

    #[test]
    fn blocks_cover_the_rows_once_in_order() {
        for len in [256, BLOCK - 1, BLOCK, BLOCK + 1, BLOCK + 2, 3 * BLOCK + 17] {
            let mut next = 0;
            for (start, mid, end) in blocks(len) {
                assert_eq!(start, next);
                assert!(start <= mid && mid <= end && end - start <= BLOCK);
                next = end;
            }
            assert_eq!(next, len);
        }
    }
}
