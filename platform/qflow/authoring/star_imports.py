"""Names a node gets from `from M import *` of a standard-library module M (`from typing import *` makes
`List` mean `typing.List`).

What a star import binds is read from M's source in this interpreter's standard library, never by
importing it: importing runs the module (`antigravity` opens a browser, some `__main__` modules start
programs). M's `__all__` when its source spells it out (a list or tuple of strings, `+=`, `.extend`,
`.append`, `from X import __all__`), else its public top-level names, following its own star imports
(`decimal` is `from _decimal import *` or `from _pydecimal import *`). A module without Python source
(`math`, a C accelerator) exports nothing known. This interpreter's library stands for the node's
version's: the names that matter for types (typing's, collections.abc's, datetime's) are the same.
"""

from __future__ import annotations

import ast
import sysconfig
from functools import lru_cache
from pathlib import Path

import libcst as cst
from libcst.helpers import get_full_name_for_node

from qflow.authoring.dependencies import is_stdlib

_BLOCKS = (ast.If, ast.Try, ast.With)  # module-level statements whose bodies still bind module names


def star_imported_names(module: cst.Module, python_version: str) -> dict[str, str]:
    """Name → qualified name (`"List"` → `"typing.List"`) for the module's star imports of standard
    modules. A later star import of a name wins, as at run time, except that a module whose exports are
    only estimated (a computed `__all__`) never overrides one whose `__all__` is literal."""
    exact: dict[str, str] = {}
    estimated: dict[str, str] = {}
    for source in _star_import_modules(module):
        if is_stdlib(source, python_version):
            names, is_exact = star_exports(source)
            target = exact if is_exact else estimated
            target.update((name, f"{source}.{name}") for name in names)
    return {**estimated, **exact}


def _star_import_modules(module: cst.Module) -> list[str]:
    """The absolute modules of `from M import *` statements, in order (only legal at module level)."""
    found: list[str] = []

    class Visitor(cst.CSTVisitor):
        def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
            if isinstance(node.names, cst.ImportStar) and not node.relative and node.module is not None:
                found.append(get_full_name_for_node(node.module) or "")
            return False

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            return False

    module.visit(Visitor())
    return [m for m in found if m]


@lru_cache(maxsize=256)
def star_exports(module: str) -> tuple[frozenset[str], bool]:
    """The names `from <module> import *` binds, for a module of this interpreter's standard library, and
    whether they are exact (a literal `__all__`) rather than estimated."""
    names, exact = _exports(module, frozenset())
    return frozenset(names), exact


def _exports(module: str, visiting: frozenset[str]) -> tuple[set[str], bool]:
    tree = _stdlib_ast(module)
    if tree is None or module in visiting:
        return set(), False
    visiting = visiting | {module}
    declared, exact = _declared_all(tree, module, visiting)
    if declared is not None and exact:
        return declared, True
    # No `__all__`, or one computed (`types`: `[n for n in globals() if n[:1] != '_']`; `os` extends it
    # from `posix`): the public top-level names are what it holds, or the best estimate of it.
    public = {n for n in _top_level_names(tree, module, visiting) if not n.startswith("_")}
    return (declared or set()) | public, False


@lru_cache(maxsize=256)
def _stdlib_ast(module: str) -> ast.Module | None:
    """The parsed source of a pure-Python standard module (`collections.abc`), or None."""
    parts = module.split(".")
    if not all(p.isidentifier() for p in parts):
        return None
    base = Path(sysconfig.get_paths()["stdlib"]).joinpath(*parts)
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            try:
                return ast.parse(path.read_bytes())
            except (SyntaxError, ValueError, OSError):
                return None
    return None


def _module_statements(tree: ast.Module):
    """Module-level statements, looking into if/try/with blocks (both branches: either may run)."""
    stack = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _BLOCKS) or type(node).__name__ == "TryStar":
            inner = [*node.body, *getattr(node, "orelse", ()), *getattr(node, "finalbody", ())]
            for handler in getattr(node, "handlers", ()):
                inner.extend(handler.body)
            stack.extend(reversed(inner))


def _absolute(node: ast.ImportFrom, module: str, tree_is_package: bool) -> str:
    """The absolute module an ImportFrom in `module` names (`from ._x import y` inside a package)."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if tree_is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
    return ".".join([*base, *([node.module] if node.module else [])])


def _is_package(module: str) -> bool:
    base = Path(sysconfig.get_paths()["stdlib"]).joinpath(*module.split("."))
    return (base / "__init__.py").is_file()


def _strings(node: ast.expr) -> list[str] | None:
    """The strings of a list/tuple literal or a sum of them; None for anything computed."""
    if isinstance(node, (ast.List, ast.Tuple)):
        out = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        return out if len(out) == len(node.elts) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _strings(node.left), _strings(node.right)
        return None if left is None or right is None else left + right
    return None


def _all_statement(node: ast.stmt) -> tuple[str, ast.AST] | None:
    """("set", value) for `__all__ = value` (annotated or not); ("add", value) for `__all__ += value`,
    `__all__.extend(value)` and `__all__.append(x)` (value `[x]`); ("import", the statement) for
    `from X import __all__`."""
    def is_all(target: ast.expr) -> bool:
        return isinstance(target, ast.Name) and target.id == "__all__"

    if isinstance(node, ast.Assign) and any(is_all(t) for t in node.targets):
        return "set", node.value
    if isinstance(node, ast.AnnAssign) and is_all(node.target) and node.value is not None:
        return "set", node.value
    if isinstance(node, ast.AugAssign) and is_all(node.target):
        return "add", node.value
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and node.value.args:
        func = node.value.func
        if isinstance(func, ast.Attribute) and func.attr in ("extend", "append") and is_all(func.value):
            arg = node.value.args[0]
            return "add", ast.List(elts=[arg]) if func.attr == "append" else arg
    if isinstance(node, ast.ImportFrom) and any(a.name == "__all__" for a in node.names):
        return "import", node
    return None


def _declared_all(tree: ast.Module, module: str,
                  visiting: frozenset[str]) -> tuple[set[str] | None, bool]:
    """The literal parts of the module's `__all__` (None when it declares none), and whether they are all
    of it (no part computed)."""
    declared: set[str] | None = None
    exact = True
    for node in _module_statements(tree):
        found = _all_statement(node)
        if found is None:
            continue
        kind, value = found
        if kind == "import":
            source = _absolute(value, module, _is_package(module))
            inner = _stdlib_ast(source)
            if inner is None or source in visiting:
                sub, sub_exact = None, False
            else:
                sub, sub_exact = _declared_all(inner, source, visiting | {source})
            declared, exact = set(sub or ()), exact and sub_exact
            continue
        strings = _strings(value)
        exact = exact and strings is not None
        declared = (set() if kind == "set" or declared is None else declared) | set(strings or ())
    return declared, exact


def _top_level_names(tree: ast.Module, module: str, visiting: frozenset[str]) -> set[str]:
    """Every name the module binds at its top level, its own star imports followed."""
    names: set[str] = set()
    package = _is_package(module)
    for node in _module_statements(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                names.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, ast.Import):
            names.update(a.asname or a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if any(a.name == "*" for a in node.names):
                names |= _exports(_absolute(node, module, package), visiting)[0]
            else:
                names.update(a.asname or a.name for a in node.names)
    return names
