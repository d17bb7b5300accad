//! The parser: expressions as S-expressions, program statements, diagnostics as snapshots,
//! the nesting limit, and inputs that must never panic.

mod common;

use chainrule::syntax::ast::{
    AddOp, DimDecl, Expr, ExprKind, MulOp, Program, ShapeDecl, Stmt, TakeItem,
};
use chainrule::syntax::{MAX_DEPTH, parse_expr, parse_program};
use miette::{GraphicalReportHandler, GraphicalTheme};
use proptest::prelude::*;

// ───────────────────────────── helpers ─────────────────────────────

/// The tree as an S-expression. Chains print as nested binary operations, left to right,
/// so `a - b + c` is `(+ (- a b) c)` whether the tree is n-ary or not.
fn sexp(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Num(text) => text.clone(),
        ExprKind::Name(name) => name.clone(),
        ExprKind::Neg(x) => format!("(neg {})", sexp(x)),
        ExprKind::Sum(first, rest) => rest.iter().fold(sexp(first), |acc, (op, term)| {
            let op = if *op == AddOp::Add { "+" } else { "-" };
            format!("({op} {acc} {})", sexp(term))
        }),
        ExprKind::Product(first, rest) => rest.iter().fold(sexp(first), |acc, (op, factor)| {
            let op = match op {
                MulOp::Mul => "*",
                MulOp::Div => "/",
                MulOp::Hadamard => ".*",
                MulOp::HDiv => "./",
            };
            format!("({op} {acc} {})", sexp(factor))
        }),
        ExprKind::Pow(base, exponent) => format!("(^ {} {})", sexp(base), sexp(exponent)),
        ExprKind::ElemPow(base, exponent) => format!("(.^ {} {})", sexp(base), sexp(exponent)),
        ExprKind::Transpose(x) => format!("(T {})", sexp(x)),
        ExprKind::Inverse(x) => format!("(inv {})", sexp(x)),
        ExprKind::List(items) => {
            let items: Vec<String> = items.iter().map(sexp).collect();
            format!("[{}]", items.join(" "))
        }
        ExprKind::Call(call) => {
            let mut head = String::from("(call ");
            if !call.partials.is_empty() {
                for slot in &call.partials {
                    head.push_str(&format!("∂{slot}"));
                }
                head.push(' ');
            }
            head.push_str(&call.name);
            head.push_str(&"'".repeat(call.primes as usize));
            for arg in &call.args {
                head.push(' ');
                head.push_str(&sexp(arg));
            }
            head + ")"
        }
    }
}

