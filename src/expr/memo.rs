//! The hash-consing table: which node (or name), if any, has a given hash and content.
//!
//! An open-addressing table of 8-byte slots, each a 32-bit hash and a 4-byte index into the
//! owner's list, rather than a `HashMap<Node, Id>` that would hold a second copy of every
//! node: the store of a deep gradient holds millions of nodes, and the table is most of what
//! it costs beyond the nodes themselves. Keeping the hash in the slot means a probe reads
//! only the table (eight slots to a cache line) until the hashes match. The printer's table of
//! a program's names (`print::names`) is made the same way, for the same reason.
//!
//! Where an entry goes: by its hash, unless its owner says what it is near
//! ([`Memo::insert_near`]). Then it goes, where there is room, in a window of slots that
//! entries near the same place share. A node is near its newest child: most nodes are made
//! from nodes made just before, so the slots a new node's probe reads are the ones the last
//! nodes' probes read, in the caches, where a slot chosen by the hash alone is a cache miss
//! once the table outgrows them (a 10^5-layer program's backward pass spent most of its time
//! on that one read). A name is near its number ([`name_near`]): a program's names are
//! made and printed layer by layer. A window that is full sends the entry to a second table,
//! by its hash, with the entries that have no `near`; windows are emptied only when they all
//! grow and every entry is placed again, so a probe that meets an empty slot in its window
//! knows the entry is nowhere, and one that finds its window full looks in the second table.

/// A slot: `hash << 32 | (index + 1)`; 0 is empty.
const EMPTY: u64 = 0;

#[derive(Default)]
pub(crate) struct Memo {
    /// The entries placed in their windows.
    windows: Vec<u64>,
    /// The entries placed by their hashes: those without a `near`, and those whose window was
    /// full. Kept apart, so that a probe by hash never walks a run of full windows (where
    /// `near`s are denser than the windows' room, they fill a stretch of slots end to end).
    hashed: Vec<u64>,
    /// The number of entries in `hashed`.
    hashed_len: usize,
    /// The number of indices recorded (placed or [skipped](Memo::skip)).
    len: usize,
}

/// The index with this hash in `slots`, placed by its hash, for which `same` holds, if any.
fn probe(slots: &[u64], hash: u32, same: impl Fn(u32) -> bool) -> Option<u32> {
    if slots.is_empty() {
        return None;
    }
    let mask = slots.len() - 1;
    let mut i = hash as usize & mask;
    loop {
        match slots[i] {
            EMPTY => return None,
            s if (s >> 32) as u32 == hash && same(s as u32 - 1) => return Some(s as u32 - 1),
            _ => {}
        }
        i = (i + 1) & mask;
    }
}

/// Places `slot` by its hash in `slots` (which has room).
fn place_hashed(slots: &mut [u64], slot: u64) {
    let mask = slots.len() - 1;
    let mut i = (slot >> 32) as usize & mask;
    while slots[i] != EMPTY {
        i = (i + 1) & mask;
    }
    slots[i] = slot;
}

impl Memo {
    /// The index placed by this hash (without a `near`) for which `same` holds, if any.
    fn find(&self, hash: u32, same: impl Fn(u32) -> bool) -> Option<u32> {
        probe(&self.hashed, hash, same)
    }

    /// The index with this hash and `near` ([`Memo::insert_near`]) for which `same` holds, if
    /// any: looked for in its window, then, if that is full, by its hash.
    pub(crate) fn find_near(
        &self,
        hash: u32,
        near: Option<u32>,
        same: impl Fn(u32) -> bool,
    ) -> Option<u32> {
        let Some(near) = near else {
            return self.find(hash, same);
        };
        if self.windows.is_empty() {
            return None;
        }
        let mask = self.windows.len() - 1;
        let mut i = region(near) & mask;
        for _ in 0..WINDOW {
            match self.windows[i] {
                EMPTY => return None,
                s if (s >> 32) as u32 == hash && same(s as u32 - 1) => return Some(s as u32 - 1),
                _ => {}
            }
            i = (i + 1) & mask;
        }
        self.find(hash, same)
    }

