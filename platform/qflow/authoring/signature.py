"""`inspect_node`: a node file's signature (SPEC §3) as plain data.

Steps: the syntax is checked by `compile()` of the node's Python version (which also gives the AST used
for locating the main function and every import); the module is then reduced to the statements that can
matter for the signature (imports, classes, assignments, the main function's header and docstring), kept
as whole lines with a map back to the file's line numbers, and that is what libcst parses and resolves
names in. A node of thousands of lines costs little more than its signature.
"""

from __future__ import annotations

import ast
import io
import json
import math
import re
import tokenize

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider, ScopeProvider

from qflow.authoring import dependencies as deps_mod
from qflow.authoring.annotations import (
    TypeResolver, code_of, is_not_literal, literal_value, type_parameters,
)
from qflow.authoring.docstrings import google_arg_descriptions
from qflow.authoring.errors import NodeParseError
from qflow.authoring.pyversions import DEFAULT_PYTHON_VERSION, check_syntax, check_version
from qflow.authoring.star_imports import star_imported_names
from type_system.types import (
    ANY, BOOL, FLOAT, INT, NONE, STR, CustomT, DictT, ListT, TupleT, Type, format_type,
)


def decode_source(data: bytes) -> str:
    """Bytes of a Python file → text, honouring a BOM or coding cookie as Python does."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        raise NodeParseError(f"the file cannot be decoded: {exc}", 1, 1) from None
    return text[1:] if text.startswith("\ufeff") else text


# --- reducing the module -------------------------------------------------------------------------------

def _split_lines(source: str) -> list[str]:
    # The tokenizer's notion of lines: \n, \r\n and \r only (str.splitlines also splits on \f, \x1c...).
    return io.StringIO(source, newline="").readlines()


def _keeps_bindings(node: ast.stmt) -> bool:
    """A compound module-level statement worth keeping: it imports, defines a class or assigns."""
    stack = [node]
    while stack:
        n = stack.pop()
        for field in ("body", "orelse", "finalbody", "handlers"):
            for child in getattr(n, field, None) or ():
                if isinstance(child, (ast.Import, ast.ImportFrom, ast.ClassDef, ast.Assign, ast.AnnAssign)):
                    return True
                if isinstance(child, (ast.If, ast.Try, ast.With, ast.ExceptHandler)) or \
                        type(child).__name__ == "TryStar":
                    stack.append(child)
    return False


def find_main_ast(tree: ast.Module, main: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    found = None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == main:
            found = node
    return found


def _start(node: ast.stmt) -> int:
    """First line of a statement, decorators included."""
    decorators = getattr(node, "decorator_list", None) or ()
    return min([node.lineno] + [d.lineno for d in decorators])


def reduce_module(source: str, tree: ast.Module, main_node: ast.AST) -> tuple[str, list[int]]:
    """The source with only what the signature depends on, and for each of its lines the line of the
    file it comes from (columns are unchanged: kept lines are kept whole).

    Kept: imports, assignments, classes without their methods, compound statements that import or
    assign, and the main function's header and docstring (its body becomes `...`)."""
    lines = _split_lines(source)
    keep = [False] * (len(lines) + 2)
    replace: dict[int, str] = {}

    def keep_range(a: int, b: int) -> None:
        for i in range(a, b + 1):
            keep[i] = True

    def own_line(stmt: ast.stmt) -> str | None:
        """The indentation before `stmt` when it starts its own line, else None."""
        line = _start(stmt)
        text = lines[line - 1]
        if line == stmt.lineno:
            prefix = text.encode("utf-8")[: stmt.col_offset].decode("utf-8", "replace")
        else:  # a decorator line
            prefix = text[: len(text) - len(text.lstrip())]
        return None if prefix.strip() else prefix

    def placeholder(stmt: ast.stmt, indent: str) -> None:
        text = lines[_start(stmt) - 1]
        replace[_start(stmt)] = indent + "..." + ("\r\n" if text.endswith("\r\n") else "\n")
        keep[_start(stmt)] = True

    for node in tree.body:
        if node is main_node or isinstance(node, ast.ClassDef):
            body0 = node.body[0]
            indent = own_line(body0)
            if indent is None:  # the body starts on the header's line: keep it all
                keep_range(_start(node), node.end_lineno)
                continue
            keep_range(_start(node) if isinstance(node, ast.ClassDef) else node.lineno, _start(body0) - 1)
            kept_any = False
            for i, stmt in enumerate(node.body):
                is_doc = (i == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
                          and isinstance(stmt.value.value, str))
                if node is main_node:
                    wanted = is_doc
                else:  # a class keeps all but its methods and bare expressions
                    wanted = is_doc or not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Expr))
                if wanted:
                    keep_range(_start(stmt), stmt.end_lineno)
                    kept_any = True
                if node is main_node:
                    break
            if not kept_any:
                placeholder(body0, indent)
        elif isinstance(node, (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign)):
            keep_range(node.lineno, node.end_lineno)
        elif type(node).__name__ == "TypeAlias":
            keep_range(node.lineno, node.end_lineno)
        elif isinstance(node, (ast.If, ast.Try, ast.With)) or type(node).__name__ == "TryStar":
            if _keeps_bindings(node):
                keep_range(node.lineno, node.end_lineno)
    _keep_whole_statements(tree, keep, set(replace))
    out: list[str] = []
    line_map: list[int] = [0]  # reduced line (1-based) → file line
    for i, line in enumerate(lines, start=1):
        if keep[i]:
            text = replace.get(i, line)
            if not text.endswith(("\n", "\r")):
                text += "\n"
            out.append(text)
            line_map.append(i)
    return "".join(out), line_map


