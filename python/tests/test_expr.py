"""chainrule.Expr: reading, derivatives, exact / MPFR / f64 values, text and LaTeX, errors."""

from decimal import Decimal
from fractions import Fraction

import pytest

import chainrule
from chainrule import Expr


def test_diff_returns_an_expr_in_chainrule_syntax():
    d = Expr("(y - w*x)^2").diff("w")
    assert isinstance(d, Expr)
    assert str(d) == "-2*x*(y - w*x)"
    assert d.variables == ["w", "x", "y"]
    # The text reads back to the same expression.
    assert str(Expr(str(d))) == str(d)


def test_second_derivative():
    assert str(Expr("x^3").diff("x", order=2)) == "6*x"
    assert Expr("x^3").diff("x", order=2).eval(x=5) == Fraction(30)


def test_exact_values_are_fractions():
    # README: ∂/∂p of the cross-entropy at y = 1, p = 0.25 is -4.
    d = Expr("-y*log(p) - (1 - y)*log(1 - p)").diff("p")
    assert str(d) == "(1 - y)/(1 - p) - y/p"
    for p in ("0.25", Fraction(1, 4), Decimal("0.25"), 0.25):
        v = d.eval(y=1, p=p)
        assert type(v) is Fraction
        assert v == Fraction(-4)
    assert Expr("x/3 + 1/6").eval(x=1) == Fraction(1, 2)
    assert Expr("0.1 + 0.2").eval() == Fraction(3, 10)


def test_a_float_is_the_binary_fraction_it_holds():
    assert Expr("x").eval(x=0.1) == Fraction(0.1)
    assert Expr("x").eval(x=0.1) != Fraction(1, 10)
    assert Expr("x").eval(x="0.1") == Fraction(1, 10)


def test_f64_is_computed_as_written_like_numpy():
    v = Expr("0.1 + 0.2").eval(arith="f64")
    assert type(v) is float
    assert v == 0.1 + 0.2 == 0.30000000000000004


def test_mpfr_values_are_decimals_with_every_digit_of_the_precision():
    v = Expr("sqrt(2)").eval(precision=200)
    assert type(v) is Decimal
    # 200 bits carry about 60.2 digits: the shortest decimal that reads back as the 200-bit
    # value has 60, the correctly rounded √2 (as `chainrule eval --format json` prints it).
    assert str(v) == "1.41421356237309504880168872420969807856967187537694807317668"
    # README: sigmoid'(w x)·x at w = 2, x = 1, 128 bits.
    d = Expr("sigmoid(w*x)").diff("w")
    assert str(d) == "x*sigmoid(w*x)*(1 - sigmoid(w*x))"
    # README prints it to 20 significant digits: 0.10499358540350651735.
    assert round(d.eval(w=2, x=1), 20) == Decimal("0.10499358540350651735")
    assert str(d.eval(w=2, x=1)).startswith("0.104993585403506517348624")
    m = Expr("1/3").eval(arith="mpfr", precision=64)
    assert type(m) is Decimal
    # 64 bits: the shortest decimal that reads back as the binary value nearest 1/3 (its own
    # expansion is 0.333333333333333333342…).
    assert str(m) == "0.33333333333333333334"


def test_exact_refuses_an_irrational_value():
    with pytest.raises(chainrule.UsageError, match="not rational"):
        Expr("sin(x)").eval(x=1, arith="exact")
    assert Expr("x^2").eval(x=3, arith="exact") == Fraction(9)


def test_latex_and_notebook_display():
    d = Expr("-y*log(p) - (1 - y)*log(1 - p)").diff("p")
    assert d.latex() == r"\frac{1 - y}{1 - p} - \frac{y}{p}"
    assert d._repr_latex_() == r"$\displaystyle \frac{1 - y}{1 - p} - \frac{y}{p}$"
    assert Expr(r"w_3 \sigma(w_2 x)").latex() == r"w_{3} \cdot \sigma\left(w_{2} x\right)"


