//! The `chainrule` binary: parse flags, call the library, print, map errors to exit codes.

use clap::Parser;
use std::process::ExitCode;

/// Deeply nested input is parsed and printed recursively in places; a large stack for the
/// worker thread keeps that safe (the parser also refuses nesting beyond its documented limit).
const STACK_BYTES: usize = 256 * 1024 * 1024;

fn main() -> ExitCode {
    let cli = chainrule::cli::Cli::parse();
    let worker = std::thread::Builder::new()
        .stack_size(STACK_BYTES)
        .spawn(move || chainrule::cli::run(cli))
        .expect("spawn worker thread");
    let result = worker.join().unwrap_or_else(|_| {
        Err(chainrule::Error::Limit(
            "internal error: the computation panicked; please report this input".into(),
        ))
    });
    match result {
        Ok(out) => {
            for w in &out.warnings {
                eprintln!("{w}");
            }
            print!("{}", out.stdout);
            ExitCode::SUCCESS
        }
        Err(e) => {
            let code = e.exit_code();
            eprintln!("{:?}", miette::Report::new(e));
            ExitCode::from(code as u8)
        }
    }
}
