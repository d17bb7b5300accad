//! The store's nodes, in chunks of a fixed size ([`Chunks`]).

use std::ops::Index;

/// How many items a chunk holds: 2^14 nodes are under a megabyte.
const CHUNK_BITS: u32 = 14;
const CHUNK: usize = 1 << CHUNK_BITS;

/// A vector that grows a chunk at a time and never moves its items.
///
/// A `Vec` doubles: a store of 10^6 nodes (56 bytes each) briefly holds both the old and the
/// new array (up to three times its size) and keeps up to twice the room it needs, about
/// 60 MB unused in the 10^5-layer program's backward pass. Chunks waste at most one chunk's
/// room, and a push never copies what is already there.
#[derive(Debug)]
pub(super) struct Chunks<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunks<T> {
    fn default() -> Self {
        Chunks {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Chunks<T> {
    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(super) fn push(&mut self, item: T) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK => last.push(item),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(item);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }
}

impl<T> Index<usize> for Chunks<T> {
    type Output = T;

    fn index(&self, i: usize) -> &T {
        &self.chunks[i >> CHUNK_BITS][i & (CHUNK - 1)]
    }
}

#[cfg(test)]
mod tests {
    use super::{CHUNK, Chunks};

    #[test]
    fn items_keep_their_index_across_chunks() {
        let mut c = Chunks::default();
        assert!(c.is_empty());
        let n = 2 * CHUNK + 5;
        for i in 0..n {
            c.push(i * 3);
        }
        assert_eq!(c.len(), n);
        assert_eq!(c.chunks.len(), 3);
        for i in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, n - 1] {
            assert_eq!(c[i], i * 3);
        }
    }

    #[test]
    #[should_panic]
    fn an_index_past_the_end_panics() {
        let mut c = Chunks::default();
        c.push(1u8);
        let _ = c[CHUNK];
    }
}