    /// The number of indices recorded, placed or skipped.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Records the next index (the number of entries so far), with this hash: placed in the
    /// window of `near` where it has room (a node's newest child, a name's number), else (or
    /// without a `near`) by the hash; `near_of` gives the `near` of the entries so far, for
    /// when the windows grow.
    pub(crate) fn insert_near(
        &mut self,
        hash: u32,
        near: Option<u32>,
        near_of: impl Fn(u32) -> Option<u32>,
    ) {
        let index = self.len as u32;
        self.len += 1;
        // The windows at most three quarters full, the indices skipped counted, so that
        // consecutive indices' windows follow one another through the table.
        if self.len * 4 > self.windows.len() * 3 {
            self.grow(&near_of);
        }
        self.place(u64::from(hash) << 32 | u64::from(index + 1), near);
    }

    /// Records the next index without placing it: its entry is found another way (a symbol's
    /// node, by the symbol). The windows grow at the next [`Memo::insert_near`], which knows
    /// where each entry goes (until then a window past the end wraps round, as windows may).
    pub(crate) fn skip(&mut self) {
        self.len += 1;
    }

    fn place(&mut self, slot: u64, near: Option<u32>) {
        if let Some(near) = near {
            let mask = self.windows.len() - 1;
            let mut i = region(near) & mask;
            for _ in 0..WINDOW {
                if self.windows[i] == EMPTY {
                    self.windows[i] = slot;
                    return;
                }
                i = (i + 1) & mask;
            }
        }
        self.hashed_len += 1;
        if self.hashed_len * 4 > self.hashed.len() * 3 {
            let size = (self.hashed.len() * 2).max(64);
            let old = std::mem::replace(&mut self.hashed, empty_slots(size));
            for s in old.into_iter().filter(|s| *s != EMPTY) {
                place_hashed(&mut self.hashed, s);
            }
        }
        place_hashed(&mut self.hashed, slot);
    }

    /// Twice the windows, every entry placed again (a window that was full may have room
    /// now, and an entry found by its hash must have found its window full): a large table's
    /// in the order of their indices, each window filled first come first placed, a small
    /// one's (in the caches whatever the order) as they were.
    fn grow(&mut self, near_of: &impl Fn(u32) -> Option<u32>) {
        let size = (self.windows.len() * 2).max(64);
        let windows = std::mem::replace(&mut self.windows, empty_slots(size));
        let hashed = std::mem::take(&mut self.hashed);
        self.hashed_len = 0;
        let old = windows.into_iter().chain(hashed).filter(|s| *s != EMPTY);
        if size <= SMALL_TABLE {
            for s in old {
                self.place(s, near_of(s as u32 - 1));
            }
            return;
        }
        let mut by_index = vec![EMPTY; self.len - 1];
        for s in old {
            by_index[(s as u32 - 1) as usize] = s;
        }
        for (i, s) in by_index.into_iter().enumerate() {
            if s != EMPTY {
                self.place(s, near_of(i as u32));
            }
        }
    }
}

/// The `near` of a name: its number (`z12` → 12, `δ_x7` → 7, and in LaTeX `z_{12}` → 12),
/// spread out, where it ends in one of up to seven digits. A program's names are numbered by
/// layer, and are made and looked up layer by layer (`z12`, `w12`, `x11`, then their
/// adjoints): placed near their number, a layer's names share a window, which the next
/// layer's lookups find in the caches. Names without a number go to their hashes' places.
pub(crate) fn name_near(name: &str) -> Option<u32> {
    let (mut number, mut scale, mut digits) = (0u32, 1u32, 0);
    // A name's LaTeX form ends in its subscript's braces (`z_{12}`, `\delta_{z_{12}}`).
    for b in name.trim_end_matches('}').bytes().rev() {
        if !b.is_ascii_digit() {
            break;
        }
        if digits == 7 {
            return None;
        }
        number += u32::from(b - b'0') * scale;
        scale *= 10;
        digits += 1;
    }
    // Room for six names a number (a layer's `z`, `x`, `w` and their adjoints' `δ_…`), as
    // windows have room for one entry an index.
    (digits > 0).then_some(number * 6)
}

/// Up to this many slots of windows, [`Memo::grow`] places the entries again in the order
/// the old tables hold them, not by index.
const SMALL_TABLE: usize = 1 << 12;

/// The slots of a window (two cache lines): the entries whose newest child is one node, or a
/// few nodes made together, before the rest go to their hashes' places.
const WINDOW: usize = 16;

