"""Dependency layers: a node's third-party requirements as a cached image on top of its runner image.

    image = ensure_dependency_image("3.11", ["PyYAML"])      # → "qflow-deps:3.11-<hash>"

Containers have no network, so everything that touches PyPI happens on the host, with the venv's pip:

1. **Target.** What the runner image's interpreter is — its exact version, glibc and machine — is asked of
   the image itself once (a throwaway container, no network) and kept per image id. Its glibc gives the
   wheel platform tags (`manylinux_2_<N>_<arch>` down to 2.5 with the legacy aliases, `linux_<arch>`,
   `any`): bullseye has glibc 2.31, bookworm 2.36, trixie 2.41.
2. **Resolve + download.** `pip download --only-binary=:all: --python-version X.Y --implementation cp
   --platform …` into a fresh directory; what lands there is exactly the resolved set (transitive
   dependencies included), which moves into the wheel cache `.qflow/wheels/<X.Y>/`. pip evaluates
   environment markers against the interpreter it runs on, not `--python-version` (pypa/pip #10050,
   #11010, #11198), which would drop e.g. anyio's `exceptiongroup; python_version < "3.11"` for 3.9:
   so pip runs with its marker environment replaced by the target's. No source distribution is ever
   built (no code of a package runs on the host). The pinned set is written to a small resolution cache
   keyed by (X.Y, platform tags, sorted requirement strings), so a second call asks PyPI nothing.
3. **Install.** `pip install --no-deps --no-index --target <dir> --python-version X.Y --only-binary=:all:
   --platform … <the cached wheel files>`; a distribution whose top-level name would shadow a
   standard-library module of X.Y is refused (the directory comes first on PYTHONPATH).
4. **Layer.** `FROM qflow-runner:X.Y`, the directory copied to `/opt/qflow/site` (already on PYTHONPATH)
   and byte-compiled by the target interpreter, built with no network, tagged
   `qflow-deps:<X.Y>-<hash of the sorted pinned set>` and labelled `org.qflow.build-hash` (pinned wheels +
   the runner image's own hash), so it is rebuilt only when the runner image or the set changes.

A failed resolution raises `DependencyError` naming the package pip could not find. `record` receives
one dict per package (the `container_dependencies` columns); `record_dependencies` writes them.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path

import docker
import docker.errors
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from qflow.paths import STATE_DIR
from qflow.sandbox.images import HASH_LABEL, ImageBuildError, ensure_runner_image

DEPS_REPO = "qflow-deps"
INSTALL_SECONDS_LABEL = "org.qflow.install-seconds"
PINNED_LABEL = "org.qflow.pinned"
WHEELS_DIR = STATE_DIR / "wheels"
PIP_TIMEOUT = 900
# Bump when the layout of the caches or of the layer changes.
LAYOUT = "1"
# The build step byte-compiles third-party files (compiling runs none of them); limits all the same.
BUILD_LIMITS = {"memory": 1 << 30, "memswap": 1 << 30}

DOCKERFILE = """\
ARG BASE
FROM ${BASE}
USER 0:0
COPY site/ /opt/qflow/site/
# Byte-compiled by the target interpreter: containers run read-only with PYTHONDONTWRITEBYTECODE.
# A file only another Python version can compile is left as source (compileall exits non-zero).
# -I -S: the image's PYTHONPATH holds the packages, and a sitecustomize among them would run here.
RUN python3 -I -S -m compileall -q -j 0 /opt/qflow/site >/dev/null 2>&1; chmod -R a+rX,go-w /opt/qflow/site
USER 65534:65534
"""

# What the runner image's interpreter is: PEP 508's marker environment, plus its C library.
_PROBE = r"""
import json, os, platform, sys
def fmt(info):
    v = "%d.%d.%d" % (info.major, info.minor, info.micro)
    if info.releaselevel != "final":
        v += info.releaselevel[0] + str(info.serial)
    return v
