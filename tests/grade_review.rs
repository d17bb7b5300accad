//! Review of `chainrule grade`: chains split where they should be, sides read as the LaTeX
//! they are, verdicts and hints that are true.

mod common;

fn grade_json(program: &str, tex: &str) -> serde_json::Value {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = common::scratch_dir(&format!("grade_review{n}"), &[("solution.tex", tex)]);
    let path = dir.join("solution.tex");
    let (code, out, err) =
        common::chainrule(&["grade", program, path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// Each chain as its sides' texts and its verdicts.
fn summary(j: &serde_json::Value) -> Vec<(Vec<String>, Vec<String>)> {
    j["chains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let steps = c["steps"].as_array().unwrap();
            let mut sides = vec![steps[0]["left"].as_str().unwrap().to_string()];
            sides.extend(
                steps
                    .iter()
                    .map(|s| s["right"].as_str().unwrap().to_string()),
            );
            let verdicts = steps
                .iter()
                .map(|s| s["verdict"].as_str().unwrap().to_string())
                .collect();
            (sides, verdicts)
        })
        .collect()
}

/// `\\[2pt]` began a new chain whose first side was `[2pt]`; a `%` comment inside a block was
/// part of a side; `\%` in prose hid the math after it; `E :=` was a side `E :`.
#[test]
fn chains_split_at_line_breaks_with_spacing_comments_and_definitions() {
    let tex = "\\begin{align*}\n\\frac{\\partial E}{\\partial w_3} &= 2(\\hat{y} - y) x_2 \\\\[2pt]\n&= 16\n\\end{align*}\n\
               $$ \\hat{y} = w_3 x_2 % = 13\n = 12 $$\n\
               Half: 50\\% of $$ x_2 = 4 $$\n\
               $$ E := (y - \\hat{y})^2 = 4 $$\n";
    let j = grade_json("examples/hw7_relu.chain", tex);
    let s = summary(&j);
    assert_eq!(s.len(), 4, "{j}");
    assert_eq!(
        s[0].0,
        [
            "\\frac{\\partial E}{\\partial w_3}",
            "2(\\hat{y} - y) x_2",
            "16"
        ]
    );
    assert_eq!(s[0].1, ["right", "right"]);
    assert_eq!(s[1].0, ["\\hat{y}", "w_3 x_2", "12"]);
    assert_eq!(s[1].1, ["right", "right"]);
    assert_eq!(s[2].0, ["x_2", "4"]);
    assert_eq!(s[2].1, ["right"]);
    assert_eq!(s[3].0, ["E", "(y - \\hat{y})^2", "4"]);
    assert_eq!(s[3].1, ["right", "right"]);
}

/// A chain with LaTeX in it is LaTeX throughout: `x_2 = 4` was read in chainrule's syntax
/// (`x_2` not a name), `(y - w_3 x_2)^2` and `2 (12 - 10) 4` refused as missing operators.
#[test]
fn sides_without_a_command_are_read_as_latex_in_a_latex_chain() {
    let tex = "$$ x_2 = 4 = 2 \\cdot 2 $$\n\
               $$ E = (y - \\hat y)^2 = (y - w_3 x_2)^2 $$\n\
               $$ \\frac{\\partial E}{\\partial w_3} = 2(\\hat{y} - y) x_2 = 2 (12 - 10) 4 = 16 $$\n\
               $$ \\hat{y} = 12 = x^23 $$\n";
    let j = grade_json("examples/hw7_relu.chain", tex);
    let s = summary(&j);
    assert_eq!(s[0].1, ["right", "right"], "{j}");
    assert_eq!(s[1].1, ["right", "right"], "{j}");
    assert_eq!(s[2].1, ["right", "right", "right"], "{j}");
    // `x^23` renders as x²3: not read as x to the 23rd (which is 1 at x = 1, "wrong").
    assert_eq!(s[3].1, ["right", "unreadable"], "{j}");
}

/// `-\partial_{\hat{y}} \ell` was refused (the sign hid the mark from the name after it).
#[test]
fn a_signed_partial_of_a_function_reads() {
    let tex = "$$ \\frac{\\partial E}{\\partial w_3} = -\\partial_{\\hat{y}} \\ell \\cdot (-x_2) = \\partial_{\\hat{y}} \\ell \\cdot x_2 = -\\partial_{\\hat{y}} \\ell \\cdot x_2 $$";
    let j = grade_json("examples/hw7_abstract.chain", tex);
    let s = summary(&j);
    assert_eq!(s[0].1, ["right", "right", "wrong"], "{j}");
    let detail = j["chains"][0]["steps"][2]["detail"].as_str().unwrap();
    assert!(detail.contains("yours has the opposite sign"), "{detail}");
}

/// A name swapped everywhere it stands: the hint named one call of it (`σ'(a)`), though
/// changing that call alone does not make the claim right (`a` is a factor too).
#[test]
fn a_swapped_name_hint_is_true_when_the_name_stands_twice() {
    let dir = common::scratch_dir(
        "grade_review_swap",
        &[("p.chain", "fn σ(t)\nz = w*x\na = σ(z)\nE = a*z\nwrt w\n")],
    );
    let p = dir.join("p.chain");
    let p = p.to_str().unwrap();
    // `check` exits 1 on a wrong claim.
    let (code, out, err) =
        common::chainrule(&["check", p, "--wrt", "w", "--claim", "σ'(a)*x*a + σ(z)*x"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("yours has a where the chain rule has z"),
        "{out}"
    );
    let (_, out, _) =
        common::chainrule(&["check", p, "--wrt", "w", "--claim", "σ'(a)*x*z + σ(z)*x"]);
    assert!(
        out.contains("yours has σ'(a) where the chain rule has σ'(z)"),
        "{out}"
    );
}

/// 10^5 `=` signs: grading each wrong step costs tens of comparisons, so a huge solution is
/// refused up front (exit 1, a limit) instead of running for minutes.
#[test]
fn a_huge_solution_is_refused_up_front() {
    let tex = format!("$$ {} $$", vec!["x_2"; 100_001].join(" = "));
    let dir = common::scratch_dir("grade_review_huge", &[("huge.tex", &tex)]);
    let path = dir.join("huge.tex");
    let start = std::time::Instant::now();
    let (code, _, err) =
        common::chainrule(&["grade", "examples/hw7_relu.chain", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    // The message is wrapped to the terminal's width wherever the file's path ends.
    let words: Vec<&str> = err.split_whitespace().filter(|w| *w != "│").collect();
    assert!(words.join(" ").contains("100000 steps"), "{err}");
    assert!(start.elapsed().as_secs() < 20);
}

/// A random point on a kink: `max(w, x)` at w = x, where chainrule's derivative is 1/2 and
/// the student's 1{w > x} is 0, both fair. The right claim was judged wrong there ("at w = 1,
/// x = 1, yours is 0 but ∂E/∂w is 1/2"); a wrong one is still caught.
#[test]
fn a_random_point_on_a_kink_does_not_make_a_right_claim_wrong() {
    let dir = common::scratch_dir(
        "grade_review_kink",
        &[("max.chain", "E = max(w, x)\nat w = 2, x = 1\nwrt w\n")],
    );
    let p = dir.join("max.chain");
    let p = p.to_str().unwrap();
    let (code, out, err) = common::chainrule(&["check", p, "--wrt", "w", "--claim", "step(w - x)"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("✓ Right"), "{out}");
    let (code, out, _) = common::chainrule(&["check", p, "--wrt", "w", "--claim", "1"]);
    assert_eq!(code, 1, "{out}");
    let (code, out, _) = common::chainrule(&["check", p, "--wrt", "w", "--claim", "step(x - w)"]);
    assert_eq!(code, 1, "{out}");
}

/// Values of the program's point put into part of a formula (`2(12 - 10) x_2` for
/// `2(\hat{y} - y) x_2`) are right at that point only, as is a factor left out that is 1
/// there (`w_2 x` for ∂z2/∂w1, without step(z1)): the formulas cannot tell which, so the step
/// stays wrong (never a wrong step graded right), and says it is right at the point.
#[test]
fn a_step_right_only_at_the_point_is_wrong_and_says_so() {
    let tex = "$$ \\frac{\\partial E}{\\partial w_3} = 2(\\hat{y} - y) x_2 = 2(12 - 10) x_2 = 4 \\cdot 4 = 16 $$\n\
               $$ \\frac{\\partial z_2}{\\partial w_1} = w_2 x $$\n";
    let j = grade_json("examples/hw7_relu.chain", tex);
    let s = summary(&j);
    assert_eq!(s[0].1, ["right", "wrong", "right", "right"], "{j}");
    assert_eq!(s[1].1, ["wrong"], "{j}");
    let detail = j["chains"][0]["steps"][1]["detail"].as_str().unwrap();
    assert!(
        detail.contains("equal at the program's point but not as formulas"),
        "{detail}"
    );
    let detail = j["chains"][1]["steps"][0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("yours lacks the factor step(z1)"),
        "{detail}"
    );
}

/// Two equations on one line: `\hat{y} = 12 \quad x_2 = 4` was the one chain ŷ = 12·x2 = 4
/// (spacing means nothing in a formula), a wrong step the student never wrote; labels and
/// prose in `\text{…}` made sides unreadable.
#[test]
fn equations_side_by_side_on_a_line_are_chains_of_their_own() {
    let tex = "$$ \\hat{y} = 12 \\quad x_2 = 4 $$\n\
               $$ \\hat{y} = 12, \\qquad x_2 = 4 $$\n\
               $$\\hat{y}=12\\text{ and }x_2=4$$\n\
               \\begin{align}\n\\hat{y} &= w_3 x_2 \\label{eq:1} \\\\\n&= 12 \\nonumber\n\\end{align}\n\
               $$ \\max\\{x, 0\\} = x_1 = \\text{relu}(z_1) $$\n";
    let j = grade_json("examples/hw7_relu.chain", tex);
    let s = summary(&j);
    for k in 0..3 {
        assert_eq!(s[2 * k].0, ["\\hat{y}", "12"], "{j}");
        assert_eq!(s[2 * k].1, ["right"], "{j}");
        assert_eq!(s[2 * k + 1].0, ["x_2", "4"], "{j}");
        assert_eq!(s[2 * k + 1].1, ["right"], "{j}");
    }
    assert_eq!(s[6].0, ["\\hat{y}", "w_3 x_2", "12"], "{j}");
    assert_eq!(s[6].1, ["right", "right"], "{j}");
    assert_eq!(s[7].0.len(), 3, "{j}");
}

/// Two equations set side by side in an `align`'s columns (`a &= 16 & b &= 24`) were one
/// formula, the second's left side multiplied into the first's right (16·∂E/∂w2), and two
/// right steps graded wrong; a step written `\overset{…}{=}`, `\stackrel{…}{=}` or `\equiv`
/// was left out silently, a wrong one (17 for 24) included.
#[test]
fn columns_annotated_equals_and_equiv_are_steps() {
    let tex = "\\begin{align*}\n\
               \\frac{\\partial E}{\\partial w_3} &= 16 & \\frac{\\partial E}{\\partial w_2} &= 24 \\\\\n\
               \\frac{\\partial E}{\\partial w_1} &\\overset{\\text{chain rule}}{=} 17 \\\\\n\
               \\frac{\\partial E}{\\partial w_1} &\\stackrel{(a)}{=} 24 &&\\text{by (a)} \\\\\n\
               \\frac{\\partial E}{\\partial w_1} &\\equiv 25 \\\\\n\
               \\frac{\\partial E}{\\partial w_2} &\\underset{\\sigma' = 1}{\\approx} 24.0 \\\\\n\
               \\frac{\\partial E}{\\partial w_3} &= 2(\\hat{y} - y) \\\\\n\
               &\\qquad \\cdot x_2 \\\\\n\
               &= 16\n\
               \\end{align*}\n";
    let j = grade_json("examples/hw7_relu.chain", tex);
    let s = summary(&j);
    let texts: Vec<_> = s.iter().map(|c| c.0.clone()).collect();
    assert_eq!(s.len(), 7, "{texts:?}");
    assert_eq!(s[0].0, ["\\frac{\\partial E}{\\partial w_3}", "16"]);
    assert_eq!(s[0].1, ["right"]);
    assert_eq!(s[1].0, ["\\frac{\\partial E}{\\partial w_2}", "24"]);
    assert_eq!(s[1].1, ["right"]);
    assert_eq!(s[2].0, ["\\frac{\\partial E}{\\partial w_1}", "17"]);
    assert_eq!(s[2].1, ["wrong"]);
    assert_eq!(s[3].1, ["right"]);
    assert_eq!(s[4].0, ["\\frac{\\partial E}{\\partial w_1}", "25"]);
    assert_eq!(s[4].1, ["wrong"]);
    assert_eq!(s[5].1, ["right"]);
    // A continuation line's `&` is not a column: `2(ŷ - y) · x_2 = 16`.
    assert_eq!(
        s[6].0,
        [
            "\\frac{\\partial E}{\\partial w_3}",
            "2(\\hat{y} - y) \\cdot x_2",
            "16"
        ]
    );
    assert_eq!(s[6].1, ["right", "right"]);
}

/// A review of the reading above found it too eager or too timid:
/// - `x_1(1 - x_1)^2` was (x1(1 − x1))² (the power on the whole call, made a product):
///   the power is the bracket's;
/// - `E(w_3)`, `\hat{y}(w_3)`: a name of the program applied to a name says what it depends
///   on, and was made a product (12·w3): left a call, not graded;
/// - a bare `e` (a student's own error e = y − ŷ) was Euler's number: only `e^{…}` is;
/// - `={}&`, `=&` and `= &` (eqnarray's layouts) were cut as columns, their chains lost;
/// - two columns with continuation rows (`&= 4 \cdot 4 & &= 12 \cdot 2`) joined the second
///   chain, and a row after an annotation column (`&& \text{since } x_2 = 4`) joined its chain.
#[test]
fn a_review_of_columns_calls_and_eulers_e() {
    let tex = r"
$$ x_1(1 - x_1)^2 = x_1 \cdot (1 - x_1)^2 $$
$$ x_1(1 - x_1)^2 = x_1^2 (1 - x_1)^2 $$
$$ \hat{y}(w_3) = w_3 x_2 $$
$$ e = y - \hat{y} $$
\begin{align*}
\frac{\partial E}{\partial w_3} ={}& -2(y - \hat{y}) x_2 \\
={}& -12.698 \\
\frac{\partial E}{\partial w_2} &=& -4.9187 \\
\frac{\partial E}{\partial w_1} = & -1.3
\end{align*}
\begin{align*}
\frac{\partial E}{\partial w_3} &= -2(y - \hat{y}) x_2 & \frac{\partial E}{\partial w_2} &= -2(y - \hat{y}) w_3 \sigma'(z_2) x_1 \\
&\approx -12.698 & &\approx -4.9187 && \text{since } x_1 \approx 0.8808 \\
&\approx -12.70 & &\approx -4.92
\end{align*}
";
    let j = grade_json("examples/hw7_sigmoid.chain", tex);
    let s = summary(&j);
    let texts: Vec<_> = s.iter().map(|c| (c.0.clone(), c.1.clone())).collect();
    assert_eq!(s.len(), 10, "{texts:#?}");
    assert_eq!(s[0].1, ["right"], "{texts:#?}");
    assert_eq!(s[1].1, ["wrong"], "{texts:#?}");
    assert_eq!(s[2].1, ["unreadable"], "{texts:#?}");
    assert_eq!(s[3].1, ["unreadable"], "{texts:#?}");
    assert_eq!(s[4].1, ["right", "right"], "{texts:#?}");
    assert_eq!(s[5].1, ["right"], "{texts:#?}");
    assert_eq!(s[6].1, ["wrong"], "{texts:#?}");
    assert_eq!(s[7].1, ["right", "right", "right"], "{texts:#?}");
    assert_eq!(s[8].1, ["right", "right", "right"], "{texts:#?}");
    assert_eq!(s[9].0, ["x_1", "0.8808"], "{texts:#?}");
    assert_eq!(s[9].1, ["right"], "{texts:#?}");
}

/// A side of numbers calling an unspecified function (`\sigma'(6) \cdot 4`) is compared as a
/// formula, with stand-ins for σ: the point alone does not decide it ("not graded: cannot
/// evaluate σ'", where it is wrong for every σ, σ'(6)·3 being right). And `\frac{d \cdot
/// E}{d \cdot w}` is a product, not Leibniz's d.
#[test]
fn numbers_through_an_unspecified_function_and_a_written_product_of_d() {
    let dir = common::scratch_dir(
        "grade_abstract_numbers",
        &[
            (
                "ab.chain",
                "fn σ(t)\nz = w*x\nE = σ(z)\nat w = 2, x = 3\nwrt w\n",
            ),
            (
                "d.chain",
                "d = w*x\nE = (y - d)^2\nat x = 2, y = 5, w = 3\nwrt w\n",
            ),
        ],
    );
    let ab = dir.join("ab.chain");
    let j = grade_json(
        ab.to_str().unwrap(),
        r"$$ \frac{\partial E}{\partial w} = \sigma'(z) \cdot x = \sigma'(6) \cdot 4 $$",
    );
    let s = summary(&j);
    assert_eq!(s[0].1, ["right", "wrong"], "{j}");
    let d = dir.join("d.chain");
    let (code, out, err) = common::chainrule(&[
        "check",
        d.to_str().unwrap(),
        "--wrt",
        "w",
        "--claim",
        r"\frac{d \cdot E}{d \cdot w}",
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("a partial derivative is written"), "{err}");
}