/// A statement in one line, for program tests.
fn stmt_text(stmt: &Stmt) -> String {
    let names = |ids: &[chainrule::syntax::ast::Ident]| {
        ids.iter()
            .map(|id| id.name.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    match stmt {
        Stmt::Def { name, value } => format!("(def {} {})", name.name, sexp(value)),
        Stmt::FnDef { name, params, body } => {
            format!("(fn {} ({}) {})", name.name, names(params), sexp(body))
        }
        Stmt::FnDecl { name, params } => format!("(decl {} ({}))", name.name, names(params)),
        Stmt::At(bindings) => {
            let items: Vec<String> = bindings
                .iter()
                .map(|(id, value)| format!("({} {})", id.name, sexp(value)))
                .collect();
            format!("(at {})", items.join(" "))
        }
        Stmt::Wrt(ids) => format!("(wrt {})", names(ids)),
        Stmt::Take(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|item| match item {
                    TakeItem::Function { name, params, body } => {
                        format!("(fn {} ({}) {})", name.name, names(params), sexp(body))
                    }
                    TakeItem::Value(id, value) => format!("({} {})", id.name, sexp(value)),
                })
                .collect();
            format!("(take {})", items.join(" "))
        }
        Stmt::Shape { names: ids, shape } => {
            format!("(shape {} {})", names(ids), shape_text(shape))
        }
        Stmt::FnShape { name, from, to } => format!(
            "(fnshape {} {} {})",
            name.name,
            shape_text(from),
            shape_text(to)
        ),
    }
}

/// A declared shape: `[3]`, `[m n]`.
fn shape_text(shape: &ShapeDecl) -> String {
    let dim = |d: &DimDecl| match d {
        DimDecl::Num(n, _) => n.to_string(),
        DimDecl::Sym(id) => id.name.clone(),
    };
    match &shape.cols {
        None => format!("[{}]", dim(&shape.rows)),
        Some(cols) => format!("[{} {}]", dim(&shape.rows), dim(cols)),
    }
}

fn program_text(src: &str, program: &Program) -> Vec<String> {
    program
        .stmts
        .iter()
        .map(|(stmt, span)| format!("{} @ {:?}", stmt_text(stmt), &src[span.start..span.end]))
        .collect()
}

/// A report as a student sees it, without colour, at a fixed width.
fn render(error: &chainrule::error::Error) -> String {
    let mut out = String::new();
    GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(80)
        .render_report(&mut out, error)
        .expect("rendering into a String cannot fail");
    out
}

fn expr(src: &str) -> String {
    match parse_expr(src, "<expression>") {
        Ok(e) => sexp(&e),
        Err(e) => panic!("{src:?} should parse:\n{}", render(&e)),
    }
}

fn expr_error(src: &str) -> String {
    match parse_expr(src, "<expression>") {
        Ok(e) => panic!("{src:?} should not parse, got {}", sexp(&e)),
        Err(e) => e.to_string(),
    }
}

// ───────────────────────────── good expressions ─────────────────────────────

#[test]
fn good_expressions() {
    let cases: &[(&str, &str)] = &[
        // numbers and names
        ("2", "2"),
        ("0.5", "0.5"),
        ("1e-4", "1e-4"),
        ("1.5E3", "1.5E3"),
        ("w1", "w1"),
        ("x_in", "x_in"),
        ("σ", "σ"),
        ("ℓ", "ℓ"),
        // precedence and associativity
        ("1 + 2 * 3", "(+ 1 (* 2 3))"),
        ("a - b + c", "(+ (- a b) c)"),
        ("a - (b + c)", "(- a (+ b c))"),
        ("a/b*c", "(* (/ a b) c)"),
        ("a/(b*c)", "(/ a (* b c))"),
        ("2^3^2", "(^ 2 (^ 3 2))"),
        ("(2^3)^2", "(^ (^ 2 3) 2)"),
        ("-x^2", "(neg (^ x 2))"),
        ("-x*y", "(* (neg x) y)"),
        ("x^-2", "(^ x (neg 2))"),
        ("2^-x^2", "(^ 2 (neg (^ x 2)))"),
        ("x^-2*3", "(* (^ x (neg 2)) 3)"),
        ("x - -y", "(- x (neg y))"),
        ("--x", "(neg (neg x))"),
        ("+x", "x"),
        ("x ** 2", "(^ x 2)"),
        ("((x))", "x"),
        // the other multiplication signs, and the minus sign
        ("w3·σ(z)", "(* w3 (call σ z))"),
        ("a⋅b×c", "(* (* a b) c)"),
        ("a ÷ b", "(/ a b)"),
        ("x − 1", "(- x 1)"),
        // juxtaposition after a number
        ("2x", "(* 2 x)"),
        ("3(x+1)", "(* 3 (+ x 1))"),
        ("2exp(x)", "(* 2 (call exp x))"),
        ("2 x", "(* 2 x)"),
        ("2x^2", "(* 2 (^ x 2))"),
        ("-2x", "(* (neg 2) x)"),
        ("a*2b", "(* (* a 2) b)"),
        ("2e", "(* 2 e)"),
        ("2e3", "2e3"),
        ("2e+x", "(+ (* 2 e) x)"),
        ("2ex", "(* 2 ex)"),
        // calls and derivatives
        ("f(a, b)", "(call f a b)"),
        ("exp(-x^2/2)", "(call exp (/ (neg (^ x 2)) 2))"),
        ("f (x)", "(call f x)"),
        ("σ'(z)", "(call σ' z)"),
        ("f''(u)", "(call f'' u)"),
        ("f′′(u)", "(call f'' u)"),
        ("f″(u)", "(call f'' u)"),
        ("∂_2 ℓ(y, ŷ)", "(call ∂2 ℓ y ŷ)"),
        ("∂_{2} ℓ(y, ŷ)", "(call ∂2 ℓ y ŷ)"),
        ("∂_1 ∂_2 ℓ(y, ŷ)", "(call ∂1∂2 ℓ y ŷ)"),
        ("∂_1∂_2ℓ(y,ŷ)", "(call ∂1∂2 ℓ y ŷ)"),
        (
            "w3·σ(w2·σ(w1·x))",
            "(* w3 (call σ (* w2 (call σ (* w1 x)))))",
        ),
        // whitespace, including newlines, carries no meaning in an expression
        ("  x\t+\n y ", "(+ x y)"),
        ("f(\n  x,\n  y\n)", "(call f x y)"),
        // the oracle's style
        (
            "-y*log(sigmoid(b + w*x)) - (1 - y)*log(1 - sigmoid(b + w*x))",
            "(- (* (neg y) (call log (call sigmoid (+ b (* w x))))) \
             (* (- 1 y) (call log (- 1 (call sigmoid (+ b (* w x)))))))",
        ),
        (
            "t^2*abs(t/2 + 2)/4",
            "(/ (* (^ t 2) (call abs (+ (/ t 2) 2))) 4)",
        ),
        // keywords of programs are plain names in an expression
        ("at + wrt * fn", "(+ at (* wrt fn))"),
    ];
    assert!(cases.len() >= 30);
    for (src, want) in cases {
        assert_eq!(expr(src), *want, "parsing {src:?}");
    }
}

#[test]
fn names_are_nfc_normalised() {
    let decomposed = parse_expr("y\u{302}", "<e>").unwrap();
    let precomposed = parse_expr("\u{177}", "<e>").unwrap();
    assert_eq!(decomposed.kind, ExprKind::Name("\u{177}".to_string()));
    assert_eq!(decomposed.kind, precomposed.kind);
    // The span still covers the text as written: 1 + 2 bytes.
    assert_eq!((decomposed.span.start, decomposed.span.end), (0, 3));
    assert_eq!(expr("∂_2 ℓ(y, y\u{302})"), "(call ∂2 ℓ y ŷ)");
}

#[test]
fn chains_are_flat_and_parentheses_are_kept() {
    let e = parse_expr("a - b + c - d", "<e>").unwrap();
    let ExprKind::Sum(_, rest) = &e.kind else {
        panic!("not a sum")
    };
    assert_eq!(rest.len(), 3);
    // `(a + b) + c` keeps the parenthesised sum as one term.
    let e = parse_expr("(a + b) + c", "<e>").unwrap();
    let ExprKind::Sum(first, rest) = &e.kind else {
        panic!("not a sum")
    };
    assert_eq!(rest.len(), 1);
    assert!(matches!(first.kind, ExprKind::Sum(..)));
    let e = parse_expr("2x/y*z", "<e>").unwrap();
    let ExprKind::Product(_, rest) = &e.kind else {
        panic!("not a product")
    };
    let ops: Vec<MulOp> = rest.iter().map(|(op, _)| *op).collect();
    assert_eq!(ops, [MulOp::Mul, MulOp::Div, MulOp::Mul]);
}

#[test]
fn spans_are_byte_offsets() {
    let src = "w3·σ(z) + 1";
    let e = parse_expr(src, "<e>").unwrap();
    assert_eq!(&src[e.span.start..e.span.end], src);
    let ExprKind::Sum(first, _) = &e.kind else {
        panic!("not a sum")
    };
    assert_eq!(&src[first.span.start..first.span.end], "w3·σ(z)");
    let ExprKind::Product(_, rest) = &first.kind else {
        panic!("not a product")
    };
    let call = &rest[0].1;
    assert_eq!(&src[call.span.start..call.span.end], "σ(z)");
    let ExprKind::Call(c) = &call.kind else {
        panic!("not a call")
    };
    assert_eq!(&src[c.name_span.start..c.name_span.end], "σ");
    // A negation covers its sign; a parenthesised operand covers its parentheses.
    let src = "-(x + 1)";
    let e = parse_expr(src, "<e>").unwrap();
    assert_eq!(&src[e.span.start..e.span.end], "-(x + 1)");
}

// ───────────────────────────── programs ─────────────────────────────

#[test]
fn program_statements() {
    let src = "\
# a two-layer net
z1 = w1 * x          # first layer
σ(t) = relu(t)
fn ℓ(y, ŷ)
E = ℓ(y, w3·σ(w2·σ(z1)
          + b))      # continues while the parenthesis is open
at x = 1, y = 10, w1 = -0.5, w2 = 3/4, w3 = 1e-4, b = 0
wrt w1, w2, w3

a = 1; b2 = a^2;
";
    let program = parse_program(src, "net.chain").unwrap();
    assert_eq!(
        program_text(src, &program),
        [
            "(def z1 (* w1 x)) @ \"z1 = w1 * x\"",
            "(fn σ (t) (call relu t)) @ \"σ(t) = relu(t)\"",
            "(decl ℓ (y ŷ)) @ \"fn ℓ(y, ŷ)\"",
            "(def E (call ℓ y (* w3 (call σ (+ (* w2 (call σ z1)) b))))) @ \
             \"E = ℓ(y, w3·σ(w2·σ(z1)\\n          + b))\"",
            "(at (x 1) (y 10) (w1 (neg 0.5)) (w2 (/ 3 4)) (w3 1e-4) (b 0)) @ \
             \"at x = 1, y = 10, w1 = -0.5, w2 = 3/4, w3 = 1e-4, b = 0\"",
            "(wrt w1 w2 w3) @ \"wrt w1, w2, w3\"",
            "(def a 1) @ \"a = 1\"",
            "(def b2 (^ a 2)) @ \"b2 = a^2\"",
        ]
    );
}

#[test]
fn programs_that_are_empty_or_only_comments() {
    for src in ["", "\n\n", "# nothing\n   # at all", ";;\n;", "\r\n"] {
        assert_eq!(parse_program(src, "p").unwrap().stmts.len(), 0, "{src:?}");
    }
}

#[test]
fn program_keywords_only_at_the_start() {
    let src = "y = at + wrt*fn\natx = 1\nfnord(t) = t";
    let program = parse_program(src, "p").unwrap();
    assert_eq!(
        program_text(src, &program),
        [
            "(def y (+ at (* wrt fn))) @ \"y = at + wrt*fn\"",
            "(def atx 1) @ \"atx = 1\"",
            "(fn fnord (t) t) @ \"fnord(t) = t\"",
        ]
    );
}

/// `take` gives functions their formulas and inputs their values; as a name, `take` is
/// still a name (`take = 3`, `take += 1`, `y = take*2`).
#[test]
fn program_take_statements() {
    let src = "take σ(t) = relu(t), ℓ(y, ŷ) = (y - ŷ)^2, x = 1\ntake = 3\ntake += 1\ny = take*2\ntakes = 1";
    let program = parse_program(src, "p").unwrap();
    assert_eq!(
        program_text(src, &program),
        [
            "(take (fn σ (t) (call relu t)) (fn ℓ (y ŷ) (^ (- y ŷ) 2)) (x 1)) @ \
             \"take σ(t) = relu(t), ℓ(y, ŷ) = (y - ŷ)^2, x = 1\"",
            "(def take 3) @ \"take = 3\"",
            "(def take (+ take 1)) @ \"take += 1\"",
            "(def y (* take 2)) @ \"y = take*2\"",
            "(def takes 1) @ \"takes = 1\"",
        ]
    );
}

#[test]
fn program_windows_line_ends_and_unicode_names() {
    let src = "ŷ = σ(z)\r\nE = (y - y\u{302})^2\r\nwrt ŷ\r\n";
    let program = parse_program(src, "p").unwrap();
    let texts: Vec<String> = program.stmts.iter().map(|(s, _)| stmt_text(s)).collect();
    assert_eq!(
        texts,
        ["(def ŷ (call σ z))", "(def E (^ (- y ŷ) 2))", "(wrt ŷ)"]
    );
}

// ───────────────────────────── vectors and matrices ─────────────────────────────

#[test]
fn matrix_expressions() {
    let cases: &[(&str, &str)] = &[
        // transposes: a prime not followed by `(`, `ᵀ`, `^T`
        ("x'", "(T x)"),
        ("x'*A*x", "(* (* (T x) A) x)"),
        ("x' * y", "(* (T x) y)"),
        ("(A*x)'", "(T (* A x))"),
        ("X''", "(T (T X))"),
        ("X″", "(T (T X))"),
        ("x′", "(T x)"),
        ("xᵀ", "(T x)"),
        ("xᵀ*y", "(* (T x) y)"),
        ("x^T", "(T x)"),
        ("x^T*A", "(* (T x) A)"),
        ("x ^ T", "(T x)"),
        ("x^Tᵀ", "(T (T x))"),
        ("x^T2", "(^ x T2)"),
        ("x^Tx", "(^ x Tx)"),
        ("x^(T)", "(^ x T)"),
        ("X'^2", "(^ (T X) 2)"),
        ("Xᵀ^2", "(^ (T X) 2)"),
        ("2^x'", "(^ 2 (T x))"),
        ("-x'", "(neg (T x))"),
        ("2x'", "(* 2 (T x))"),
        ("2xᵀ", "(* 2 (T x))"),
        ("sigmoid(W*x)'", "(T (call sigmoid (* W x)))"),
        ("σ'(z)'", "(T (call σ' z))"),
        ("σ'(z)", "(call σ' z)"),
        ("f''(x)", "(call f'' x)"),
        ("f'' (x)", "(call f'' x)"),
        ("∂_1 ℓ(y, ŷ)'", "(T (call ∂1 ℓ y ŷ))"),
        ("[1, 2]'", "(T [1 2])"),
        // inverses
        ("X⁻¹", "(inv X)"),
        ("X⁻ᵀ", "(T (inv X))"),
        ("(A*B)⁻¹*y", "(* (inv (* A B)) y)"),
        ("X⁻¹'", "(T (inv X))"),
        // element-wise, at the precedence of `*` and `^`
        ("a .* b", "(.* a b)"),
        ("a ⊙ b", "(.* a b)"),
        ("a ./ b", "(./ a b)"),
        ("a .* b * c ./ d", "(./ (* (.* a b) c) d)"),
        ("a + b .* c", "(+ a (.* b c))"),
        ("a .^ 2", "(.^ a 2)"),
        ("a.^b^c", "(.^ a (^ b c))"),
        ("a .* b.^2", "(.* a (.^ b 2))"),
        ("-a.^2", "(neg (.^ a 2))"),
        ("2.*x", "(.* 2 x)"),
        ("2.5./x", "(./ 2.5 x)"),
        ("1 - y.*x", "(- 1 (.* y x))"),
        ("exp(-y.*(X*w))", "(call exp (.* (neg y) (* X w)))"),
        // lists
        ("[1, 2, 3]", "[1 2 3]"),
        ("[[1,2],[3,4]]", "[[1 2] [3 4]]"),
        ("[-1/2, 0.5]", "[(/ (neg 1) 2) 0.5]"),
        ("[x, 2y, f(z)]", "[x (* 2 y) (call f z)]"),
        ("A*[1, 2]", "(* A [1 2])"),
        ("2[1, 2]", "(* 2 [1 2])"),
        ("[\n1,\n2\n]", "[1 2]"),
    ];
    for (src, want) in cases {
        assert_eq!(expr(src), *want, "{src}");
    }
}

#[test]
fn transpose_spans_cover_the_operator() {
    let e = parse_expr("(A*x)' + 1", "<e>").unwrap();
    let ExprKind::Sum(first, _) = &e.kind else {
        panic!("a sum")
    };
    assert_eq!((first.span.start, first.span.end), (0, 6));
    let e = parse_expr("X⁻ᵀ", "<e>").unwrap();
    assert_eq!((e.span.start, e.span.end), (0, "X⁻ᵀ".len()));
}

#[test]
fn matrix_juxtapositions_are_checked_as_before() {
    assert_eq!(expr_error("x'y"), "missing operator between `x'` and `y`");
    assert_eq!(expr_error("x' y"), "missing operator between `x'` and `y`");
    assert_eq!(expr_error("2'x"), "missing operator between `2'` and `x`");
    assert_eq!(
        expr_error("x [1]"),
        "missing operator between `x` and `[1]`"
    );
    assert_eq!(expr_error("[1 2]"), "missing operator between `1` and `2`");
}

#[test]
fn matrix_programs() {
    let src = "\
x, b: 3
W1: 4x3
W2: 4×3
W3: 4 x 3
W: m×n
V: m x n
U: 4xn
y: 1
s: scalar
z ∈ ℝ^3
Z ∈ R^{4×3}
M ∈ R^{m x n}
v ∈ R^{n}
f: R^{d3} → R^{d4}
g: R^3 -> R^4
h: R -> R
k: ℝ^{m×n} → ℝ
p, q: R^2 -> R
E = x'*W1'*W1*x
at x = [1, 2,
        3], W = [[1,2],[3,4]]
";
    let program = parse_program(src, "net.chain").unwrap();
    assert_eq!(
        program_text(src, &program),
        [
            "(shape x b [3]) @ \"x, b: 3\"",
            "(shape W1 [4 3]) @ \"W1: 4x3\"",
            "(shape W2 [4 3]) @ \"W2: 4×3\"",
            "(shape W3 [4 3]) @ \"W3: 4 x 3\"",
            "(shape W [m n]) @ \"W: m×n\"",
            "(shape V [m n]) @ \"V: m x n\"",
            "(shape U [4 n]) @ \"U: 4xn\"",
            "(shape y [1]) @ \"y: 1\"",
            "(shape s [1]) @ \"s: scalar\"",
            "(shape z [3]) @ \"z ∈ ℝ^3\"",
            "(shape Z [4 3]) @ \"Z ∈ R^{4×3}\"",
            "(shape M [m n]) @ \"M ∈ R^{m x n}\"",
            "(shape v [n]) @ \"v ∈ R^{n}\"",
            "(fnshape f [d3] [d4]) @ \"f: R^{d3} → R^{d4}\"",
            "(fnshape g [3] [4]) @ \"g: R^3 -> R^4\"",
            "(fnshape h [1] [1]) @ \"h: R -> R\"",
            "(fnshape k [m n] [1]) @ \"k: ℝ^{m×n} → ℝ\"",
            "(fnshape p [2] [1]) @ \"p, q: R^2 -> R\"",
            "(fnshape q [2] [1]) @ \"p, q: R^2 -> R\"",
            "(def E (* (* (* (T x) (T W1)) W1) x)) @ \"E = x'*W1'*W1*x\"",
            "(at (x [1 2 3]) (W [[1 2] [3 4]])) @ \"at x = [1, 2,\\n        3], W = [[1,2],[3,4]]\"",
        ]
    );
}

#[test]
fn shape_declarations_keep_their_spans() {
    let src = "W1: 4x3\nx: n";
    let program = parse_program(src, "p").unwrap();
    let Stmt::Shape { names, shape } = &program.stmts[0].0 else {
        panic!("a shape")
    };
    assert_eq!(names[0].name, "W1");
    assert_eq!(&src[shape.span.start..shape.span.end], "4x3");
    let (DimDecl::Num(4, rows), Some(DimDecl::Num(3, cols))) = (&shape.rows, &shape.cols) else {
        panic!("4×3: {shape:?}")
    };
    assert_eq!(
        (&src[rows.start..rows.end], &src[cols.start..cols.end]),
        ("4", "3")
    );
    let Stmt::Shape { shape, .. } = &program.stmts[1].0 else {
        panic!("a shape")
    };
    let DimDecl::Sym(n) = &shape.rows else {
        panic!("n")
    };
    assert_eq!(
        (n.name.as_str(), &src[n.span.start..n.span.end]),
        ("n", "n")
    );
    assert_eq!(shape.cols, None);
}

#[test]
fn declaration_characters_belong_to_declarations_only() {
    // `{`, `->` and `→` are refused outside a declaration, as before.
    for (src, want) in [
        ("z = {x}", "unexpected character `{`"),
        ("z = x -> y", "unexpected character `>`"),
        ("z = x → y", "unexpected character `→`"),
    ] {
        let error = parse_program(src, "p").unwrap_err().to_string();
        assert_eq!(error, want, "{src}");
    }
    assert_eq!(expr_error("x: 3"), "unexpected character `:`");
}

// ───────────────────────────── diagnostics ─────────────────────────────

/// Each bad input, rendered as a student sees it, is a snapshot in `snapshots/`.
#[test]
fn bad_expressions() {
    let cases: &[(&str, &str)] = &[
        ("times_at_end", "2*"),
        ("unclosed_paren", "(x + 1"),
        ("unclosed_call", "f(x, y"),
        ("close_after_operator", "x + )"),
        ("close_without_open", "x)"),
        ("juxtaposed_names", "x y"),
        ("juxtaposed_function_name", "sin x"),
        ("juxtaposed_numbers", "2 3"),
        ("juxtaposed_parens", "(a+b)(a-b)"),
        ("juxtaposed_in_arguments", "f(x y)"),
        ("juxtaposed_after_power", "x^2y"),
        ("juxtaposed_after_division", "1/2x"),
        ("call_without_arguments", "f()"),
        ("empty_parens", "2*()"),
        ("power_at_end", "x^"),
        ("two_points", "3..2"),
        ("leading_point", ".5"),
        ("unknown_character", "x @ y"),
        ("absolute_bars", "|x|"),
        ("empty", ""),
        ("blank", "   "),
        ("starts_with_operator", "*x"),
        ("operator_after_operator", "x + * y"),
        ("trailing_comma", "f(x,)"),
        ("comma_outside_call", "x, y"),
        ("equals_in_expression", "y = 2x"),
        ("comment_in_expression", "x # note"),
        ("partial_without_call", "∂_2 ℓ"),
        ("partial_slot_zero", "∂_0 ℓ(y, ŷ)"),
        ("partial_slot_too_big", "∂_3 ℓ(y, ŷ)"),
        ("partial_without_slot", "∂/∂y"),
        ("partial_without_name", "∂_1 (x)"),
        ("subscript_digit", "w₁ * x"),
        ("empty_brackets", "[]"),
        ("empty_row", "[[1, 2], []]"),
        ("unclosed_bracket", "[1, 2"),
        ("close_bracket_without_open", "x]"),
        ("bracket_closes_paren", "f(x]"),
        ("trailing_comma_in_list", "[1, 2, ]"),
        ("lone_superscript_minus", "X⁻"),
        ("error_on_second_line", "x +\n  * y"),
    ];
    assert!(cases.len() >= 20);
    for (name, src) in cases {
        let error = parse_expr(src, "<expression>")
            .map(|e| sexp(&e))
            .expect_err(src);
        let mut settings = common::snapshot_settings();
        settings.set_description(format!("parse_expr({src:?})"));
        settings.set_omit_expression(true);
        settings.bind(|| {
            insta::assert_snapshot!(format!("parse_expr__{name}"), render(&error));
        });
    }
}

#[test]
fn bad_programs() {
    let cases: &[(&str, &str)] = &[
        ("missing_value", "z1 = w1*x\nx = "),
        ("parameter_not_a_name", "σ(2) = 3"),
        ("parameter_twice", "f(t, t) = t^2"),
        ("derivative_defined", "σ'(t) = 1"),
        ("left_side_not_a_name", "2x = 3"),
        ("statement_without_equals", "z = 1\nz + 1"),
        ("two_equals", "x = 1 = 2"),
        ("wrt_without_names", "wrt"),
        ("wrt_not_a_name", "wrt w1, 2"),
        ("wrt_without_commas", "wrt w1 w2"),
        ("wrt_twice", "wrt a, b, a"),
        ("at_without_value", "at x"),
        ("at_without_commas", "at x = 1 y = 2"),
        ("at_twice", "at x = 1, x = 2"),
        ("at_not_a_name", "at 2 = 3"),
        ("at_empty", "at"),
        ("at_defined", "at = 3"),
        ("fn_without_parameters", "fn ℓ"),
        ("fn_empty", "fn"),
        ("unclosed_paren_runs_on", "z = (x + 1\nw = 2\n"),
        ("unclosed_paren_at_end", "z = (x + 1\n"),
        ("semicolon_inside_paren", "z = (x; y = 2"),
        ("starts_with_equals", "= 3"),
        ("error_after_comment", "# comment\nz = x +\n"),
        ("shape_mxn", "W: mxn"),
        ("shape_zero", "x: 0"),
        ("shape_fraction", "x: 2.5"),
        ("shape_half", "W: 4 x"),
        ("shape_three_dims", "T: 2x3x4"),
        ("shape_name_twice", "x, x: 3"),
        ("shape_function_without_spaces", "f: 3 → 4"),
        ("shape_two_colons", "x: 3: 4"),
        ("shape_nothing", "x:"),
        ("unclosed_bracket_runs_on", "at x = [1, 2\nE = x\n"),
    ];
    for (name, src) in cases {
        let error = parse_program(src, "net.chain")
            .map(|p| program_text(src, &p))
            .expect_err(src);
        let mut settings = common::snapshot_settings();
        settings.set_description(format!("parse_program({src:?})"));
        settings.set_omit_expression(true);
        settings.bind(|| {
            insta::assert_snapshot!(format!("parse_program__{name}"), render(&error));
        });
    }
}

// ───────────────────────────── limits ─────────────────────────────

/// Runs `f` on a thread with a small stack: the parser must not depend on the caller's.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .expect("spawn a thread")
        .join()
        .expect("the parser must not overflow the stack")
}