def test_parse_error_is_a_value_error_with_the_place():
    with pytest.raises(chainrule.ParseError) as e:
        Expr("(x + ")
    assert isinstance(e.value, ValueError)
    assert isinstance(e.value, chainrule.ChainruleError)
    text = str(e.value)
    assert "expected an expression after `+`" in text
    assert "<expression>:1:4" in text
    assert "(x + " in text and "┬" in text


def test_domain_error_points_at_the_subexpression():
    with pytest.raises(chainrule.DomainError) as e:
        Expr("log(x-2)").eval(x=1)
    text = str(e.value)
    assert isinstance(e.value, ValueError)
    assert "log of a non-positive number in log(x - 2)" in text
    assert "<expression>:1:1" in text
    assert "fails here" in text
    assert "help: at this point x - 2 = -1" in text


def test_a_derivative_is_defined_where_its_function_is():
    # d/dx of x/x is 0, but not at x = 0, where x/x is undefined.
    d = Expr("x/x").diff("x")
    assert d.eval(x=1) == 0
    with pytest.raises(chainrule.DomainError):
        d.eval(x=0)


def test_missing_value_points_at_the_name():
    with pytest.raises(chainrule.UsageError) as e:
        Expr("x*y").eval(x=1)
    text = str(e.value)
    assert "no value for `y`" in text
    assert "<expression>:1:3" in text


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: Expr("x").eval(x=True), "bool is not a number"),
        (lambda: Expr("x").eval(x=[1]), "expected a number"),
        (lambda: Expr("x").eval(x=float("inf")), "x:"),
        (lambda: Expr("x").eval(x="1/0"), "x="),
        (lambda: Expr("x").eval(x=1, arith="fast"), 'arith="fast"'),
        (lambda: Expr("x").eval(x=1, precision=1), "precision=1"),
        (lambda: Expr("sin(x)").diff("sin"), "is a function, not a variable"),
        (lambda: Expr("x").diff("2x"), "not a variable name"),
        (lambda: Expr("x").diff("x", order=0), "order=0"),
        (lambda: Expr("x", shapes={"x": 0}), "give a length for a vector"),
        (lambda: Expr("x", shapes={"x": (2, "a")}), "(rows, cols) for a matrix"),
    ],
)
def test_bad_requests_are_usage_errors(call, message):
    with pytest.raises(chainrule.UsageError) as e:
        call()
    assert message in str(e.value)


def test_warnings_become_python_warnings():
    with pytest.warns(UserWarning, match="sigmoid"):
        Expr("sigmiod(x)")


def test_numpy_scalars_are_numbers():
    import numpy as np

    assert Expr("x").eval(x=np.int64(3)) == Fraction(3)
    assert Expr("x").eval(x=np.int32(-2)) == Fraction(-2)
    assert Expr("x").eval(x=np.float32(0.5)) == Fraction(1, 2)
    assert Expr("x").eval(x=np.float64(0.1)) == Fraction(0.1)
    assert Expr("x").eval(x=np.uint64(2**64 - 1)) == Fraction(2**64 - 1)


def test_deep_input_runs_on_the_workers_stack():
    # 9000 nested calls: read, printed, differentiated and evaluated (the library's worker
    # has the large stack; Python's main thread would not).
    n = 9000
    e = Expr("sin(" * n + "x" + ")" * n)
    assert len(str(e)) == len("sin()") * n + 1
    d = e.diff("x")
    # d/dx sin(sin(…(x))) at 0 is cos(0)^n = 1, sin(…(0)) = 0, exactly.
    assert d.eval(x=0) == Fraction(1)
    assert e.eval(x=0) == Fraction(0)
    assert e.latex().count(r"\sin") == n
    with pytest.raises(chainrule.ParseError, match="nested 20000 levels deep; the limit is 10000"):
        Expr("(" * 20000 + "x" + ")" * 20000)
