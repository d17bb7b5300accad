//! Running a command's work on a thread of its own: a large stack, and a panic turned into
//! [`Error::Internal`] instead of an abort or an answer.

use crate::error::{Error, Result};

/// Deeply nested input is parsed and printed recursively in places; a large stack for the
/// worker thread keeps that safe (the parser also refuses nesting beyond its documented limit).
pub use crate::parallel::STACK_BYTES;

/// Runs `work` on a thread with a [`STACK_BYTES`] stack. A panic is a bug, never an answer:
/// it comes back as [`Error::Internal`] (exit code 3) with the panic's message.
pub fn run<T, F>(work: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    let handle = crate::parallel::thread()
        .spawn(work)
        .map_err(|e| Error::Internal(format!("cannot start the worker thread: {e}")))?;
    handle.join().unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into());
        Err(Error::Internal(format!(
            "the computation panicked ({what})"
        )))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_an_internal_error_with_its_own_exit_code() {
        let r: Result<()> = run(|| panic!("index out of bounds"));
        let e = r.unwrap_err();
        assert_eq!(e.exit_code(), 3);
        assert!(e.to_string().contains("index out of bounds"), "{e}");
        assert!(e.to_string().starts_with("internal error"), "{e}");
    }

    #[test]
    fn work_that_returns_is_passed_through() {
        assert_eq!(run(|| Ok(7)).unwrap(), 7);
        let e = run::<(), _>(|| Err(Error::Usage("no".into()))).unwrap_err();
        assert_eq!(e.exit_code(), 2);
    }
}