fn nested(open: &str, close: &str, n: usize) -> String {
    format!("{}x{}", open.repeat(n), close.repeat(n))
}

#[test]
fn nesting_up_to_the_limit_parses_on_a_small_stack() {
    let inputs = [
        nested("(", ")", MAX_DEPTH),
        nested("f(", ")", MAX_DEPTH),
        nested("f(x+2*", ")", MAX_DEPTH),
        nested("-(", ")", MAX_DEPTH / 2),
        format!("{}x", "-".repeat(MAX_DEPTH)),
        format!("{}x", "x^".repeat(MAX_DEPTH)),
        format!("{}x", "2^-".repeat(MAX_DEPTH / 2)),
        nested("[", "]", MAX_DEPTH),
        nested("[1, ", "]", MAX_DEPTH),
        format!("x{}", "'".repeat(MAX_DEPTH - 1)),
        format!("x{}", "ᵀ".repeat(MAX_DEPTH - 1)),
    ];
    for src in inputs {
        let head: String = src.chars().take(12).collect();
        let result = on_small_stack(move || parse_expr(&src, "<e>").map(|_| ()));
        assert!(result.is_ok(), "{head}… should parse: {result:?}");
    }
    // In a program, every statement has its own depth.
    let line = nested("(", ")", MAX_DEPTH);
    let src = format!("a = {line}\nb = {line}\n");
    on_small_stack(move || parse_program(&src, "p").map(|_| ())).unwrap();
}

