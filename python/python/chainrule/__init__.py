"""chainrule: symbolic differentiation and back-propagation, exact, in Python and Jupyter.

A thin skin over the chainrule library (Rust): the compiled module ``chainrule._native``
does the work; this layer gives its results Python shapes (``Fraction``, ``Decimal``, NumPy
arrays, objects that Jupyter displays).

>>> from chainrule import Expr
>>> e = Expr("(y - w*x)^2")
>>> d = e.diff("w")
>>> str(d)
'-2*x*(y - w*x)'
>>> d.eval(w=2, x=1, y=10)
Fraction(-16, 1)
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any, Optional, Sequence, TypeVar, Union

import numpy as np

from . import _native
from ._native import (
    ChainruleError,
    DomainError,
    Expr,
    InternalError,
    LimitError,
    ParseError,
    UsageError,
)

__version__ = _native.__version__

__all__ = [
    "Expr",
    "Program",
    "Report",
    "Backprop",
    "Check",
    "Sweep",
    "Svg",
    "Lambdified",
    "lambdify",
    "ChainruleError",
    "ParseError",
    "DomainError",
    "UsageError",
    "LimitError",
    "InternalError",
]

Number = Union[int, Fraction, Decimal, float, str]
R = TypeVar("R", bound="Report")
Value = Union[Fraction, Decimal, float]


class Svg:
    """An SVG picture (a plot, a graph); Jupyter displays it, ``str()`` is its text."""

    def __init__(self, text: str) -> None:
        self.text = text

    def _repr_svg_(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"<Svg, {len(self.text)} characters>"

    def save(self, path: Union[str, os.PathLike]) -> None:
        """Writes the SVG to ``path``."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.text)


class Report:
    """A report of the library: ``.text`` (the command line's table), ``.latex()`` where it
    has one, ``.data`` (its JSON, as Python values). Jupyter shows the LaTeX, else the text.
    """

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.text: str = raw["text"]
        self._latex: Optional[str] = raw["latex"]
        self.data: Any = json.loads(raw["json"])

    def latex(self) -> str:
        """The report in LaTeX."""
        if self._latex is None:
            raise UsageError(f"{type(self).__name__} reports have no LaTeX form; use .text")
        return self._latex

    def _repr_latex_(self) -> Optional[str]:
        if self._latex is None:
            return None
        return _displayed(self._latex)

    def _repr_html_(self) -> Optional[str]:
        if self._latex is not None:
            return None
        return f"<pre>{html.escape(self.text)}</pre>"

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text


def _displayed(latex: str) -> str:
    """A report's LaTeX (``aligned`` environments after ``%`` comments) as display math for a
    notebook: one ``$$ … $$`` per environment, so that they stack instead of standing side
    by side; the comments stay inside, where MathJax and KaTeX skip them."""
    blocks: list[list[str]] = [[]]
    for line in latex.strip().splitlines():
        blocks[-1].append(line)
        if line.strip() == r"\end{aligned}":
            blocks.append([])
    if not blocks[-1]:
        blocks.pop()
    elif len(blocks) > 1:
        # Comments after the last environment (the point) go with it.
        blocks[-2].extend(blocks.pop())
    return "\n".join("$$\n" + "\n".join(b) + "\n$$" for b in blocks)


class Backprop(Report):
    """The forward and backward passes at a point: ``.forward`` (each definition's value),
    ``.adjoints`` (each δ_v = ∂E/∂v, by v), ``.gradient`` (parameter → ∂E/∂parameter), values
    as ``Fraction`` when exact, ``Decimal`` in MPFR, ``float`` in f64; vectors and matrices as
    NumPy arrays of those (``float64`` arrays in f64, a vector as a 1-D array)."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        super().__init__(raw)
        self.forward: dict[str, Any]
        self.adjoints: dict[str, Any]
        self.gradient: dict[str, Any]
        self.kinks: list[str]
        if raw["shaped"]:
            number = _reader(self.data["arithmetic"])
            self.forward = {f["name"]: _array(f["value"], number) for f in self.data["forward"]}
            self.adjoints = {
                a["name"].removeprefix("δ_"): _array(a["value"], number)
                for a in self.data["backward"]
            }
            self.gradient = {g["wrt"]: _array(g["value"], number) for g in self.data["gradient"]}
            self.kinks = []
        else:
            self.forward = dict(raw["forward"])
            self.adjoints = dict(raw["adjoints"])
            self.gradient = dict(raw["gradient"])
            self.kinks = list(raw["kinks"])


def _reader(arithmetic: str) -> Any:
    """How the JSON's values (strings: ``"-3/4"``, ``"0.25"``) read in an arithmetic."""
    if arithmetic == "exact":
        return Fraction
    if arithmetic == "IEEE double":
        return float
    return Decimal


