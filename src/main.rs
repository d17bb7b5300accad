//! The `chainrule` binary: parse flags, call the library, print, map errors to exit codes.

use clap::Parser;
use std::ffi::c_void;
use std::process::ExitCode;

/// mimalloc for the binary: a large program's store, its rationals and its MPFR values are
/// millions of small allocations, where mimalloc takes about a fifth less time and memory
/// than glibc's malloc (BENCHMARKS.md, issue 16).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// GMP's and MPFR's allocations (every rational and every MPFR value) go to mimalloc too.
/// Called first thing, before any number exists. mimalloc's `free` and `realloc` do not need
/// the block's size, so the sizes GMP passes are not relied on.
fn numbers_in_mimalloc() {
    extern "C" fn allocate(size: usize) -> *mut c_void {
        let p = unsafe { libmimalloc_sys::mi_malloc(size) };
        if p.is_null() {
            out_of_memory(size)
        }
        p
    }
    unsafe extern "C" fn reallocate(ptr: *mut c_void, _old: usize, size: usize) -> *mut c_void {
        let p = unsafe { libmimalloc_sys::mi_realloc(ptr, size) };
        if p.is_null() {
            out_of_memory(size)
        }
        p
    }
    unsafe extern "C" fn free(ptr: *mut c_void, _size: usize) {
        unsafe { libmimalloc_sys::mi_free(ptr) }
    }
    // GMP aborts when its allocator fails; so do we, saying why.
    fn out_of_memory(size: usize) -> ! {
        say(&format!("out of memory: GMP asked for {size} bytes"));
        std::process::abort()
    }
    unsafe {
        gmp_mpfr_sys::gmp::set_memory_functions(Some(allocate), Some(reallocate), Some(free));
    }
}

fn main() -> ExitCode {
    numbers_in_mimalloc();
    // Errors at a fixed width, without colour, whatever the terminal and locale: for tests
    // and logs (`CHAINRULE_ERROR_WIDTH=80`).
    if let Some(width) = std::env::var("CHAINRULE_ERROR_WIDTH")
        .ok()
        .and_then(|w| w.parse::<usize>().ok())
    {
        let _ = miette::set_hook(Box::new(move |_| {
            Box::new(
                miette::MietteHandlerOpts::new()
                    .force_graphical(true)
                    .color(false)
                    .unicode(true)
                    .width(width)
                    .build(),
            )
        }));
    }
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if let Some(hint) = chainrule::cli::argument_hint(&args) {
        say(&format!(
            "{:?}",
            miette::Report::new(chainrule::Error::Usage(hint))
        ));
        return ExitCode::from(2);
    }
    let cli = chainrule::cli::Cli::parse();
    let result = chainrule::worker::run(move || chainrule::cli::run(cli));
    match result {
        Ok(out) => {
            for w in &out.warnings {
                say(&chainrule::error::elide(w));
            }
            let exit = out.exit;
            // A reader that stops early (`chainrule big.chain | head`) is not an error.
            match out.write_to(std::io::stdout()) {
                Ok(Err(e)) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    say(&format!("cannot write the output: {e}"));
                    ExitCode::from(1)
                }
                Ok(_) => ExitCode::from(exit),
                Err(e) => {
                    let code = e.exit_code();
                    say(&format!("{:?}", miette::Report::new(e.for_display())));
                    ExitCode::from(code as u8)
                }
            }
        }
        Err(e) => {
            let code = e.exit_code();
            say(&format!("{:?}", miette::Report::new(e.for_display())));
            ExitCode::from(code as u8)
        }
    }
}

/// A line on standard error. A reader that stops early (`chainrule … 2>&1 | head -1`) is not
/// an error: `eprintln!` would panic on the closed pipe and exit 101.
fn say(text: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}
