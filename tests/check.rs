//! `chainrule check` catches the seed homework's mistakes and accepts its correct formulas.

use std::process::Command;

fn check(file: &str, wrt: &str, claim: &str) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_chainrule"))
        .args([
            "check", file, "--wrt", wrt, "--claim", claim, "--format", "json",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn homework_mistakes_are_caught() {
    // Q1: "∂E/∂w3 = ∂ℓ/∂ŷ · x2 · x2" (x2 counted twice).
    let j = check("examples/hw7_abstract.chain", "w3", "∂_2 ℓ(y, ŷ) · x2 · x2");
    assert_eq!(j["agrees"], false);
    assert_eq!(j["correct"], "∂_2 ℓ(y, ŷ) · x2");
    // Q1: "∂E/∂w2 = ∂_ŷ ℓ · w3 · σ'(x2) · x1" (σ' taken at x2 instead of z2).
    let j = check(
        "examples/hw7_abstract.chain",
        "w2",
        "∂_2 ℓ(y, ŷ) · w3 · σ'(x2) · x1",
    );
    assert_eq!(j["agrees"], false);
    assert_eq!(j["correct"], "∂_2 ℓ(y, ŷ) · w3 · σ'(z2) · x1");
    // The numeric part's chain for w1 drops ∂x2/∂z2: with relu that is step(z2), which is 1 at
    // the homework's point, so only other points reveal it.
    let j = check(
        "examples/hw7_relu.chain",
        "w1",
        "-2*(y - ŷ)*w3*w2*step(z1)*x",
    );
    assert_eq!(j["agrees"], false);
    assert!(j["verdict"].as_str().unwrap().contains("is 0"), "{j}");
}

#[test]
fn correct_formulas_are_accepted() {
    let j = check(
        "examples/hw7_abstract.chain",
        "w1",
        "∂_2 ℓ(y, ŷ) · w3 · σ'(z2) · w2 · σ'(z1) · x",
    );
    assert_eq!(j["agrees"], true);
    let j = check(
        "examples/hw7_relu.chain",
        "w1",
        "-2*(y - ŷ)*w3*step(z2)*w2*step(z1)*x",
    );
    assert_eq!(j["agrees"], true);
    // Equal but not identical after simplification: σ(t)(1 - σ(t)) written as σ(t) - σ(t)^2.
    let j = check("examples/hw7_sigmoid.chain", "w3", "-2*(y - ŷ)*x2");
    assert_eq!(j["agrees"], true);
}
