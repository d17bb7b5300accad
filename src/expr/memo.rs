//! The hash-consing table: which node (or name), if any, has a given hash and content.
//!
//! An open-addressing table of 8-byte slots, each a 32-bit hash and a 4-byte index into the
//! owner's list, rather than a `HashMap<Node, Id>` that would hold a second copy of every
//! node: the store of a deep gradient holds millions of nodes, and the table is most of what
//! it costs beyond the nodes themselves. Keeping the hash in the slot means a probe reads
//! only the table (eight slots to a cache line) until the hashes match. The printer's table of
//! a program's names (`print::names`) is made the same way, for the same reason.

/// A slot: `hash << 32 | (index + 1)`; 0 is empty.
const EMPTY: u64 = 0;

#[derive(Default)]
pub(crate) struct Memo {
    slots: Vec<u64>,
    len: usize,
}

impl Memo {
    /// The index with this hash for which `same` holds, if any.
    pub(crate) fn find(&self, hash: u32, same: impl Fn(u32) -> bool) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            match self.slots[i] {
                EMPTY => return None,
                s if (s >> 32) as u32 == hash && same(s as u32 - 1) => return Some(s as u32 - 1),
                _ => {}
            }
            i = (i + 1) & mask;
        }
    }

    /// The number of entries.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Records the next index (the number of entries so far), with this hash.
    pub(crate) fn insert(&mut self, hash: u32) {
        let index = self.len as u32;
        self.len += 1;
        // At most three quarters full, so probes stay short.
        if self.len * 4 > self.slots.len() * 3 {
            self.grow();
        }
        self.place(u64::from(hash) << 32 | u64::from(index + 1));
    }

    fn place(&mut self, slot: u64) {
        let mask = self.slots.len() - 1;
        let mut i = (slot >> 32) as usize & mask;
        while self.slots[i] != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = slot;
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(64);
        let old = std::mem::replace(&mut self.slots, empty_slots(size));
        for s in old.into_iter().filter(|s| *s != EMPTY) {
            self.place(s);
        }
    }
}

/// `n` empty slots, written as they are made. A table's slots are read before they are
/// written (a probe looks before it places), and a large table's memory is fresh from the
/// system: zeroed memory that is only promised (`vec![0; n]`, `calloc`) is then read from
/// the kernel's shared zero page first and copied on the first write, a second fault per
/// page whose flush interrupts the other threads' processors (6% of a 10^5-layer program's
/// time, in the loader's and the LaTeX names' tables). `black_box` keeps the compiler from
/// turning the allocation and the writing back into one zeroed allocation.
fn empty_slots(n: usize) -> Vec<u64> {
    let mut slots: Vec<u64> = std::hint::black_box(Vec::with_capacity(n));
    slots.resize(n, EMPTY);
    slots
}
