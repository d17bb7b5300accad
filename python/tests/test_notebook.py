"""examples/hw7.ipynb runs headless (nbclient) and shows the homework's answers: the
gradient's LaTeX in terms of the intermediates, the check of the submitted ∂E/∂w2, and the
numbers 24, 24, 16."""

import nbclient
import nbformat
import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def outputs():
    nb = nbformat.read(ROOT / "examples" / "hw7.ipynb", as_version=4)
    # Raises CellExecutionError on any error, with the cell and its traceback.
    nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "examples")}}
    ).execute()
    by_tag = {}
    for cell in nb.cells:
        for tag in cell.metadata.get("tags", []):
            by_tag[tag] = cell.outputs
    return by_tag


def data(outputs, tag, mime):
    found = [o["data"][mime] for o in outputs[tag] if mime in o.get("data", {})]
    assert len(found) == 1, (tag, mime, outputs[tag])
    return found[0]


def stream(outputs, tag):
    return "".join(o["text"] for o in outputs[tag] if o["output_type"] == "stream")


def test_the_gradient_in_latex_in_terms_of_the_intermediates(outputs):
    tex = data(outputs, "gradient-latex", "text/latex")
    assert (
        r"\frac{\partial E}{\partial w_{1}} &= \partial_{\hat{y}} \ell\left(y, \hat{y}\right)"
        r" \cdot w_{3} \cdot \sigma'\left(z_{2}\right) \cdot w_{2} \cdot \sigma'\left(z_{1}\right)"
        r" \cdot x" in tex
    )
    assert (
        r"\frac{\partial E}{\partial w_{2}} &= \partial_{\hat{y}} \ell\left(y, \hat{y}\right)"
        r" \cdot w_{3} \cdot \sigma'\left(z_{2}\right) \cdot x_{1}" in tex
    )
    assert (
        r"\frac{\partial E}{\partial w_{3}} &= \partial_{\hat{y}} \ell\left(y, \hat{y}\right)"
        r" \cdot x_{2}" in tex
    )


def test_the_submitted_answer_for_w2_is_caught(outputs):
    assert data(outputs, "check-w2", "text/plain") == "False"
    assert "yours has σ'(x2) where the chain rule has σ'(z2)" in stream(outputs, "check-w2")
    assert data(outputs, "check-w1", "text/plain") == "True"


def test_the_numbers_24_24_16(outputs):
    assert (
        data(outputs, "gradient", "text/plain")
        == "{'w1': Fraction(24, 1), 'w2': Fraction(24, 1), 'w3': Fraction(16, 1)}"
    )
    tex = data(outputs, "backprop", "text/latex")
    assert r"\frac{\partial E}{\partial w_{1}} &= \delta_{z_{1}} \cdot x = 24" in tex
    assert r"\frac{\partial E}{\partial w_{2}} &= \delta_{z_{2}} \cdot x_{1} = 24" in tex
    assert r"\frac{\partial E}{\partial w_{3}} &= \delta_{z_{3}} \cdot x_{2} = 16" in tex
    assert data(outputs, "lambdify-point", "text/plain") == "array([24., 24., 16.])"


def test_finite_differences_and_the_sweep(outputs):
    # The cell asserts chainrule's quotients equal the homework's NumPy ones bit for bit.
    assert "24.00360000008206" in stream(outputs, "fd")
    svg = data(outputs, "sweep-plot", "image/svg+xml")
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")


def test_q2_matrix_calculus(outputs):
    tex = data(outputs, "phi-grad", "text/latex")
    assert (
        r"\nabla_{W} \phi &= \nabla f\left(W g\left(x\right)\right)^{\top} v"
        r" g\left(x\right)^{\top}" in tex
    )
    assert "its shapes do not fit" in stream(outputs, "phi-check")
    assert data(outputs, "phi-check", "text/plain") == "True"
    assert data(outputs, "q2-gradient", "text/plain").startswith(
        "array([[Fraction(-8, 1), Fraction(-16, 1), Fraction(8, 1)],"
    )
    assert "its shapes do not fit" in stream(outputs, "q2-check")
    assert data(outputs, "q2-check", "text/plain") == "True"