def _array(value: Any, number: Any) -> Any:
    """A value of the JSON: a number, or a vector or matrix (lists) as a NumPy array."""
    if isinstance(value, str):
        return number(value)
    dtype = np.float64 if number is float else object

    def read(v: Any) -> Any:
        return [read(x) for x in v] if isinstance(v, list) else number(v)

    return np.array(read(value), dtype=dtype)


class Check(Report):
    """The verdict on a claimed derivative: ``.agrees`` (also its truth value)."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        super().__init__(raw)
        self.agrees: bool = raw["agrees"]

    def __bool__(self) -> bool:
        return self.agrees


class Sweep(Report):
    """Finite-difference errors over many steps: ``.deltas`` (the steps, as ``Fraction``:
    1e-4 is exactly 1/10000), ``.errors`` ({"forward, f64": NumPy array of the squared
    errors ‖∇̂ − ∇‖², one per step, NaN where there is none}, and ``.norms`` the same for
    ‖∇̂ − ∇‖), ``.plot()`` (the log-log plot, SVG)."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        super().__init__(raw)
        self._svg: str = raw["svg"]
        self.deltas: list[Fraction] = [_fraction(d) for d in self.data["deltas"]]

        def column(values: list[Any]) -> np.ndarray:
            return np.array([np.nan if v is None else float(v) for v in values])

        self.errors: dict[str, np.ndarray] = {
            f"{s['scheme']}, {s['arith']}": column(s["errors"]) for s in self.data["series"]
        }
        self.norms: dict[str, np.ndarray] = {
            f"{s['scheme']}, {s['arith']}": column(s["norms"]) for s in self.data["series"]
        }

    def plot(self) -> Svg:
        """The log-log plot of the errors against the step, as SVG."""
        return Svg(self._svg)

    def _repr_svg_(self) -> str:
        return self._svg


def _fraction(text: str) -> Fraction:
    # The steps print as 1e-4 or 3/4: both exact.
    if "/" in text:
        return Fraction(text)
    return Fraction(Decimal(text))


def _text_of_number(x: Number) -> str:
    if isinstance(x, bool):
        raise UsageError("a bool is not a step")
    if isinstance(x, float):
        # The shortest decimal that reads back as the float: 1e-4 is the step 1/10000.
        return repr(x)
    return str(x)


def _steps(deltas: Union[str, Number, Iterable[Number]]) -> str:
    if isinstance(deltas, str):
        return deltas
    if isinstance(deltas, Iterable):
        return ",".join(_text_of_number(d) for d in deltas)
    return _text_of_number(deltas)


