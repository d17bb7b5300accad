//! The hash-consing table: which node (or name), if any, has a given hash and content.
//!
//! An open-addressing table of indices (4 bytes a slot) keyed by a 32-bit hash kept per
//! entry, rather than a `HashMap<Node, Id>` that would hold a second copy of every node: the
//! store of a deep gradient holds millions of nodes, and the table is most of what it costs
//! beyond the nodes themselves.

/// Slots hold `id + 1`; 0 is empty.
const EMPTY: u32 = 0;

#[derive(Default)]
pub(super) struct Memo {
    slots: Vec<u32>,
    /// The hash of each node, by id.
    hashes: Vec<u32>,
}

impl Memo {
    /// The index with this hash for which `same` holds, if any.
    pub(super) fn find(&self, hash: u32, same: impl Fn(u32) -> bool) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            match self.slots[i] {
                EMPTY => return None,
                s => {
                    let index = s - 1;
                    if self.hashes[index as usize] == hash && same(index) {
                        return Some(index);
                    }
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Records the next index, with this hash.
    pub(super) fn insert(&mut self, hash: u32) {
        let index = self.hashes.len() as u32;
        self.hashes.push(hash);
        // At most three quarters full, so probes stay short.
        if self.hashes.len() * 4 > self.slots.len() * 3 {
            self.grow();
        } else {
            self.place(hash, index);
        }
    }

    fn place(&mut self, hash: u32, index: u32) {
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        while self.slots[i] != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = index + 1;
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(64);
        self.slots = vec![EMPTY; size];
        for (i, h) in self.hashes.clone().into_iter().enumerate() {
            self.place(h, i as u32);
        }
    }
}
