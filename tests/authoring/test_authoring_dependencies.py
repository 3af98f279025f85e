"""Dependencies (SPEC §3): non-stdlib imports anywhere, mapped to distributions; PEP 723 blocks."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from qflow.authoring import NodeParseError, inspect_node
from qflow.authoring.dependencies import stdlib_modules
from qflow.authoring.import_map import IMPORT_TO_DISTRIBUTION, distribution_for
from qflow.authoring.pyversions import find_interpreter


def deps(src: str, **kw) -> list[str]:
    return inspect_node(textwrap.dedent(src) + "\ndef main(): ...\n", **kw)["dependencies"]


def test_imports_anywhere_excluding_stdlib_relative_and_future() -> None:
    assert deps('''
        from __future__ import annotations
        import os, sys, json, collections.abc
        from . import sibling
        from .pkg import thing
        from .. import parent
        import requests
        try:
            import ujson
        except ImportError:
            ujson = None
        if False:
            import zlib, lxml.etree
        class C:
            import attr
            def m(self):
                import numpy as np
        def f():
            def g():
                from bs4 import BeautifulSoup
            with open("x"):
                import toolz
            for _ in []:
                import httpx
            else:
                import orjson
            while False:
                import polars
        match 1:
            case 1:
                import duckdb
    ''') == ["attrs", "beautifulsoup4", "duckdb", "httpx", "lxml", "numpy", "orjson", "polars", "requests",
             "toolz", "ujson"]


def test_known_mismatches() -> None:
    assert deps('''
        import yaml
        from PIL import Image
        import sklearn.linear_model
        from bs4 import BeautifulSoup
        import dateutil.parser
        import cv2
        from google.protobuf import json_format
        import attr
    ''') == ["attrs", "beautifulsoup4", "opencv-python", "Pillow", "protobuf", "python-dateutil", "PyYAML",
             "scikit-learn"]


def test_longest_prefix_wins() -> None:
    assert distribution_for("google.protobuf.json_format") == "protobuf"
    assert distribution_for("google.protobuf") == "protobuf"
    assert distribution_for("google.cloud.storage.blob") == "google-cloud-storage"
    assert distribution_for("google.cloud") is None  # a namespace package, not a distribution
    assert distribution_for("googleapiclient.discovery") == "google-api-python-client"
    assert distribution_for("yaml.constructor") == "PyYAML"
    assert distribution_for("pandas.core.frame") == "pandas"
    assert distribution_for("ruamel.yaml") == "ruamel.yaml"
    assert distribution_for("x.y", {"x": "X", "x.y": "XY"}) == "XY"
    assert distribution_for("x.z", {"x": "X", "x.y": "XY"}) == "X"


def test_from_import_names_count_for_the_prefix() -> None:
    assert deps("from google.cloud import storage, bigquery\nfrom google import protobuf\n") == [
        "google-cloud-bigquery", "google-cloud-storage", "protobuf"]


def test_namespace_packages_map_by_their_naming_rules() -> None:
    # `google` and `azure` on PyPI are unrelated packages: never infer them from google.* / azure.* imports.
    assert deps('''
        import google.cloud.aiplatform
        from google.cloud import translate_v2, secretmanager
        from google.cloud.bigquery import Client
        import google.cloud.pubsub_v1
        from google.cloud import exceptions
        from google.cloud.sql.connector import Connector
        import azure.storage.queue
        from azure.storage.blob.aio import BlobClient
        from azure.storage.filedatalake import DataLakeServiceClient
        from azure.identity import DefaultAzureCredential
        import azure.core.exceptions
        from azure.cognitiveservices.vision.computervision import ComputerVisionClient
        import zope.interface
        from backports import zoneinfo
    ''') == ["azure-cognitiveservices-vision-computervision", "azure-core", "azure-identity",
             "azure-storage-blob", "azure-storage-file-datalake", "azure-storage-queue", "backports.zoneinfo",
             "cloud-sql-python-connector", "google-cloud-aiplatform", "google-cloud-bigquery", "google-cloud-core",
             "google-cloud-pubsub", "google-cloud-secret-manager", "google-cloud-translate", "zope.interface"]


@pytest.mark.parametrize("dotted, dist", [
    ("google.cloud.speech_v1p1beta1", "google-cloud-speech"),
    ("google.cloud.bigquery_storage_v1", "google-cloud-bigquery-storage"),
    ("google.cloud.firestore_admin_v1", "google-cloud-firestore"),
    ("google.cloud.video.transcoder_v1", "google-cloud-video-transcoder"),
    ("google.cloud.billing.budgets_v1", "google-cloud-billing-budgets"),
    ("google.cloud.billing_v1", "google-cloud-billing"),
    ("google.cloud.compute_v1beta", "google-cloud-compute-v1beta"),
    ("google.api_core.exceptions", "google-api-core"),
    ("azure.mgmt.resource.subscriptions", "azure-mgmt-resource"),
    ("azure.durable_functions", "azure-durable-functions"),
    ("azure.monitor.opentelemetry.exporter", "azure-monitor-opentelemetry-exporter"),
    ("azure.monitor.opentelemetry", "azure-monitor-opentelemetry"),
    ("google", None), ("google.cloud", None), ("google.cloud.video", None), ("google.colab", None),
    ("azure", None), ("azure.storage", None), ("azure.cognitiveservices.vision", None),
    ("zope", None), ("backports", None),
])
def test_namespace_rules(dotted: str, dist: str | None) -> None:
    assert distribution_for(dotted) == dist


def test_bare_namespace_imports_map_to_their_top_level_name_with_a_warning() -> None:
    """SPEC §3: an import the mapping does not know maps to its top-level name — for a bare namespace
    package that distribution is most likely wrong, and the node author is told so."""
    src = "import google\nimport azure\nfrom zope import *\nimport backports\nimport requests\ndef main(): ...\n"
    sig = inspect_node(src)
    assert sig["dependencies"] == ["azure", "backports", "google", "requests", "zope"]
    assert [w.split(":")[0] for w in sig["warnings"]] == [
        "import 'google'", "import 'azure'", "import 'zope'", "import 'backports'"]
    assert all("PEP 723" in w for w in sig["warnings"])
    # a script block names the distributions itself: nothing to warn about
    block = '# /// script\n# dependencies = ["google-cloud-storage"]\n# ///\n'
    assert inspect_node(block + src)["warnings"] == []


def test_one_entry_each_sorted_case_insensitively() -> None:
    assert deps("import zeta\nimport Alpha\nimport beta\nimport yaml\nfrom yaml import safe_load\nimport yaml.constructor\n") == [
        "Alpha", "beta", "PyYAML", "zeta"]


def test_mapping_entries_are_well_formed() -> None:
    for key, dist in IMPORT_TO_DISTRIBUTION.items():
        assert key and dist and key == key.strip() and " " not in dist
        assert key.split(".")[0] not in stdlib_modules("3.11"), key


def test_stdlib_is_the_node_versions() -> None:
    src = "import tomllib\nimport distutils\nimport graphlib\nimport zoneinfo\n"
    assert deps(src, python_version="3.11") == []
    assert deps(src, python_version="3.9") == ["tomllib"]
    assert deps(src, python_version="3.13") == ["distutils"]


def test_stdlib_311_agrees_with_sys() -> None:
    from stdlib_list import stdlib_list

    assert sys.version_info[:2] == (3, 11)
    assert stdlib_modules("3.11") == frozenset(sys.stdlib_module_names)
    listed = {m.split(".")[0] for m in stdlib_list("3.11")}
    assert listed - {"__main__", "xxsubtype"} == set(sys.stdlib_module_names)
    for v in ("3.9", "3.13"):
        names = stdlib_modules(v)
        assert {"os", "sys", "json", "typing", "asyncio"} <= names and "__main__" not in names


def test_stdlib_39_has_the_c_accelerators_and_no_non_modules() -> None:
    # stdlib-list's 3.9 list lacked ~45 undocumented modules (pyexpat, _csv...) and held `lib`, `test`.
    src = "import pyexpat, _csv, _json, _ctypes, _decimal, _pickle, _sqlite3, _datetime, _heapq\n"
    assert deps(src, python_version="3.9") == []
    assert deps("import lib\nimport test\nimport __phello__\n", python_version="3.9") == [
        "__phello__", "lib", "test"]
    # 3.9 differs from 3.11 exactly by what 3.10 and 3.11 removed and added (What's New in 3.10, 3.11)
    removed = {"_bootlocale", "_peg_parser", "formatter", "parser", "symbol", "binhex"}
    added = {"_tokenize", "_typing", "tomllib"}
    assert stdlib_modules("3.9") == (stdlib_modules("3.11") - added) | removed


def test_stdlib_39_agrees_with_a_real_python39() -> None:
    """The 3.9 list is what a python3.9 here has, bar what 3.10+ leave out of sys.stdlib_module_names by
    design (tests, build artefacts) and modules this platform does not build."""
    exe = find_interpreter("3.9")
    if exe is None:
        pytest.skip("no python3.9 here")
    script = ("import sys, sysconfig, pkgutil, json; p = sysconfig.get_paths()\n"
              "names = set(sys.builtin_module_names) | {m.name for m in pkgutil.iter_modules("
              "[p['stdlib'], p['platstdlib'] + '/lib-dynload'])}\nprint(json.dumps(sorted(names)))")
    out = subprocess.run([exe, "-I", "-S", "-c", script], capture_output=True, text=True, check=True).stdout
    left_out = ("_test", "_ctypes_test", "_xx", "xx", "_sysconfigdata")
    real = {n for n in json.loads(out) if not n.startswith(left_out)}
    listed = stdlib_modules("3.9")
    assert real - listed == {"test"}
    elsewhere = {"_msi", "_overlapped", "_winapi", "nt", "msilib", "msvcrt", "winreg", "winsound",
                 "_scproxy"}  # Windows, macOS
    optional = {"_dbm", "_gdbm", "_frozen_importlib", "_frozen_importlib_external"}  # frozen or not built
    assert listed - real - elsewhere - optional == set()


# --- PEP 723 ---------------------------------------------------------------------------------------------

def test_script_block_replaces_the_list_as_written() -> None:
    assert deps('''
        # /// script
        # requires-python = ">=3.9"
        # dependencies = [
        #   "requests>=2.31",
        #   "PyYAML",
        #   "b",
        #   "a[extra]==1.0; python_version >= '3.9'",
        # ]
        # ///
        import yaml, numpy
    ''') == ["requests>=2.31", "PyYAML", "b", "a[extra]==1.0; python_version >= '3.9'"]


def test_script_block_without_dependencies_keeps_the_imports() -> None:
    assert deps('# /// script\n# requires-python = ">=3.10"\n# ///\nimport yaml\n') == ["PyYAML"]


def test_script_block_with_empty_dependencies() -> None:
    assert deps('# /// script\n# dependencies = []\n# ///\nimport yaml\n') == []


def test_other_metadata_blocks_are_ignored() -> None:
    assert deps('# /// pyproject\n# dependencies = ["x"]\n# ///\nimport yaml\n') == ["PyYAML"]


@pytest.mark.parametrize("spec, version, ok", [
    (">=3.12", "3.11", False), (">=3.12", "3.13", True), ("<3.10", "3.9", True), ("<3.10", "3.11", False),
    ("==3.11.*", "3.11", True), ("~=3.11", "3.13", True), ("~=3.11.0", "3.13", False),
    (">=3.11.4", "3.11", True), ("!=3.11.*", "3.11", False), (">=3.9,<3.12", "3.13", False),
])
def test_requires_python(spec: str, version: str, ok: bool, monkeypatch) -> None:
    from qflow.authoring import pyversions

    monkeypatch.setattr(pyversions, "find_interpreter", lambda v: None)
    src = f'import os\n\n# /// script\n# requires-python = "{spec}"\n# dependencies = ["x"]\n# ///\n\ndef main(): ...\n'
    if ok:
        assert inspect_node(src, python_version=version)["dependencies"] == ["x"]
    else:
        with pytest.raises(NodeParseError) as info:
            inspect_node(src, python_version=version)
        assert (info.value.line, info.value.column) == (3, 1)
        assert spec in info.value.message


@pytest.mark.parametrize("block", [
    '# /// script\n# dependencies = ["a"\n# ///\n',
    '# /// script\n# dependencies = "a"\n# ///\n',
    '# /// script\n# requires-python = "not a spec"\n# ///\n',
])
def test_bad_script_blocks_are_errors_at_the_first_line(block: str) -> None:
    with pytest.raises(NodeParseError) as info:
        inspect_node("import os\n" + block + "def main(): ...\n")
    assert (info.value.line, info.value.column) == (2, 1)


def test_two_script_blocks_are_an_error() -> None:
    block = '# /// script\n# dependencies = []\n# ///\n'
    with pytest.raises(NodeParseError) as info:
        inspect_node(block + "\n" + block + "def main(): ...\n")
    assert info.value.line == 5