/// Where the window of `near` starts: four slots for every three indices, the table's
/// room (it is at most three quarters full), so that the windows of consecutive indices
/// follow one another through the table.
fn region(near: u32) -> usize {
    near as usize + near as usize / 3
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

#[cfg(test)]
mod tests {
    use super::Memo;

    /// A table of entries `(hash, near)`, found again by index.
    fn table(entries: &[(u32, Option<u32>)]) -> Memo {
        let mut m = Memo::default();
        for &(h, near) in entries {
            m.insert_near(h, near, |i| entries[i as usize].1);
        }
        m
    }

    fn find(
        m: &Memo,
        entries: &[(u32, Option<u32>)],
        h: u32,
        near: Option<u32>,
        want: u32,
    ) -> Option<u32> {
        m.find_near(h, near, |i| i == want)
            .filter(|i| entries[*i as usize] == (h, near))
    }

    #[test]
    fn entries_placed_near_others_are_found_through_growth_and_full_windows() {
        // A few hundred entries near index 3 (more than a window holds), others near their
        // predecessor, names by hash only, all sharing a handful of hashes (so only the
        // index decides), across several doublings of the table.
        let mut entries = Vec::new();
        for i in 0..5000u32 {
            let near = match i % 7 {
                _ if i < 4 => None,
                0 | 1 => Some(3),
                2 => None,
                _ => Some(i - 1),
            };
            entries.push((i % 5, near));
        }
        let m = table(&entries);
        assert_eq!(m.len(), entries.len());
        for (i, &(h, near)) in entries.iter().enumerate() {
            assert_eq!(
                find(&m, &entries, h, near, i as u32),
                Some(i as u32),
                "entry {i}"
            );
        }
        // Absent entries: not found, whatever their window holds.
        assert_eq!(m.find_near(1, Some(3), |_| false), None);
        assert_eq!(m.find_near(2, Some(4000), |_| false), None);
        assert_eq!(m.find(0, |_| false), None);
    }

    /// The longest run of occupied slots.
    fn longest_run(slots: &[u64]) -> usize {
        let (mut run, mut longest) = (0, 0);
        for s in slots.iter().chain(slots) {
            run = if *s == super::EMPTY { 0 } else { run + 1 };
            longest = longest.max(run);
        }
        longest.min(slots.len())
    }

    #[test]
    fn full_windows_never_make_a_long_run_to_probe_by_hash() {
        // Six names a number, as a program's layers have (`z`, `x`, `w` and their adjoints),
        // and more numbers than the windows have room for at some sizes (their windows wrap
        // round onto the first ones): the entries that find their window full go by hash to
        // a table of their own, where a probe's run stays short. (In one table, the full
        // windows made runs of thousands of slots, walked by every probe by hash.)
        for layers in [20_000u32, 60_000] {
            let mut m = Memo::default();
            // Eight slots' worth of `near` for six entries: denser than the windows' room.
            let near = |i: u32| Some(i / 6 * 8);
            for i in 0..6 * layers {
                let hash = i.wrapping_mul(0x9E37_79B1);
                assert_eq!(m.find_near(hash, near(i), |j| j == i), None);
                m.insert_near(hash, near(i), near);
            }
            if layers == 60_000 {
                // The windows of the last numbers wrap round onto the first ones.
                assert!(m.hashed_len > 10_000, "the windows overflowed");
            }
            assert!(longest_run(&m.hashed) < 200, "{layers} layers");
            for i in (0..6 * layers).step_by(97) {
                let hash = i.wrapping_mul(0x9E37_79B1);
                assert_eq!(m.find_near(hash, near(i), |j| j == i), Some(i));
            }
        }
    }

    #[test]
    fn names_are_near_their_numbers() {
        use super::name_near;
        assert_eq!(name_near("z12"), Some(72));
        assert_eq!(name_near("δ_x7"), Some(42));
        assert_eq!(name_near("x0"), Some(0));
        assert_eq!(name_near("\\delta_{z_{12}}"), Some(72));
        assert_eq!(name_near("w_1_9999999"), Some(59_999_994));
        assert_eq!(name_near("w12345678"), None);
        assert_eq!(name_near("yhat"), None);
    }

    #[test]
    fn skipped_indices_are_counted_and_never_found() {
        let mut m = Memo::default();
        let mut placed = Vec::new();
        for i in 0..1000u32 {
            if i % 3 == 0 {
                m.skip();
            } else {
                m.insert_near(7, Some(i.saturating_sub(1)), |j| Some(j.saturating_sub(1)));
                placed.push(i);
            }
        }
        assert_eq!(m.len(), 1000);
        for &i in &placed {
            assert_eq!(m.find_near(7, Some(i - 1), |j| j == i), Some(i));
        }
        for i in (0..1000u32).step_by(3) {
            assert_eq!(m.find(7, |j| j == i), None);
        }
    }
}
