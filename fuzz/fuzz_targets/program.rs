//! Program files: load, backward pass, forward and backward values at a point (every input
//! without a value gets one), and the backprop report in text, LaTeX and JSON.
#![no_main]
use chainrule::eval::Mode;
use chainrule::report::{self, Numbers, Style};
use libfuzzer_sys::fuzz_target;
use rug::Rational;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some(src) = common::input(data, 2048) else {
        return;
    };
    let mut net = match chainrule::network::load(src, "<fuzz>", None) {
        Ok(n) => n,
        Err(e) => {
            common::render(e, src);
            return;
        }
    };
    for w in &net.warnings {
        common::check_words(w, src);
    }
    // Give every input a value: the program's own, else 3/7 (not a kink of relu/abs/step).
    let mut point = net.point.clone();
    let root = net.output_def().expanded;
    for s in net.store.free_symbols(root) {
        point.entry(s).or_insert_with(|| Rational::from((3, 7)));
    }
    let bw = net.backward();
    for mode in [Mode::Auto(64), Mode::F64] {
        if let Err(e) = net.trace(&bw, &point, mode) {
            common::render(e, src);
        }
    }
    for style in [Style::Text, Style::Latex, Style::Json] {
        let numbers = Numbers {
            mode: Mode::Auto(64),
            digits: 12,
        };
        match report::backprop(&mut net, &point, numbers, style) {
            Ok(s) => common::check_words(&s, src),
            Err(e) => {
                common::render(e, src);
            }
        }
    }
});