print(json.dumps({
    "implementation_name": sys.implementation.name,
    "implementation_version": fmt(sys.implementation.version),
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "platform_python_implementation": platform.python_implementation(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
    "glibc": os.confstr("CS_GNU_LIBC_VERSION") or "",
}))
"""

# Runs the venv's pip with the target interpreter's marker environment (see the module docstring).
_PIP_WITH_TARGET_MARKERS = r"""
import json, sys
target = json.loads(sys.argv.pop(1))
from pip._vendor.packaging import markers
env = markers.default_environment()
env.update(target)
markers.default_environment = lambda: dict(env)
probe = 'python_full_version == "%s"' % env["python_full_version"]
if not markers.Marker(probe).evaluate():  # a pip whose markers no longer read this function
    sys.exit("qflow: cannot give this pip the target's marker environment")
from pip._internal.cli.main import main
sys.exit(main())
"""

MARKER_KEYS = ("implementation_name", "implementation_version", "os_name", "platform_machine",
               "platform_release", "platform_system", "platform_version", "python_full_version",
               "platform_python_implementation", "python_version", "sys_platform")


class DependencyError(ImageBuildError):
    """A node's requirements cannot be installed. `package` names the one that failed (None when pip's
    output names none), `requirement` the requirement as given or as pip reported it."""

    def __init__(self, message: str, package: str | None = None, requirement: str | None = None,
                 python_version: str | None = None, detail: str = ""):
        super().__init__(message)
        self.package = package
        self.requirement = requirement
        self.python_version = python_version
        self.detail = detail


Record = Callable[[list[dict]], None]


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def dependency_image(python_version: str, pinned: Iterable[str]) -> str:
    """The tag of the layer for a pinned set (`name==version` strings)."""
    return f"{DEPS_REPO}:{python_version}-{_digest(LAYOUT, python_version, *sorted(pinned))}"


# ------------------------------------------------------------------------------------------ requirements


def normalize_requirements(requirements: Iterable[str], python_version: str | None = None) -> list[str]:
    """Each requirement parsed (PEP 508) and written canonically, deduplicated, sorted. Direct URL
    references are refused: wheels come from the package index only."""
    out: set[str] = set()
    for raw in requirements:
        text = (raw or "").strip()
        if not text:
            continue
        try:
            req = Requirement(text)
        except InvalidRequirement as e:
            name = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", text)
            raise DependencyError(f"invalid requirement {text!r}: {e}", package=name.group(0) if name else text,
                                  requirement=text, python_version=python_version) from None
        if req.url:
            raise DependencyError(f"{req.name}: direct URL requirements are not supported ({text!r}); "
                                  f"name a version from the package index instead",
                                  package=req.name, requirement=text, python_version=python_version)
        out.add(str(req))
    return sorted(out)


def _manylinux_minimum(machine: str) -> int:
    return 5 if machine in ("x86_64", "i686") else 17


def platform_tags(glibc: str, machine: str) -> list[str]:
    """Wheel platform tags an interpreter on `glibc` (e.g. "glibc 2.36" or "2.36") and `machine` runs,
    most specific first, as pip's `--platform` takes them (it does not expand manylinux_2_N itself)."""
    m = re.search(r"(\d+)\.(\d+)", glibc)
    if not m or m.group(1) != "2":
        raise ImageBuildError(f"cannot tell the C library version from {glibc!r}")
    minor = int(m.group(2))
    legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
    tags: list[str] = []
    for n in range(minor, _manylinux_minimum(machine) - 1, -1):
        tags.append(f"manylinux_2_{n}_{machine}")
        if n in legacy:
            tags.append(f"{legacy[n]}_{machine}")
    return tags + [f"linux_{machine}", "any"]


# ------------------------------------------------------------------------------------------------ caches


def _version_dir(python_version: str) -> Path:
    d = WHEELS_DIR / python_version
    d.mkdir(parents=True, exist_ok=True)
    return d


