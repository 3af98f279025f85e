"""A node's dependencies (SPEC §3): its non-standard-library imports mapped to distributions, or the
entries of a PEP 723 `# /// script` block."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Iterator

from qflow.authoring.errors import NodeParseError
from qflow.authoring.import_map import distribution_for
from qflow.authoring.pyversions import RUNNING_VERSION, check_version

# stdlib-list includes names that are not in `sys.stdlib_module_names` (the SPEC's definition).
_NOT_STDLIB = frozenset({"__main__", "xxsubtype"})

# Python 3.9 has no `sys.stdlib_module_names` (new in 3.10), and stdlib-list's 3.9 list, read from the
# documentation, lacks the C accelerators and other undocumented modules while holding names that are no
# module (`lib`) or that 3.10's list leaves out (`test`, `__phello__`, conda's `_sysconfigdata_*`). The
# corrections: 3.10's `sys.stdlib_module_names` minus stdlib-list 3.9, each checked to exist in 3.9
# (CPython 3.9.18 on Linux; the Windows and macOS ones from 3.9's sources). Not added, as they are newer:
# `_tokenize`, `_typing`, `tomllib`.
_PY39_MISSING = frozenset({
    "_asyncio", "_bisect", "_blake2", "_bz2", "_codecs_cn", "_codecs_hk", "_codecs_iso2022", "_codecs_jp",
    "_codecs_kr", "_codecs_tw", "_contextvars", "_csv", "_ctypes", "_curses", "_curses_panel", "_datetime",
    "_dbm", "_decimal", "_elementtree", "_frozen_importlib", "_frozen_importlib_external", "_gdbm", "_heapq",
    "_json", "_lzma", "_md5", "_msi", "_multibytecodec", "_multiprocessing", "_opcode", "_overlapped",
    "_pickle", "_posixshmem", "_queue", "_scproxy", "_sha1", "_sha256", "_sha3", "_sha512", "_sqlite3",
    "_statistics", "_struct", "_tkinter", "_winapi", "_zoneinfo", "nt", "pyexpat",
})
_PY39_NOT_STDLIB = frozenset({"lib", "test", "__phello__"})


def _listed(version: str) -> frozenset[str]:
    """stdlib-list's top-level names for `version`, corrected to `sys.stdlib_module_names`' meaning."""
    from stdlib_list import stdlib_list

    names = {m.split(".", 1)[0] for m in stdlib_list(version)} - _NOT_STDLIB
    if version == "3.9":
        names = (names | _PY39_MISSING) - _PY39_NOT_STDLIB
        names = {n for n in names if not n.startswith("_sysconfigdata_")}  # a per-build file name
    return frozenset(names)


@lru_cache(maxsize=None)
def stdlib_modules(version: str) -> frozenset[str]:
    """Top-level module names of `version`'s standard library (`sys.stdlib_module_names`)."""
    check_version(version)
    if version == RUNNING_VERSION:
        return frozenset(sys.stdlib_module_names)
    return _listed(version)


def is_stdlib(module: str, version: str) -> bool:
    return module.split(".", 1)[0] in stdlib_modules(version)


# --- imports -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportRecord:
    """`import a.b` → module "a.b", names (); `from a.b import c, d` → module "a.b", names ("c", "d")."""

    module: str
    names: tuple[str, ...] = ()
    level: int = 0  # relative import dots

    def dotted_names(self) -> Iterator[str]:
        """The dotted names this import may come from, for the longest-prefix mapping."""
        if not self.names or "*" in self.names:
            yield self.module
        for n in self.names:
            if n != "*":
                yield f"{self.module}.{n}"


_BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


