"""chainrule.lambdify: the compiled tape over NumPy arrays, against the tape run one point at
a time, against exact values, and against Expr.eval in f64."""

import math
from fractions import Fraction

import numpy as np
import pytest

import chainrule
from chainrule import Expr, lambdify


def grid(n=7):
    xs = np.linspace(-3.0, 3.0, n)
    ys = np.linspace(0.25, 4.0, n)
    return np.meshgrid(xs, ys)


def test_returns_an_array_of_the_broadcast_shape():
    f = lambdify("x^2*y + 3/4", ["x", "y"])
    out = f(np.arange(3.0), np.array([[1.0], [2.0]]))
    assert isinstance(out, np.ndarray)
    assert out.dtype == np.float64
    assert out.shape == (2, 3)
    assert out.tolist() == [[0.75, 1.75, 4.75], [0.75, 2.75, 8.75]]
    # Python numbers and integer arrays are taken as float64.
    assert f(2, 3).shape == ()
    assert float(f(2, 3)) == 12.75
    assert f(np.array([1, 2]), 1).tolist() == [1.75, 4.75]


def test_rational_results_equal_the_exact_values_rounded():
    # Every intermediate is exact in f64 here (small integers, halves), so the tape's
    # result is the exact value.
    e = Expr("(y - w*x)^2/2")
    f = lambdify(e, ["w", "x", "y"])
    ws, xs = np.meshgrid(np.arange(-4.0, 5.0), np.arange(-3.0, 4.0))
    ys = ws + 0.5
    out = f(ws, xs, ys)
    for w, x, y, v in zip(ws.ravel(), xs.ravel(), ys.ravel(), out.ravel()):
        exact = e.eval(w=int(w), x=int(x), y=Fraction(y))
        assert v == float(exact)


def test_batch_equals_the_tape_one_point_at_a_time():
    e = Expr("sigmoid(w*x)*log(1 + y^2) - exp(-x^2)*tanh(y) + sqrt(y)")
    f = lambdify(e, ["w", "x", "y"])
    rng = np.random.default_rng(17)
    # More points than one thread takes (the batch is split over the cores).
    n = 20_000
    w, x, y = rng.uniform(-2, 2, n), rng.uniform(-2, 2, n), rng.uniform(0.1, 3, n)
    out = f(w, x, y)
    tape = f._tape
    for i in range(0, n, 97):
        assert out[i] == tape.eval_point([w[i], x[i], y[i]])[0]


def test_values_agree_with_eval_in_f64():
    e = Expr("sigmoid(w*x)*log(1 + y^2) - exp(-x^2)*tanh(y) + sqrt(y)")
    f = lambdify(e, ["w", "x", "y"])
    xs, ys = grid()
    out = f(1.5, xs, ys)
    for x, y, v in zip(xs.ravel(), ys.ravel(), out.ravel()):
        ref = e.eval(w=1.5, x=x, y=y, arith="f64")
        # The tape's exp is within 1 ulp of the C library's (src/eval/tape).
        assert math.isclose(v, ref, rel_tol=4e-16, abs_tol=1e-300)


def test_gradient_from_one_pass():
    e = Expr("(y - w3*relu(w2*relu(w1*x)))^2")
    names = ["w1", "w2", "w3"]
    f = lambdify(e, names + ["x", "y"], gradient=True)
    value, grad = f(2, 2, 3, 1, 10)
    assert float(value) == 4
    # The homework's numbers: 24, 24, 16 (and ∂E/∂x, ∂E/∂y).
    assert grad.shape == (5,)
    assert grad.tolist()[:3] == [24.0, 24.0, 16.0]
    assert grad.tolist()[3:] == [
        float(e.diff("x").eval(w1=2, w2=2, w3=3, x=1, y=10)),
        float(e.diff("y").eval(w1=2, w2=2, w3=3, x=1, y=10)),
    ]
    w = np.linspace(0.5, 3, 11)
    value, grad = f(w, 2, 3, 1, 10)
    assert grad.shape == (5, 11)
    for i, wi in enumerate(w):
        for k, n in enumerate(names):
            d = e.diff(n).eval(w1=wi, w2=2, w3=3, x=1, y=10)
            assert grad[k, i] == float(d)


def test_order_of_names_is_the_order_of_arguments():
    assert float(lambdify("x - y", ["y", "x"])(1, 2)) == 1.0
    # One name may be given as a string.
    assert float(lambdify("x - 2", "x")(5)) == 3.0


def test_outside_the_domain_is_nan_as_numpy():
    out = lambdify("log(x)", ["x"])(np.array([1.0, -1.0, 0.0]))
    assert out[0] == 0.0
    assert math.isnan(out[1])
    assert out[2] == -math.inf


def test_errors():
    with pytest.raises(chainrule.UsageError, match="`y` is a variable of the expression"):
        lambdify("x*y", ["x"])
    with pytest.raises(chainrule.UsageError, match="named twice"):
        lambdify("x", ["x", "x"])
    f = lambdify("x*y", ["x", "y"])
    with pytest.raises(chainrule.UsageError, match="expected 2 arguments"):
        f(1.0)
    with pytest.raises(ValueError):
        f(np.zeros(3), np.zeros(4))
    # An unspecified function has no values.
    with pytest.raises(chainrule.ChainruleError):
        lambdify("σ(x)", ["x"])


def test_a_programs_output_and_gradient(examples):
    hw7 = chainrule.Program(examples / "hw7_relu.chain")
    f = lambdify(hw7, gradient=True)
    assert f.names == ["w1", "w2", "w3", "x", "y"]
    value, grad = f(2, 2, 3, 1, 10)
    assert float(value) == 4
    assert grad.tolist()[:3] == [24.0, 24.0, 16.0]
    # Over many points, the same numbers as the program's own backward pass, one at a time.
    w1 = np.linspace(-1, 3, 9)
    value, grad = f(w1, 2, 3, 1, 10)
    for i, w in enumerate(w1):
        b = hw7.backprop(at={"w1": w}, arith="f64")
        assert value[i] == b.forward["E"]
        assert [grad[k, i] for k in range(3)] == [b.gradient[p] for p in ("w1", "w2", "w3")]
    g = lambdify(hw7, ["w3", "w2", "w1", "x", "y"])
    assert float(g(3, 2, 2, 1, 10)) == 4
    with pytest.raises(chainrule.UsageError, match="give the names"):
        lambdify("x")
    q2 = chainrule.Program(examples / "hw7_matrix.chain")
    with pytest.raises(chainrule.UsageError, match="lambdify does not yet work"):
        lambdify(q2)


def test_empty_arrays_and_no_arguments():
    assert lambdify("x^2", ["x"])(np.array([])).shape == (0,)
    value, grad = lambdify("x*y", ["x", "y"], gradient=True)(np.zeros((0, 3)), 1)
    assert value.shape == (0, 3) and grad.shape == (2, 0, 3)
    assert float(lambdify("3/4", [])()) == 0.75


def test_value_and_gradient_are_views_of_one_array():
    value, grad = lambdify("x*y", ["x", "y"], gradient=True)(np.arange(4.0), 2)
    assert value.tolist() == [0, 2, 4, 6]
    assert grad.tolist() == [[2, 2, 2, 2], [0, 1, 2, 3]]
    assert value.base is not None and value.base is grad.base
