//! Shared checks: an error must render (miette, fixed width, no colour) without panicking and
//! must not leak internal names.
#![allow(dead_code)]

use chainrule::Error;

/// Renders `e` as the binary does (graphical, no colour, 80 columns) and checks the text
/// (a word the input itself contains may of course be quoted back).
pub fn render(e: Error, input: &str) -> String {
    let e = e.for_display();
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .with_width(80)
        .render_report(&mut out, &e)
        .expect("render a report");
    check_words(&out, input);
    out
}

/// No message may show the grammar's rule names or the lowering's hidden parameter names,
/// unless the input had the pieces they are made of (messages quote the input, and the
/// fuzzer learns the words it is compared with).
pub fn check_words(text: &str, input: &str) {
    for (bad, piece) in [
        ("Rule::", "Rule"),
        ("\u{0}arg", "\u{0}"),
        ("panicked", "panicked"),
        ("RUST_BACKTRACE", "RUST_BACKTRACE"),
    ] {
        assert!(
            input.contains(piece) || !text.contains(bad),
            "message leaks {bad:?}:\n{text}"
        );
    }
}

/// The input as text, bounded so that one case stays fast.
pub fn input(data: &[u8], max: usize) -> Option<&str> {
    if data.len() > max {
        return None;
    }
    std::str::from_utf8(data).ok()
}
