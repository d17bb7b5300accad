//! `chainrule grade`: every `=` of a derivation, step by step.

mod common;

fn grade_json(program: &str, tex: &str) -> serde_json::Value {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = common::scratch_dir(&format!("grade{n}"), &[("solution.tex", tex)]);
    let path = dir.join("solution.tex");
    let (code, out, err) =
        common::chainrule(&["grade", program, path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn verdicts(j: &serde_json::Value, chain: usize) -> Vec<(String, bool)> {
    j["chains"][chain]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["verdict"].as_str().unwrap().to_string(),
                s["inherits_earlier_mistake"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_homework_mistakes_are_found_step_by_step() {
    // The homework's Q1 derivation, in chainrule's syntax: x2 counted twice for ∂z3/∂w3, and
    // the last step right only as a rewriting of the wrong one.
    let tex = r"
$$\begin{aligned}d(E, w3) &= d(E, ŷ) * d(ŷ, w3) = d(ℓ, ŷ)*d(ŷ, z3)*d(z3, w3) = d(ℓ, ŷ)*x2*x2 = d(ℓ, ŷ)*x2^2 \\
d(E, w1) &= d(E, ŷ)*w3*d(x2, z2)*w2*d(x1, z1)*x \\
&= 2*(ŷ - y)*w3*step(z2)*w2*step(z1)*x = 24 \\
d(E, w2) &= 2*(ŷ - y)*w3*x1 = 24
\end{aligned}$$";
    let j = grade_json("examples/hw7_relu.chain", tex);
    let chains = j["chains"].as_array().unwrap();
    assert_eq!(chains.len(), 3, "{j}");
    let right = |s: &str| (s.to_string(), false);
    assert_eq!(
        verdicts(&j, 0),
        [
            right("right"),
            right("right"),
            right("wrong"),
            ("right".to_string(), true)
        ]
    );
    // The wrong step's counterexample is at the homework's point: 16 against 64.
    let detail = j["chains"][0]["steps"][2]["detail"].as_str().unwrap();
    assert!(detail.contains("16") && detail.contains("64"), "{detail}");
    assert_eq!(
        verdicts(&j, 1),
        [right("right"), right("right"), right("right")]
    );
    // ∂E/∂w2 without σ'(z2): right in value at the point (24), not as a formula.
    assert_eq!(verdicts(&j, 2), [right("wrong"), right("right")]);
}

#[test]
fn a_correct_solution_grades_all_right() {
    let tex = r"\[ d(E, w3) = d(ℓ, ŷ)*x2 = 2*(ŷ - y)*x2 = 16 \]
\begin{align}
d(E, w2) &= d(ℓ, ŷ)*w3*step(z2)*x1 \\
         &= 24
\end{align}";
    let j = grade_json("examples/hw7_relu.chain", tex);
    assert_eq!(j["chains"].as_array().unwrap().len(), 2, "{j}");
    for k in 0..2 {
        for (v, inherits) in verdicts(&j, k) {
            assert_eq!((v.as_str(), inherits), ("right", false), "{j}");
        }
    }
}

#[test]
fn a_side_that_does_not_read_is_not_graded_and_nothing_panics() {
    let j = grade_json("examples/hw7_relu.chain", "$$ d(E, w3) = x2 * (( $$");
    assert_eq!(verdicts(&j, 0)[0].0, "unreadable", "{j}");
    let j = grade_json("examples/hw7_relu.chain", "$$ d(E, w3) = q*x2 $$");
    let detail = j["chains"][0]["steps"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("not a name of the program"), "{detail}");
}

#[test]
fn the_partial_of_a_function_by_its_parameter() {
    // d(ℓ, ŷ) is ∂_2 ℓ(y, ŷ): for the abstract ℓ, the same formula as the chain rule's.
    let (code, out, _) = common::chainrule(&[
        "check",
        "examples/hw7_abstract.chain",
        "--wrt",
        "w3",
        "--claim",
        "d(ℓ, ŷ)*x2",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("same formula"), "{out}");
    let (code, _, err) = common::chainrule(&[
        "check",
        "examples/hw7_abstract.chain",
        "--wrt",
        "w3",
        "--claim",
        "d(ℓ, z3)*x2",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("not a parameter of `ℓ`"), "{err}");
}

#[test]
fn partial_derivatives_of_names_read_as_textbooks_write_them() {
    // ∂a/∂b in chainrule's syntax is d(a, b): through the definitions; ∂ℓ/∂ŷ the partial of ℓ
    // by its parameter ŷ.
    for (file, wrt, claim) in [
        ("examples/hw7_relu.chain", "w3", "∂E/∂ŷ · ∂ŷ/∂z3 · ∂z3/∂w3"),
        ("examples/hw7_abstract.chain", "w3", "∂ℓ/∂ŷ · x2"),
        (
            "examples/hw7_abstract.chain",
            "w1",
            "∂ℓ/∂ŷ · w3 · ∂x2/∂z2 · w2 · ∂x1/∂z1 · x",
        ),
    ] {
        let (code, out, err) = common::chainrule(&["check", file, "--wrt", wrt, "--claim", claim]);
        assert_eq!(code, 0, "{claim}: {out}{err}");
    }
    let (code, out, _) = common::chainrule(&[
        "check",
        "examples/hw7_abstract.chain",
        "--wrt",
        "w3",
        "--claim",
        "∂ℓ/∂ŷ · ∂z3/∂w3 · x2",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("extra factor x2"), "{out}");
}

/// Issue 13's example: the homework's Q1 derivation as handed in, in LaTeX, graded against
/// the ReLU program (numbers checked at the homework's point) and against the abstract one.
#[test]
fn the_homework_solution_in_latex() {
    let (code, out, err) = common::chainrule(&[
        "grade",
        "examples/hw7_relu.chain",
        "examples/hw7_solution.tex",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    let v = |c: usize| verdicts(&j, c);
    let r = |s: &str| (s.to_string(), false);
    // ∂E/∂w3: x2·x2 caught, the rewriting after it carries the mistake.
    assert_eq!(
        v(0),
        [r("right"), r("right"), r("wrong"), ("right".into(), true)]
    );
    // ∂E/∂w2: x1·x1·x1 caught. For relu, σ'(x2) = step(relu(z2)) is σ'(z2): the last step
    // is wrong only as following from the wrong one before it, and says so.
    assert_eq!(v(1), [r("right"), r("right"), r("wrong"), r("wrong")]);
    let detail = j["chains"][1]["steps"][2]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("yours has x1^3 where the left side has x1;"),
        "{detail}"
    );
    let detail = j["chains"][1]["steps"][3]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("the right side equals the first side: it undoes the earlier mistake"),
        "{detail}"
    );
    // ∂E/∂w1: right.
    assert_eq!(v(2), [r("right"), r("right"), r("right")]);
    // ∂E/∂ŷ = -2(y - ŷ) = -2(10 - 12) = 4, and the numbers 16 and 24 at the point.
    assert_eq!(v(3), [r("right"), r("right"), r("right")]);
    assert_eq!(v(4), [r("right"), r("right")]);
    assert_eq!(v(5), [r("right"), r("right")]);
    // The numeric chain for w1 leaves out ∂x2/∂z2: wrong as a formula, though its 24 is right.
    assert_eq!(v(6), [r("wrong"), r("right")]);
    let detail = j["chains"][6]["steps"][0]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("yours lacks the factor step(z2)"),
        "{detail}"
    );
    let text = common::chainrule(&[
        "grade",
        "examples/hw7_relu.chain",
        "examples/hw7_solution.tex",
    ])
    .1;
    common::snapshot_settings().bind(|| insta::assert_snapshot!("grade_hw7_solution", text));
    // A correct solution: every step right.
    let (code, out, _) = common::chainrule(&[
        "grade",
        "examples/hw7_relu.chain",
        "examples/hw7_solution_correct.tex",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    for c in j["chains"].as_array().unwrap() {
        for s in c["steps"].as_array().unwrap() {
            assert_eq!(s["verdict"], "right", "{s}");
        }
    }
}

/// Issue 13's snapshot: `chainrule grade examples/hw7_abstract.chain
/// examples/hw7_solution.tex`, σ and ℓ unspecified but taken as the homework takes them
/// (`take σ(t) = relu(t), ℓ(y, ŷ) = (y - ŷ)^2, x = 1, …`): every formula mistake caught for
/// every σ and ℓ, `-2(y - ŷ)` right for the homework's ℓ only (and saying so), and the
/// numbers 4, 16, 24, 24 right at the homework's point under its σ and ℓ.
#[test]
fn the_homework_solution_against_the_abstract_program_and_its_instance() {
    let args = [
        "grade",
        "examples/hw7_abstract.chain",
        "examples/hw7_solution.tex",
    ];
    let (code, text, err) = common::chainrule(&args);
    assert_eq!(code, 0, "{err}");
    common::snapshot_settings()
        .bind(|| insta::assert_snapshot!("grade_hw7_abstract_solution", text));
    let j = grade_json(
        "examples/hw7_abstract.chain",
        &std::fs::read_to_string("examples/hw7_solution.tex").unwrap(),
    );
    let chains = j["chains"].as_array().unwrap();
    assert_eq!(chains.len(), 7, "{j}");
    let v = |c: usize| verdicts(&j, c);
    let r = |s: &str| (s.to_string(), false);
    // The verdicts are the issue's two kinds only.
    for c in chains {
        for st in c["steps"].as_array().unwrap() {
            assert!(st["verdict"] == "right" || st["verdict"] == "wrong", "{st}");
        }
    }
    // What each step needed of the instance: nothing (true for every σ and ℓ), or the
    // functions taken.
    let assumes = |c: usize, k: usize| -> Vec<String> {
        j["chains"][c]["steps"][k]["assumes"]
            .as_array()
            .unwrap_or_else(|| panic!("no assumes: {j}"))
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect()
    };
    const SIGMA: &str = "σ(t) = relu(t)";
    const ELL: &str = "ℓ(y, ŷ) = (y - ŷ)^2";
    // ∂E/∂w3: x2·x2 for ∂z3/∂w3 caught, for every σ and ℓ.
    assert_eq!(
        v(0),
        [r("right"), r("right"), r("wrong"), ("right".into(), true)]
    );
    let detail = j["chains"][0]["steps"][2]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("yours has the extra factor x2"),
        "{detail}"
    );
    // ∂E/∂w2: x1·x1·x1 and σ'(x2) caught, each said for what it is; σ'(x2) compared with
    // the first side, since the left side is wrong already.
    assert_eq!(v(1), [r("right"), r("right"), r("wrong"), r("wrong")]);
    let detail = j["chains"][1]["steps"][2]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("yours has x1^3 where the left side has x1;"),
        "{detail}"
    );
    let detail = j["chains"][1]["steps"][3]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with(
            "compared with the first side, yours has σ'(x2) where the first side has σ'(z2);"
        ),
        "{detail}"
    );
    // ∂E/∂w1: right for every σ and ℓ.
    assert_eq!(v(2), [r("right"), r("right"), r("right")]);
    for (c, chain) in chains.iter().enumerate().take(3) {
        for k in 0..chain["steps"].as_array().unwrap().len() {
            assert!(assumes(c, k).is_empty(), "chain {c} step {k}: {j}");
        }
    }
    // ∂E/∂ŷ = -2(y - ŷ): right for the homework's ℓ, not for every ℓ; -2(10 - 12) needs ŷ
    // = 12, which needs σ; 4 is -2(10 - 12).
    assert_eq!(v(3), [r("right"), r("right"), r("right")]);
    assert_eq!(assumes(3, 0), [ELL]);
    assert_eq!(assumes(3, 1), [SIGMA]);
    assert!(assumes(3, 2).is_empty());
    // 16 and 24: right at the homework's point, with its σ and ℓ.
    assert_eq!(v(4), [r("right"), r("right")]);
    assert_eq!(v(5), [r("right"), r("right")]);
    for c in [4, 5] {
        assert!(assumes(c, 0).is_empty());
        assert_eq!(assumes(c, 1), [SIGMA, ELL]);
    }
    // The numeric chain for w1 leaves out ∂x2/∂z2: wrong as a formula though equal at the
    // homework's point (relu'(z2) = 1 there), and its 24 right.
    assert_eq!(v(6), [r("wrong"), r("right")]);
    let detail = j["chains"][6]["steps"][0]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("yours lacks the factor σ'(z2); with σ(t) = relu(t), ℓ(y, ŷ) = (y - ŷ)^2, the two sides are equal at the program's point but not as formulas"),
        "{detail}"
    );
    assert_eq!(assumes(6, 1), [SIGMA, ELL]);
    // The text says which steps needed the instance.
    assert!(
        text.contains("= -2(y - \\hat{y})   right for ℓ(y, ŷ) = (y - ŷ)^2, not for every ℓ\n"),
        "{text}"
    );
    assert!(
        text.ends_with("16 steps right (5 of them only for the program's `take`), 4 wrong\n"),
        "{text}"
    );
}

/// Without a `take`, an abstract program has no values: a number is not graded, and the
/// step true for one ℓ only is wrong (for every ℓ it is not right).
#[test]
fn without_an_instance_numbers_are_not_graded() {
    let src = std::fs::read_to_string("examples/hw7_abstract.chain").unwrap();
    let without: String = src
        .lines()
        .filter(|l| !l.starts_with("take "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(src, without, "the example has a take line");
    let dir = common::scratch_dir("grade_no_take", &[("abstract.chain", &without)]);
    let program = dir.join("abstract.chain");
    let tex = "$$\\frac{\\partial E}{\\partial \\hat{y}} = -2(y - \\hat{y}) = -2(10 - 12) = 4$$";
    let j = grade_json(program.to_str().unwrap(), tex);
    assert_eq!(
        j["chains"][0]["steps"][0]["verdict"], "wrong",
        "-2(y - ŷ) is ∂ℓ/∂ŷ for one ℓ only: {j}"
    );
    assert_eq!(j["chains"][0]["steps"][1]["verdict"], "unreadable", "{j}");
    let detail = j["chains"][0]["steps"][1]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("a number is compared at the program's point"),
        "{detail}"
    );
}

/// A step true only for the instance is right for it; one false for it is wrong, with the
/// instance's numbers; a number false at its point is wrong.
#[test]
fn steps_right_only_for_the_instance_and_numbers_wrong_under_it() {
    let program = "fn σ(t)\nfn ℓ(y, p)\nz = w*x\nh = σ(z)\nE = ℓ(y, h)\ntake σ(t) = t^2, ℓ(y, p) = y*p, w = 2, x = 3, y = 5\n";
    let dir = common::scratch_dir("grade_take", &[("p.chain", program)]);
    let path = dir.join("p.chain");
    let tex = r"
$$\frac{\partial E}{\partial w} = y \cdot 2 z \cdot x = 180$$
$$\frac{\partial E}{\partial w} = y \cdot 2 z = 181$$
$$\frac{\partial E}{\partial w} = \partial_{2} \ell(y, h) \cdot \sigma'(z) \cdot x$$
";
    let j = grade_json(path.to_str().unwrap(), tex);
    let step = |c: usize, k: usize| &j["chains"][c]["steps"][k];
    // y·2z·x is ∂E/∂w for σ(t) = t², ℓ(y, p) = y·p: both needed.
    assert_eq!(step(0, 0)["verdict"], "right", "{j}");
    assert_eq!(
        step(0, 0)["assumes"],
        serde_json::json!(["σ(t) = t^2", "ℓ(y, p) = y*p"])
    );
    // 5·2·6·3 = 180 at w = 2, x = 3, y = 5.
    assert_eq!(step(0, 1)["verdict"], "right", "{j}");
    // Without the factor x: wrong for every σ and ℓ, and for these too.
    assert_eq!(step(1, 0)["verdict"], "wrong", "{j}");
    // 181 is not y·2z at the instance's point (it is 60): wrong there.
    assert_eq!(step(1, 1)["verdict"], "wrong", "{j}");
    let detail = step(1, 1)["detail"].as_str().unwrap();
    assert!(
        detail.contains("w = 2, x = 3, y = 5")
            && detail.contains("is 60")
            && detail.contains("is 181"),
        "{detail}"
    );
    // The general formula needs nothing of the instance.
    assert_eq!(step(2, 0)["verdict"], "right", "{j}");
    assert_eq!(step(2, 0)["assumes"], serde_json::json!([]), "{j}");
}

/// A step that calls one of the two functions a program takes (σ, not ℓ) is judged with σ
/// taken alone. The program's domain condition, its output `ℓ(y, h2)`, still called ℓ, which
/// has no value: no point could be evaluated, and `h_1 = \max\{z_1, 0\}` under `take σ(t) =
/// relu(t)` was graded wrong (as was `∂h1/∂w1 = 2 z1 x` under σ(t) = t²).
#[test]
fn a_step_that_calls_one_of_two_taken_functions_is_judged_with_it_taken() {
    let program = "fn σ(t)\nfn ℓ(a, b)\nz1 = w1*x\nh1 = σ(z1)\nz2 = w2*h1\nh2 = σ(z2)\nE = ℓ(y, h2)\ntake σ(t) = relu(t), ℓ(a, b) = (a - b)^2, w1 = 1, w2 = 1, x = 2, y = 1\n";
    let dir = common::scratch_dir("grade_one_of_two", &[("p.chain", program)]);
    let path = dir.join("p.chain");
    let tex = r"
$$ h_1 = \max\{z_1, 0\} $$
$$ h_2 = z_2 \mathbb{1}\{z_2 > 0\} $$
$$ h_2 = \max\{z_2, 0\} = z_2 $$
";
    let j = grade_json(path.to_str().unwrap(), tex);
    let step = |c: usize, k: usize| &j["chains"][c]["steps"][k];
    for c in 0..3 {
        assert_eq!(step(c, 0)["verdict"], "right", "{j}");
        assert_eq!(
            step(c, 0)["assumes"],
            serde_json::json!(["σ(t) = relu(t)"]),
            "{j}"
        );
    }
    // relu(z2) is not z2 where z2 < 0.
    assert_eq!(step(2, 1)["verdict"], "wrong", "{j}");
    let program = "fn σ(t)\nfn ℓ(a, b)\nz1 = w1*x\nh1 = σ(z1)\nE = ℓ(y, h1)\ntake σ(t) = t^2, ℓ(a, b) = (a - b)^2, w1 = 2, x = 1, y = 10\n";
    let dir = common::scratch_dir("grade_one_of_two_d", &[("p.chain", program)]);
    let path = dir.join("p.chain");
    let j = grade_json(
        path.to_str().unwrap(),
        r"$$ \frac{\partial h_1}{\partial w_1} = 2 z_1 x $$",
    );
    assert_eq!(step_verdict(&j), "right", "{j}");
}

fn step_verdict(j: &serde_json::Value) -> &str {
    j["chains"][0]["steps"][0]["verdict"].as_str().unwrap()
}

/// `=` after another relation were neither graded nor said to be ungraded: `E = (y - ŷ)^2
/// \Rightarrow ∂E/∂w3 = 17` was "1 step right, 0 wrong", exit 0.
#[test]
fn the_equalities_after_an_implication_or_an_approximation_are_graded() {
    let tex = r"
$$ E = (y-\hat y)^2 \Rightarrow \frac{\partial E}{\partial w_3} = 17 $$
$$ \frac{\partial E}{\partial w_3} \approx 2(\hat{y}-y)x_2 = 16 $$
";
    let j = grade_json("examples/hw7_relu.chain", tex);
    let verdict = |c: usize| verdicts(&j, c).into_iter().map(|v| v.0).collect::<Vec<_>>();
    assert_eq!(j["chains"].as_array().unwrap().len(), 3, "{j}");
    assert_eq!(verdict(0), ["right"], "{j}");
    // ∂E/∂w3 is 16 at the program's point.
    assert_eq!(verdict(1), ["wrong"], "{j}");
    // `≈` is a step as `=` is.
    assert_eq!(verdict(2), ["right", "right"], "{j}");
}

/// A number written with a decimal point is taken as rounded: the sigmoid homework's
/// ∂E/∂w3 = -12.69834047… written as -12.698, -12.70 or ≈ -12.698 was graded wrong (compared
/// exactly), and after `\approx` not graded at all, so no decimal answer to it could be right.
#[test]
fn a_number_written_to_some_digits_is_right_when_the_value_rounds_to_it() {
    let tex = r"
$$ \frac{\partial E}{\partial w_3} = -12.698 $$
$$ \frac{\partial E}{\partial w_3} = -12.70 $$
$$ \frac{\partial E}{\partial w_3} \approx -12.698 $$
$$ \frac{\partial E}{\partial w_1} = -1.1726 $$
$$ \frac{\partial E}{\partial w_3} = -12.69 $$
$$ \frac{\partial E}{\partial w_3} = -12 $$
";
    let j = grade_json("examples/hw7_sigmoid.chain", tex);
    let step = |c: usize| &j["chains"][c]["steps"][0];
    for (c, digits) in [(0, 5), (1, 4), (2, 5), (3, 5)] {
        assert_eq!(step(c)["verdict"], "right", "{j}");
        let detail = step(c)["detail"].as_str().unwrap();
        assert!(
            detail.starts_with(&format!(
                "rounded to the {digits} significant digits written"
            )),
            "{detail}"
        );
    }
    // -12.69 is not -12.698… rounded, and an integer is exact.
    assert_eq!(step(4)["verdict"], "wrong", "{j}");
    assert_eq!(step(5)["verdict"], "wrong", "{j}");
}

/// Rounding, as a review found it read: the side with fewer digits after the point is the
/// rounded one, whichever side it is on; `{-12.698}`, `(-12.698)` and the minus sign `−` are
/// numbers written to some digits too; `= .5` is one half (the point was trimmed: 5).
#[test]
fn rounded_numbers_in_other_forms_and_on_either_side() {
    let tex = r"
$$ -12.7 = -12.69834 $$
$$ \frac{\partial E}{\partial w_3} = {-12.698} = (-12.698) = −12.698 $$
$$ \frac{\partial E}{\partial w_3} = -12.698\, . $$
";
    let j = grade_json("examples/hw7_sigmoid.chain", tex);
    for c in 0..3 {
        for (k, step) in j["chains"][c]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            assert_eq!(step["verdict"], "right", "chain {c}, step {k}: {j}");
        }
    }
    let program = "z = w*x\nE = z^2\nat w = 1/2, x = 1\n";
    let dir = common::scratch_dir("grade_half", &[("p.chain", program)]);
    let path = dir.join("p.chain");
    let j = grade_json(path.to_str().unwrap(), r"$$ z = .5 = .50 $$");
    assert_eq!(
        verdicts(&j, 0),
        [("right".into(), false), ("right".into(), false)],
        "{j}"
    );
}

/// After `≈` a whole number is rounded too (`≈ -13` for -12.698… was wrong); a number rounded
/// from a rounded one must round the value itself (`≈ 0.4445 ≈ 0.445 ≈ 0.45 ≈ 0.5` for 0.44449
/// was right at every step).
#[test]
fn a_whole_number_after_approx_and_a_rounded_number_rounded_again() {
    let tex = r"
$$ \frac{\partial E}{\partial w_3} \approx -13 $$
$$ \frac{\partial E}{\partial w_3} = -13 $$
$$ \frac{\partial E}{\partial w_3} \approx -12.7 \approx -13 $$
";
    let j = grade_json("examples/hw7_sigmoid.chain", tex);
    let verdict = |c: usize| verdicts(&j, c).into_iter().map(|v| v.0).collect::<Vec<_>>();
    assert_eq!(verdict(0), ["right"], "{j}");
    assert_eq!(verdict(1), ["wrong"], "{j}");
    assert_eq!(verdict(2), ["right", "right"], "{j}");
    let program = "E = w*x\nat w = 1, x = 0.44449\n";
    let dir = common::scratch_dir("grade_drift", &[("p.chain", program)]);
    let path = dir.join("p.chain");
    let j = grade_json(
        path.to_str().unwrap(),
        r"$$ \frac{\partial E}{\partial w} \approx 0.4445 \approx 0.445 \approx 0.44 $$",
    );
    let verdict = |c: usize| verdicts(&j, c).into_iter().map(|v| v.0).collect::<Vec<_>>();
    // 0.44449 rounds to 0.4445 and to 0.44, not to 0.445.
    assert_eq!(verdict(0), ["right", "wrong", "right"], "{j}");
    let detail = j["chains"][0]["steps"][1]["detail"].as_str().unwrap();
    assert!(detail.starts_with("it rounds a rounded value"), "{detail}");
}

/// Homework as it is written, found by a second review: rounded values put into a formula,
/// then the number they come to; a continuation line opened by `\qquad`; a side going on on
/// the next line. Rounded numbers put in were graded wrong against the exact formula (now not
/// graded, and the number after them is measured against the value itself); the others were
/// dropped, or cut (a factor lost), with their wrong steps.
#[test]
fn rounded_values_put_in_and_continuation_lines() {
    let tex = r"
$$ \frac{\partial E}{\partial w_3} = -2(y - \hat{y}) x_2 \approx -2(10 - 2.5602)(0.8534) \approx -12.698 $$
$$ \frac{\partial E}{\partial w_3} = -2(y - \hat{y}) x_2 \approx -2(10 - 2.56)(0.853) \approx -12.70 $$
$$ \frac{\partial E}{\partial w_3} = -2(y - \hat{y}) x_2 \approx -2(10 - 2.56)(0.853) \approx -12.69 $$
\begin{align*}
\frac{\partial E}{\partial w_3} &= -2(y - \hat{y}) x_2 \\
&\qquad \approx -12.71
\end{align*}
\begin{align*}
\frac{\partial E}{\partial w_3} &= -2(y - \hat{y}) \\
&\qquad \cdot x_2 \\
&\approx -12.698
\end{align*}
";
    let j = grade_json("examples/hw7_sigmoid.chain", tex);
    let verdict = |c: usize| verdicts(&j, c).into_iter().map(|v| v.0).collect::<Vec<_>>();
    assert_eq!(verdict(0), ["right", "unreadable", "right"], "{j}");
    // -12.698… rounds to -12.70, though the numbers put in come to -12.6926.
    assert_eq!(verdict(1), ["right", "unreadable", "right"], "{j}");
    assert_eq!(verdict(2), ["right", "unreadable", "wrong"], "{j}");
    assert_eq!(verdict(3), ["right", "wrong"], "{j}");
    assert_eq!(verdict(4), ["right", "right"], "{j}");
}

/// Zero is no rounding (`≈ 0` for 1/3, `≈ 0.0000` for 1.23·10^-5 were "right to 1 digit");
/// a power of ten (`1.2 \times 10^{-5}`) and a whole number's trailing zeros after `≈`
/// (`≈ 123000`) are digits written too.
#[test]
fn zero_powers_of_ten_and_trailing_zeros() {
    let program = "E = w*x\nat w = 1, x = 0.0000123456\n";
    let dir = common::scratch_dir("grade_tiny", &[("p.chain", program)]);
    let path = dir.join("p.chain");
    let j = grade_json(
        path.to_str().unwrap(),
        r"$$ \frac{\partial E}{\partial w} \approx 1.2 \times 10^{-5} \approx 0.0000 $$",
    );
    assert_eq!(
        verdicts(&j, 0),
        [("right".into(), false), ("wrong".into(), false)],
        "{j}"
    );
    let program = "E = w*x\nat w = 1, x = 123456.789\n";
    let dir = common::scratch_dir("grade_huge", &[("p.chain", program)]);
    let path = dir.join("p.chain");
    let j = grade_json(
        path.to_str().unwrap(),
        r"$$ \frac{\partial E}{\partial w} \approx 123000 $$ $$ \frac{\partial E}{\partial w} = 123000 $$",
    );
    assert_eq!(verdicts(&j, 0), [("right".into(), false)], "{j}");
    // After `=`, a whole number is exact.
    assert_eq!(verdicts(&j, 1), [("wrong".into(), false)], "{j}");
}

/// Numbers in brackets side by side are a product, as they are written and rendered:
/// `-2(10 - 2.5602)(3)(0.8534)` did not read ("a number written after a number"), so neither
/// it nor the number after it was graded, the wrong one (-4.98) included.
#[test]
fn bracketed_numbers_side_by_side_are_a_product() {
    let tex = r"
$$ \frac{\partial E}{\partial w_2} = -2(10 - 2.5602)(3)(0.8534)(1-0.8534)(0.8808) \approx -4.92 $$
$$ \frac{\partial E}{\partial w_2} = -2(10 - 2.5602)(3)(0.8534)(1-0.8534)(0.8808) \approx -4.98 $$
$$ \frac{\partial E}{\partial w_1} \approx -2(7.4398)(3)(0.125)(2)(0.105) \approx -1.5 $$
$$ \frac{\partial E}{\partial w_3} = (-2)(7.4398)(0.8534) $$
";
    let j = grade_json("examples/hw7_sigmoid.chain", tex);
    let verdict = |c: usize| verdicts(&j, c).into_iter().map(|v| v.0).collect::<Vec<_>>();
    // Rounded numbers put in: the step is not graded, the number they come to is.
    assert_eq!(verdict(0), ["unreadable", "right"], "{j}");
    assert_eq!(verdict(1), ["unreadable", "wrong"], "{j}");
    assert_eq!(verdict(2), ["unreadable", "wrong"], "{j}");
    assert_eq!(verdict(3), ["unreadable"], "{j}");
    let detail = j["chains"][3]["steps"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("rounded numbers are put in"), "{detail}");
}

/// What students write for the sigmoid network, each read as meant: Leibniz's `\frac{dE}{dw_3}`
/// (and `\mathrm{d}`) was the product d·E over d·w3, "`d` is not a name of the program";
/// `e^{-z_1}` was "`e` is not a name" (the program has no `e`: it is Euler's number);
/// `x_1(1 - x_1)` was "unknown function `x1`" (x1 is a variable: a product); and a step with
/// the point's values put in, `\frac{1}{1+e^{-2}}`, was "wrong", compared as a formula.
#[test]
fn leibniz_d_euler_e_and_variables_before_brackets_read_as_meant() {
    let tex = r"
$$ \frac{dE}{dw_3} = -12.698 $$
$$ \frac{\mathrm{d}E}{\mathrm{d}w_3} \approx -12.70 $$
$$ \frac{dE}{dw_2} = -5.1 $$
$$ x_1 = \sigma(z_1) = \frac{1}{1 + e^{-z_1}} = \frac{1}{1+e^{-2}} \approx 0.8808 $$
$$ x_1 = \frac{1}{1 + e^{-z_2}} $$
$$ \frac{\partial x_1}{\partial z_1} = \frac{e^{-z_1}}{(1+e^{-z_1})^2} = x_1(1 - x_1) = x_1(1 + x_1) $$
";
    let j = grade_json("examples/hw7_sigmoid.chain", tex);
    let verdict = |c: usize| verdicts(&j, c).into_iter().map(|v| v.0).collect::<Vec<_>>();
    assert_eq!(verdict(0), ["right"], "{j}");
    assert_eq!(verdict(1), ["right"], "{j}");
    // ∂E/∂w2 = -4.9187…
    assert_eq!(verdict(2), ["wrong"], "{j}");
    assert_eq!(verdict(3), ["right", "right", "right", "right"], "{j}");
    assert_eq!(verdict(4), ["wrong"], "{j}");
    assert_eq!(verdict(5), ["right", "right", "wrong"], "{j}");
}