class Program:
    """A program of named definitions (``z1 = w1*x``, ``x1 = σ(z1)``, …, ``at …``, ``wrt …``),
    read from a file path or from its text.

    ``output`` names the definition to take as the output (default: the last), ``data`` the
    inputs that are data, not parameters.
    """

    def __init__(
        self,
        path_or_text: Union[str, os.PathLike],
        *,
        output: Optional[str] = None,
        data: Sequence[str] = (),
    ) -> None:
        if isinstance(path_or_text, os.PathLike) or (
            isinstance(path_or_text, str)
            and "\n" not in path_or_text
            and os.path.isfile(path_or_text)
        ):
            path = os.fspath(path_or_text)
            try:
                with open(path, encoding="utf-8") as f:
                    src = f.read()
            except (OSError, UnicodeDecodeError) as e:
                raise UsageError(f"cannot read {path}: {e}") from None
            name = str(path)
        elif (
            isinstance(path_or_text, str)
            and "\n" not in path_or_text
            and path_or_text.strip().endswith(".chain")
        ):
            # A file name, not a program: say so rather than parse it.
            raise UsageError(f"cannot read {path_or_text}: there is no such file")
        else:
            src, name = str(path_or_text), "<program>"
        self._native = _native.Program(src, name, output, list(data))

    @property
    def params(self) -> list[str]:
        """The parameters (the program's ``wrt``, else its inputs), in order."""
        return self._native.params

    @property
    def shaped(self) -> bool:
        """Whether the program is about vectors and matrices."""
        return self._native.shaped

    @property
    def inputs(self) -> list[str]:
        """The inputs of the output, in natural order."""
        return self._native.inputs

    @property
    def output(self) -> str:
        """The output's name."""
        return self._native.output

    @property
    def source(self) -> str:
        """The program's text."""
        return self._native.source

    def backprop(
        self,
        at: Optional[Mapping[str, Number]] = None,
        *,
        arith: str = "auto",
        precision: int = 128,
        digits: Optional[int] = None,
    ) -> Backprop:
        """The forward and backward passes at the program's point, with ``at`` values taking
        precedence. ``arith``: "auto" (exact when rational, else MPFR), "exact", "mpfr",
        "f64"; ``precision`` in bits for MPFR."""
        return self._exact(
            Backprop(self._native.backprop(_point(at), arith, precision, digits)), arith
        )

    @property
    def gradient(self) -> dict[str, Value]:
        """The gradient at the program's point (``backprop().gradient``)."""
        return self.backprop().gradient

    def grad(
        self,
        form: str = "intermediates",
        at: Optional[Mapping[str, Number]] = None,
        *,
        arith: str = "auto",
        precision: int = 128,
        digits: Optional[int] = None,
    ) -> Report:
        """The gradient's formulas: ``form`` "intermediates" (∂E/∂w1 = ∂_2 ℓ(y, ŷ) · w3 · …),
        "expanded" (in the inputs only) or "both"; values too when there is a point."""
        return self._exact(
            Report(self._native.grad(form, _point(at), arith, precision, digits)), arith
        )

    def explain(
        self,
        name: str,
        at: Optional[Mapping[str, Number]] = None,
        *,
        arith: str = "auto",
        precision: int = 128,
        digits: Optional[int] = None,
    ) -> Report:
        """The chain rule for ∂output/∂name, step by step."""
        return self._exact(
            Report(self._native.explain(name, _point(at), arith, precision, digits)), arith
        )

    def check(self, name: str, claim: str) -> Check:
        """Checks a claimed ∂output/∂name (chainrule's syntax or LaTeX)."""
        return Check(self._native.check(name, claim))

    def fd(
        self,
        delta: Number = "1e-4",
        scheme: str = "all",
        arith: str = "f64",
        at: Optional[Mapping[str, Number]] = None,
        *,
        digits: Optional[int] = None,
    ) -> Report:
        """Finite-difference quotients (forward, backward, central) at the step ``delta``
        against the symbolic gradient; ``arith`` "f64" (as NumPy), "mpfr:BITS" or "exact"."""
        return Report(
            self._native.fd(_text_of_number(delta), scheme, arith, _point(at), digits)
        )

    def sweep(
        self,
        deltas: Union[str, Iterable[Number]] = "1e-10:1e-1:10",
        scheme: str = "all",
        arith: str = "f64",
        measure: str = "squared",
        at: Optional[Mapping[str, Number]] = None,
    ) -> Sweep:
        """The error of finite-difference gradients over the steps ``deltas``
        ("FROM:TO:COUNT" log-spaced like numpy.logspace, or a list), with ``.plot()``."""
        return Sweep(
            self._native.sweep(_steps(deltas), scheme, arith, measure, _point(at))
        )

    def graph(
        self,
        at: Optional[Mapping[str, Number]] = None,
        *,
        arith: str = "auto",
        precision: int = 128,
        digits: Optional[int] = None,
    ) -> Svg:
        """The computation graph as SVG, with values when there is a point."""
        return Svg(self._native.graph(_point(at), arith, precision, digits))

    def _exact(self, report: R, arith: str) -> R:
        # Programs of scalars check arith="exact" in the library's terms; with vectors and
        # matrices the report says which arithmetic it used.
        if arith == "exact" and self.shaped:
            if isinstance(report.data, dict) and report.data.get("arithmetic", "exact") != "exact":
                raise UsageError(_native._NOT_EXACT)
        return report

    def __repr__(self) -> str:
        return f"Program(output={self.output!r}, params={self.params!r})"


