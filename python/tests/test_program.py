"""chainrule.Program on the homework (STAT154 HW7, Q1): ∂E/∂w1 = 24, ∂E/∂w2 = 24, ∂E/∂w3 = 16."""

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

import chainrule
from chainrule import Program


@pytest.fixture
def hw7(examples):
    return Program(examples / "hw7_relu.chain")


def test_the_homeworks_gradient_is_exact(hw7):
    g = hw7.backprop().gradient
    assert g == {"w1": Fraction(24), "w2": Fraction(24), "w3": Fraction(16)}
    assert all(type(v) is Fraction for v in g.values())
    assert hw7.gradient == g
    assert hw7.params == ["w1", "w2", "w3"]
    assert hw7.inputs == ["w1", "w2", "w3", "x", "y"]
    assert hw7.output == "E"


def test_a_path_given_as_a_string(examples):
    g = Program(str(examples / "hw7_relu.chain")).backprop().gradient
    assert g == {"w1": 24, "w2": 24, "w3": 16}


def test_forward_and_backward_passes(hw7):
    b = hw7.backprop()
    assert b.forward == {"z1": 2, "x1": 2, "z2": 4, "x2": 4, "z3": 12, "ŷ": 12, "E": 4}
    assert b.adjoints == {"E": 1, "ŷ": 4, "z3": 4, "x2": 12, "z2": 12, "x1": 24, "z1": 24}
    assert "∂E/∂w1 = δ_z1 · x  = 24" in b.text
    assert r"\begin{aligned}" in b.latex()
    assert b._repr_latex_().startswith("$$")


def test_another_point(hw7):
    # x = 2: z1 = 4, x1 = 4, z2 = 8, x2 = 8, ŷ = 24, δ_ŷ = 2(24 - 10) = 28,
    # ∂E/∂w3 = 28·8, δ_x2 = 28·3 = 84, ∂E/∂w2 = 84·4, δ_x1 = 84·2, ∂E/∂w1 = 168·2.
    b = hw7.backprop(at={"x": 2})
    assert b.forward["E"] == 196
    assert b.gradient == {"w1": 336, "w2": 336, "w3": 224}
    # A value written as a string reads as the command line reads it, and shows so.
    half = hw7.backprop(at={"x": "0.5"})
    assert half.text.startswith("Forward pass at w1 = 2, w2 = 2, w3 = 3, x = 0.5, y = 10\n")
    assert half.gradient == hw7.backprop(at={"x": Fraction(1, 2)}).gradient
    # The program itself is unchanged.
    assert hw7.backprop().gradient == {"w1": 24, "w2": 24, "w3": 16}


def test_arithmetics(hw7):
    f = hw7.backprop(arith="f64").gradient
    assert f == {"w1": 24.0, "w2": 24.0, "w3": 16.0}
    assert all(type(v) is float for v in f.values())
    m = hw7.backprop(arith="mpfr", precision=64).gradient
    assert m == {"w1": Decimal(24), "w2": Decimal(24), "w3": Decimal(16)}
    assert all(type(v) is Decimal for v in m.values())


def test_mpfr_values_are_the_shortest_decimals_that_read_back():
    # z = 0.5*1 + 0.1 is computed in MPFR at 128 bits: Decimal("0.6"), as the report's JSON
    # (.data) and a program of vectors have it, not the binary value's own expansion
    # 0.6000000000000000000000000000000000000012, whose last digits are not the value's.
    p = Program("z = w*x + b\nE = sigmoid(z)\nat w = 0.5, x = 1, b = 0.1\nwrt w, b\n")
    b = p.backprop()
    assert b.data["arithmetic"] == "mpfr"
    assert b.forward["z"] == Decimal("0.6")
    assert str(b.forward["z"]) == "0.6"
    for f in b.data["forward"]:
        assert str(b.forward[f["name"]]) == f["value"]
    for w, v in b.data["gradient"].items():
        assert type(b.gradient[w]) is Decimal
        assert str(b.gradient[w]) == v


def test_a_program_from_text():
    p = Program("E = (y - w*x)^2\nat x = 1, y = 10, w = 2\n")
    assert p.params == ["w", "x", "y"]
    # -2x(y - wx), -2w(y - wx), 2(y - wx) at y - wx = 8.
    assert p.backprop().gradient == {"w": -16, "x": -32, "y": 16}


def test_irrational_gradients_are_decimals():
    p = Program("E = sigmoid(w*x)\nat w = 2, x = 1\nwrt w\n")
    g = p.backprop().gradient["w"]
    assert type(g) is Decimal
    assert round(g, 20) == Decimal("0.10499358540350651735")
    with pytest.raises(chainrule.UsageError, match="not rational"):
        p.backprop(arith="exact")


def test_grad_formulas(hw7):
    r = hw7.grad()
    assert "∂E/∂w1 = 2*(ŷ - y) · w3 · step(z2) · w2 · step(z1) · x\n       = 24" in r.text
    assert "∂E/∂w3 = 2*(ŷ - y) · x2\n       = 16" in r.text
    assert r.latex().count(r"\frac{\partial E}{\partial w_{") == 3
    assert (
        "∂E/∂w3 = 2*relu(w2*relu(w1*x))*(w3*relu(w2*relu(w1*x)) - y)\n       = 16"
        in hw7.grad(form="expanded").text
    )
    with pytest.raises(chainrule.UsageError, match="form="):
        hw7.grad(form="short")


