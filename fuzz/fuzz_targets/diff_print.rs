//! Parse, lower, differentiate, print as text and LaTeX; the text must parse back to the
//! same node.
#![no_main]
use chainrule::expr::{Id, Store};
use chainrule::print::{latex, text};
use chainrule::syntax::read_expr;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

/// Text printing round-trips: print, read back, same node in the same store.
fn round_trip(store: &mut Store, id: Id, src: &str) {
    if store.dag_size(id) > 400 {
        return;
    }
    let t = text(store, id);
    match read_expr(store, &t, "<printed>") {
        Ok((back, _)) => assert_eq!(back, id, "`{t}` does not read back to the same node"),
        Err(e) => panic!(
            "printed text `{t}` does not parse: {}",
            common::render(e, src)
        ),
    }
    let l = latex(store, id);
    common::check_words(&l, src);
}

fuzz_target!(|data: &[u8]| {
    let Some(src) = common::input(data, 512) else {
        return;
    };
    let mut store = Store::new();
    let (e, warnings) = match read_expr(&mut store, src, "<fuzz>") {
        Ok(r) => r,
        Err(e) => {
            common::render(e, src);
            return;
        }
    };
    for w in &warnings {
        common::check_words(w, src);
    }
    round_trip(&mut store, e, src);
    for s in store.free_symbols(e).into_iter().take(3) {
        let d = chainrule::diff::diff(&mut store, e, s);
        round_trip(&mut store, d, src);
        let d2 = chainrule::diff::diff(&mut store, d, s);
        // Printing is bounded by the print limit whatever the size; just make sure it ends.
        let _ = text(&store, d2);
        let _ = latex(&store, d2);
    }
});
