//! `chainrule diff` and `chainrule eval` from the command line: JSON contract and numbers.

mod common;

use common::{chainrule, json};

#[test]
fn diff_json_gives_the_homework_gradient_exactly() {
    let j = json(&[
        "diff",
        "(y - w3*relu(w2*relu(w1*x)))^2",
        "--wrt",
        "w1,w2,w3",
        "--at",
        "x=1,y=10,w1=2,w2=2,w3=3",
        "--format",
        "json",
    ]);
    let rows = j.as_array().expect("one object per variable");
    let got: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["wrt"].as_str().unwrap(),
                r["value"].as_str().unwrap(),
                r["exact"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [("w1", "24", "24"), ("w2", "24", "24"), ("w3", "16", "16")]
    );
    assert_eq!(
        rows[2]["derivative"],
        "2*relu(w2*relu(w1*x))*(w3*relu(w2*relu(w1*x)) - y)"
    );
}

#[test]
fn eval_carries_every_digit_of_the_precision_in_json() {
    let j = json(&["eval", "sqrt(2)", "--precision", "200", "--format", "json"]);
    let v = j["value"].as_str().unwrap();
    // √2 = 1.41421356237309504880168872420969807856967187537694807317667973…: 200 bits
    // carry about 60.2 digits, and the shortest decimal that reads back as the 200-bit value
    // is √2 correctly rounded to 60 significant digits.
    assert_eq!(
        v, "1.41421356237309504880168872420969807856967187537694807317668",
        "{v}"
    );
    let two = rug::Float::with_val(200, 2);
    assert_eq!(
        rug::Float::with_val(200, rug::Float::parse(v).unwrap()),
        two.sqrt()
    );
    assert_eq!(j["exact"], serde_json::Value::Null);
    let j = json(&["eval", "3/4 + 1e-4", "--format", "json"]);
    assert_eq!(j["exact"], "7501/10000");
    assert_eq!(j["value"], "0.7501");
}

#[test]
fn leading_minus_stdin_and_exit_codes() {
    let (code, out, err) = chainrule(&["diff", "-y*log(p)", "--wrt", "p", "--at", "y=1,p=0.25"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("= -y/p") && out.contains(": -4 (exact)"),
        "{out}"
    );
    let (code, out, _) = chainrule(&["diff", "--wrt", "p", "--", "-y*log(p)"]);
    assert_eq!(code, 0);
    assert!(out.contains("= -y/p"));
    let (code, _, err) = chainrule(&["eval", "log(x)", "--at", "x=-1"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("log of a non-positive number"), "{err}");
    let (code, _, err) = chainrule(&["eval", "2*"]);
    assert_eq!(code, 2, "{err}");
}

/// The textbook's unspecified functions (`f`, `σ`, `ℓ`) get no "did you mean `d`?"; a word
/// that is no built-in gets a warning naming the nearest built-in (issue 9.13, 10.9).
#[test]
fn unspecified_functions_get_hints_only_where_plausible() {
    let (code, out, err) = chainrule(&["diff", "σ(w*x) + ℓ(y, f(g(w)))", "--wrt", "w"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "{err}");
    assert!(out.contains("σ'(w*x)"), "{out}");
    let (code, _, err) = chainrule(&["eval", "h(x)", "--at", "x=1"]);
    assert_eq!(code, 1);
    assert!(!err.contains("did you mean"), "{err}");
    let (_, _, err) = chainrule(&["diff", "sigma(w*x)", "--wrt", "w"]);
    assert!(err.contains("the nearest built-in is `sigmoid`"), "{err}");
}

/// `ln` is the natural logarithm; `--format tex` is LaTeX.
#[test]
fn ln_is_the_natural_logarithm() {
    let (code, out, err) = chainrule(&["diff", "ln(x)", "--wrt", "x", "--at", "x=4"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("= 1/x") && out.contains(": 1/4 = 0.25 (exact)"),
        "{out}"
    );
    let (code, out, err) = chainrule(&["eval", "ln(x)", "--at", "x=1"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("= 0 (exact)"), "{out}");
    let (code, out, err) = chainrule(&["eval", "x", "--at", "x=1", "--format", "tex"]);
    assert_eq!((code, out.as_str()), (0, "x = 1\n"), "{err}");
}

/// `--at` values: commas inside brackets do not separate values; vectors and matrices are
/// read exactly by `parse_point_literals`, and scalars by `parse_point` as before.
#[test]
fn at_values_split_at_top_level_commas() {
    use chainrule::cli::{parse_point, parse_point_literals};
    use chainrule::syntax::Literal;
    use rug::Rational;

    let specs = [
        "A=[[1,2],[3,-4/3]], x=[1, 0.5]".to_string(),
        "c=3".to_string(),
    ];
    let values = parse_point_literals(&specs).unwrap();
    let names: Vec<&str> = values.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["A", "x", "c"]);
    let Literal::Matrix(a) = &values[0].1 else {
        panic!("A is a matrix: {:?}", values[0].1)
    };
    assert_eq!(a.len(), 2);
    assert_eq!(a[1][1], (Rational::from((-4, 3)), "-4/3".to_string()));
    let Literal::Vector(x) = &values[1].1 else {
        panic!("x is a vector: {:?}", values[1].1)
    };
    assert_eq!(x[1], (Rational::from((1, 2)), "0.5".to_string()));
    assert_eq!(
        values[2].1,
        Literal::Scalar(Rational::from(3), "3".to_string())
    );

    let twice = parse_point_literals(&["x=[1,2],x=3".to_string()]).unwrap_err();
    assert_eq!(twice.to_string(), "--at gives `x` twice");
    let ragged = parse_point_literals(&["W=[[1,2],[3]]".to_string()]).unwrap_err();
    assert!(
        ragged
            .to_string()
            .contains("row 2 has 1 entry but row 1 has 2"),
        "{ragged}"
    );

    // Scalars: the same point, values and messages as before.
    let mut store = chainrule::expr::Store::new();
    let point = parse_point(&mut store, &["x=1,y=3/4".to_string()]).unwrap();
    let y = store.lookup("y").unwrap();
    assert_eq!(point[&y], Rational::from((3, 4)));
    let error = parse_point(&mut store, &["x=abc".to_string()]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "--at x=abc: `abc` is not a number (write e.g. 2, -0.5, 3/4 or 1e-4)"
    );
    let error = parse_point(&mut store, &["x=[1,2]".to_string()]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "--at x: vector and matrix values are not supported by this command yet"
    );
}

/// A derivative by a name the expression does not have is 0, and says why, as the matrix
/// engine and the program commands do: in LaTeX `x_in` is x_i times n, so
/// `diff 'x_in^2 + \frac{a}{b}' --wrt x_in` printed `= 0` with exit 0 and nothing else, under
/// a heading that shows x_in^2 as written.
#[test]
fn a_derivative_by_an_absent_name_warns_with_the_expression_as_read() {
    let (code, out, err) = chainrule(&["diff", "x_in^2 + \\frac{a}{b}", "--wrt", "x_in"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.trim_end().ends_with("= 0"), "{out}");
    assert!(
        err.contains(
            "warning: `x_in` does not occur in the expression (read as `a/b + n^2*x_i`), so its derivative is 0"
        ),
        "{err}"
    );
    // A name that is there: no warning.
    let (code, out, err) = chainrule(&["diff", "x^2", "--wrt", "y,x"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("∂/∂x x^2 = 2*x"), "{out}");
    assert!(err.contains("`y` does not occur"), "{err}");
    assert!(!err.contains("`x` does not occur"), "{err}");
}