def _simple_statements(tree: ast.Module) -> list[ast.stmt]:
    """Every statement without a body of its own, at any depth."""
    out: list[ast.stmt] = []
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        node = stack.pop()
        blocks = [getattr(node, f, None) or () for f in ("body", "orelse", "finalbody", "handlers", "cases")]
        if not any(blocks):
            out.append(node)
        for block in blocks:
            stack.extend(block)
    return out


def _keep_whole_statements(tree: ast.Module, keep: list[bool], replaced: set[int]) -> None:
    """Keep every multi-line simple statement that is partly kept whole: one sharing a line with a kept
    statement (`print(\n    1); Alias = list[int]`) would otherwise leave a fragment that does not parse.
    Repeated until stable, as a statement kept whole may share its other lines with further ones.
    Placeholder lines (`...` for a dropped body) stand for nothing and keep nothing."""
    spans = [(n.lineno, n.end_lineno) for n in _simple_statements(tree) if n.end_lineno > n.lineno]
    changed = True
    while changed:
        changed = False
        for a, b in spans:
            lines = range(a, b + 1)
            if any(keep[i] and i not in replaced for i in lines) and not all(keep[i] for i in lines):
                for i in lines:
                    keep[i] = True
                changed = True


# --- module-level names ----------------------------------------------------------------------------------

def module_names(module: cst.Module) -> tuple[dict[str, cst.ClassDef], dict[str, cst.CSTNode]]:
    """Module-level classes and simple assignments (`X = ...`, `X: T = ...`, `type X = ...`); last wins."""
    classes: dict[str, cst.ClassDef] = {}
    aliases: dict[str, cst.CSTNode] = {}
    for stmt in module.body:
        if isinstance(stmt, cst.ClassDef):
            classes[stmt.name.value] = stmt
            aliases.pop(stmt.name.value, None)
        elif isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign) and len(small.targets) == 1 \
                        and isinstance(small.targets[0].target, cst.Name):
                    name = small.targets[0].target.value
                    aliases[name] = small.value
                    classes.pop(name, None)
                elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) \
                        and small.value is not None:
                    aliases[small.target.value] = small.value
                    classes.pop(small.target.value, None)
                elif type(small).__name__ == "TypeAlias":
                    aliases[small.name.value] = small.value
                    classes.pop(small.name.value, None)
    return classes, aliases