@contextmanager
def _locked(python_version: str):
    """One resolution/build per Python version at a time across processes (they share the wheel cache)."""
    with open(_version_dir(python_version) / ".lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # A temporary file of its own: threads of one process (the in-process pool) may write the same path.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)


def _read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def target_environment(client: docker.DockerClient, image: str, python_version: str) -> dict:
    """The runner image's marker environment and glibc, asked of the image once per image id."""
    image_id = client.images.get(image).id
    cache = _version_dir(python_version) / "targets" / f"{image_id.split(':')[-1][:24]}.json"
    env = _read_json(cache)
    if env:
        return env
    out = client.containers.run(image, ["python3", "-I", "-c", _PROBE], remove=True, network_mode="none",
                                user="65534:65534", read_only=True, cap_drop=["ALL"],
                                security_opt=["no-new-privileges"], environment={}, stdout=True, stderr=False)
    env = json.loads(out.decode())
    if env.get("python_version") != python_version:
        raise ImageBuildError(f"{image} runs Python {env.get('python_full_version')}, not {python_version}")
    _write_json(cache, env)
    return env


# ------------------------------------------------------------------------------------------------- pip


def _pip(target_markers: dict, args: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1", "PIP_PROGRESS_BAR": "off"}
    markers = {k: target_markers[k] for k in MARKER_KEYS if k in target_markers}
    return subprocess.run([sys.executable, "-c", _PIP_WITH_TARGET_MARKERS, json.dumps(markers), *args],
                          capture_output=True, text=True, env=env, timeout=PIP_TIMEOUT)


def _target_args(python_version: str, tags: list[str]) -> list[str]:
    args = ["--only-binary=:all:", "--python-version", python_version, "--implementation", "cp"]
    for tag in tags:
        args += ["--platform", tag]
    return args


def _name_of(requirement_text: str) -> str:
    try:
        return Requirement(requirement_text).name
    except InvalidRequirement:
        m = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement_text)
        return m.group(0) if m else requirement_text


def explain_pip_failure(output: str, requested: list[str], python_version: str, where: str) -> DependencyError:
    """A DependencyError naming the package pip could not provide, from pip's own messages."""
    lines = [ln.strip() for ln in output.splitlines()]
    errors = [ln[len("ERROR: "):] for ln in lines if ln.startswith("ERROR: ")]
    detail = "\n".join(lines[-40:])

    for ln in lines:  # resolvelib: "... the requirement REQ (from PARENT) (from versions: a, b)"
        m = re.search(r"Could not find a version that satisfies the requirement (.+?)"
                      r"(?: \(from ([^()]+)\))? \(from versions: ([^)]*)\)", ln)
        if m:
            req, parent, versions = m.group(1), m.group(2), m.group(3).strip()
            name = _name_of(req)
            listed = [v.strip() for v in versions.split(",")]
            if len(listed) > 8:
                versions = f"{len(listed)} versions, the newest {', '.join(listed[-8:])}"
            why = (f"no wheel of {req} fits Python {python_version} on {where}"
                   + (f"; versions on the index: {versions}" if versions and versions != "none"
                      else "; the index has no such package (or no wheels of it)")
                   + " — source-only releases are not installed")
            lead = f"{parent} requires {req}: " if parent else ""
            return DependencyError(f"cannot install {name} for Python {python_version}: {lead}{why}",
                                   package=name, requirement=req, python_version=python_version, detail=detail)
    for ln in lines:
        m = re.search(r"No matching distribution found for (\S+)", ln)
        if m:
            name = _name_of(m.group(1))
            return DependencyError(f"cannot install {name} for Python {python_version}: no matching wheel "
                                   f"for {m.group(1)} on {where}", package=name, requirement=m.group(1),
                                   python_version=python_version, detail=detail)
    for ln in lines:
        m = re.search(r"Package '([^']+)' requires a different Python: (\S+) not in '([^']*)'", ln)
        if m:
            return DependencyError(f"cannot install {m.group(1)} for Python {python_version}: it requires "
                                   f"Python {m.group(3)}", package=canonicalize_name(m.group(1)),
                                   requirement=m.group(1), python_version=python_version, detail=detail)
    for ln in lines:
        m = re.search(r"Cannot install (.+?) because these package versions have conflicting dependencies", ln)
        if m:
            reqs = re.split(r", | and ", m.group(1))
            names = [_name_of(r) for r in reqs if r]
            causes = []
            if "The conflict is caused by:" in lines:
                for c in lines[lines.index("The conflict is caused by:") + 1:]:
                    if not c or c.startswith("To fix"):
                        break
                    causes.append(c)
            return DependencyError(
                f"cannot install {', '.join(names)} together for Python {python_version}: conflicting "
                f"dependencies" + (f" ({'; '.join(causes)})" if causes else ""),
                package=names[0] if names else None, requirement=m.group(1), python_version=python_version,
                detail=detail)
    # Nothing pip said names a package: name what was asked for, with pip's last error.
    names = ", ".join(_name_of(r) for r in requested)
    last = errors[-1] if errors else (lines[-1] if lines else "pip failed")
    return DependencyError(f"cannot install {names} for Python {python_version}: {last}",
                           package=_name_of(requested[0]) if len(requested) == 1 else None,
                           requirement=" ".join(requested), python_version=python_version, detail=detail)


# ------------------------------------------------------------------------------------------- resolution


def _resolution_path(python_version: str, tags: list[str], requirements: list[str]) -> Path:
    key = _digest(LAYOUT, python_version, *tags, "--", *requirements)
    return _version_dir(python_version) / "resolved" / f"{key}.json"


def _cached_resolution(path: Path, cache_dir: Path) -> dict | None:
    data = _read_json(path)
    if not data or not all((cache_dir / w).is_file() for w in data.get("wheels", [])):
        return None
    return data


def resolve(python_version: str, requirements: list[str], env: dict, log=print) -> dict:
    """Resolve and download on the host: {"requirements", "pinned": [name==version], "wheels": [file]}.
    Served from the resolution cache when the same requirements were resolved before."""
    tags = platform_tags(env["glibc"], env["platform_machine"])
    cache_dir = _version_dir(python_version)
    path = _resolution_path(python_version, tags, requirements)
    cached = _cached_resolution(path, cache_dir)
    if cached:
        return cached
    where = f"{env['glibc']} {env['platform_machine']}"
    log(f"resolving {' '.join(requirements)} for Python {python_version} ({where}) with pip")
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".download-") as fresh:
        # A fresh directory: what pip saves there is exactly the resolved set.
        proc = _pip(env, ["download", "--dest", fresh, *_target_args(python_version, tags), "--", *requirements])
        if proc.returncode != 0:
            raise explain_pip_failure(proc.stdout + "\n" + proc.stderr, requirements, python_version, where)
        wheels: list[str] = []
        pinned: list[str] = []
        for f in sorted(os.listdir(fresh)):
            try:
                name, version, _, _ = parse_wheel_filename(f)
            except InvalidWheelFilename:
                raise DependencyError(f"pip saved {f}, which is not a wheel", python_version=python_version,
                                      detail=proc.stdout[-4000:]) from None
            os.replace(Path(fresh, f), cache_dir / f)
            wheels.append(f)
            pinned.append(f"{name}=={version}")
    data = {"requirements": requirements, "python_version": python_version, "platform_tags": tags,
            "pinned": sorted(pinned), "wheels": sorted(wheels), "resolved_at": time.time()}
    _write_json(path, data)
    return data


