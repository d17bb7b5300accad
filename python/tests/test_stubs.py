"""The type stubs (_native.pyi) name what the compiled module has, and nothing it lacks."""

import ast
import pathlib

import chainrule
from chainrule import _native

STUB = pathlib.Path(chainrule.__file__).with_name("_native.pyi")


def stub_names():
    tree = ast.parse(STUB.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            members = [
                n.name
                for n in node.body
                if isinstance(n, ast.FunctionDef) and n.name != "__init__"
            ]
            yield node.name, members


def test_every_stubbed_class_and_method_exists():
    seen = []
    for cls, members in stub_names():
        assert hasattr(_native, cls), cls
        for m in members:
            assert hasattr(getattr(_native, cls), m), f"{cls}.{m}"
        seen.append(cls)
    assert {"Expr", "Program", "Tape", "ParseError", "DomainError"} <= set(seen)


def test_every_public_method_is_stubbed():
    stubbed = dict(stub_names())
    for cls in ("Expr", "Program", "Tape"):
        runtime = {
            n for n in dir(getattr(_native, cls)) if not n.startswith("__") and n != "_repr_latex_"
        }
        assert runtime <= set(stubbed[cls]) | {"_repr_latex_"}, runtime - set(stubbed[cls])


def test_exceptions_are_value_errors_and_reexported():
    for name in ("ParseError", "DomainError", "UsageError", "LimitError"):
        cls = getattr(chainrule, name)
        assert issubclass(cls, chainrule.ChainruleError)
        assert issubclass(cls, ValueError)
    assert issubclass(chainrule.InternalError, RuntimeError)
