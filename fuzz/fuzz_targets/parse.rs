//! Parse any text as an expression and as a program: a tree or an error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some(src) = common::input(data, 4096) else {
        return;
    };
    match chainrule::syntax::parse_expr(src, "<fuzz>") {
        Ok(_) => {}
        Err(e) => {
            common::render(e, src);
        }
    }
    match chainrule::syntax::parse_program(src, "<fuzz>") {
        Ok(_) => {}
        Err(e) => {
            common::render(e, src);
        }
    }
});