def test_explain(hw7):
    r = hw7.explain("w1")
    assert "∂E/∂w1 = ∂E/∂ŷ · ∂ŷ/∂z3 · ∂z3/∂x2 · ∂x2/∂z2 · ∂z2/∂x1 · ∂x1/∂z1 · ∂z1/∂w1" in r.text
    assert "∂E/∂w1 = 24" in r.text
    with pytest.raises(chainrule.UsageError, match="is the output"):
        hw7.explain("E")
    with pytest.raises(chainrule.UsageError, match="no variable named `w9`"):
        hw7.explain("w9")


def test_check_a_claim(hw7):
    right = hw7.check("w3", "-2*(y - ŷ)*x2")
    assert right.agrees and bool(right)
    assert "✓ Right" in right.text
    wrong = hw7.check("w3", "2*(y - ŷ)*x2")
    assert not wrong.agrees and not bool(wrong)
    # The homework's LaTeX claim for w3 (∂_ŷ ℓ · x_2): right.
    assert hw7.check("w3", r"\partial_{2} \ell(y, \hat{y}) \cdot x_2").agrees


def test_finite_differences_as_numpy_computes_them(hw7):
    r = hw7.fd()
    # The homework's numbers: forward 24.0036, backward 23.9964, central 24 (bit for bit
    # what NumPy prints, 1e-4 in f64).
    w1 = next(p for p in r.data["rows"] if p["param"] == "w1")
    assert "24.00360000008206" in r.text
    assert "23.996400000014795" in r.text
    assert "24.000000000048427" in r.text
    assert w1["gradient"] == "24"
    assert w1["forward"] == "24.00360000008206"
    assert w1["central"] == "24.000000000048427"
    assert r.data["delta"] == "1/10000"
    assert r._repr_html_().startswith("<pre>")


def test_sweep_and_its_plot(hw7):
    s = hw7.sweep()
    assert s.deltas == [Fraction(1, 10**k) for k in range(10, 0, -1)]
    assert set(s.errors) == {"forward, f64", "backward, f64", "central, f64"}
    central = s.errors["central, f64"]
    assert central.shape == (10,)
    # Exact arithmetic has no rounding error: the central difference of a function that
    # is quadratic near the point is exact, so its error is 0 at every step.
    e = hw7.sweep(deltas=["1e-4", "1e-3"], scheme="central", arith="exact")
    assert np.all(e.errors["central, exact"] == 0)
    svg = s.plot()
    assert svg._repr_svg_().startswith("<svg")
    assert "</svg>" in str(svg)


def test_graph(hw7):
    svg = hw7.graph()
    assert str(svg).startswith("<svg")
    assert "z1" in str(svg)


def test_program_errors(examples):
    with pytest.raises(chainrule.ParseError) as e:
        Program("z = w*\n")
    assert "<program>:1:" in str(e.value)
    p = Program("E = w*x\nat w = 1\n")
    with pytest.raises(chainrule.UsageError) as e:
        p.backprop()
    assert "no value for `x`" in str(e.value)
    assert "<program>:1:7" in str(e.value)
    assert p.backprop(at={"x": 3}).gradient == {"w": 3, "x": 1}
    hw7 = Program(examples / "hw7_relu.chain")
    with pytest.raises(chainrule.UsageError, match="intermediate"):
        hw7.backprop(at={"z1": 3})
    with pytest.warns(UserWarning, match="not an input"):
        hw7.backprop(at={"q": 3})
    with pytest.raises(chainrule.UsageError, match="cannot read"):
        Program(examples)
    with pytest.raises(chainrule.UsageError, match="cannot read hw7.chain: there is no such file"):
        Program("hw7.chain")


def test_data_and_output(examples):
    p = Program(examples / "hw7_relu.chain", output="z3")
    assert p.output == "z3"
    assert p.backprop().gradient == {"w1": 6, "w2": 6, "w3": 4}


def test_a_report_too_large_is_a_limit_error_saying_what_to_use():
    # 400 layers: the chain-rule form of the gradient has about 400²/2 · 2 factors.
    lines = ["z1 = w1*x"] + [f"z{k} = w{k}*sigmoid(z{k - 1})" for k in range(2, 401)]
    p = Program("\n".join(lines) + "\nE = (y - z400)^2\n")
    with pytest.raises(chainrule.LimitError) as e:
        p.grad()
    assert "the chain-rule form of this gradient has" in str(e.value)
    assert "use Program.backprop()" in str(e.value)
    # The backward pass has no such limit: one adjoint per definition, and a gradient entry
    # per input (no `wrt`: the 400 weights, x and y).
    b = p.backprop(at={**{f"w{k}": 1 for k in range(1, 401)}, "x": 0, "y": 1}, arith="f64")
    assert len(b.gradient) == 402


def test_exact_means_exact_in_every_report(examples):
    sig = Program(examples / "hw7_sigmoid.chain")
    for call in (
        lambda: sig.backprop(arith="exact"),
        lambda: sig.grad(arith="exact"),
        lambda: sig.explain("w1", arith="exact"),
    ):
        with pytest.raises(chainrule.UsageError, match='arith="exact": this value is not rational'):
            call()
    # Without a point there is nothing to evaluate: the formulas alone.
    assert "∂E/∂w1" in Program(examples / "hw7_abstract.chain").grad(arith="exact").text
    hw7 = Program(examples / "hw7_relu.chain")
    assert hw7.backprop(arith="exact").gradient == {"w1": 24, "w2": 24, "w3": 16}
    assert "= 24" in hw7.explain("w1", arith="exact").text
    q2 = Program(examples / "hw7_matrix.chain")
    assert q2.backprop(arith="exact").gradient["W3"].tolist() == [[-32, -40]]
    sig2 = Program("x: 2\nE = sum(sigmoid(x))\nat x = [1, 2]\n")
    with pytest.raises(chainrule.UsageError, match='arith="exact"'):
        sig2.backprop(arith="exact")