# -------------------------------------------------------------------------------------------- the layer


def _top_level_owners(site: Path) -> dict[str, str]:
    """Top-level importable name → the distribution that installed it (from each RECORD)."""
    owners: dict[str, str] = {}
    for info in site.glob("*.dist-info"):
        dist = canonicalize_name(info.name[: -len(".dist-info")].rsplit("-", 1)[0])
        try:
            lines = (info / "RECORD").read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            first = line.split(",", 1)[0].split("/", 1)
            top = first[0]
            if top.endswith((".dist-info", ".data")) or top in ("..", "__pycache__", "bin"):
                continue
            if len(first) == 1:  # a file at top level: module.py, _ext.cpython-39-….so, x.pth
                if not top.endswith((".py", ".so", ".pyd")):
                    continue
                top = top.split(".", 1)[0]
            owners.setdefault(top, dist)
    return owners


# Imported by the interpreter itself at start-up when found on sys.path (the runner starts with -I -S,
# so it would not; refused all the same).
STARTUP_HOOKS = frozenset({"sitecustomize", "usercustomize"})
IMPORTABLE_SUFFIXES = (".py", ".pyc", ".pyo", ".so", ".pyd")


def _top_level_names(site: Path) -> dict[str, str]:
    """Importable top-level name → the file or folder that provides it, from what is actually in the
    folder: a wheel's RECORD may put files there through its .data scheme (`../../typing.py`)."""
    names: dict[str, str] = {}
    for entry in sorted(site.iterdir()):
        n = entry.name
        if n.endswith((".dist-info", ".egg-info")) or n in ("__pycache__", "bin"):
            continue
        if entry.is_dir():
            names.setdefault(n, n)
        elif n.endswith(IMPORTABLE_SUFFIXES):  # x.py, x.pyc, _x.cpython-39-x86_64-linux-gnu.so
            names.setdefault(n.split(".", 1)[0], n)
    return names


