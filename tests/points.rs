//! `--points FILE.csv`: batch evaluation with the compiled tape, from the command line.

mod common;

use common::chainrule as run;

fn points_file(name: &str, text: &str) -> String {
    let path = std::env::temp_dir().join(format!("chainrule-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn rows(csv: &str) -> Vec<Vec<f64>> {
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').map(|c| c.parse().unwrap()).collect())
        .collect()
}

#[test]
fn grad_over_points_gives_the_homework_gradient_and_others() {
    let f = points_file("hw7.csv", "w1,w2,w3,x,y\n2,2,3,1,10\n0.5,1,2,2,3\n");
    let (code, out, err) = run(&["grad", "examples/hw7_relu.chain", "--points", &f]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().next().unwrap(), "E,dE/dw1,dE/dw2,dE/dw3");
    let r = rows(&out);
    assert_eq!(r[0], [4.0, 24.0, 24.0, 16.0]);
    // Second point: z1 = 1, x1 = 1, z2 = 1, x2 = 1, ŷ = 2, E = (3 - 2)^2 = 1, δ_ŷ = -2.
    assert_eq!(r[1], [1.0, -8.0, -4.0, -2.0]);
    assert!(err.is_empty(), "{err}");
}

#[test]
fn eval_over_points_and_rows_outside_the_domain() {
    let f = points_file("x.csv", "x\n3\n1\n");
    let (code, out, err) = run(&["eval", "log(x - 2) + x^2", "--points", &f]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "value");
    assert_eq!(lines[1].parse::<f64>().unwrap(), 9.0);
    assert_eq!(lines[2], "NaN");
    assert!(
        err.contains("1 of the points (the first is row 2) are outside the domain"),
        "{err}"
    );
}

#[test]
fn a_missing_column_is_a_usage_error() {
    let f = points_file("y.csv", "y\n1\n");
    let (code, _, err) = run(&["eval", "x + y", "--points", &f]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no column `x`"), "{err}");
}

/// Spreadsheets save "CSV UTF-8" with a byte-order mark: the first column is still `w1`.
#[test]
fn a_byte_order_mark_is_not_part_of_the_first_name() {
    let f = points_file("bom.csv", "\u{feff}w1,w2,w3,x,y\n2,2,3,1,10\n");
    let (code, out, err) = run(&["grad", "examples/hw7_relu.chain", "--points", &f]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(rows(&out)[0], [4.0, 24.0, 24.0, 16.0]);
}

/// Two columns with one name: an error naming it, not the first column silently.
#[test]
fn a_duplicate_column_is_a_usage_error() {
    let f = points_file("dup.csv", "x,y,x\n1,2,3\n");
    let (code, out, err) = run(&["eval", "x + y", "--points", &f]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("two columns named `x` (columns 1 and 3)"),
        "{err}"
    );
}
