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
}