def find_main_cst(module: cst.Module, main: str) -> cst.FunctionDef | None:
    found = None
    for stmt in module.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == main:
            found = stmt
    return found


# --- inputs and outputs ----------------------------------------------------------------------------------

def _json_default(value: object) -> object:
    """A literal default as JSON (tuples → lists, keys → strings); ValueError if it cannot be JSON."""
    def ok(v: object) -> bool:
        if isinstance(v, float):
            return math.isfinite(v)
        if isinstance(v, (list, tuple)):
            return all(ok(x) for x in v)
        if isinstance(v, dict):
            return all(ok(k) and not isinstance(k, (list, tuple, dict)) and ok(x) for k, x in v.items())
        return v is None or isinstance(v, (bool, int, str))
    if not ok(value):
        raise ValueError("not representable as JSON")
    return json.loads(json.dumps(value))


def _type_of_default(value: object) -> Type:
    if value is None:
        return ANY
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return FLOAT
    if isinstance(value, str):
        return STR
    if isinstance(value, list):
        return ListT(ANY)
    if isinstance(value, tuple):
        return TupleT((ANY,), variadic=True)
    if isinstance(value, dict):
        return DictT(ANY, ANY)
    return ANY


class _Positions:
    """1-based positions in the file of nodes of the (reduced) module, computed on first use."""

    def __init__(self, wrapper: MetadataWrapper, line_map: list[int] | None) -> None:
        self.wrapper = wrapper
        self.line_map = line_map
        self._map = None

    def of(self, node: cst.CSTNode) -> tuple[int, int]:
        if self._map is None:
            self._map = self.wrapper.resolve(PositionProvider)
        start = self._map[node].start
        line = self.line_map[start.line] if self.line_map is not None else start.line
        return line, start.column + 1


def _inputs(fn: cst.FunctionDef, resolver: TypeResolver, pos: _Positions) -> list[dict]:
    p = fn.params
    docs = google_arg_descriptions(fn.get_docstring(clean=True))
    ordered: list[cst.Param] = [*p.posonly_params, *p.params]
    if isinstance(p.star_arg, cst.Param):
        ordered.append(p.star_arg)
    ordered.extend(p.kwonly_params)
    if p.star_kwarg is not None:
        ordered.append(p.star_kwarg)

    inputs = []
    for param in ordered:
        name = param.name.value
        if param.star in ("*", "**"):
            line, col = pos.of(param)
            raise NodeParseError(
                f"parameter {param.star}{name} of {fn.name.value}(): variadic parameters are not allowed",
                line, col)
        has_default = param.default is not None
        default = None
        if has_default:
            value = literal_value(param.default)
            try:
                if is_not_literal(value) or isinstance(value, bytes):
                    raise ValueError
                default = _json_default(value)
            except ValueError:
                line, col = pos.of(param.default)
                raise NodeParseError(
                    f"the default of parameter {name!r} must be a literal, not {code_of(param.default)}",
                    line, col) from None
        description = None
        if param.annotation is not None:
            inner, description, _ = resolver.unwrap(param.annotation.annotation)
            t = resolver.resolve(inner)
        else:
            t = _type_of_default(value) if has_default else ANY
        if description is None:
            description = docs.get(name)
        entry: dict = {"name": name, "type": format_type(t), "required": not has_default}
        if has_default:
            entry["default"] = default
        entry["description"] = description
        inputs.append(entry)
    return inputs


def _outputs(fn: cst.FunctionDef, resolver: TypeResolver) -> tuple[list[dict], bool]:
    if fn.returns is None:
        return [{"name": "result", "type": "Any"}], False
    inner, _, _ = resolver.unwrap(fn.returns.annotation)
    t = resolver.resolve(inner)
    if t == NONE:
        return [], False
    if isinstance(t, CustomT) and t.name in resolver.class_info:
        fields = resolver.fields_of(t.name)
        # A functional TypedDict's keys may be any strings; outputs are named by identifiers.
        if all(f.name.isidentifier() for f in fields):
            return [{"name": f.name, "type": format_type(f.type)} for f in fields], True
    return [{"name": "result", "type": format_type(t)}], False


