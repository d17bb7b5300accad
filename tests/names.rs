//! One list of the language's function names and one rule for what a name is.

use chainrule::syntax::{is_function_name, is_name, is_reserved_function_name, name_spans};

#[test]
fn function_names_come_from_one_list() {
    for f in ["sin", "exp", "heaviside", "sqrt", "max"] {
        assert!(is_function_name(f) && is_reserved_function_name(f), "{f}");
    }
    // `d` is the derivative operator: no function may be called so, but it is a variable.
    assert!(!is_function_name("d") && is_reserved_function_name("d"));
    assert!(!is_function_name("x") && !is_reserved_function_name("x"));
}

/// `d*x` has a variable `d`, so `--wrt d` differentiates by it (it was refused as "a
/// function", though the expression reads it as a variable).
#[test]
fn a_variable_called_d_can_be_differentiated_by() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chainrule"))
        .args(["diff", "d*x", "--wrt", "d"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "∂/∂d d*x = x\n");
}

/// Names found in text for warnings are the grammar's names: a superscript digit or a
/// non-ASCII digit does not continue a name (`x²` is the name `x`), as the grammar reads it.
#[test]
fn names_in_text_are_the_grammars_names() {
    for (src, want) in [("x² + y", vec!["x", "y"]), ("w٣ + ŷ", vec!["w", "ŷ"])] {
        let got: Vec<String> = name_spans(src).into_iter().map(|n| n.0).collect();
        assert_eq!(got, want, "{src}");
        for n in &got {
            assert!(is_name(n), "{n}");
        }
    }
    assert!(!is_name("x²") && !is_name("w٣"));
}
