"""Dependency layers, for real: wheels resolved and downloaded from PyPI on the host, a layer image built on
the runner image with no network, nodes importing their packages in the hardened container, the caches,
errors that name the package, and the `container_dependencies` rows."""

from __future__ import annotations

import time

import pytest

from qflow.sandbox import dependencies
from qflow.sandbox.dependencies import (
    DependencyError,
    dependency_image,
    ensure_dependency_image,
    explain_pip_failure,
    platform_tags,
    record_dependencies,
)

YAML_NODE = '''
import yaml

def main(text: str) -> dict:
    return yaml.safe_load(text)
'''

LIBYAML_NODE = '''
import yaml

def main() -> bool:
    return bool(yaml.__with_libyaml__)
'''

# anyio needs exceptiongroup below 3.11: pip alone would leave it out for 3.9 (it reads markers on the host).
HTTPX_NODE = '''
import sys
import anyio
import httpx
import yaml

def main(text: str) -> dict:
    def answer(request):
        return httpx.Response(200, json={"path": request.url.path})

    async def later():
        await anyio.sleep(0)
        return "anyio ok"

    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        got = client.get("http://example.invalid/hello").json()
    return {"version": list(sys.version_info[:2]), "http": got["path"], "anyio": anyio.run(later),
            "yaml": yaml.safe_load(text)}
'''


def quiet(_message: str) -> None:
    pass


def run(node_code: str, version: str, image: str, inputs: dict, client):
    from qflow.sandbox.container import Limits
    from qflow.sandbox.run_node import prepare, run_prepared

    node = prepare(node_code, python_version=version)
    return run_prepared(node, inputs, Limits(timeout_seconds=30), client=client, image=image)


def pypi_unreachable(monkeypatch) -> None:
    """Point pip at nothing: any PyPI request from here on fails."""
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "")
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "2")


# ------------------------------------------------------------------------------------------- pure parts


def test_platform_tags_follow_glibc():
    tags = platform_tags("glibc 2.31", "x86_64")
    assert tags[0] == "manylinux_2_31_x86_64"
    assert "manylinux_2_32_x86_64" not in tags
    for tag in ("manylinux_2_28_x86_64", "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64",
                "linux_x86_64", "any"):
        assert tag in tags
    assert platform_tags("2.41", "aarch64")[0] == "manylinux_2_41_aarch64"
    assert "manylinux2014_aarch64" in platform_tags("2.41", "aarch64")


def test_pip_failures_name_the_package():
    # pip's own wording (src/pip/_internal/resolution/resolvelib/factory.py), for a dependency of a dependency
    out = ("ERROR: Could not find a version that satisfies the requirement zzlib>=9 (from fancy) "
           "(from versions: 1.0, 1.1)\nERROR: No matching distribution found for zzlib>=9\n")
    err = explain_pip_failure(out, ["fancy==2.0"], "3.9", "glibc 2.31 x86_64")
    assert err.package == "zzlib" and "fancy requires zzlib>=9" in str(err) and "1.0, 1.1" in str(err)

    out = ("ERROR: Cannot install alpha==1.0 and beta==2.0 because these package versions have conflicting "
           "dependencies.\n\nThe conflict is caused by:\n    alpha 1.0 depends on gamma<2\n"
           "    beta 2.0 depends on gamma>=2\n\nTo fix this you could try to:\n")
    err = explain_pip_failure(out, ["alpha==1.0", "beta==2.0"], "3.11", "glibc 2.36 x86_64")
    assert err.package == "alpha" and "alpha, beta" in str(err) and "gamma<2" in str(err)

    out = "ERROR: Package 'oldie' requires a different Python: 3.13.5 not in '<3.12'\n"
    err = explain_pip_failure(out, ["oldie"], "3.13", "glibc 2.41 x86_64")
    assert err.package == "oldie" and "<3.12" in str(err)


@pytest.mark.docker
def test_invalid_and_url_requirements_are_refused_before_pip(docker_client, runner_image):
    with pytest.raises(DependencyError) as e:
        ensure_dependency_image("3.11", ["--index-url=http://evil.invalid/simple"], client=docker_client, log=quiet)
    assert "--index-url" in str(e.value)
    with pytest.raises(DependencyError) as e:
        ensure_dependency_image("3.11", ["evil @ https://evil.invalid/evil-1.0-py3-none-any.whl"],
                                client=docker_client, log=quiet)
    assert e.value.package == "evil" and "URL" in str(e.value)