# --- the entry point -------------------------------------------------------------------------------------

def inspect_node(source: str | bytes, main: str = "main", python_version: str = DEFAULT_PYTHON_VERSION) -> dict:
    """The signature of a node (SPEC §3) plus `returns_fields` (true when the outputs are the fields of a
    returned TypedDict/NamedTuple/dataclass). Raises NodeParseError with a 1-based line and column."""
    try:
        return _inspect(source, main, python_version)
    except RecursionError:
        raise NodeParseError("the node is nested too deeply to be read", 1, 1) from None


def _parse_cst(source: str, reduced: str,
               line_map: list[int] | None) -> tuple[cst.Module, list[int] | None]:
    """libcst's module of the reduced source with its line map, or of the whole file (no map) when the
    reduction left something libcst cannot read: a safety net, as the reduction keeps whole statements.
    An error is reported from the whole file, whose positions need no mapping."""
    if line_map is not None:
        try:
            return cst.parse_module(reduced), line_map
        except cst.ParserSyntaxError:
            pass
    try:
        return cst.parse_module(source), None
    except cst.ParserSyntaxError as exc:
        raise _libcst_error(exc) from None


def _libcst_error(exc: cst.ParserSyntaxError) -> NodeParseError:
    """Code CPython compiles but libcst cannot parse (rare: e.g. `(x): int = 1`). libcst's `raw_line`
    can be the line after; its message names the line."""
    text = str(exc.message)
    m = re.search(r"error at (\d+):(\d+): ", text)
    line = int(m.group(1)) if m else exc.raw_line
    if m:
        text = text[: m.start()] + text[m.end():]
    return NodeParseError(f"libcst cannot parse the node: {text}", line, exc.raw_column + 1)


def _inspect(source: str | bytes, main: str, python_version: str) -> dict:
    if isinstance(source, bytes):
        source = decode_source(source)
    check_version(python_version)
    warnings: list[str] = []

    tree, syntax_warnings = check_syntax(source, python_version)
    warnings.extend(syntax_warnings)

    block = deps_mod.read_script_block(source)
    if block is not None:
        deps_mod.check_requires_python(block, python_version)

    missing = NodeParseError(f"no module-level function {main!r} in the node", 1, 1)
    if tree is not None:
        main_node = find_main_ast(tree, main)
        if main_node is None:
            raise missing
        reduced, line_map = reduce_module(source, tree, main_node)
        imports = deps_mod.imports_from_ast(tree)
    else:
        reduced, line_map, imports = source, None, None

    module, line_map = _parse_cst(source, reduced, line_map)
    fn = find_main_cst(module, main)
    if fn is None:
        raise missing
    if imports is None:
        imports = deps_mod.imports_from_cst(module)

    if block is not None and "dependencies" in block.data:
        dependencies = list(block.data["dependencies"])
        warnings.extend(deps_mod.requirement_warnings(dependencies))
    else:
        dependencies = deps_mod.dependencies_from_imports(imports, python_version, warnings)

    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    scope = wrapper.resolve(ScopeProvider)[fn]
    classes, aliases = module_names(module)
    resolver = TypeResolver(scope, classes, aliases, warnings, star_imported_names(module, python_version))
    positions = _Positions(wrapper, line_map)

    with resolver.type_params(type_parameters(fn)):
        inputs = _inputs(fn, resolver, positions)
        outputs, returns_fields = _outputs(fn, resolver)
    return {
        "main_function": main,
        "is_async": fn.asynchronous is not None,
        "inputs": inputs,
        "outputs": outputs,
        "dependencies": dependencies,
        "custom_types": resolver.custom_types,
        "warnings": warnings,
        "returns_fields": returns_fields,
    }
