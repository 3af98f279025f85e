"""Import names whose distribution on PyPI is named differently.

Keys are dotted import prefixes; an import maps through the longest key that is a prefix of it (on dot
boundaries), else, in a namespace package (`google.cloud`, `azure`...), through that namespace's naming
rule, else to its top-level name. Only genuine mismatches belong here: a name that differs from its
distribution only by case, `-`/`_`/`.` (PEP 503 normalisation) resolves the same without an entry.
"""

from __future__ import annotations

import re

IMPORT_TO_DISTRIBUTION: dict[str, str] = {
    # the usual suspects
    "yaml": "PyYAML",
    "PIL": "Pillow",
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "skopt": "scikit-optimize",
    "bs4": "beautifulsoup4",
    "dateutil": "python-dateutil",
    "cv2": "opencv-python",
    "attr": "attrs",
    "Crypto": "pycryptodome",
    "Cryptodome": "pycryptodomex",
    "OpenSSL": "pyOpenSSL",
    "jwt": "PyJWT",
    "jose": "python-jose",
    "nacl": "PyNaCl",
    "argon2": "argon2-cffi",
    "dotenv": "python-dotenv",
    "decouple": "python-decouple",
    "environ": "django-environ",
    "multipart": "python-multipart",
    "slugify": "python-slugify",
    "magic": "python-magic",
    "docx": "python-docx",
    "pptx": "python-pptx",
    "fitz": "PyMuPDF",
    "pdfminer": "pdfminer.six",
    "serial": "pyserial",
    "usb": "pyusb",
    "bluetooth": "PyBluez",
    "RPi": "RPi.GPIO",
    "git": "GitPython",
    "github": "PyGithub",
    "gitlab": "python-gitlab",
    "atlassian": "atlassian-python-api",
    "telegram": "python-telegram-bot",
    "telebot": "pyTelegramBotAPI",
    "discord": "discord.py",
    "zmq": "pyzmq",
    "socks": "PySocks",
    "websocket": "websocket-client",
    "dns": "dnspython",
    "ldap": "python-ldap",
    "nmap": "python-nmap",
    "grpc": "grpcio",
    "kafka": "kafka-python",
    "memcache": "python-memcached",
    "MySQLdb": "mysqlclient",
    "cassandra": "cassandra-driver",
    "bson": "pymongo",
    "gridfs": "pymongo",
    "snowflake.connector": "snowflake-connector-python",
    "osgeo": "GDAL",
    "Bio": "biopython",
    "mpl_toolkits": "matplotlib",
    "pkg_resources": "setuptools",
    "markdown_it": "markdown-it-py",
    "speech_recognition": "SpeechRecognition",
    "whisper": "openai-whisper",
    "umap": "umap-learn",
    "faiss": "faiss-cpu",
    "community": "python-louvain",
    "newspaper": "newspaper3k",
    "barcode": "python-barcode",
    "vlc": "python-vlc",
    "capnp": "pycapnp",
    "Xlib": "python-xlib",
    "dbus": "dbus-python",
    "gi": "PyGObject",
    "cairo": "pycairo",
    "OpenGL": "PyOpenGL",
    "wx": "wxPython",
    "win32api": "pywin32",
    "win32con": "pywin32",
    "win32com": "pywin32",
    "pythoncom": "pywin32",
    "pywintypes": "pywin32",
    "vcr": "vcrpy",
    "factory": "factory_boy",
    "rest_framework": "djangorestframework",
    "airflow": "apache-airflow",
    "opensearchpy": "opensearch-py",
    # the `google` namespace outside google.cloud (google.cloud has its own rule below)
    "google.protobuf": "protobuf",
    "google.auth": "google-auth",
    "google.oauth2": "google-auth",
    "google.api_core": "google-api-core",
    "google.api": "googleapis-common-protos",
    "google.type": "googleapis-common-protos",
    "google.rpc": "googleapis-common-protos",
    "google.longrunning": "googleapis-common-protos",
    "google.iam.v1": "grpc-google-iam-v1",
    "google.resumable_media": "google-resumable-media",
    "google.generativeai": "google-generativeai",
    "google.genai": "google-genai",
    "google.ai.generativelanguage": "google-ai-generativelanguage",
    "google.analytics.data": "google-analytics-data",
    "google.analytics.admin": "google-analytics-admin",
    "google.ads.googleads": "google-ads",
    "googleapiclient": "google-api-python-client",
    "ruamel.yaml": "ruamel.yaml",
}


