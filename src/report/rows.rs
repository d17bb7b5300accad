//! The rows of a large report's JSON, made on two threads a block at a time and written in
//! order ([`Rows`]).
//!
//! A program's backward-pass report has a row per definition and per adjoint, and making a row
//! (printing its formulas as text and LaTeX, its value as a decimal) costs more than writing
//! it out. Each block of rows is made from both ends: this thread takes rows from the front
//! and writes each few out as soon as they are made, a helper thread (with the same names in
//! play, [`NamesInPlay`]) takes them from the back; where they meet, the helper hands its part
//! over and goes on to the next block's back while this thread writes that part out. So
//! neither waits for the other, whatever a row costs to make or to write. The text is the same
//! as rows made one by one, and no more than a few blocks of rows are held at a time.

use crate::print::NamesInPlay;
use serde::Serialize;
use serde::ser::SerializeSeq;
use std::ops::Range;
use std::sync::Mutex;
use std::sync::mpsc::sync_channel;

/// Rows made, and then written, together.
const BLOCK: usize = 4096;

/// Rows claimed at a time, by either thread.
const CHUNK: usize = 64;

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

/// The rows of a block not yet claimed: `front..back`.
struct Unclaimed(Mutex<(usize, usize)>);

impl Unclaimed {
    /// The next rows from the front, if any are left.
    fn front(&self) -> Option<Range<usize>> {
        let mut g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let (front, back) = *g;
        (front < back).then(|| {
            g.0 = (front + CHUNK).min(back);
            front..g.0
        })
    }

    /// The next rows from the back, if any are left.
    fn back(&self) -> Option<Range<usize>> {
        let mut g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let (front, back) = *g;
        (front < back).then(|| {
            g.1 = back.saturating_sub(CHUNK).max(front);
            g.1..back
        })
    }
}

/// The blocks of `len` rows, all unclaimed.
fn blocks(len: usize) -> Vec<Unclaimed> {
    (0..len)
        .step_by(BLOCK)
        .map(|start| Unclaimed(Mutex::new((start, (start + BLOCK).min(len)))))
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
            // The helper's part of each block, in order, at most one block ahead.
            let (parts, theirs) = sync_channel::<Vec<R>>(1);
            let helper = crate::parallel::thread().spawn_scoped(scope, {
                let (names, blocks) = (&names, &blocks);
                move || {
                    names.run(|| {
                        for block in blocks {
                            let mut chunks = Vec::new();
                            while let Some(rows) = block.back() {
                                chunks.push(self.made(rows));
                            }
                            // Made from the back: the last made comes first.
                            let part = chunks.into_iter().rev().flatten().collect();
                            if parts.send(part).is_err() {
                                // The writing stopped (an error): so does the helper.
                                return;
                            }
                        }
                    })
                }
            });
            let mut helper = helper.ok();
            for block in &blocks {
                while let Some(rows) = block.front() {
                    for row in self.made(rows) {
                        seq.serialize_element(&row)?;
                    }
                }
                if helper.is_none() {
                    continue;
                }
                let rest = theirs.recv().unwrap_or_else(|_| {
                    // The helper panicked: its panic is this thread's.
                    let h = helper.take().expect("a helper");
                    match h.join() {
                        Err(p) => std::panic::resume_unwind(p),
                        Ok(()) => unreachable!("the helper sends every block"),
                    }
                });
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
    use super::{BLOCK, CHUNK, blocks};

    #[test]
    fn blocks_cover_the_rows_once_in_order() {
        for len in [256, BLOCK - 1, BLOCK, BLOCK + 1, BLOCK + 2, 3 * BLOCK + 17] {
            let mut next = 0;
            for b in blocks(len) {
                let (start, end) = *b.0.lock().unwrap();
                assert_eq!(start, next);
                assert!(start < end && end - start <= BLOCK);
                next = end;
            }
            assert_eq!(next, len);
        }
    }

    #[test]
    fn claims_from_both_ends_take_each_row_once() {
        for len in [1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK + 3, BLOCK] {
            let b = &blocks(len)[0];
            let mut taken = vec![0u8; len];
            // Front, back, back, front, …: any interleaving covers each row once.
            let mut k = 0;
            loop {
                let claim = if k % 3 == 0 { b.front() } else { b.back() };
                let Some(rows) = claim.or_else(|| b.front()) else {
                    break;
                };
                assert!(rows.len() <= CHUNK && !rows.is_empty());
                for i in rows {
                    taken[i] += 1;
                }
                k += 1;
            }
            assert!(taken.iter().all(|&t| t == 1), "{len}");
            assert_eq!(b.back(), None);
        }
    }
}