@pytest.mark.docker
def test_no_requirements_is_the_runner_image(docker_client, runner_image):
    assert ensure_dependency_image("3.11", [], client=docker_client, log=quiet) == runner_image


# ----------------------------------------------------------------------------------------- real layers


@pytest.mark.docker
def test_yaml_node_runs_in_its_layer(docker_client, runner_image, no_leftover_containers):
    from qflow.sandbox.run_node import prepare

    requirements = prepare(YAML_NODE).signature["dependencies"]
    assert requirements == ["PyYAML"]
    image = ensure_dependency_image("3.11", requirements, client=docker_client, log=quiet)
    assert image.startswith("qflow-deps:3.11-")

    result = run(YAML_NODE, "3.11", image, {"text": "a: 1\nb: [x, y]\n"}, docker_client)
    assert result.status == "completed", result.error
    assert result.outputs == {"result": {"a": 1, "b": ["x", "y"]}}
    # PyYAML's manylinux wheel carries a C extension: it loads on bookworm's glibc.
    result = run(LIBYAML_NODE, "3.11", image, {}, docker_client)
    assert result.outputs == {"result": True}, result.error
    # Without the layer the same node has no yaml to import.
    result = run(YAML_NODE, "3.11", runner_image, {"text": "a: 1"}, docker_client)
    assert result.status == "failed" and "No module named 'yaml'" in result.error["message"]


@pytest.mark.docker
def test_first_build_then_cache_hit(docker_client, runner_image, tmp_path, monkeypatch):
    """A fresh wheel cache and no layer image: the first call resolves, downloads, installs and builds; the
    second is served from the caches with PyPI unreachable, and returns the very same image."""
    import docker.errors

    monkeypatch.setattr(dependencies, "WHEELS_DIR", tmp_path / "wheels")
    tag = dependency_image("3.11", ["pyyaml==6.0.2"])
    try:
        docker_client.images.remove(tag)
    except docker.errors.ImageNotFound:
        pass
    except docker.errors.APIError as e:  # in use by someone's container right now
        pytest.skip(f"cannot remove {tag} to measure a first build: {e}")

    messages: list[str] = []
    started = time.monotonic()
    image = ensure_dependency_image("3.11", ["PyYAML==6.0.2"], client=docker_client, log=messages.append)
    first = time.monotonic() - started
    assert image == tag
    assert any(m.startswith("resolving") for m in messages) and any(m.startswith("building") for m in messages)
    assert list((tmp_path / "wheels" / "3.11").glob("[Pp]y[Yy][Aa][Mm][Ll]-6.0.2-*.whl"))
    image_id = docker_client.images.get(image).id

    pypi_unreachable(monkeypatch)
    messages.clear()
    started = time.monotonic()
    again = ensure_dependency_image("3.11", ["PyYAML==6.0.2"], client=docker_client, log=messages.append)
    hit = time.monotonic() - started
    assert again == image and docker_client.images.get(again).id == image_id
    assert messages == []
    assert hit < 1.0, f"cache hit took {hit:.2f} s"
    print(f"\nfirst build {first:.2f} s, cache hit {hit * 1000:.0f} ms")


@pytest.mark.docker
def test_bogus_requirement_names_the_package(docker_client, runner_image):
    rows: list[dict] = []
    with pytest.raises(DependencyError) as e:
        ensure_dependency_image("3.11", ["qflow-no-such-package-xyz==1.0"], client=docker_client, log=quiet,
                                record=rows.extend)
    assert e.value.package == "qflow-no-such-package-xyz"
    assert "qflow-no-such-package-xyz" in str(e.value)
    assert rows == [{"image": runner_image, "python_version": "3.11", "package": "qflow-no-such-package-xyz",
                     "version": "==1.0", "status": "failed", "install_seconds": None, "error": str(e.value)}]


@pytest.mark.docker
def test_a_version_without_a_wheel_for_this_python_names_the_package(docker_client):
    """numpy 2.1 and later need Python 3.10: for 3.9 the error says which package and what exists."""
    with pytest.raises(DependencyError) as e:
        ensure_dependency_image("3.9", ["PyYAML", "numpy>=2.1"], client=docker_client, log=quiet)
    assert e.value.package == "numpy"
    assert "numpy" in str(e.value) and "3.9" in str(e.value) and "2.0.2" in str(e.value)


