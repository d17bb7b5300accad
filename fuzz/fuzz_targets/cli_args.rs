//! The values of command-line options: `--at` (scalars, vectors, matrices), `--deltas`,
//! `--delta`, `--arith`, `--scheme`.
#![no_main]
use chainrule::expr::Store;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fn check<T>(r: chainrule::Result<T>, s: &str) {
    if let Err(e) = r {
        common::render(e, s);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(s) = common::input(data, 1024) else {
        return;
    };
    let mut store = Store::new();
    check(chainrule::cli::parse_point(&mut store, &[s.to_string()]), s);
    check(chainrule::cli::parse_point_literals(&[s.to_string()]), s);
    let _ = chainrule::cli::parse_value(s);
    let _ = chainrule::syntax::parse_value_literal(s);
    check(chainrule::fd::parse_deltas(s), s);
    check(chainrule::fd::parse_step(s), s);
    check(chainrule::fd::parse_ariths(s), s);
    check(chainrule::fd::parse_schemes(s), s);
});