# --- namespace packages ----------------------------------------------------------------------------------
# Under `google`, `google.cloud`, `azure`, `zope`, `backports`, `jaraco` and `sphinxcontrib` many
# distributions install modules; none of these names is itself the distribution to install (PyPI's
# `google` is search-engine bindings, `azure` a deprecated empty meta-package). Each namespace has a naming
# rule instead of a fallback to the top-level name, and a bare namespace maps to nothing.

# google.cloud.X is google-cloud-X (X's `_vN...` version suffix dropped, `_` spelled `-`) except these,
# keyed by the dotted path below google.cloud, versions dropped (from googleapis/google-cloud-python).
GOOGLE_CLOUD_EXCEPTIONS: dict[str, str] = {
    # google-cloud-core's own modules
    **dict.fromkeys(("exceptions", "client", "environment_vars", "obsolete", "operation", "version",
                     "_helpers", "_http", "_testing"), "google-cloud-core"),
    "compute_v1beta": "google-cloud-compute-v1beta",  # a distribution of its own (raw, versioned key)
    "accessapproval": "google-cloud-access-approval",
    "apigateway": "google-cloud-api-gateway",
    "apigeeconnect": "google-cloud-apigee-connect",
    "artifactregistry": "google-cloud-artifact-registry",
    "assuredworkloads": "google-cloud-assured-workloads",
    "audit": "google-cloud-audit-log",
    "binaryauthorization": "google-cloud-binary-authorization",
    "dataflow": "google-cloud-dataflow-client",
    "dataqna": "google-cloud-data-qna",
    "dialogflowcx": "google-cloud-dialogflow-cx",
    "errorreporting": "google-cloud-error-reporting",
    "gkehub": "google-cloud-gke-hub",
    "lifesciences": "google-cloud-life-sciences",
    "managedidentities": "google-cloud-managed-identities",
    "mediatranslation": "google-cloud-media-translation",
    "metastore": "google-cloud-dataproc-metastore",
    "monitoring_dashboard": "google-cloud-monitoring-dashboards",
    "monitoring_metrics_scope": "google-cloud-monitoring-metrics-scopes",
    "networkconnectivity": "google-cloud-network-connectivity",
    "orgpolicy": "google-cloud-org-policy",
    "osconfig": "google-cloud-os-config",
    "oslogin": "google-cloud-os-login",
    "phishingprotection": "google-cloud-phishing-protection",
    "policytroubleshooter": "google-cloud-policy-troubleshooter",
    "privatecatalog": "google-cloud-private-catalog",
    "recaptchaenterprise": "google-cloud-recaptcha-enterprise",
    "recommendationengine": "google-cloud-recommendations-ai",
    "resourcemanager": "google-cloud-resource-manager",
    "secretmanager": "google-cloud-secret-manager",
    "servicecontrol": "google-cloud-service-control",
    "servicedirectory": "google-cloud-service-directory",
    "servicemanagement": "google-cloud-service-management",
    "vmmigration": "google-cloud-vm-migration",
    "vpcaccess": "google-cloud-vpc-access",
    # extra modules of a distribution named after another one
    "firestore_admin": "google-cloud-firestore",
    "firestore_bundle": "google-cloud-firestore",
    "datastore_admin": "google-cloud-datastore",
    "spanner_admin_database": "google-cloud-spanner",
    "spanner_admin_instance": "google-cloud-spanner",
    "spanner_dbapi": "google-cloud-spanner",
    "bigtable_admin": "google-cloud-bigtable",
    "iam_admin": "google-cloud-iam",
    "iam_credentials": "google-cloud-iam",
    # deeper namespaces
    "alloydb.connector": "google-cloud-alloydb-connector",
    "alloydb.connectors": "google-cloud-alloydb-connectors",
    "billing.budgets": "google-cloud-billing-budgets",
    "devtools.cloudbuild": "google-cloud-build",
    "devtools.containeranalysis": "google-cloud-containeranalysis",
    "gkeconnect.gateway": "google-cloud-gke-connect-gateway",
    "orchestration.airflow": "google-cloud-orchestration-airflow",
    "security.privateca": "google-cloud-private-ca",
    "security.publicca": "google-cloud-public-ca",
    "sql.connector": "cloud-sql-python-connector",
    "video.live_stream": "google-cloud-video-live-stream",
    "video.stitcher": "google-cloud-video-stitcher",
    "video.transcoder": "google-cloud-video-transcoder",
}
# Below google.cloud, these are namespaces themselves: only a deeper exception names a distribution.
_GOOGLE_CLOUD_NAMESPACES = frozenset({"devtools", "gkeconnect", "orchestration", "security", "sql", "video"})
_API_VERSION = re.compile(r"_v\d+[a-z0-9]*$")  # pubsub_v1, speech_v1p1beta1, translate_v3beta1