@pytest.mark.docker
def test_a_package_shadowing_the_standard_library_is_refused(docker_client):
    with pytest.raises(DependencyError) as e:
        ensure_dependency_image("3.9", ["typing==3.7.4.1"], client=docker_client, log=quiet)
    assert e.value.package == "typing" and "shadow" in str(e.value)


@pytest.mark.parametrize("planted, what", [
    ("typing.py", "shadow the standard library's typing"),  # put there by a wheel's .data scheme (../../)
    ("csv.pyc", "shadow the standard library's csv"),       # a top-level .pyc, not only .py
    ("json/__init__.py", "shadow the standard library's json"),
    ("sitecustomize.py", "start-up hook"),
    ("usercustomize.pyc", "start-up hook"),
])
def test_what_is_in_the_layer_folder_is_checked_not_only_what_record_lists(tmp_path, planted, what):
    site = tmp_path / "site"
    (site / "yaml").mkdir(parents=True)
    (site / "PyYAML-6.0.2.dist-info").mkdir()
    (site / "PyYAML-6.0.2.dist-info" / "RECORD").write_text("yaml/__init__.py,,\n")
    (site / planted).parent.mkdir(parents=True, exist_ok=True)
    (site / planted).write_text("")
    with pytest.raises(DependencyError, match=what):
        dependencies._check_no_stdlib_shadowing(site, "3.11", ["pyyaml==6.0.2"])


def test_a_layer_folder_of_ordinary_packages_passes(tmp_path):
    site = tmp_path / "site"
    for name in ("yaml", "_yaml", "__pycache__", "bin", "PyYAML-6.0.2.dist-info"):
        (site / name).mkdir(parents=True)
    (site / "six.py").write_text("")
    (site / "_cffi_backend.cpython-311-x86_64-linux-gnu.so").write_text("")
    (site / "distutils-precedence.pth").write_text("")
    dependencies._check_no_stdlib_shadowing(site, "3.11", ["pyyaml==6.0.2", "six==1.16.0"])


@pytest.mark.docker
def test_rows_are_written(docker_client, runner_image, sqlite_url):
    from sqlalchemy import select

    from qflow.db.migrate import upgrade
    from qflow.db.models import ContainerDependency
    from qflow.db.session import session_factory

    upgrade(sqlite_url)
    sessions = session_factory(sqlite_url)

    def record(rows):
        record_dependencies(sessions, rows)

    image = ensure_dependency_image("3.11", ["PyYAML"], client=docker_client, log=quiet, record=record)
    ensure_dependency_image("3.11", ["PyYAML"], client=docker_client, log=quiet, record=record)  # no duplicates
    with pytest.raises(DependencyError):
        ensure_dependency_image("3.11", ["qflow-no-such-package-xyz==1.0"], client=docker_client, log=quiet,
                                record=record)
    with sessions() as session:
        rows = session.scalars(select(ContainerDependency).order_by(ContainerDependency.package)).all()
    assert [(r.image, r.package, r.status) for r in rows] == [
        (image, "pyyaml", "installed"),
        (runner_image, "qflow-no-such-package-xyz", "failed"),
    ]
    installed, failed = rows
    assert installed.python_version == "3.11" and installed.version.startswith("6.")
    assert installed.install_seconds is not None and installed.install_seconds > 0 and installed.error is None
    assert failed.version == "==1.0" and "qflow-no-such-package-xyz" in failed.error


@pytest.mark.docker
@pytest.mark.parametrize("version", ["3.9", "3.13"])
def test_layers_on_other_versions(version, docker_client, no_leftover_containers):
    """Transitive dependencies resolved for the target interpreter: 3.9 gets anyio's exceptiongroup
    (python_version < "3.11"), 3.13 does not; both run httpx, anyio and PyYAML in their container."""
    rows: list[dict] = []
    image = ensure_dependency_image(version, ["httpx==0.28.1", "PyYAML"], client=docker_client, log=quiet,
                                    record=rows.extend)
    assert image.startswith(f"qflow-deps:{version}-")
    packages = {r["package"] for r in rows}
    assert {"httpx", "httpcore", "anyio", "h11", "idna", "certifi", "pyyaml"} <= packages
    assert ("exceptiongroup" in packages) == (version == "3.9")
    assert all(r["status"] == "installed" and r["image"] == image for r in rows)

    result = run(HTTPX_NODE, version, image, {"text": "k: v"}, docker_client)
    assert result.status == "completed", result.error
    assert result.outputs["result"] == {"version": [int(p) for p in version.split(".")], "http": "/hello",
                                        "anyio": "anyio ok", "yaml": {"k": "v"}}
