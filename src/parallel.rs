//! Two pieces of work at the same time ([`join`]): a large program's report keeps two cores
//! busy (the digit check's two first evaluations, the halves of a block of rows). It knows
//! nothing else, so every layer may use it; the command's own thread is the front end's
//! ([`crate::worker`]).

/// The stack of every thread chainrule starts: deeply nested input is parsed and printed
/// recursively in places, and a large stack keeps that safe (the parser also refuses nesting
/// beyond its documented limit). Only the pages used are ever committed.
pub const STACK_BYTES: usize = 256 * 1024 * 1024;

/// A thread to start, with a [`STACK_BYTES`] stack: every thread chainrule starts is made so.
pub fn thread() -> std::thread::Builder {
    std::thread::Builder::new().stack_size(STACK_BYTES)
}

/// `a` and `b` at the same time: `b` on a thread of its own with a [`STACK_BYTES`] stack, `a`
/// on this one. A panic in `b` is passed on as this thread's; when no thread can be started,
/// `b` runs after `a`, here.
pub fn join<A, B: Send>(a: impl FnOnce() -> A, b: impl FnOnce() -> B + Send) -> (A, B) {
    let b = std::sync::Mutex::new(Some(b));
    let run_b = || {
        let f = b.lock().unwrap_or_else(|e| e.into_inner()).take();
        f.map(|f| f())
    };
    std::thread::scope(|scope| {
        let handle = thread().spawn_scoped(scope, run_b);
        let ra = a();
        let rb = match handle {
            Ok(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
            Err(_) => None,
        };
        (ra, rb.or_else(run_b).expect("b has run"))
    })
}

/// `f` of each of `items`, in order, each item dropped once `f` is done with it: on a thread
/// of its own, a batch at a time, when there are many (freeing a large program's syntax tree,
/// its hundreds of thousands of small allocations, was a tenth of loading it). The first
/// error stops the work and is returned.
pub fn each_then_drop<T: Send, E>(
    items: Vec<T>,
    mut f: impl FnMut(&T) -> Result<(), E>,
) -> Result<(), E> {
    /// Items dropped together: a batch costs a message to the thread.
    const BATCH: usize = 1024;
    if items.len() < 4 * BATCH {
        return items.into_iter().try_for_each(|item| f(&item));
    }
    std::thread::scope(|scope| {
        // A few batches in flight at most: the memory is given back as the work goes on.
        let (to_drop, dropped) = std::sync::mpsc::sync_channel::<Vec<T>>(4);
        let dropper = thread().spawn_scoped(scope, move || dropped.into_iter().for_each(drop));
        // Without the thread (it could not start), a batch is dropped here.
        let send = |batch: Vec<T>| {
            if dropper.is_ok() {
                let _ = to_drop.send(batch);
            }
        };
        let mut batch = Vec::with_capacity(BATCH);
        for item in items {
            let done = f(&item);
            batch.push(item);
            if batch.len() == BATCH || done.is_err() {
                send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
            }
            done?;
        }
        send(batch);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_runs_both_and_passes_a_panic_on() {
        let (a, b) = join(|| 2 + 2, || "four".len());
        assert_eq!((a, b), (4, 4));
        let r = std::panic::catch_unwind(|| join(|| 1, || -> u8 { panic!("in b") }));
        assert!(r.is_err());
    }

    /// Every item is seen once, in order, and dropped once, few or many; an error stops the
    /// work there (the items after it are dropped without being seen).
    #[test]
    fn each_then_drop_sees_and_drops_every_item_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        struct Counted<'a>(usize, &'a AtomicUsize);
        impl Drop for Counted<'_> {
            fn drop(&mut self) {
                self.1.fetch_add(1, Ordering::SeqCst);
            }
        }
        for n in [0, 5, 4096, 10_000] {
            let drops = AtomicUsize::new(0);
            let items: Vec<Counted> = (0..n).map(|i| Counted(i, &drops)).collect();
            let mut seen = Vec::new();
            let r: Result<(), ()> = each_then_drop(items, |c| {
                seen.push(c.0);
                Ok(())
            });
            assert_eq!(r, Ok(()));
            assert_eq!(seen, (0..n).collect::<Vec<_>>());
            assert_eq!(drops.load(Ordering::SeqCst), n);
            let drops = AtomicUsize::new(0);
            let items: Vec<Counted> = (0..n).map(|i| Counted(i, &drops)).collect();
            let mut seen = 0;
            let r = each_then_drop(items, |c| {
                seen += 1;
                if c.0 == n / 2 { Err(c.0) } else { Ok(()) }
            });
            assert_eq!(r, if n == 0 { Ok(()) } else { Err(n / 2) });
            assert_eq!(seen, if n == 0 { 0 } else { n / 2 + 1 });
            assert_eq!(drops.load(Ordering::SeqCst), n);
        }
    }
}
