//! The exact→MPFR fallback is one policy (`eval::exact_or_mpfr`): the forward and backward
//! passes of a program say so out loud too, as `eval` does.

use chainrule::eval::{Mode, Value};
use chainrule::network;

#[test]
fn a_program_whose_exact_values_are_too_large_says_it_used_mpfr() {
    let mut net = network::load("E = (w/3)^1000000\nat w = 1\n", "big.chain", None).unwrap();
    let point = net.point.clone();
    let bw = net.backward();
    let trace = net.trace(&bw, &point, Mode::Auto(128)).unwrap();
    assert!(
        matches!(trace.forward[0], Value::Mpfr(_)),
        "{:?}",
        trace.forward
    );
    assert_eq!(
        trace.kinks,
        [
            "the exact value of (w/3)^1000000 has more than 1048576 bits; evaluated with MPFR at 128 bits instead"
        ]
    );
    // Values that stay exact need no note.
    let mut net = network::load("E = (w/3)^10\nat w = 1\n", "small.chain", None).unwrap();
    let point = net.point.clone();
    let bw = net.backward();
    let trace = net.trace(&bw, &point, Mode::Auto(128)).unwrap();
    assert!(matches!(trace.forward[0], Value::Exact(_)));
    assert!(trace.kinks.is_empty(), "{:?}", trace.kinks);
}