def imports_from_ast(tree: ast.Module) -> list[ImportRecord]:
    """Every import statement anywhere in the module (functions, classes, try/if blocks...)."""
    out: list[ImportRecord] = []
    stack: list[list] = [tree.body]
    while stack:
        for node in stack.pop():
            if isinstance(node, ast.Import):
                out.extend(ImportRecord(a.name) for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                out.append(ImportRecord(node.module or "", tuple(a.name for a in node.names), node.level or 0))
            else:
                for field in _BLOCK_FIELDS:
                    block = getattr(node, field, None)
                    if block:
                        stack.append(block)
    return out


def imports_from_cst(module) -> list[ImportRecord]:
    """The same from a libcst module (used when this interpreter cannot parse the node's syntax)."""
    import libcst as cst
    from libcst.helpers import get_full_name_for_node

    out: list[ImportRecord] = []

    class V(cst.CSTVisitor):
        def visit_Import(self, node: cst.Import) -> bool:
            for a in node.names:
                out.append(ImportRecord(get_full_name_for_node(a.name) or ""))
            return False

        def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
            mod = get_full_name_for_node(node.module) if node.module is not None else ""
            if isinstance(node.names, cst.ImportStar):
                names: tuple[str, ...] = ("*",)
            else:
                names = tuple(get_full_name_for_node(a.name) or "" for a in node.names)
            out.append(ImportRecord(mod or "", names, len(node.relative)))
            return False

    module.visit(V())
    return out


def dependencies_from_imports(records: Iterable[ImportRecord], version: str,
                              warnings: list[str] | None = None) -> list[str]:
    """Distributions for the non-stdlib, non-relative, non-`__future__` imports: unique, sorted
    case-insensitively. An import of a namespace package no known distribution provides (`import google`)
    maps to its top-level name, as SPEC §3 says of any import the mapping does not know — with a message
    in `warnings`, since that distribution is most likely not the one meant."""
    stdlib = stdlib_modules(version)
    found: set[str] = set()
    for rec in records:
        if rec.level or not rec.module or rec.module == "__future__":
            continue
        if rec.module.split(".", 1)[0] in stdlib:
            continue
        for dotted in rec.dotted_names():
            dist = distribution_for(dotted)
            if dist is None:
                dist = dotted.split(".", 1)[0]
                if warnings is not None:
                    _warn_once(warnings, _namespace_warning(dotted))
            found.add(dist)
    return sorted(found, key=lambda d: (d.lower(), d))


def _namespace_warning(dotted: str) -> str:
    top = dotted.split(".", 1)[0]
    return (f"import {dotted!r}: {top!r} is a namespace package that many distributions share and none "
            f"known provides {dotted!r}, so the dependency is the distribution named {top!r} — most likely "
            "not the one meant; name it in a PEP 723 '# /// script' block")


def _warn_once(warnings: list[str], message: str) -> None:
    if message not in warnings:
        warnings.append(message)


# --- PEP 723 -------------------------------------------------------------------------------------------

_PEP723 = re.compile(r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$")


@dataclass(frozen=True)
class ScriptBlock:
    line: int  # 1-based line of `# /// script`
    data: dict


def read_script_block(source: str) -> ScriptBlock | None:
    """The PEP 723 `script` block, parsed with tomllib; errors point at the block's first line."""
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    blocks = [m for m in _PEP723.finditer(text) if m.group("type") == "script"]
    if not blocks:
        return None
    first_line = text.count("\n", 0, blocks[0].start()) + 1
    if len(blocks) > 1:
        line = text.count("\n", 0, blocks[1].start()) + 1
        raise NodeParseError("more than one PEP 723 '# /// script' block", line, 1)
    content = "".join(
        ln[2:] if ln.startswith("# ") else ln[1:]
        for ln in blocks[0].group("content").splitlines(keepends=True)
    )
    try:
        data = tomllib.loads(content)
    except tomllib.TOMLDecodeError as exc:
        raise NodeParseError(f"invalid PEP 723 script block: {exc}", first_line, 1) from None
    deps = data.get("dependencies")
    if deps is not None and not (isinstance(deps, list) and all(isinstance(d, str) for d in deps)):
        raise NodeParseError("PEP 723 'dependencies' must be a list of strings", first_line, 1)
    rp = data.get("requires-python")
    if rp is not None and not isinstance(rp, str):
        raise NodeParseError("PEP 723 'requires-python' must be a string", first_line, 1)
    return ScriptBlock(first_line, data)


def check_requires_python(block: ScriptBlock, version: str) -> None:
    """Raise at the block's first line when its `requires-python` admits no `version`.x release."""
    spec_text = block.data.get("requires-python")
    if spec_text is None:
        return
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        spec = SpecifierSet(spec_text)
    except InvalidSpecifier:
        raise NodeParseError(f"invalid PEP 723 requires-python {spec_text!r}", block.line, 1) from None
    if not any(spec.contains(f"{version}.{micro}", prereleases=True) for micro in range(0, 100)):
        raise NodeParseError(
            f"the node's requires-python {spec_text!r} excludes Python {version}", block.line, 1
        )


def requirement_warnings(entries: list[str]) -> list[str]:
    from packaging.requirements import InvalidRequirement, Requirement

    out = []
    for e in entries:
        try:
            Requirement(e)
        except InvalidRequirement as exc:
            out.append(f"PEP 723 dependency {e!r} is not a valid requirement: {exc}")
    return out
