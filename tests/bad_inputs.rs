//! Errors that teach: a table of bad inputs run through the real binary, each with its exit
//! code (2 for usage, parse and program errors, 1 for math errors: domains and limits) and a
//! snapshot of everything it printed. No input may make the binary panic.
//!
//! The binary renders errors at a fixed width and without colour when
//! `CHAINRULE_ERROR_WIDTH` is set (see `main.rs`), so the snapshots do not depend on the
//! terminal or the locale of the machine that runs the tests.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// One bad input: a snapshot name, the arguments, standard input, the exit code wanted.
struct Case {
    name: &'static str,
    args: &'static [&'static str],
    stdin: Option<&'static [u8]>,
    code: i32,
}

const fn case(name: &'static str, code: i32, args: &'static [&'static str]) -> Case {
    Case {
        name,
        args,
        stdin: None,
        code,
    }
}

const USAGE: i32 = 2;
const MATH: i32 = 1;

/// Program files written for the table, by name (the tests run in a scratch folder).
const FILES: &[(&str, &[u8])] = &[
    (
        "latex_lhs.chain",
        b"z_{1} = w_{1} x\n\\frac{a}{b} = z_1\nat x = 1, w1 = 2\n",
    ),
    (
        "latex_bad_line.chain",
        b"z = w*x\nx_{1} = \\sigma(z\nE = x1^2\nat x = 1, w = 2\n",
    ),
    ("empty.chain", b""),
    (
        "shaped_sum.chain",
        b"x: 2\nW: 2x2\nE = sum(W*x)\nat x = [1, 2]\nat W = [[1, 2], [3, 4]]\n",
    ),
    ("huge.chain", b"W: 100000x100000\nx: 100000\nE = sum(W*x)\n"),
    (
        "only_comments.chain",
        b"# a network\n# with nothing in it\n",
    ),
    ("not_utf8.chain", b"z1 = w1*x\nE = (y - \xff\xfe)^2\n"),
    ("cycle.chain", b"a = 2*b + x\nb = a*w\nE = (y - b)^2\n"),
    ("self.chain", b"z = w*x\nz2 = z2 + 1\nE = (y - z2)^2\n"),
    ("twice.chain", b"z = w*x\nz = 2*w*x\nE = (y - z)^2\n"),
    ("update_call.chain", b"z = w*x\nf(z) += 1\n"),
    ("update_first.chain", b"z += w*x\nE = (y - z)^2\n"),
    (
        "unknown_fn.chain",
        b"z = w*x\nE = (y - sigmiod(z))^2\nat w = 1, x = 1, y = 0\n",
    ),
    ("unknown_fn_far.chain", b"z = w*x\nE = (y - squash(z))^2\n"),
    (
        "builtin_redefined.chain",
        b"relu(t) = max(t, 0)\nE = relu(w*x)\n",
    ),
    (
        "at_intermediate.chain",
        b"z = w*x\nE = (y - z)^2\nat z = 1\n",
    ),
    ("wrt_intermediate.chain", b"z = w*x\nE = (y - z)^2\nwrt z\n"),
    ("arity.chain", b"z = w*x\nE = max(z)\n"),
    ("exp709.chain", b"E = exp(w)\nat w = 709.7\n"),
    ("sqrt_squared.chain", b"E = sqrt(w)^2\nat w = 0\n"),
    ("domain.chain", b"z = w*x\nE = log(z)\nat w = -1, x = 2\n"),
    (
        "cancelled_domain.chain",
        b"u = w*x - 2\nE = u/u + w\nat w = 2, x = 1\n",
    ),
    (
        "missing_value.chain",
        b"z = w*x\nE = (y - z)^2\nat w = 1, x = 2\n",
    ),
    ("syntax.chain", b"z1 = w1*x\nx1 = relu(z1\nE = (y - x1)^2\n"),
    ("recursive.chain", b"f(t) = f(t) + 1\nE = f(x)\n"),
    ("constant.chain", b"E = 3\n"),
    ("update.chain", b"c = w*x\nE = (c += 1)^2\n"),
    ("no_value.chain", b"z = w*x\nE = z^2 + b\nat w = 1, x = 2\n"),
    (
        "wrt_version.chain",
        b"c = a*b\nc = c + 1\nE = c^2\nat a = 2, b = 3\nwrt c_1, a\n",
    ),
    (
        "adjoint_name.chain",
        "z1 = w*x\nE = z1*z1 + δ_z1*w\nat w = 2, x = 1, δ_z1 = 10\n".as_bytes(),
    ),
    (
        "ok.chain",
        b"z = w*x\nE = (y - z)^2\nat w = 2, x = 1, y = 10\n",
    ),
    ("z_column.csv", b"w,x,y,z\n2,1,10,5\n"),
    (
        "shapes.chain",
        "x: 3\nW: 4×3\nE = x'*W'*W*x\nat x = 1, W = 2\n".as_bytes(),
    ),
    ("mxn.chain", b"W: mxn\nE = W\n"),
    ("at_vector.chain", b"E = x^2\nat x = [1, 2]\n"),
    ("caret_t.chain", b"# W^T is a transpose\nE = 2^T*w\nat T = 3, w = 1\n"),
    (
        "value_shape.chain",
        b"x: 3\nW: 2x3\nE = sum(W*x)\nat x = [1, 2], W = [[1, 2, 3], [4, 5, 6]]\n",
    ),
    (
        "declared_formula.chain",
        b"x: 3\nW: 2x3\nh: 3\nh = W*x\nE = sum(h)\nat x = [1, 2, 3], W = [[1, 2, 3], [4, 5, 6]]\n",
    ),
    (
        "vector_output.chain",
        b"x: 3\nW: 2x3\nh = W*x\nat x = [1, 2, 3], W = [[1, 2, 3], [4, 5, 6]]\nwrt W\n",
    ),
    (
        "matrix.chain",
        b"x: 3\nW: 1x3\nyhat = W*x\nE = (y - yhat)^2\nat x = [1, 2, 3], W = [[1, 0, -1]], y = 2\nwrt W\n",
    ),
    (
        "rebound.chain",
        b"c = a*b\nc = c + 1\nE = c^2\nat a = 1, b = 2\n",
    ),
    (
        "layers.chain",
        b"z1 = w1*x\nE = (y - z1)^2\nat w1 = 2, x = 1, y = 10\n",
    ),    // `take`: an instance of a program's unspecified functions, for `grade`.
    ("take_undeclared.chain", "fn σ(t)\nfn ℓ(y, p)\nz = w*x\nh = σ(z)\nE = ℓ(y, h)\ntake ρ(t) = relu(t)\n".as_bytes()),
    ("take_no_formula.chain", "fn σ(t)\nfn ℓ(y, p)\nz = w*x\nh = σ(z)\nE = ℓ(y, h)\ntake σ(t), y = 1\n".as_bytes()),
    ("take_other_name.chain", "fn σ(t)\nfn ℓ(y, p)\nz = w*x\nh = σ(z)\nE = ℓ(y, h)\ntake σ(t) = relu(w*t)\n".as_bytes()),
    ("take_arity.chain", "fn σ(t)\nfn ℓ(y, p)\nz = w*x\nh = σ(z)\nE = ℓ(y, h)\ntake ℓ(p) = p^2\n".as_bytes()),
    ("take_abstract_body.chain", "fn σ(t)\nfn ℓ(y, p)\nz = w*x\nh = σ(z)\nE = ℓ(y, h)\ntake σ(t) = ℓ(t, t)\n".as_bytes()),
    ("take_intermediate.chain", "fn σ(t)\nfn ℓ(y, p)\nz = w*x\nh = σ(z)\nE = ℓ(y, h)\ntake σ(t) = relu(t), z = 1\n".as_bytes()),
    ("take_twice.chain", "fn σ(t)\nfn ℓ(y, p)\nz = w*x\nh = σ(z)\nE = ℓ(y, h)\ntake σ(t) = relu(t), σ(u) = u\n".as_bytes()),
    ("take_nothing.chain", "fn σ(t)\nfn ℓ(y, p)\nz = w*x\nh = σ(z)\nE = ℓ(y, h)\ntake\n".as_bytes()),
    ("take_not_a_name.chain", "fn σ(t)\nfn ℓ(y, p)\nz = w*x\nh = σ(z)\nE = ℓ(y, h)\ntake 2*x = 1\n".as_bytes()),
    ("take_defined.chain", "σ(t) = relu(t)\nz = w*x\nE = σ(z)^2\ntake σ(t) = t\n".as_bytes()),
    ("take_values.chain", "fn σ(t)\nfn ℓ(y, p)\nz = w*x\nh = σ(z)\nE = ℓ(y, h)\ntake σ(t) = relu(t), ℓ(y, p) = (y - p)^2, w = 1, x = 2, y = 3\n".as_bytes()),
    ("take_shaped.chain", b"x: 2\nE = sum(x)\ntake x = 1\n"),
];

const CASES: &[Case] = &[
    // ── the grammar ──
    case("operator_at_end", USAGE, &["eval", "x +"]),
    case("unclosed_paren", USAGE, &["eval", "(x + 1"]),
    case("close_without_open", USAGE, &["eval", "x + 1)"]),
    case("juxtaposed_names", USAGE, &["eval", "w x"]),
    case("unknown_character", USAGE, &["eval", "x @ y"]),
    case("leading_point", USAGE, &["eval", ".5*x"]),
    case("two_points", USAGE, &["eval", "3..2"]),
    case("power_without_exponent", USAGE, &["eval", "x^"]),
    case("call_without_arguments", USAGE, &["eval", "exp()"]),
    case("absolute_bars", USAGE, &["eval", "|x|"]),
    case("equals_in_expression", USAGE, &["eval", "y = 2*x"]),
    case("superscript_two", USAGE, &["eval", "x²"]),
    case("literal_out_of_range", USAGE, &["eval", "1e99999"]),
    case("method_call", USAGE, &["eval", "z.relu()"]),
    case("module_prefix", USAGE, &["eval", "math.exp(x)"]),
    case("update_operator", USAGE, &["eval", "c += 1"]),
    case("update_in_program", USAGE, &["update.chain"]),
    case("program_input_without_value", USAGE, &["no_value.chain"]),
    case(
        "explain_the_output",
        USAGE,
        &["explain", "ok.chain", "--wrt", "E"],
    ),
    case(
        "points_column_is_an_intermediate",
        USAGE,
        &["grad", "ok.chain", "--points", "z_column.csv"],
    ),
    case(
        "wrt_a_version_of_a_rebound_name",
        USAGE,
        &["grad", "wrt_version.chain"],
    ),
    case(
        "input_named_like_an_adjoint",
        USAGE,
        &["adjoint_name.chain"],
    ),
    case(
        "at_gives_an_adjoint",
        USAGE,
        &["ok.chain", "--at", "δ_z=10"],
    ),
    case("power_of_function", USAGE, &["eval", "tanh^2(a1)"]),
    // ── vector and matrix syntax, still wrong ──
    case("derivative_without_argument", USAGE, &["eval", "exp'"]),
    case("list_in_expression", USAGE, &["eval", "[1, 2]"]),
    case("simplify_syntax_error", USAGE, &["simplify", "x +* 2"]),
    case("simplify_matrix", USAGE, &["simplify", "x'*A*x"]),
    case("empty_list", USAGE, &["eval", "[]"]),
    case("unclosed_list", USAGE, &["eval", "[1, 2"]),
    case("number_for_a_declared_vector", USAGE, &["shapes.chain"]),
    case("shape_written_as_one_name", USAGE, &["mxn.chain"]),
    case("vector_for_an_undeclared_name", USAGE, &["at_vector.chain"]),
    case(
        "ragged_matrix_at",
        USAGE,
        &["eval", "A", "--at", "A=[[1,2],[3]]"],
    ),
    case("unclosed_list_at", USAGE, &["eval", "x", "--at", "x=[1,2"]),
    case(
        "matrix_cancelled_log",
        MATH,
        &["eval", "0*sum(log(x))", "--at", "x=[-1,2]"],
    ),
    case(
        "matrix_cancelled_inverse",
        MATH,
        &["eval", "inv(inv(A))", "--at", "A=[[1,2],[2,4]]"],
    ),
    case(
        "check_claim_undefined_everywhere",
        MATH,
        &[
            "check",
            "shaped_sum.chain",
            "--wrt",
            "W",
            "--claim",
            "log(-(x'*x))*W",
        ],
    ),
    case(
        "check_huge_declared_sizes",
        MATH,
        &["check", "huge.chain", "--wrt", "W", "--claim", "x*x'"],
    ),
    case(
        "list_entry_not_a_number_at",
        USAGE,
        &["eval", "x", "--at", "x=[1,two]"],
    ),
    // `x^T` is a transpose, and a scalar's transpose is itself: with a value for `T`, or
    // differentiated by `T`, the user meant a power (the answer would silently ignore `T`).
    case(
        "caret_t_with_a_value_for_t",
        USAGE,
        &["eval", "2^T", "--at", "T=3"],
    ),
    case("caret_t_by_t", USAGE, &["diff", "e^T", "--wrt", "T"]),
    case("caret_t_in_program", USAGE, &["caret_t.chain"]),
    // ── vectors and matrices: shapes that do not fit ──
    case(
        "matrix_product_shapes",
        USAGE,
        &[
            "diff",
            "W*x",
            "--wrt",
            "x",
            "--at",
            "W=[[1,2,3],[4,5,6]],x=[1,2]",
        ],
    ),
    case(
        "column_vectors_multiplied",
        USAGE,
        &["diff", "x*y", "--wrt", "x", "--at", "x=[1,2],y=[3,4]"],
    ),
    case(
        "sum_of_different_shapes",
        USAGE,
        &["eval", "x + A", "--at", "A=[[1,2],[3,4]],x=[1,2]"],
    ),
    case(
        "elementwise_of_different_shapes",
        USAGE,
        &["eval", "x .* y", "--at", "x=[1,2],y=[1,2,3]"],
    ),
    case(
        "power_of_matrix",
        USAGE,
        &["diff", "sum(A^2)", "--wrt", "A", "--at", "A=[[1,2],[3,4]]"],
    ),
    case(
        "division_by_matrix",
        USAGE,
        &[
            "diff",
            "sum(x/A)",
            "--wrt",
            "x",
            "--at",
            "A=[[1,2],[3,4]],x=[1,2]",
        ],
    ),
    case(
        "det_of_non_square",
        USAGE,
        &["eval", "det(A)", "--at", "A=[[1,2,3],[4,5,6]]"],
    ),
    case(
        "inv_of_non_square",
        USAGE,
        &["eval", "inv(A)", "--at", "A=[[1,2,3],[4,5,6]]"],
    ),
    case(
        "tr_of_non_square",
        USAGE,
        &["diff", "tr(A)", "--wrt", "A", "--at", "A=[[1,2,3],[4,5,6]]"],
    ),
    case(
        "softmax_of_matrix",
        USAGE,
        &["eval", "softmax(A)", "--at", "A=[[1,2],[3,4]]"],
    ),
    case(
        "logsumexp_of_matrix",
        USAGE,
        &[
            "diff",
            "logsumexp(A)",
            "--wrt",
            "A",
            "--at",
            "A=[[1,2],[3,4]]",
        ],
    ),
    case(
        "unknown_function_in_matrix_expression",
        USAGE,
        &["diff", "sum(sigmiod(x))", "--wrt", "x", "--at", "x=[1,2]"],
    ),
    // ── vectors and matrices: what is not computed (yet) ──
    case(
        "matrix_by_matrix",
        USAGE,
        &[
            "diff",
            "A*X",
            "--wrt",
            "X",
            "--at",
            "A=[[1,2],[3,4]],X=[[1,2],[3,4]]",
        ],
    ),
    case(
        "second_order_of_matrix_expression",
        USAGE,
        &[
            "diff",
            "x'*A*x",
            "--wrt",
            "x",
            "--order",
            "2",
            "--at",
            "A=[[1,2],[3,4]],x=[1,2]",
        ],
    ),
    case(
        "backprop_of_vector_output",
        USAGE,
        &["backprop", "vector_output.chain"],
    ),
    case("sweep_matrix_program", USAGE, &["sweep", "matrix.chain"]),
    case(
        "check_matrix_program_in_latex",
        USAGE,
        &[
            "check",
            "matrix.chain",
            "--wrt",
            "W",
            "--claim",
            "-2*(y - yhat)*x'",
            "--format",
            "latex",
        ],
    ),
    // ── vectors and matrices: programs ──
    case(
        "value_does_not_fit_declaration",
        USAGE,
        &["value_shape.chain"],
    ),
    case(
        "at_flag_value_does_not_fit_declaration",
        USAGE,
        &["matrix.chain", "--at", "x=[1,2]"],
    ),
    case(
        "declaration_does_not_fit_formula",
        USAGE,
        &["declared_formula.chain"],
    ),
    case(
        "claim_unknown_name_in_matrix_program",
        USAGE,
        &[
            "check",
            "matrix.chain",
            "--wrt",
            "W",
            "--claim",
            "(y - ŷ)*x'",
        ],
    ),
    // ── names ──
    case(
        "misspelt_function",
        MATH,
        &["eval", "sigmiod(x)", "--at", "x=1"],
    ),
    case("function_as_variable", USAGE, &["eval", "exp + 1"]),
    case(
        "wrt_function_name",
        USAGE,
        &["diff", "sin(x)", "--wrt", "sin"],
    ),
    case("wrt_number", USAGE, &["diff", "x^2", "--wrt", "2"]),
    case("wrt_parenthesized", USAGE, &["diff", "x^2", "--wrt", "(x)"]),
    case("wrt_power", USAGE, &["diff", "x^2", "--wrt", "x^2"]),
    case("wrt_two_names", USAGE, &["diff", "x^2", "--wrt", "x y"]),
    case("wrt_digit_first", USAGE, &["diff", "x^2", "--wrt", "1x"]),
    case("wrt_lookalike", 0, &["diff", "x^2", "--wrt", "х"]),
    case("at_lookalike", USAGE, &["eval", "x^2", "--at", "х=1"]),
    case(
        "explain_lookalike",
        USAGE,
        &["explain", "ok.chain", "--wrt", "х"],
    ),
    case(
        "exponent_without_digits",
        USAGE,
        &["eval", "2*x + 1e", "--at", "x=1"],
    ),
    case("unknown_function_in_program", USAGE, &["unknown_fn.chain"]),
    case("unknown_function_no_hint", USAGE, &["unknown_fn_far.chain"]),
    case(
        "unknown_function_in_expression",
        0,
        &["diff", "sigma(w*x)", "--wrt", "w"],
    ),
    case("recursive_function", USAGE, &["recursive.chain"]),
    case("constant_output", USAGE, &["grad", "constant.chain"]),
    // ── arity ──
    case(
        "max_one_argument",
        USAGE,
        &["eval", "max(x)", "--at", "x=1"],
    ),
    case(
        "log_two_arguments",
        USAGE,
        &["eval", "log(x, 2)", "--at", "x=1"],
    ),
    case("abstract_arity_changes", USAGE, &["eval", "f(x) + f(x, y)"]),
    case("d_one_argument", USAGE, &["eval", "d(x^2)"]),
    case("arity_in_program", USAGE, &["arity.chain"]),
    // ── domains ──
    case("log_of_negative", MATH, &["eval", "log(-1)"]),
    case("division_by_zero", MATH, &["eval", "1/0"]),
    case("sqrt_of_negative", MATH, &["eval", "sqrt(-4)"]),
    case("zero_to_minus_one", MATH, &["eval", "0^-1"]),
    case(
        "log_of_zero_at_point",
        MATH,
        &["eval", "log(x - 1)", "--at", "x=1"],
    ),
    case(
        "derivative_at_pole",
        MATH,
        &["diff", "log(x)", "--wrt", "x", "--at", "x=0"],
    ),
    case("cube_root_of_negative", MATH, &["eval", "(-8)^(1/3)"]),
    case(
        "cot_at_zero",
        MATH,
        &["diff", "x*cot(x - 1)", "--wrt", "x", "--at", "x=1"],
    ),
    case(
        "log_of_zero_inside",
        MATH,
        &["eval", "x^2 + 3*log(x-2)", "--at", "x=2"],
    ),
    case("domain_in_program", MATH, &["domain.chain"]),
    // ── domains that simplification cancels (issue 9.4) ──
    case(
        "cancelled_denominator",
        MATH,
        &["eval", "(x-2)/(x-2)", "--at", "x=2"],
    ),
    case(
        "cancelled_square_root",
        MATH,
        &["eval", "sqrt(x)^2", "--at", "x=-4"],
    ),
    case(
        "cancelled_logarithm",
        MATH,
        &["eval", "log(x) - log(x)", "--at", "x=-1", "--float", "f64"],
    ),
    case(
        "cancelled_in_derivative",
        MATH,
        &["diff", "(x-2)/(x-2)", "--wrt", "x", "--at", "x=2"],
    ),
    case("cancelled_in_program", MATH, &["cancelled_domain.chain"]),
    case("cancelled_in_fd", MATH, &["fd", "cancelled_domain.chain"]),
    // ── limits ──
    case("huge_power", MATH, &["eval", "2^(10^12)"]),
    case("tiny_power", MATH, &["eval", "(1/3)^(10^9)"]),
    case("tower_of_tens", MATH, &["eval", "10^10^10"]),
    case("tower_of_twos", MATH, &["eval", "2^2^2^2^2^2"]),
    case(
        "order_too_high",
        MATH,
        &[
            "diff",
            "sigmoid(sigmoid(x))",
            "--wrt",
            "x",
            "--order",
            "100",
        ],
    ),
    case(
        "absurd_precision",
        USAGE,
        &["eval", "x", "--precision", "1000000000"],
    ),
    case("absurd_digits", USAGE, &["eval", "x", "--digits", "0"]),
    // ── --at ──
    case("at_without_value", USAGE, &["eval", "x", "--at", "x"]),
    case("at_not_a_number", USAGE, &["eval", "x", "--at", "x=abc"]),
    case("at_bad_name", USAGE, &["eval", "x", "--at", "1x=2"]),
    case("at_twice", USAGE, &["eval", "x", "--at", "x=1,x=2"]),
    case("at_divides_by_zero", USAGE, &["eval", "x", "--at", "x=1/0"]),
    case(
        "at_missing_variable",
        USAGE,
        &["eval", "x*y", "--at", "x=1"],
    ),
    case("at_missing_in_program", USAGE, &["missing_value.chain"]),
    // ── `take` ──
    case("take_undeclared", USAGE, &["grad", "take_undeclared.chain"]),
    case(
        "take_without_formula",
        USAGE,
        &["grad", "take_no_formula.chain"],
    ),
    case(
        "take_uses_other_name",
        USAGE,
        &["grad", "take_other_name.chain"],
    ),
    case("take_arity", USAGE, &["grad", "take_arity.chain"]),
    case(
        "take_abstract_body",
        USAGE,
        &["grad", "take_abstract_body.chain"],
    ),
    case(
        "take_intermediate",
        USAGE,
        &["grad", "take_intermediate.chain"],
    ),
    case("take_twice", USAGE, &["grad", "take_twice.chain"]),
    case("take_nothing", USAGE, &["grad", "take_nothing.chain"]),
    case("take_not_a_name", USAGE, &["grad", "take_not_a_name.chain"]),
    case(
        "take_defined_function",
        USAGE,
        &["grad", "take_defined.chain"],
    ),
    case(
        "take_values_are_for_grade",
        USAGE,
        &["backprop", "take_values.chain"],
    ),
    case(
        "take_in_matrix_program",
        USAGE,
        &["grad", "take_shaped.chain"],
    ),
    // ── files ──
    case("missing_file", USAGE, &["backprop", "missing.chain"]),
    case("directory", USAGE, &["backprop", "a_directory"]),
    case("not_utf8", USAGE, &["backprop", "not_utf8.chain"]),
    case("empty_file", USAGE, &["backprop", "empty.chain"]),
    case("only_comments", USAGE, &["backprop", "only_comments.chain"]),
    case("syntax_in_program", USAGE, &["syntax.chain"]),
    // ── programs ──
    case("cycle", USAGE, &["cycle.chain"]),
    case("defined_in_terms_of_itself", USAGE, &["self.chain"]),
    case("update_of_a_call", USAGE, &["update_call.chain"]),
    case("update_before_definition", USAGE, &["update_first.chain"]),
    case("defined_twice", USAGE, &["twice.chain"]),
    case("builtin_redefined", USAGE, &["builtin_redefined.chain"]),
    case("at_gives_intermediate", USAGE, &["at_intermediate.chain"]),
    case("at_rebound_name", USAGE, &["rebound.chain", "--at", "c=5"]),
    case("at_unused_name", 0, &["layers.chain", "--at", "wl=5"]),
    case("wrt_intermediate", USAGE, &["wrt_intermediate.chain"]),
    case(
        "at_flag_gives_intermediate",
        USAGE,
        &["ok.chain", "--at", "z=5"],
    ),
    case(
        "of_unknown",
        USAGE,
        &["backprop", "ok.chain", "--of", "loss"],
    ),
    case(
        "explain_unknown",
        USAGE,
        &["explain", "ok.chain", "--wrt", "q"],
    ),
    // ── finite differences ──
    // f(w + Δ) overflows in f64: refused, no slope from infinities.
    case("sweep_overflows", MATH, &["sweep", "exp709.chain"]),
    // Defined at w = 0, but not at the backward difference's w − Δ: say which point it is.
    case(
        "fd_shifted_point_undefined",
        MATH,
        &["fd", "sqrt_squared.chain"],
    ),
    // Exactly 0, but as written in f64 (as NumPy) inf*0.
    case(
        "f64_overflow_as_written",
        MATH,
        &["eval", "exp(1000)*0", "--float", "f64"],
    ),
    // The value in the help in f64: 5.221469689764144e173, not 174 digits.
    case(
        "f64_overflow_value_is_short",
        MATH,
        &["eval", "exp(x)^2", "--at", "x=400", "--float", "f64"],
    ),
    case(
        "plot_not_svg",
        USAGE,
        &["sweep", "ok.chain", "--plot", "sweep.png"],
    ),
    case(
        "sweep_too_long",
        MATH,
        &[
            "sweep",
            "ok.chain",
            "--arith",
            "mpfr:65536",
            "--deltas",
            "1e-9:1e-1:10000",
        ],
    ),
    case("delta_zero", USAGE, &["fd", "ok.chain", "--delta", "0"]),
    case(
        "delta_negative",
        USAGE,
        &["fd", "ok.chain", "--delta", "-1e-4"],
    ),
    case(
        "delta_not_a_number",
        USAGE,
        &["fd", "ok.chain", "--delta", "tiny"],
    ),
    case(
        "arith_mpfr_one_bit",
        USAGE,
        &["fd", "ok.chain", "--arith", "mpfr:1"],
    ),
    case(
        "arith_mpfr_without_bits",
        USAGE,
        &["fd", "ok.chain", "--arith", "mpfr"],
    ),
    case(
        "arith_unknown",
        USAGE,
        &["fd", "ok.chain", "--arith", "f32"],
    ),
    case(
        "scheme_unknown",
        USAGE,
        &["fd", "ok.chain", "--scheme", "sideways"],
    ),
    case(
        "deltas_zero_count",
        USAGE,
        &["sweep", "ok.chain", "--deltas", "1e-10:1e-1:0"],
    ),
    case(
        "deltas_two_parts",
        USAGE,
        &["sweep", "ok.chain", "--deltas", "1e-10:1e-1"],
    ),
    case(
        "deltas_contains_zero",
        USAGE,
        &["sweep", "ok.chain", "--deltas", "0,1e-3"],
    ),
    case(
        "deltas_empty_entry",
        USAGE,
        &["sweep", "ok.chain", "--deltas", "1e-3,,1e-2"],
    ),
    case(
        "deltas_too_many",
        USAGE,
        &["sweep", "ok.chain", "--deltas", "1e-10:1e-1:100000"],
    ),
    // ── check: names a claim may not use ──
    case(
        "claim_unknown_name",
        USAGE,
        &[
            "check",
            "ok.chain",
            "--wrt",
            "w",
            "--claim",
            "-2*(y - zz)*x",
        ],
    ),
    case(
        "claim_unknown_adjoint",
        USAGE,
        &["check", "ok.chain", "--wrt", "w", "--claim", "δ_zz*x"],
    ),
    // ── the command line ──
    case("unknown_command", USAGE, &["backprob", "ok.chain"]),
    case("unknown_command_far", USAGE, &["frobnicate", "ok.chain"]),
    case(
        "format_as_flag",
        USAGE,
        &["diff", "x", "--wrt", "x", "--latex"],
    ),
    case("grad_with_wrt", USAGE, &["grad", "ok.chain", "--wrt", "w"]),
    // ── empty input ──
    case("empty_expression", USAGE, &["eval", ""]),
    case("blank_expression", USAGE, &["diff", "   ", "--wrt", "x"]),
    case("nothing_to_do", USAGE, &[]),
    Case {
        name: "empty_stdin",
        args: &["diff", "-", "--wrt", "x"],
        stdin: Some(b""),
        code: USAGE,
    },
    // ── LaTeX input ──
    case(
        "latex_unknown_command",
        USAGE,
        &["diff", "\\sigam(x)", "--wrt", "x"],
    ),
    case("latex_unknown_command_far", USAGE, &["eval", "\\foo{x}"]),
    case(
        "latex_partial_fraction",
        USAGE,
        &[
            "diff",
            "\\frac{\\partial \\ell}{\\partial \\hat{y}} \\cdot x_2",
            "--wrt",
            "x2",
        ],
    ),
    case(
        "latex_partial_by_name",
        USAGE,
        &[
            "diff",
            "\\partial_{\\hat{y}} \\ell \\cdot x_2^2",
            "--wrt",
            "x2",
        ],
    ),
    case(
        "latex_slot_zero",
        USAGE,
        &["diff", "\\partial_{0} f(x)", "--wrt", "x"],
    ),
    case(
        "latex_unclosed_brace",
        USAGE,
        &["diff", "\\frac{1}{2 x", "--wrt", "x"],
    ),
    case("latex_close_without_open", USAGE, &["eval", "x^{2}}"]),
    case(
        "latex_ends_early",
        USAGE,
        &["diff", "\\frac{1}", "--wrt", "x"],
    ),
    case("latex_equals", USAGE, &["eval", "E = (y - \\hat{y})^2"]),
    case(
        "latex_not_supported",
        USAGE,
        &["diff", "\\nabla_W E", "--wrt", "W"],
    ),
    case(
        "latex_prime_without_argument",
        USAGE,
        &["diff", "\\sigma' \\cdot x", "--wrt", "x"],
    ),
    case("latex_comparison", USAGE, &["eval", "\\max\\{x, 0\\} > 1"]),
    case("latex_ones", USAGE, &["eval", "\\mathbf{1}"]),
    case("latex_program_lhs", USAGE, &["latex_lhs.chain"]),
    case("latex_program_bad_line", USAGE, &["latex_bad_line.chain"]),
    // ── grade ──
    case(
        "grade_missing_solution",
        USAGE,
        &["grade", "ok.chain", "missing.tex"],
    ),
    case(
        "grade_in_latex",
        USAGE,
        &["grade", "ok.chain", "ok.chain", "--format", "latex"],
    ),
    case("grade_without_solution", USAGE, &["grade", "ok.chain"]),
    case("leftover_partial", USAGE, &["eval", "\\partial x"]),
    case("latex_product_after_division", USAGE, &["eval", "$x/2y$"]),
    case(
        "latex_unbracketed_argument_then_factor",
        USAGE,
        &["diff", "\\sin 2x", "--wrt", "x"],
    ),
    case(
        "latex_number_after_power",
        USAGE,
        &["diff", "$x^23$", "--wrt", "x"],
    ),
    case(
        "euler_e_is_a_name",
        USAGE,
        &["eval", "\\frac{1}{1 + e^{-x}}", "--at", "x=1"],
    ),
    // ── graph ──
    case(
        "graph_missing_folder",
        USAGE,
        &["graph", "ok.chain", "-o", "no_such_folder/graph.svg"],
    ),
    case(
        "graph_of_vector_output",
        USAGE,
        &["graph", "vector_output.chain"],
    ),
    case(
        "graph_format_latex",
        USAGE,
        &["graph", "ok.chain", "--format", "latex"],
    ),
    case(
        "graph_not_svg",
        USAGE,
        &["graph", "ok.chain", "-o", "graph.png"],
    ),
    // ── sheet ──
    case("sheet_syntax_error", USAGE, &["sheet", "syntax.chain"]),
    case("sheet_domain_error", MATH, &["sheet", "domain.chain"]),
    case("sheet_of_a_constant", USAGE, &["sheet", "constant.chain"]),
    case(
        "sheet_missing_folder",
        USAGE,
        &["sheet", "ok.chain", "-o", "no_such_folder/sheet.html"],
    ),
    case(
        "sheet_not_html",
        USAGE,
        &["sheet", "ok.chain", "-o", "sheet.svg"],
    ),
    case(
        "sheet_latex_not_tex",
        USAGE,
        &["sheet", "ok.chain", "--format", "latex", "-o", "sheet.html"],
    ),
    case(
        "sheet_format_json",
        USAGE,
        &["sheet", "ok.chain", "--format", "json"],
    ),
    case(
        "standalone_without_latex",
        USAGE,
        &["backprop", "ok.chain", "--standalone"],
    ),
    case(
        "standalone_fd",
        USAGE,
        &["fd", "ok.chain", "--format", "latex", "--standalone"],
    ),
];

/// The scratch folder with the table's files, and a folder where a file is expected.
fn scratch() -> PathBuf {
    // Written once per run: the tests run in parallel, and one rewriting a file while another
    // reads it made the table fail now and then.
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bad_inputs");
        std::fs::create_dir_all(dir.join("a_directory")).unwrap();
        for (name, contents) in FILES {
            std::fs::write(dir.join(name), contents).unwrap();
        }
        dir
    })
    .clone()
}