#[test]
fn nesting_past_the_limit_is_refused() {
    let cases = [
        (nested("(", ")", 100_000), 100_000),
        (nested("(", ")", MAX_DEPTH + 1), MAX_DEPTH + 1),
        (format!("{}x", "-".repeat(MAX_DEPTH + 1)), MAX_DEPTH + 1),
        (format!("{}x", "x^".repeat(MAX_DEPTH + 1)), MAX_DEPTH + 1),
        (nested("-(", ")", MAX_DEPTH), 2 * MAX_DEPTH),
        (nested("[", "]", MAX_DEPTH + 1), MAX_DEPTH + 1),
        (format!("x{}", "'".repeat(100_000)), 100_000),
        (format!("X{}", "⁻¹".repeat(MAX_DEPTH + 1)), MAX_DEPTH + 1),
    ];
    for (src, depth) in cases {
        let error = on_small_stack(move || parse_expr(&src, "<e>").map(|_| ())).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("expression nested {depth} levels deep; the limit is {MAX_DEPTH}")
        );
    }
    assert_eq!(MAX_DEPTH, 10_000, "the message below names the limit");
    let src = format!("z = {}", nested("(", ")", 100_000));
    let error = on_small_stack(move || parse_program(&src, "p").map(|_| ())).unwrap_err();
    assert_eq!(
        error.to_string(),
        "expression nested 100000 levels deep; the limit is 10000"
    );
}

