"""Types of chainrule._native, the compiled part of the package (python/src)."""

from decimal import Decimal
from fractions import Fraction
from typing import Any, Mapping, Optional, Sequence, Union, final

import numpy as np
import numpy.typing as npt
from typing_extensions import Self, TypeAlias

__all__ = [
    "ChainruleError",
    "DomainError",
    "Expr",
    "InternalError",
    "LimitError",
    "ParseError",
    "Program",
    "Tape",
    "UsageError",
    "_NOT_EXACT",
    "__version__",
]
__version__: str
_NOT_EXACT: str

_Number: TypeAlias = Union[int, Fraction, Decimal, float, str]
_Value: TypeAlias = Union[Fraction, Decimal, float]

class ChainruleError(ValueError):
    """An error in what chainrule was asked to do; the message is the diagnostic."""

class ParseError(ChainruleError):
    """Text that does not read: a syntax error, an unknown name, a cycle in a program."""

class DomainError(ChainruleError):
    """A mathematical error at the point: log of a non-positive number, division by zero."""

class UsageError(ChainruleError):
    """A request that cannot be served as made: a missing value, an unknown name or option."""

class LimitError(ChainruleError):
    """A documented limit was reached (a report too large to write out, too much work)."""

class InternalError(RuntimeError):
    """A bug in chainrule (the computation panicked), never an answer about the input."""

@final
class Expr:
    """A symbolic expression, read from chainrule's syntax or LaTeX: ``Expr("(y - w*x)^2")``.

    With vectors and matrices, ``shapes`` gives each one's shape (a length for a vector,
    ``(rows, cols)`` for a matrix; other names are scalars):
    ``Expr("x'*A*x", shapes={"x": 3, "A": (3, 3)})``; its derivative by a vector or matrix
    is the gradient (shaped like it), of a vector the Jacobian."""

    def __new__(
        cls, text: str, shapes: Optional[Mapping[str, Union[int, tuple[int, int]]]] = None
    ) -> Self: ...
    def diff(self, name: str, order: int = 1) -> Expr:
        """The derivative by the variable ``name``, ``order`` times."""
    def eval(self, arith: str = "auto", precision: int = ..., **point: Any) -> Any:
        """The value at the point given by keywords (``e.eval(w=2, x=1)``).

        ``arith``: "auto" (a ``Fraction`` when every operation stays rational, else a
        ``Decimal`` computed in MPFR at ``precision`` bits), "exact" (a ``Fraction`` or
        ``UsageError``), "mpfr" (a ``Decimal``), "f64" (a ``float``, computed as written, as
        NumPy would). Values: ``int``, ``Fraction``, ``Decimal``, ``float`` (its exact binary
        value) or a string read exactly (``"0.1"`` is 1/10, ``"3/4"``); with vectors and
        matrices, lists or NumPy arrays, and the value is a NumPy array (a vector 1-D, a
        matrix 2-D) of those."""
    @property
    def variables(self) -> list[str]:
        """The variables, in natural order (``w2`` before ``w10``)."""
    def latex(self) -> str:
        """The expression in LaTeX."""
    def _repr_latex_(self) -> str: ...
    def __str__(self) -> str:
        """chainrule's syntax; ``Expr(str(e))`` reads back the same expression."""

@final
class Program:
    """A program as the compiled module has it; use ``chainrule.Program``."""

    def __new__(
        cls,
        src: str,
        name: str = ...,
        output: Optional[str] = None,
        data: Sequence[str] = ...,
    ) -> Self: ...
    @property
    def params(self) -> list[str]: ...
    @property
    def shaped(self) -> bool: ...
    @property
    def inputs(self) -> list[str]: ...
    @property
    def output(self) -> str: ...
    @property
    def source(self) -> str: ...
    def backprop(
        self,
        at: Optional[Mapping[str, Any]] = None,
        arith: str = "auto",
        precision: int = ...,
        digits: Optional[int] = None,
    ) -> dict[str, Any]: ...
    def grad(
        self,
        form: str = "intermediates",
        at: Optional[Mapping[str, Any]] = None,
        arith: str = "auto",
        precision: int = ...,
        digits: Optional[int] = None,
    ) -> dict[str, Any]: ...
    def explain(
        self,
        name: str,
        at: Optional[Mapping[str, Any]] = None,
        arith: str = "auto",
        precision: int = ...,
        digits: Optional[int] = None,
    ) -> dict[str, Any]: ...
    def check(self, name: str, claim: str) -> dict[str, Any]: ...
    def fd(
        self,
        delta: str = ...,
        scheme: str = ...,
        arith: str = ...,
        at: Optional[Mapping[str, Any]] = None,
        digits: Optional[int] = None,
    ) -> dict[str, Any]: ...
    def sweep(
        self,
        deltas: str = ...,
        scheme: str = ...,
        arith: str = ...,
        measure: str = "squared",
        at: Optional[Mapping[str, Any]] = None,
    ) -> dict[str, Any]: ...
    def graph(
        self,
        at: Optional[Mapping[str, Any]] = None,
        arith: str = "auto",
        precision: int = ...,
        digits: Optional[int] = None,
    ) -> str: ...

@final
class Tape:
    """An expression (and, with ``gradient``, its gradient by ``names``) compiled to
    chainrule's tape; use ``chainrule.lambdify``."""

    def __new__(cls, expr: Expr, names: Sequence[str], gradient: bool = False) -> Self: ...
    @staticmethod
    def of_program(
        program: Program, names: Optional[Sequence[str]] = None, gradient: bool = False
    ) -> Tape:
        """A program's output (definitions substituted) as a function of ``names``
        (default: its inputs)."""
    @property
    def names(self) -> list[str]: ...
    @property
    def outputs(self) -> int: ...
    def __len__(self) -> int: ...
    def eval_columns(
        self, columns: Sequence[npt.NDArray[np.float64]]
    ) -> npt.NDArray[np.float64]:
        """One contiguous float64 column per name, all of one length; an array of shape
        (outputs, points), a row per output."""
    def eval_point(self, point: Sequence[float]) -> list[float]:
        """The tape at one point, one point at a time."""
