//! The rows of a large report's JSON, made on two threads a block at a time and written in
//! order ([`Rows`]).
//!
//! A program's backward-pass report has a row per definition and per adjoint; making a row
//! (printing its formulas as text and LaTeX, its value as a decimal) and serialising it is
//! most of the report's cost. Each block of rows is made from both ends: this thread takes
//! rows from the front and writes each few out as soon as they are made and serialised, a
//! helper thread (with the same names in play, [`NamesInPlay`]) takes them from the back and
//! serialises them too; where they meet, the helper hands its part's text over and goes on
//! to the next block's back while this thread writes that text out. So neither waits for the
//! other, whatever a row costs. The text is the same as serde_json's for the whole array
//! ([`super::Nested`]), and no more than a few blocks of rows are held at a time.

use super::write_nested;
use crate::print::NamesInPlay;
use serde::Serialize;
use std::io::{self, Write};
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

impl<R, F> Rows<F>
where
    R: Serialize,
    F: Fn(usize) -> R + Sync,
{
    /// The rows as a JSON array standing as a field of a top-level object, byte for byte as
    /// serde_json's pretty printer writes it there. Each thread writes the rows it makes into
    /// text of its own; this one writes that text, and the helper's, out in order.
    pub(super) fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        if self.len == 0 {
            return w.write_all(b"[]");
        }
        w.write_all(b"[")?;
        if self.len < PARALLEL_ROWS {
            let mut text = Vec::new();
            self.write_rows(0..self.len, &mut text)?;
            w.write_all(&text)?;
            return w.write_all(b"\n  ]");
        }
        let names = NamesInPlay::here();
        let blocks = blocks(self.len);
        let mut text = Vec::new();
        std::thread::scope(|scope| {
            // The text of the helper's part of each block, a chunk at a time from the back,
            // at most one block ahead.
            let (parts, theirs) = sync_channel::<io::Result<Vec<Vec<u8>>>>(1);
            let helper = crate::parallel::thread().spawn_scoped(scope, {
                let (names, blocks) = (&names, &blocks);
                move || {
                    names.run(|| {
                        for block in blocks {
                            let mut chunks = Vec::new();
                            let mut written = Ok(());
                            while let Some(rows) = block.back() {
                                let mut text = Vec::new();
                                written = self.write_rows(rows, &mut text);
                                if written.is_err() {
                                    break;
                                }
                                chunks.push(text);
                            }
                            if parts.send(written.map(|()| chunks)).is_err() {
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
                    text.clear();
                    self.write_rows(rows, &mut text)?;
                    w.write_all(&text)?;
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
                // Claimed from the back: the last claimed comes first.
                for text in rest?.iter().rev() {
                    w.write_all(text)?;
                }
            }
            w.write_all(b"\n  ]")
        })
    }

    /// Rows `range` as they stand in the array: each after its separator, on lines indented
    /// for a field of a top-level object.
    fn write_rows(&self, range: Range<usize>, text: &mut Vec<u8>) -> io::Result<()> {
        for i in range {
            text.extend_from_slice(if i == 0 { b"\n    " } else { b",\n    " });
            write_nested(&mut *text, 2, &(self.make)(i))?;
        }
        Ok(())
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
    use super::{BLOCK, CHUNK, PARALLEL_ROWS, Rows, blocks};
    use crate::report::JsonObject;
    use serde_json::{Value, json};

    /// A row with what JSON must escape, nested values, and empty ones.
    fn row(i: usize) -> Value {
        json!({
            "name": format!("δ_z{i}"),
            "latex": format!("\\frac{{\"{i}\"}}{{2}}\n\ttab"),
            "nested": {"list": [i, [], {}, [i, {"deep": [[i]]}]], "empty": {}},
            "value": i as f64 / 7.0,
        })
    }

    /// Rows written on two threads, inside an object, are serde_json's pretty text of the
    /// whole, byte for byte, whatever the number of rows (none, fewer than make a helper
    /// worth it, several blocks and a part of one).
    #[test]
    fn rows_in_parts_are_serde_jsons_text_of_the_whole() {
        for len in [
            0,
            1,
            3,
            PARALLEL_ROWS - 1,
            PARALLEL_ROWS,
            BLOCK + 1,
            2 * BLOCK + 77,
        ] {
            let whole = json!({
                "program": "a \"quoted\" name",
                "rows": (0..len).map(row).collect::<Vec<_>>(),
                "after": [],
                "end": {"k": [1, 2]},
            });
            let mut text = Vec::new();
            let mut o = JsonObject::new(&mut text).unwrap();
            o.field("program", &whole["program"]).unwrap();
            o.field_with("rows", |w| Rows { len, make: row }.write(w))
                .unwrap();
            o.field("after", &whole["after"]).unwrap();
            o.field("end", &whole["end"]).unwrap();
            o.end().unwrap();
            let expected = serde_json::to_string_pretty(&whole).unwrap() + "\n";
            assert_eq!(String::from_utf8(text).unwrap(), expected, "{len} rows");
        }
    }

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