/// Runs the binary; returns the exit code and the transcript to snapshot.
fn run(dir: &Path, c: &Case) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chainrule"));
    cmd.args(c.args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("CHAINRULE_ERROR_WIDTH", "80")
        .env_remove("RUST_BACKTRACE");
    let (code, stdout, stderr) = common::run_with_input(&mut cmd, c.stdin.unwrap_or_default());
    let shown: Vec<String> = c
        .args
        .iter()
        .map(|a| {
            if a.is_empty() || a.contains([' ', '(', ')', '*', '|', '^', '\'', '@', '\\', '{']) {
                format!("'{a}'")
            } else {
                a.to_string()
            }
        })
        .collect();
    let mut transcript = format!("$ chainrule {}\n", shown.join(" "));
    transcript.push_str(&format!("exit code {code}\n"));
    transcript.push_str("--- stderr\n");
    transcript.push_str(&stderr);
    if !stdout.is_empty() {
        transcript.push_str("--- stdout\n");
        transcript.push_str(&stdout);
    }
    (code, stderr, transcript)
}

#[test]
fn bad_inputs_get_clear_errors_and_the_right_exit_code() {
    assert!(CASES.len() >= 40);
    let dir = scratch();
    let mut settings = common::snapshot_settings();
    settings.set_omit_expression(true);
    let mut wrong = Vec::new();
    for c in CASES {
        let (code, stderr, transcript) = run(&dir, c);
        for bad in ["panicked", "RUST_BACKTRACE", "Rule::", "\u{0}arg", "Id("] {
            assert!(
                !stderr.contains(bad),
                "{}: stderr shows {bad:?}:\n{stderr}",
                c.name
            );
        }
        assert!(!stderr.trim().is_empty(), "{}: no message at all", c.name);
        if code != c.code {
            wrong.push(format!(
                "{}: exit code {code}, want {}\n{stderr}",
                c.name, c.code
            ));
        }
        settings.bind(|| insta::assert_snapshot!(format!("bad_input__{}", c.name), transcript));
    }
    assert!(wrong.is_empty(), "wrong exit codes:\n{}", wrong.join("\n"));
}