#[test]
fn long_flat_input_parses() {
    // 100 000 terms and as many factors: chains are flat, so nothing recurses per term.
    let sum = (0..100_000)
        .map(|i| format!("{}x{i}", if i % 3 == 0 { "-" } else { "" }))
        .collect::<Vec<_>>()
        .join(" + ");
    let product = vec!["x"; 100_000].join("*");
    let powers = vec!["x^2"; 100_000].join(" + ");
    for src in [sum, product, powers] {
        let e = on_small_stack(move || parse_expr(&src, "<e>").unwrap());
        let terms = match &e.kind {
            ExprKind::Sum(_, rest) => rest.len(),
            ExprKind::Product(_, rest) => rest.len(),
            _ => 0,
        };
        assert_eq!(terms, 99_999);
        // Dropping the tree must not recurse either: drop it on the small stack too.
        on_small_stack(move || drop(e));
    }
}

#[test]
fn invisible_characters_are_named_by_code_point() {
    assert_eq!(expr_error("x\u{7}"), "unexpected character U+0007");
    assert_eq!(expr_error("x\u{200b}y"), "unexpected character U+200B");
    assert_eq!(expr_error("\u{302}x"), "unexpected character U+0302");
    // A byte-order mark is ignored, as are spaces of any width.
    assert_eq!(expr("\u{feff}x\u{a0}+\u{2009}y"), "(+ x y)");
}

