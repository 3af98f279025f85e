"""Where the repository's non-Python parts live; the project is always installed editable from its clone."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNNER_IMAGES_DIR = REPO_ROOT / "runner_images"
NODE_LIBRARY_DIR = REPO_ROOT / "node_library"
MIGRATIONS_DIR = REPO_ROOT / "migrations"
STATE_DIR = REPO_ROOT / ".qflow"