/// Names are unique, so no snapshot overwrites another.
#[test]
fn case_names_are_unique() {
    let mut names: Vec<&str> = CASES.iter().map(|c| c.name).collect();
    names.sort_unstable();
    let n = names.len();
    names.dedup();
    assert_eq!(names.len(), n);
}

/// A good program and a good expression still succeed (exit code 0) in the same setting.
#[test]
fn good_inputs_succeed() {
    let dir = scratch();
    for c in [
        case("ok_program", 0, &["ok.chain"]),
        case("ok_diff", 0, &["diff", "-x^2", "--wrt", "x", "--at", "x=3"]),
    ] {
        let (code, stderr, transcript) = run(&dir, &c);
        assert_eq!(code, 0, "{transcript}");
        assert!(!stderr.contains("panicked"));
    }
}

/// Regression: an error past column 65 535 of one line made miette panic ("Formatting
/// argument out of range") while rendering. Such a line is now described, not shown.
#[test]
fn an_error_far_into_a_long_line_is_described_not_shown() {
    let dir = scratch();
    let long = format!("E = {}x @ y\n", "w*x + ".repeat(20_000));
    std::fs::write(dir.join("long_line.chain"), long).unwrap();
    let c = case("long_line", USAGE, &["long_line.chain"]);
    let (code, stderr, transcript) = run(&dir, &c);
    assert_eq!(code, USAGE, "{transcript}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("long_line.chain:1:120007"), "{stderr}");
    let mut settings = common::snapshot_settings();
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!("bad_input__long_line", transcript));
}