# The Azure SDK names a distribution after its package: azure.X is azure-X (azure.identity.aio →
# azure-identity, azure.core.exceptions → azure-core), and azure.X.Y is azure-X-Y when X is one of these
# namespaces (azure.storage.blob → azure-storage-blob); azure.cognitiveservices.<group>.Z goes one level
# deeper (azure-cognitiveservices-vision-computervision). An X not listed is taken for a package, not a
# namespace: most of the SDK's are (cosmos, servicebus, eventhub, functions...).
_AZURE_NAMESPACES = frozenset({
    "ai", "communication", "data", "datalake", "developer", "digitaltwins", "health", "healthinsights",
    "iot", "keyvault", "kusto", "maps", "messaging", "mgmt", "mixedreality", "monitor", "purview",
    "search", "security", "storage", "synapse",
})
_AZURE_COGNITIVE_GROUPS = frozenset({"knowledge", "language", "search", "vision"})
# Distributions named otherwise, keyed by the dotted path below azure.
AZURE_EXCEPTIONS: dict[str, str] = {
    "storage.filedatalake": "azure-storage-file-datalake",
    "storage.fileshare": "azure-storage-file-share",
    "monitor.opentelemetry.exporter": "azure-monitor-opentelemetry-exporter",
    "eventhub.extensions.checkpointstoreblob": "azure-eventhub-checkpointstoreblob",
    "eventhub.extensions.checkpointstoreblobaio": "azure-eventhub-checkpointstoreblob-aio",
    "schemaregistry.encoder.avroencoder": "azure-schemaregistry-avroencoder",
    "identity.broker": "azure-identity-broker",
    "appconfiguration.provider": "azure-appconfiguration-provider",
    "core.tracing.ext.opentelemetry_span": "azure-core-tracing-opentelemetry",
}

# These hold one distribution per second-level name, spelled `zope.interface`, `backports.zoneinfo`...
_DOTTED_NAMESPACES = frozenset({"zope", "backports", "jaraco", "sphinxcontrib"})


def _longest_prefix(parts: list[str], mapping: dict[str, str]) -> str | None:
    for n in range(len(parts), 0, -1):
        hit = mapping.get(".".join(parts[:n]))
        if hit is not None:
            return hit
    return None


def _google(rest: list[str]) -> str | None:
    # The google.* distributions outside google.cloud follow no rule: the known ones are in the mapping.
    if len(rest) < 2 or rest[0] != "cloud":
        return None
    below = rest[1:]
    unversioned = [_API_VERSION.sub("", p) for p in below]
    hit = (_longest_prefix(below, GOOGLE_CLOUD_EXCEPTIONS)  # a versioned key first (compute_v1beta)
           or _longest_prefix(unversioned, GOOGLE_CLOUD_EXCEPTIONS))
    if hit is not None:
        return hit
    if unversioned[0] in _GOOGLE_CLOUD_NAMESPACES:
        return None
    return "google-cloud-" + unversioned[0].replace("_", "-")


def _azure(rest: list[str]) -> str | None:
    hit = _longest_prefix(rest, AZURE_EXCEPTIONS)
    if hit is not None:
        return hit
    depth = 1
    if rest and rest[0] in _AZURE_NAMESPACES:
        depth = 2
    elif rest[:1] == ["cognitiveservices"]:
        depth = 3 if len(rest) > 1 and rest[1] in _AZURE_COGNITIVE_GROUPS else 2
    if len(rest) < depth:
        return None
    return "azure-" + "-".join(p.replace("_", "-") for p in rest[:depth])


def _one_level_below(top: str):
    return lambda rest: f"{top}.{rest[0]}" if rest else None


_NAMESPACE_RULES = {"google": _google, "azure": _azure,
                    **{top: _one_level_below(top) for top in _DOTTED_NAMESPACES}}


def distribution_for(dotted: str, mapping: dict[str, str] = IMPORT_TO_DISTRIBUTION) -> str | None:
    """The distribution providing import `dotted` (`google.protobuf.json_format` → `protobuf`,
    `google.cloud.translate_v2` → `google-cloud-translate`), or None when `dotted` is a bare namespace
    package (`google`, `google.cloud`, `azure.storage`) or lies in one under no known distribution."""
    parts = dotted.split(".")
    hit = _longest_prefix(parts, mapping)
    if hit is not None:
        return hit
    rule = _NAMESPACE_RULES.get(parts[0])
    return rule(parts[1:]) if rule is not None else parts[0]