def _point(at: Optional[Mapping[str, Any]]) -> Optional[dict[str, Any]]:
    if at is None:
        return None
    if not isinstance(at, Mapping):
        raise UsageError("at: give a mapping from input names to values, e.g. {'x': 1}")
    return {k: _literal(v) if _is_array(v) else v for k, v in at.items()}


def _is_array(v: Any) -> bool:
    return isinstance(v, (list, tuple)) or (isinstance(v, np.ndarray) and v.ndim > 0)


def _exact_text(x: Any) -> str:
    """An entry of a vector or matrix, exactly: ``3``, ``-3/4``; a float is the binary
    fraction it holds, as for numbers."""
    if isinstance(x, (bool, np.bool_)):
        raise UsageError("a bool is not a number")
    if isinstance(x, str):
        return x
    try:
        return str(Fraction(x))
    except (TypeError, ValueError, OverflowError) as e:
        raise UsageError(f"not a number: {x!r} ({e})") from None


def _literal(v: Any) -> str:
    """A vector (1-D) or matrix (2-D) in chainrule's syntax: ``[1, 2]``, ``[[1, 2], [3, 4]]``."""
    a = np.asarray(v, dtype=object)
    if a.ndim == 1:
        return "[" + ", ".join(_exact_text(x) for x in a) + "]"
    if a.ndim == 2:
        return "[" + ", ".join("[" + ", ".join(_exact_text(x) for x in r) + "]" for r in a) + "]"
    raise UsageError(f"a value is a number, a vector or a matrix, not an array of shape {a.shape}")


class Lambdified:
    """An expression compiled to chainrule's tape, called on NumPy arrays (broadcast
    together, computed in float64). Returns the values as an array of the broadcast shape;
    with ``gradient=True``, ``(values, gradient)`` where ``gradient[i]`` is the partial
    derivative by ``names[i]``. Points outside the domain give NaN (or ±inf), as NumPy."""

    def __init__(self, tape: _native.Tape, gradient: bool) -> None:
        self._tape = tape
        self._gradient = gradient

    @property
    def names(self) -> list[str]:
        return self._tape.names

    def __call__(self, *arrays: Any) -> Any:
        names = self._tape.names
        if len(arrays) != len(names):
            raise UsageError(
                f"expected {len(names)} arguments (for {names}), got {len(arrays)}"
            )
        columns = [np.asarray(a, dtype=np.float64) for a in arrays]
        columns = list(np.broadcast_arrays(*columns)) if columns else []
        shape = columns[0].shape if columns else ()
        flat = [np.ascontiguousarray(c).reshape(-1) for c in columns]
        # One row per output: the value and the gradient are views of it, not copies.
        out = self._tape.eval_columns(flat)
        value = out[0].reshape(shape)
        if not self._gradient:
            return value
        return value, out[1:].reshape((out.shape[0] - 1,) + shape)

    def __repr__(self) -> str:
        kind = "value and gradient" if self._gradient else "value"
        return f"<Lambdified {kind} of {self.names}, {len(self._tape)} instructions>"


def lambdify(
    expr: Union[Expr, str, Program],
    names: Union[str, Sequence[str], None] = None,
    *,
    gradient: bool = False,
) -> Lambdified:
    """Compiles ``expr`` as a function of ``names`` (in that order) for NumPy arrays:
    ``lambdify("x*sin(y)", ["x", "y"])(xs, ys)``. With ``gradient=True`` it returns the value
    and the gradient by ``names``, from one pass over the tape.

    ``expr`` may be a ``Program`` (of scalars): its output, every definition substituted, as
    a function of ``names`` (default: its inputs, ``Program.inputs``)."""
    if isinstance(names, str):
        names = [names]
    if isinstance(expr, Program):
        tape = _native.Tape.of_program(
            expr._native, None if names is None else list(names), gradient
        )
        return Lambdified(tape, gradient)
    if names is None:
        raise UsageError("lambdify: give the names of the arguments, e.g. lambdify(e, ['x', 'y'])")
    if isinstance(expr, str):
        expr = Expr(expr)
    return Lambdified(_native.Tape(expr, list(names), gradient), gradient)