def _check_no_stdlib_shadowing(site: Path, python_version: str, pinned: list[str]) -> None:
    from qflow.authoring.dependencies import stdlib_modules

    refused = stdlib_modules(python_version) | STARTUP_HOOKS
    pins = {p.partition("==")[0]: p for p in pinned}
    owners = _top_level_owners(site)
    for top, found in _top_level_names(site).items():
        if top in refused:
            dist = owners.get(top, "a requirement")
            what = ("a start-up hook the interpreter would run" if top in STARTUP_HOOKS
                    else f"a top-level '{top}', which would shadow the standard library's {top} module")
            raise DependencyError(f"cannot install {dist} for Python {python_version}: it provides {what} "
                                  f"({found})", package=dist if dist in pins else None,
                                  requirement=pins.get(dist, " ".join(pinned)), python_version=python_version)


def _install(python_version: str, resolution: dict, env: dict, site: Path) -> None:
    cache_dir = _version_dir(python_version)
    tags = resolution["platform_tags"]
    files = [str(cache_dir / w) for w in resolution["wheels"]]
    proc = _pip(env, ["install", "--no-deps", "--no-index", "--no-compile", "--no-warn-script-location",
                      "--target", str(site), *_target_args(python_version, tags), "--", *files])
    if proc.returncode != 0:
        where = f"{env['glibc']} {env['platform_machine']}"
        raise explain_pip_failure(proc.stdout + "\n" + proc.stderr, resolution["pinned"], python_version, where)
    shutil.rmtree(site / "bin", ignore_errors=True)  # console scripts, with the host's interpreter in #!
    _check_no_stdlib_shadowing(site, python_version, resolution["pinned"])


def _label(client: docker.DockerClient, tag: str) -> dict | None:
    try:
        return client.images.get(tag).labels or {}
    except docker.errors.ImageNotFound:
        return None


def _rows(image: str, python_version: str, resolution: dict, seconds: float | None) -> list[dict]:
    rows = []
    for pin in resolution["pinned"]:
        name, _, version = pin.partition("==")
        rows.append({"image": image, "python_version": python_version, "package": name, "version": version,
                     "status": "installed", "install_seconds": seconds, "error": None})
    return rows


def _failure_rows(base: str, python_version: str, requested: list[str], err: DependencyError) -> list[dict]:
    """A layer that could not be built has no tag: its failure is recorded against the runner image it
    was to extend, for the package that failed (or every requested one when pip named none)."""
    if err.package:
        failed = [(err.package, err.requirement)]
    else:
        failed = [(_name_of(r), r) for r in requested]
    rows = []
    for name, req in failed:
        try:
            spec = str(Requirement(req).specifier) if req else ""
        except InvalidRequirement:
            spec = ""
        if re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?", name):
            name = canonicalize_name(name)
        rows.append({"image": base, "python_version": python_version, "package": name[:255],
                     "version": spec or None, "status": "failed", "install_seconds": None, "error": str(err)})
    return rows


