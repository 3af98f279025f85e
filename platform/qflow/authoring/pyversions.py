"""Python versions a node may target, and checking a node's syntax with that version's `compile()`.

The in-process interpreter checks its own version. Another version is checked by `pythonX.Y` (named by
`QFLOW_PYTHON_X_Y`, else found on PATH, else a pyenv installation of that version), compiling the source in a subprocess; when no such interpreter
works, the in-process parser is used as an approximation and a warning says so.
"""

from __future__ import annotations

import ast
import glob
import json
import os
import shutil
import subprocess
import sys
import warnings as _warnings
from functools import lru_cache

from qflow.authoring.errors import NodeParseError

SUPPORTED_PYTHON_VERSIONS = ("3.9", "3.11", "3.13")
DEFAULT_PYTHON_VERSION = "3.11"
RUNNING_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"

_CHECK_SCRIPT = r"""
import json, sys, warnings
warnings.simplefilter("ignore")
src = sys.stdin.buffer.read().decode("utf-8")
try:
    compile(src, "<node>", "exec", dont_inherit=True)
except SyntaxError as e:
    out = {"ok": False, "type": type(e).__name__, "msg": e.msg, "lineno": e.lineno, "offset": e.offset}
except (ValueError, TypeError) as e:
    out = {"ok": False, "type": type(e).__name__, "msg": str(e), "lineno": None, "offset": None}
else:
    out = {"ok": True}
sys.stdout.write(json.dumps(out))
"""


def version_tuple(version: str) -> tuple[int, int]:
    major, minor = version.split(".")
    return int(major), int(minor)


def check_version(version: str) -> str:
    if version not in SUPPORTED_PYTHON_VERSIONS:
        raise NodeParseError(
            f"unsupported Python version {version!r} (supported: {', '.join(SUPPORTED_PYTHON_VERSIONS)})", 1, 1
        )
    return version


def _null_byte_error(source: str) -> NodeParseError:
    idx = source.find("\0")
    if idx < 0:
        return NodeParseError("SyntaxError: source code cannot contain null bytes", 1, 1)
    line = source.count("\n", 0, idx) + 1
    col = idx - (source.rfind("\n", 0, idx) + 1) + 1
    return NodeParseError("SyntaxError: source code cannot contain null bytes", line, col)


def _syntax_error(exc: SyntaxError) -> NodeParseError:
    return NodeParseError(f"{type(exc).__name__}: {exc.msg}", exc.lineno or 1, exc.offset or 1)


def compile_in_process(source: str) -> ast.Module:
    """Parse and compile with this interpreter (parser, symbol table and compiler errors alike);
    return the AST. Raises NodeParseError at CPython's position."""
    if "\0" in source:  # CPython's answer (and its position) differs between 3.11 patch releases
        raise _null_byte_error(source)
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")
            tree = compile(source, "<node>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
            compile(tree, "<node>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise _syntax_error(exc) from None
    except ValueError as exc:  # 3.11: "source code string cannot contain null bytes"
        if "\0" in source:
            raise _null_byte_error(source) from None
        raise NodeParseError(f"SyntaxError: {exc}", 1, 1) from None
    return tree


def _try_ast(source: str) -> ast.Module | None:
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")
            return compile(source, "<node>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError):
        return None


@lru_cache(maxsize=None)
def find_interpreter(version: str) -> str | None:
    """A working `pythonX.Y` for `version`: `$QFLOW_PYTHON_X_Y`, else `pythonX.Y` on PATH, else a pyenv
    installation of that version. A candidate counts only if it runs and reports that version (a pyenv
    shim on PATH for a version that is not selected exists but fails)."""
    candidates = [os.environ.get("QFLOW_PYTHON_" + version.replace(".", "_")), shutil.which(f"python{version}")]
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    installed = glob.glob(os.path.join(pyenv_root, "versions", f"{version}.*", "bin", f"python{version}"))

    def micro(path: str) -> tuple[int, str]:
        tail = path.split(os.sep)[-3].split(".", 2)[-1]
        return (int(tail) if tail.isdigit() else -1, tail)

    candidates.extend(sorted(installed, key=micro, reverse=True))
    for cand in candidates:
        if not cand:
            continue
        try:
            proc = subprocess.run(
                [cand, "-I", "-S", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True, text=True, timeout=30,
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if proc.returncode == 0 and proc.stdout.strip() == version:
            return cand
    return None


def _compile_with(interpreter: str, source: str) -> dict | None:
    try:
        proc = subprocess.run(
            [interpreter, "-I", "-S", "-W", "ignore", "-c", _CHECK_SCRIPT],
            input=source.encode("utf-8", "surrogatepass"), capture_output=True, timeout=60,
        )
        if proc.returncode != 0:
            return None
        return json.loads(proc.stdout.decode("utf-8"))
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def check_syntax(source: str, version: str) -> tuple[ast.Module | None, list[str]]:
    """Check `source` with `version`'s syntax. Returns this interpreter's AST when it can read the
    source (None otherwise) and warnings. Raises NodeParseError for a syntax error."""
    check_version(version)
    if version == RUNNING_VERSION:
        return compile_in_process(source), []

    interpreter = find_interpreter(version)
    if interpreter is not None:
        result = _compile_with(interpreter, source)
        if result is not None:
            if not result.get("ok"):
                if result.get("type") == "ValueError" and "\0" in source:
                    raise _null_byte_error(source)
                raise NodeParseError(
                    f"{result.get('type', 'SyntaxError')}: {result.get('msg')}",
                    result.get("lineno") or 1, result.get("offset") or 1,
                )
            return _try_ast(source), []

    warnings = [
        f"python{version} was not found: the syntax was checked with Python {RUNNING_VERSION}"
        + (f" restricted to {version} features" if version_tuple(version) < version_tuple(RUNNING_VERSION)
           else f"; syntax newer than {RUNNING_VERSION} is accepted as libcst reads it")
    ]
    if version_tuple(version) < version_tuple(RUNNING_VERSION):
        tree = compile_in_process(source)
        try:
            with _warnings.catch_warnings():
                _warnings.simplefilter("ignore")
                ast.parse(source, "<node>", feature_version=version_tuple(version))
        except SyntaxError as exc:
            raise _syntax_error(exc) from None
        return tree, warnings

    try:
        return compile_in_process(source), warnings
    except NodeParseError as err:
        # Maybe newer syntax (PEP 695, PEP 701...): accept what libcst can read, else report CPython's error.
        import libcst as cst

        try:
            cst.parse_module(source)
        except Exception:
            raise err from None
        return None, warnings
