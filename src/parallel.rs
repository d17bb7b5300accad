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

/// `f` of each of `items` and of what `prepare` makes of it, in order, each item dropped once
/// `f` is done with it. When there are many, `prepare` runs on a thread of its own, a batch
/// of items ahead of `f`, and the items are dropped on another, a batch at a time (freeing a
/// large program's syntax tree, its hundreds of thousands of small allocations, was a tenth
/// of loading it; what `prepare` finds from each statement alone, a fifth more). The first
/// error stops the work and is returned; `prepare` may have seen items after it.
pub fn each_prepared_then_drop<T: Send, P: Send, E>(
    items: Vec<T>,
    prepare: impl Fn(&T) -> P + Sync,
    mut f: impl FnMut(&T, P) -> Result<(), E>,
) -> Result<(), E> {
    /// Items prepared, handed over and dropped together: a batch costs a message to a thread.
    const BATCH: usize = 1024;
    let one_by_one = |items: Vec<T>, f: &mut dyn FnMut(&T, P) -> Result<(), E>| {
        items.into_iter().try_for_each(|item| {
            let p = prepare(&item);
            f(&item, p)
        })
    };
    if items.len() < 4 * BATCH {
        return one_by_one(items, &mut f);
    }
    std::thread::scope(|scope| {
        // The items go to the preparing thread once it has started (without it, they are
        // seen here, one by one).
        let (give, take) = std::sync::mpsc::sync_channel::<Vec<T>>(1);
        // A few batches in flight at most each way: the memory is given back as the work
        // goes on.
        let (to_do, ready) = std::sync::mpsc::sync_channel::<(Vec<T>, Vec<P>)>(4);
        let prepare = &prepare;
        let preparer = thread().spawn_scoped(scope, move || {
            let Ok(items) = take.recv() else { return };
            let mut items = items.into_iter();
            loop {
                let batch: Vec<T> = items.by_ref().take(BATCH).collect();
                if batch.is_empty() {
                    return;
                }
                let made = batch.iter().map(prepare).collect();
                // The work stopped (an error): so does the preparing.
                if to_do.send((batch, made)).is_err() {
                    return;
                }
            }
        });
        let items = match preparer {
            Ok(_) => give.send(items).err().map(|e| e.0),
            Err(_) => Some(items),
        };
        if let Some(items) = items {
            return one_by_one(items, &mut f);
        }
        let (to_drop, dropped) = std::sync::mpsc::sync_channel::<Vec<T>>(4);
        let dropper = thread().spawn_scoped(scope, move || dropped.into_iter().for_each(drop));
        // Without the thread (it could not start), a batch is dropped here.
        let send = |batch: Vec<T>| {
            if dropper.is_ok() {
                let _ = to_drop.send(batch);
            }
        };
        // Should the preparing thread panic, the items end early here, and the scope passes
        // its panic on as it ends.
        for (batch, made) in ready {
            for (item, p) in batch.iter().zip(made) {
                if let Err(e) = f(item, p) {
                    send(batch);
                    return Err(e);
                }
            }
            send(batch);
        }
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

    /// Every item is seen once, in order, with what was prepared from it, and dropped once,
    /// few or many; an error stops the work there (the items after it are dropped without
    /// being seen).
    #[test]
    fn each_prepared_then_drop_sees_and_drops_every_item_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        struct Counted<'a>(usize, &'a AtomicUsize);
        impl Drop for Counted<'_> {
            fn drop(&mut self) {
                self.1.fetch_add(1, Ordering::SeqCst);
            }
        }
        let square = |c: &Counted| c.0 * c.0;
        for n in [0, 5, 4096, 10_000] {
            let drops = AtomicUsize::new(0);
            let items: Vec<Counted> = (0..n).map(|i| Counted(i, &drops)).collect();
            let mut seen = Vec::new();
            let r: Result<(), ()> = each_prepared_then_drop(items, square, |c, sq| {
                assert_eq!(sq, c.0 * c.0, "prepared from its own item");
                seen.push(c.0);
                Ok(())
            });
            assert_eq!(r, Ok(()));
            assert_eq!(seen, (0..n).collect::<Vec<_>>());
            assert_eq!(drops.load(Ordering::SeqCst), n);
            let drops = AtomicUsize::new(0);
            let items: Vec<Counted> = (0..n).map(|i| Counted(i, &drops)).collect();
            let mut seen = 0;
            let r = each_prepared_then_drop(items, square, |c, _| {
                seen += 1;
                if c.0 == n / 2 { Err(c.0) } else { Ok(()) }
            });
            assert_eq!(r, if n == 0 { Ok(()) } else { Err(n / 2) });
            assert_eq!(seen, if n == 0 { 0 } else { n / 2 + 1 });
            assert_eq!(drops.load(Ordering::SeqCst), n);
        }
    }
}
