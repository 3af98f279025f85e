"""Runner images, built with no registry: a Debian root filesystem from debootstrap, `docker import`ed,
with the runner layered on top. Each image carries a label hashing what it was built from, so it is
rebuilt only when that changes. `QFLOW_RUNNER_BASE=pull` builds `FROM python:X-slim` instead.

    python -m qflow.sandbox.images 3.11 [3.9 3.13]
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import docker
import docker.errors

from qflow.paths import REPO_ROOT, RUNNER_IMAGES_DIR, STATE_DIR

HASH_LABEL = "org.qflow.build-hash"
RUNNER_REPO = "qflow-runner"
ROOTFS_REPO = "qflow-rootfs"
DEBOOTSTRAP_PACKAGES = "python3,ca-certificates"
CODEC_SOURCE = REPO_ROOT / "type_system" / "codec.py"


class ImageBuildError(RuntimeError):
    pass


def versions() -> dict[str, dict[str, str]]:
    return json.loads((RUNNER_IMAGES_DIR / "versions.json").read_text())


def runner_image(python_version: str) -> str:
    return f"{RUNNER_REPO}:{python_version}"


def _context_files() -> dict[str, bytes]:
    return {
        "qflow_runner.py": (RUNNER_IMAGES_DIR / "runner" / "qflow_runner.py").read_bytes(),
        "qflow_codec.py": CODEC_SOURCE.read_bytes(),
    }


def _digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode() if isinstance(p, str) else p)
        h.update(b"\0")
    return h.hexdigest()[:16]


def _rootfs_hash(suite: str) -> str:
    return _digest("debootstrap", "minbase", suite, DEBOOTSTRAP_PACKAGES)


def runner_hash(python_version: str, base: str) -> str:
    dockerfile = "Dockerfile.rootfs" if base == "rootfs" else "Dockerfile"
    spec = versions()[python_version]
    files = _context_files()
    return _digest(base, json.dumps(spec, sort_keys=True), (RUNNER_IMAGES_DIR / dockerfile).read_bytes(),
                   *[name.encode() + files[name] for name in sorted(files)])


def _label_of(client: docker.DockerClient, tag: str) -> str | None:
    try:
        return (client.images.get(tag).labels or {}).get(HASH_LABEL)
    except docker.errors.ImageNotFound:
        return None


def ensure_rootfs_image(client: docker.DockerClient, suite: str, log=print) -> str:
    tag = f"{ROOTFS_REPO}:{suite}"
    want = _rootfs_hash(suite)
    if _label_of(client, tag) == want:
        return tag
    if shutil.which("debootstrap") is None:
        raise ImageBuildError("debootstrap is not installed (apt-get install debootstrap)")
    target = STATE_DIR / "rootfs" / suite
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    log(f"debootstrap {suite} → {target} (about a minute)")
    proc = subprocess.run(
        ["debootstrap", "--variant=minbase", f"--include={DEBOOTSTRAP_PACKAGES}", suite, str(target)],
        capture_output=True, text=True,
    )
    if proc.returncode != 0:
        raise ImageBuildError(f"debootstrap {suite} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    # The package caches are dead weight in every container.
    for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
        shutil.rmtree(target / junk, ignore_errors=True)
    log(f"docker import {tag}")
    tar = subprocess.Popen(["tar", "-C", str(target), "-c", "."], stdout=subprocess.PIPE)
    imp = subprocess.run(["docker", "import", "--change", f"LABEL {HASH_LABEL}={want}", "-", tag],
                         stdin=tar.stdout, capture_output=True, text=True)
    tar.wait()
    shutil.rmtree(target, ignore_errors=True)
    if imp.returncode != 0 or tar.returncode != 0:
        raise ImageBuildError(f"docker import {tag} failed: {imp.stderr.strip()}")
    return tag


def _check_interpreter(client: docker.DockerClient, tag: str, python_version: str) -> None:
    """The suite's python3 must be the version the image is named for (versions.json maps each version to
    the Debian suite whose python3 it is): a mismatch removes the image, so it is not taken as built."""
    try:
        out = client.containers.run(tag, ["python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                     remove=True, network_mode="none")
        got = out.decode().strip()
    except (docker.errors.ContainerError, docker.errors.APIError) as e:
        got = f"no working python3 ({e})"
    if got != python_version:
        try:
            client.images.remove(tag, force=True)
        except docker.errors.APIError:
            pass
        raise ImageBuildError(f"{tag}: the image's python3 is {got}, not {python_version} "
                              f"(check runner_images/versions.json)")


def ensure_runner_image(python_version: str, base: str | None = None, client: docker.DockerClient | None = None,
                        log=print) -> str:
    """Build `qflow-runner:X.Y` unless an image built from the same inputs is already there."""
    from qflow.config import get_settings

    base = base or get_settings().runner_base
    spec = versions().get(python_version)
    if spec is None:
        raise ImageBuildError(f"unsupported Python version {python_version!r}; choose one of {', '.join(versions())}")
    client = client or docker.from_env()
    tag = runner_image(python_version)
    want = runner_hash(python_version, base)
    if _label_of(client, tag) == want:
        return tag
    if base == "rootfs":
        dockerfile, buildargs = "Dockerfile.rootfs", {"BASE": ensure_rootfs_image(client, spec["suite"], log)}
    else:
        dockerfile, buildargs = "Dockerfile", {"PYTHON_VERSION": python_version}
    log(f"building {tag} ({dockerfile})")
    with tempfile.TemporaryDirectory() as ctx:
        for name, data in _context_files().items():
            Path(ctx, name).write_bytes(data)
        shutil.copy(RUNNER_IMAGES_DIR / dockerfile, Path(ctx, "Dockerfile"))
        try:
            client.images.build(path=ctx, tag=tag, buildargs=buildargs, labels={HASH_LABEL: want},
                                network_mode="none", pull=False, rm=True, forcerm=True)
        except (docker.errors.BuildError, docker.errors.APIError) as e:
            raise ImageBuildError(f"building {tag} failed: {e}") from e
    _check_interpreter(client, tag, python_version)
    # The image this one replaced is left untagged: drop it (and only ours).
    try:
        client.images.prune(filters={"dangling": True, "label": HASH_LABEL})
    except docker.errors.APIError:
        pass
    return tag


def main(argv: list[str]) -> int:
    wanted = argv or ["3.11"]
    try:
        for v in wanted:
            print(f"runner image {ensure_runner_image(v)} is up to date", flush=True)
    except ImageBuildError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
