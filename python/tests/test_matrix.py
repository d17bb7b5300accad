"""Programs with vectors and matrices (the homework's Q2, examples/hw7_matrix.chain): NumPy
arrays in and out, exact."""

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

import chainrule
from chainrule import Program


@pytest.fixture
def q2(examples):
    return Program(examples / "hw7_matrix.chain")


# The backward pass by hand, at x = [1, 2, -1], y = 3 and the program's weights:
# Z1 = W1 x = [2, 2, 1, -3], H1 = [2, 2, 1, 0], Z2 = W2 H1 = [4, 5], H2 = [4, 5],
# ŷ = W3 H2 = -1, δ_ŷ = -2(y - ŷ) = -8, δ_Z2 = δ_ŷ W3ᵀ ⊙ step(Z2) = [-8, 8],
# δ_Z1 = W2ᵀ δ_Z2 ⊙ step(Z1) = [-8, 8, 8, 0]; ∇_W1 = δ_Z1 xᵀ, ∇_W2 = δ_Z2 H1ᵀ, ∇_W3 = δ_ŷ H2ᵀ.
W1 = [[-8, -16, 8], [8, 16, -8], [8, 16, -8], [0, 0, 0]]
W2 = [[-16, -16, -8, 0], [16, 16, 8, 0]]
W3 = [[-32, -40]]


def test_gradient_as_exact_arrays(q2):
    assert q2.shaped
    assert q2.params == ["W1", "W2", "W3"]
    g = q2.backprop().gradient
    assert set(g) == {"W1", "W2", "W3"}
    for name, want in (("W1", W1), ("W2", W2), ("W3", W3)):
        assert isinstance(g[name], np.ndarray)
        assert g[name].dtype == object
        assert g[name].shape == np.shape(want)
        assert all(type(v) is Fraction for v in g[name].ravel())
        assert g[name].tolist() == want


def test_forward_and_adjoints(q2):
    b = q2.backprop()
    assert b.forward["Z1"].tolist() == [2, 2, 1, -3]
    assert b.forward["H1"].tolist() == [2, 2, 1, 0]
    assert b.forward["ŷ"] == Fraction(-1)
    assert b.forward["E"] == Fraction(16)
    assert b.adjoints["ŷ"] == Fraction(-8)
    assert b.adjoints["Z1"].tolist() == [-8, 8, 8, 0]
    assert r"\begin{bmatrix}" in b.latex()


def test_arithmetics(q2):
    f = q2.backprop(arith="f64").gradient
    assert f["W2"].dtype == np.float64
    assert np.array_equal(f["W2"], np.array(W2, dtype=float))
    m = q2.backprop(arith="mpfr", precision=64).gradient
    assert m["W3"].tolist() == [[Decimal(-32), Decimal(-40)]]


def test_numpy_values_in(q2):
    # x = [1/2, 2, -1]: Z1 = [3/2, 2, 3/2, -7/2], H1 = [3/2, 2, 3/2, 0], Z2 = [7/2, 11/2],
    # ŷ = -2, δ_ŷ = -10, ∇_W3 = -10·H2ᵀ.
    g = q2.backprop(at={"x": np.array([0.5, 2, -1])}).gradient
    assert g["W3"].tolist() == [[-35, -55]]
    g = q2.backprop(at={"x": [Fraction(1, 2), 2, -1]}).gradient
    assert g["W3"].tolist() == [[-35, -55]]
    # W3 = [[1, -2]]: ŷ = 4 - 10 = -6, δ_ŷ = -18, ∇_W3 = -18·[4, 5].
    g = q2.backprop(at={"W3": np.array([[1, -2]])}).gradient
    assert g["W3"].tolist() == [[-72, -90]]


def test_wrong_shapes_are_refused(q2):
    with pytest.raises(chainrule.UsageError, match="declared a vector of 3 entries"):
        q2.backprop(at={"x": [1, 2]})
    with pytest.raises(chainrule.UsageError, match="shape"):
        q2.backprop(at={"x": np.zeros((2, 2, 2))})
    scalar = Program("E = w*x\nat w = 1, x = 2\n")
    with pytest.raises(chainrule.UsageError, match="about scalars"):
        scalar.backprop(at={"x": [1, 2]})


def test_grad_explain_check_fd(q2):
    assert "∇_W1 E = δ_Z1*xᵀ" in q2.grad().text
    assert "δ_Z2 = δ_H2 ⊙ step(Z2)" in q2.explain("W2").text
    assert q2.check("W2", "δ_Z2*H1ᵀ").agrees
    assert not q2.check("W2", "H1*δ_Z2ᵀ").agrees
    fd = q2.fd()
    assert "W1[1,1]  -8        -7.999899999973081" in fd.text


def test_not_yet_for_matrices(q2):
    with pytest.raises(chainrule.UsageError, match="sweep does not yet work"):
        q2.sweep()
    with pytest.raises(chainrule.UsageError, match="graph does not yet work"):
        q2.graph()
