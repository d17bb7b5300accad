//! Review of the LaTeX reader: formulas that were silently read as another formula.

mod common;

fn diff(latex: &str) -> (i32, String, String) {
    common::chainrule(&["diff", latex, "--wrt", "x"])
}

/// Each of these was read, exit 0, as a formula its reader does not mean: `x/2y` as
/// (x/2)·y, `\sin 2x` as sin(2)·x, `\exp x y` as exp(x)·y, `2 3` (rendered 23) as 6,
/// `x 2` (rendered x2) as 2x, `x^23` as 3x². Now each is refused with a caret.
#[test]
fn ambiguous_juxtapositions_are_refused_not_guessed() {
    for (latex, message) in [
        ("$x/2y$", "a product after `/` is ambiguous"),
        ("$1/2 x$", "a product after `/` is ambiguous"),
        (
            "$\\sin 2x$",
            "argument without brackets followed by a factor",
        ),
        (
            "$\\log 2x$",
            "argument without brackets followed by a factor",
        ),
        (
            "$\\exp x y$",
            "argument without brackets followed by a factor",
        ),
        ("$2 3$", "a number written after a number"),
        ("$x 2$", "a number written after a number"),
        ("$x^23$", "a number written after a number"),
        ("$-2 3 x$", "a number written after a number"),
        // A layer's or a sample's label, not a power (`a^{(1)}` was a¹).
        (
            "$a^{(1)} x$",
            "a superscript in brackets reads as a power or as a label",
        ),
        (
            "$a^{[l]} x$",
            "a superscript in brackets reads as a power or as a label",
        ),
        (
            "$x^{(i)}$",
            "a superscript in brackets reads as a power or as a label",
        ),
        // A double superscript: (x²)³ here, x^(2^3) in chainrule's syntax; TeX refuses it.
        ("$x^{2}^{3}$", "a double superscript is ambiguous"),
        ("$x^2^3$", "a double superscript is ambiguous"),
        // Braces are not seen: rendered 23.
        ("${2}{3} x$", "a number written after a number"),
        // Read as σ²·x and σ⁻¹·x: textbooks mean σ(x)² (or the inverse function).
        (
            "$\\sigma^2(x)$",
            "a power of a name directly followed by `(`",
        ),
        (
            "$\\sigma^{-1}(x)$",
            "a power of a name directly followed by `(`",
        ),
    ] {
        let (code, out, err) = diff(latex);
        assert_ne!(code, 0, "{latex}: {out}");
        assert!(err.contains(message), "{latex}: {err}");
        assert!(!err.contains("panicked"), "{latex}: {err}");
    }
}

/// What stays readable: explicit operators, brackets, a function after a function.
#[test]
fn unambiguous_neighbours_still_read() {
    for (latex, want) in [
        ("$x/2 \\cdot y$", "y/2"),
        ("$\\frac{x}{2y}$", "1/(2*y)"),
        ("$\\sin(2x)$", "2*cos(2*x)"),
        // Brackets are seen: numbers in them side by side are a product.
        ("$(2)(3) x$", "6"),
        ("$-2(0.5) x$", "-1"),
        ("$\\sin(2) x$", "sin(2)"),
        ("$\\sin x \\cos x$", "cos(x)^2 - sin(x)^2"),
        ("$\\log x^2$", "2/x"),
        ("$\\exp(x) y$", "y*exp(x)"),
        ("$2 (12 - 10) 4 x$", "16"),
        ("$x^{23}$", "23*x^22"),
        ("$x^2 \\cdot 3$", "6*x"),
        ("$x^2 (x + 1)$", "x*(3*x + 2)"),
        ("$\\sigma(x)^2$", "2*σ(x)*σ'(x)"),
    ] {
        let (code, out, err) = diff(latex);
        assert_eq!(code, 0, "{latex}: {err}");
        let got = out
            .lines()
            .next()
            .unwrap_or("")
            .rsplit(" = ")
            .next()
            .unwrap_or("");
        assert_eq!(got, want, "{latex}: {out}");
    }
}

/// `^T` is a transpose in every LaTeX form (`x^Ty` is xᵀy, `^{T}`, `^{-T}`): with T given a
/// value the user meant a power, refused as `x^T` was. The braced forms were read silently as
/// transposes (`(1+r)^{T}` at r = 1, T = 3 was 2, not 8), `x^Ty` as a power of T (12, not 6).
#[test]
fn a_caret_t_in_latex_with_t_given_a_value_is_refused() {
    for latex in ["$w^Tx$", "(1+r)^{T}", "x^{-T}", "x^{ T }", "\\gamma^{T}"] {
        let (code, out, err) = common::chainrule(&["eval", latex, "--at", "w=2,x=3,r=1,T=3,γ=2"]);
        assert_eq!(code, 2, "{latex}: {out}");
        assert!(err.contains("`^T` is a transpose"), "{latex}: {err}");
    }
    let out = common::ok(&["eval", "$w^Tx$", "--at", "w=2,x=3"]);
    assert!(out.contains("= 6 (exact)"), "{out}");
    // In chainrule's syntax `x^Ty` is x to the power of a variable `Ty`.
    let out = common::ok(&["eval", "x^Ty", "--at", "x=2,Ty=3,T=1"]);
    assert!(out.contains("= 8 (exact)"), "{out}");
    // A program's LaTeX line, too.
    let dir = common::scratch_dir(
        "caret_t_latex",
        &[(
            "p.chain",
            "z = w^{T} x + b\nat w = 2, x = 3, b = 1, T = 5\n",
        )],
    );
    let (code, out, err) = common::chainrule(&["backprop", dir.join("p.chain").to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("`^T` is a transpose"), "{err}");
}

/// A line break's extra space, `\\[2pt]`, is spacing: at the end of a program's LaTeX line it
/// was the product 2·p·t (`z_{1} &= w_1 x \\[2pt]` with p and t given values: z1 = 2ptw1x).
#[test]
fn a_line_breaks_extra_space_is_not_a_factor() {
    let out = common::ok(&["eval", "a \\\\[1.5ex] + b", "--at", "a=1,b=2"]);
    assert!(out.contains("= 3 (exact)"), "{out}");
    // Only a length in TeX's units: `\\[2 p]` is no spacing, and the bracket a factor.
    let out = common::ok(&["eval", "$x \\\\[2 p] y$", "--at", "x=2,y=3,p=11"]);
    assert!(out.contains("= 132 (exact)"), "{out}");
    let dir = common::scratch_dir(
        "line_skip",
        &[(
            "p.chain",
            "z_{1} &= w_1 x \\\\[2pt]\nE = z_{1}^{2}\nat w1 = 2, x = 3, p = 5, t = 7\n",
        )],
    );
    let j = common::json(&[
        "backprop",
        dir.join("p.chain").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(j["forward"][0]["value"], "6", "{j}");
    assert_eq!(j["forward"][1]["value"], "36", "{j}");
}
