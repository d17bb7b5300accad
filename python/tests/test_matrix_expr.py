"""Expressions with vectors and matrices: shapes given, gradients and Jacobians, NumPy
arrays in and out, exact."""

from fractions import Fraction

import numpy as np
import pytest

import chainrule
from chainrule import Expr

A = [[1, 2], [3, 4]]


@pytest.fixture
def quad():
    return Expr("x'*A*x", shapes={"x": 2, "A": (2, 2)})


def test_the_quadratic_form(quad):
    assert str(quad) == "xᵀ*A*x"
    assert quad.latex() == r"x^{\top} A x"
    assert quad.variables == ["x", "A"]
    # [1, 2]·A·[1, 2] = [1, 2]·[5, 11] = 27.
    assert quad.eval(x=[1, 2], A=A) == Fraction(27)


def test_gradient_by_a_vector_is_a_vector(quad):
    g = quad.diff("x")
    assert isinstance(g, Expr)
    assert str(g) == "(A + Aᵀ)*x"
    assert g.latex() == r"\left(A + A^{\top}\right) x"
    v = g.eval(x=np.array([1, 2]), A=np.array(A))
    # (A + Aᵀ) x = [[2, 5], [5, 8]]·[1, 2].
    assert isinstance(v, np.ndarray) and v.shape == (2,) and v.dtype == object
    assert v.tolist() == [12, 21]
    assert all(type(e) is Fraction for e in v)


def test_gradient_by_a_matrix_is_shaped_like_it(quad):
    g = quad.diff("A")
    assert str(g) == "x*xᵀ"
    assert g.eval(x=[1, 2], A=A).tolist() == [[1, 2], [2, 4]]


def test_jacobian_of_a_vector_function():
    J = Expr("A*x", shapes={"x": 2, "A": (2, 2)}).diff("x")
    assert J.eval(x=[1, 2], A=A).tolist() == A


def test_f64_and_mpfr_arrays():
    e = Expr("sigmoid(x)", shapes={"x": 2})
    v = e.eval(x=np.array([0.0, 1.0]), arith="f64")
    assert v.dtype == np.float64
    assert v[0] == 0.5
    assert v[1] == 1 / (1 + np.exp(-1.0))
    m = e.eval(x=[0, 1], arith="mpfr", precision=64)
    assert str(m[0]) == "0.5"
    with pytest.raises(chainrule.UsageError, match='arith="exact"'):
        e.eval(x=[0, 1], arith="exact")


def test_errors(quad):
    with pytest.raises(chainrule.UsageError, match="declared a vector of 2 entries"):
        quad.eval(x=[1, 2, 3], A=A)
    with pytest.raises(chainrule.UsageError, match="no value for `A`"):
        quad.eval(x=[1, 2])
    with pytest.raises(chainrule.UsageError, match="Hessians"):
        quad.diff("x", order=2)
    with pytest.raises(chainrule.DomainError, match="log of a non-positive number at entry 2"):
        Expr("log(x)", shapes={"x": 2}).eval(x=[1, -1])
    with pytest.raises(chainrule.ParseError):
        Expr("A*x", shapes={"x": 3, "A": (2, 2)})
    with pytest.raises(chainrule.UsageError, match="takes scalar expressions"):
        chainrule.lambdify(quad, ["x", "A"])


def test_a_derivative_is_defined_where_its_function_is():
    # d/dx of sum(log(x)) is 1/x entrywise; at x = [1, -1] the function is undefined.
    e = Expr("sum(log(x))", shapes={"x": 2})
    assert e.diff("x").eval(x=[1, 2]).tolist() == [1, Fraction(1, 2)]
    with pytest.raises(chainrule.DomainError):
        e.diff("x").eval(x=[1, -1])