def ensure_dependency_image(python_version: str, requirements: list[str], client: docker.DockerClient | None = None,
                            log=print, record: Record | None = None) -> str:
    """The image to run a node with these requirements in: `qflow-runner:X.Y` when there are none, else
    the `qflow-deps:<X.Y>-<hash>` layer, resolved, downloaded and built on the host unless cached.
    Raises DependencyError (naming the package) when the requirements cannot be installed."""
    client = client or docker.from_env()
    base = ensure_runner_image(python_version, client=client, log=log)
    requested = [r for r in requirements if r and r.strip()]
    try:
        requested = normalize_requirements(requested, python_version)
        if not requested:
            return base
        return _ensure(client, base, python_version, requested, log, record)
    except DependencyError as err:
        if record is not None:
            record(_failure_rows(base, python_version, requested, err))
        raise


def _ensure(client, base: str, python_version: str, requested: list[str], log, record: Record | None) -> str:
    base_hash = (_label(client, base) or {}).get(HASH_LABEL, "")
    env = target_environment(client, base, python_version)
    resolution = resolve(python_version, requested, env, log)
    if not resolution["pinned"]:  # every requirement's marker excludes this Python
        return base
    tag = dependency_image(python_version, resolution["pinned"])
    want = _digest(LAYOUT, base_hash, DOCKERFILE, *resolution["wheels"])
    labels = _label(client, tag)
    if labels is None or labels.get(HASH_LABEL) != want:
        with _locked(python_version):
            labels = _label(client, tag)
            if labels is None or labels.get(HASH_LABEL) != want:
                labels = _build(client, base, tag, want, python_version, resolution, env, log)
    seconds = labels.get(INSTALL_SECONDS_LABEL)
    if record is not None:
        record(_rows(tag, python_version, resolution, float(seconds) if seconds else None))
    return tag


def _build(client, base: str, tag: str, want: str, python_version: str, resolution: dict, env: dict,
           log) -> dict:
    log(f"building {tag}: {' '.join(resolution['pinned'])}")
    with tempfile.TemporaryDirectory(prefix="qflow-deps-") as ctx:
        site = Path(ctx, "site")
        started = time.monotonic()
        _install(python_version, resolution, env, site)
        Path(ctx, "Dockerfile").write_text(DOCKERFILE)
        seconds = round(time.monotonic() - started, 3)
        labels = {HASH_LABEL: want, INSTALL_SECONDS_LABEL: str(seconds),
                  PINNED_LABEL: " ".join(resolution["pinned"])[:4000]}
        try:
            client.images.build(path=ctx, tag=tag, buildargs={"BASE": base}, labels=labels,
                                network_mode="none", pull=False, rm=True, forcerm=True,
                                container_limits=BUILD_LIMITS)
        except (docker.errors.BuildError, docker.errors.APIError) as e:
            raise ImageBuildError(f"building {tag} failed: {e}") from e
    try:  # a layer rebuilt on a new runner image leaves the old one untagged
        client.images.prune(filters={"dangling": True, "label": HASH_LABEL})
    except docker.errors.APIError:
        pass
    return labels


# --------------------------------------------------------------------------------------------- records


def record_dependencies(sessions, rows: list[dict]) -> int:
    """Write `container_dependencies` rows (the dicts `record` receives) with a sessionmaker. A row whose
    (image, package) exists is left alone, except that a failed one is replaced by a later outcome.
    Returns how many rows were written."""
    from sqlalchemy import select
    from sqlalchemy.exc import IntegrityError

    from qflow.db.models import ContainerDependency

    fields = ("python_version", "version", "status", "install_seconds", "error")
    for attempt in range(2):
        written = 0
        try:
            with sessions() as session, session.begin():
                for row in rows:
                    existing = session.scalars(select(ContainerDependency).where(
                        ContainerDependency.image == row["image"],
                        ContainerDependency.package == row["package"])).first()
                    if existing is None:
                        session.add(ContainerDependency(image=row["image"], package=row["package"],
                                                        **{f: row.get(f) for f in fields}))
                        written += 1
                    elif existing.status == "failed" and (row.get("status") != "failed"
                                                          or row.get("error") != existing.error):
                        for f in fields:
                            setattr(existing, f, row.get(f))
                        written += 1
            return written
        except IntegrityError:  # another writer inserted the same (image, package) first: look again
            if attempt:
                raise
    return 0