#[test]
fn a_depth_error_comes_after_an_earlier_lexical_error() {
    let src = format!("x @ {}", nested("(", ")", 100_000));
    assert_eq!(expr_error(&src), "unexpected character `@`");
    let src = format!("{} @", nested("(", ")", 100_000));
    assert_eq!(
        expr_error(&src),
        "expression nested 100000 levels deep; the limit is 10000"
    );
}

// ───────────────────────────── never panic ─────────────────────────────

/// Pieces of the language and of likely mistakes, to build inputs that get deep into
/// the parser (random strings mostly stop at the first character).
fn piece() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "x", "y", "ŷ", "y\u{302}", "σ", "f", "at", "wrt", "fn", "2", "0.5", "1e-4", "3.", ".", "e",
        "+", "-", "−", "*", "·", "/", "^", "**", "(", ")", ",", "=", ";", "'", "′", "∂_1", "∂_{2}",
        "∂", "_", "{", "}", " ", "\n", "\r\n", "\t", "#", "# c\n", "# σ\n", "@", "²", "\u{302}",
        "\u{feff}", "[", "]", ".*", "./", ".^", "⊙", "ᵀ", "⁻¹", "⁻ᵀ", "⁻", "^T", "T", ":", "∈",
        "→", "->", "R^", "ℝ", "x3", "×", "scalar", "″",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_strings_never_panic(src in any::<String>()) {
        let _ = parse_expr(&src, "<e>");
        let _ = parse_program(&src, "p");
        let _ = chainrule::syntax::parse_value_literal(&src);
    }

    #[test]
    fn value_literals_never_panic(pieces in prop::collection::vec(
        prop::sample::select(vec!["[", "]", ",", "1", "-2/3", "0.5", "1e-4", " ", "x", "/", "=", "/0"]),
        0..30,
    )) {
        let src = pieces.concat();
        let _ = chainrule::syntax::parse_value_literal(&src);
        let _ = chainrule::cli::parse_point_literals(&[src]);
    }

    #[test]
    fn arbitrary_token_soup_never_panics(pieces in prop::collection::vec(piece(), 0..40)) {
        let src = pieces.concat();
        for result in [parse_expr(&src, "<e>").map(|_| ()), parse_program(&src, "p").map(|_| ())] {
            if let Err(error) = result {
                // Every error renders, with its labels inside the text.
                let _ = render(&error);
            }
        }
    }

    #[test]
    fn spans_stay_inside_the_text(pieces in prop::collection::vec(piece(), 0..40)) {
        let src = pieces.concat();
        if let Ok(e) = parse_expr(&src, "<e>") {
            prop_assert!(e.span.start <= e.span.end && e.span.end <= src.len());
            prop_assert!(src.is_char_boundary(e.span.start) && src.is_char_boundary(e.span.end));
        }
        if let Ok(program) = parse_program(&src, "p") {
            for (_, span) in &program.stmts {
                prop_assert!(span.start <= span.end && span.end <= src.len());
            }
        }
    }
}
