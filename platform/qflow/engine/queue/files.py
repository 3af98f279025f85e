"""Node outputs too big to keep inline travel as files.

An output whose tagged-JSON encoding is larger than `inline_output_bytes` gets a `files` row (sha256,
size, mime type, temporary with an expiry) and its bytes go, by `QFLOW_FILE_STORE`, to a
`file_contents` row in the same transaction (`database`, the default: any worker host reads them) or
to `<files_dir>/<sha256[:2]>/<file id>.json` (`directory`: the hosts must share that directory).
Readers follow each row's `storage_path`, so files written before a switch stay readable. The node's `outputs` column then holds, under the key `$files` (never an
output name: those are identifiers), the file id of each such output. Readers — the next node's inputs,
the API, `qflow run` — go through `load_outputs`, which checks the sha256 of what it reads.

`expire_files` deletes the bytes of temporary files past their expiry and empties their `storage_path`;
the row stays, because `node_data_flow` history points at it.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update

from qflow.db.base import utcnow, uuid7
from qflow.db.models import File, FileContent
from qflow.db.models.files import IN_DATABASE
from type_system import codec

FILES = "$files"
MIME = "application/json"


class StoredValueError(RuntimeError):
    """A stored output could not be read back (missing, expired or corrupted file)."""


def dumps(encoded: Any) -> str:
    return json.dumps(encoded, separators=(",", ":"), allow_nan=False, ensure_ascii=False)


def _write_blob(files_dir: Path, data: bytes, sha: str, file_id: uuid.UUID) -> str:
    rel = f"{sha[:2]}/{file_id}.json"
    path = files_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{file_id}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)  # atomic: a reader never sees half a file
    return rel


def store_outputs(s, outputs: dict[str, Any], *, execution_id: uuid.UUID, owner_id,
                  node_key: str, files_dir: Path, inline_limit: int, ttl_hours: float,
                  written: list | None = None, store: str = "database") -> dict:
    """The `outputs` column for these (validated) outputs, storing big ones as files (rows in `s`; in
    the directory store the paths written are appended to `written`, for `discard` should the
    transaction roll back). `owner_id` is the owner's id, or a function giving it (asked only when a
    file is written)."""
    column: dict[str, Any] = {}
    stored: dict[str, str] = {}
    for name, value in outputs.items():
        enc = codec.encode(value)
        text = dumps(enc)
        if len(text) <= inline_limit:
            column[name] = enc
            continue
        data = text.encode()
        sha = hashlib.sha256(data).hexdigest()
        if callable(owner_id):
            owner_id = owner_id()
        fid = uuid7()
        if store == "database":
            rel = IN_DATABASE
        else:
            rel = _write_blob(files_dir, data, sha, fid)
            if written is not None:
                written.append(files_dir / rel)
        s.execute(insert(File).values(
            id=fid, owner_id=owner_id, execution_id=execution_id, name=f"{node_key}.{name}.json", sha256=sha,
            size_bytes=len(data), mime_type=MIME, storage_path=rel, is_temporary=True,
            expires_at=utcnow() + timedelta(hours=ttl_hours), created_at=utcnow()))
        if rel == IN_DATABASE:
            s.execute(insert(FileContent).values(file_id=fid, content=data))
        stored[name] = str(fid)
    if stored:
        column[FILES] = stored
    return column


def discard(paths: list[Path]) -> None:
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def file_refs(column: dict | None) -> dict[str, uuid.UUID]:
    return {k: uuid.UUID(v) for k, v in ((column or {}).get(FILES) or {}).items()}


def file_bytes(s, row, files_dir: Path) -> bytes:
    """The bytes of a `files` row (it needs `id`, `sha256` and `storage_path`), checked against its
    sha256, from wherever it was stored."""
    if not row.storage_path:
        raise StoredValueError(f"file {row.id} has expired")
    if row.storage_path == IN_DATABASE:
        data = s.execute(select(FileContent.content).where(FileContent.file_id == row.id)).scalar_one_or_none()
        if data is None:
            raise StoredValueError(f"file {row.id} has no contents in the database")
    else:
        try:
            data = (files_dir / row.storage_path).read_bytes()
        except OSError as e:
            raise StoredValueError(f"file {row.id} cannot be read: {e}") from None
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise StoredValueError(f"file {row.id} does not match its sha256")
    return bytes(data)


def read_file(s, file_id: uuid.UUID, files_dir: Path) -> tuple[Any, int]:
    """The decoded value stored in a file, and its size in bytes."""
    row = s.execute(select(File.id, File.sha256, File.storage_path, File.size_bytes)
                    .where(File.id == file_id)).one_or_none()
    if row is None:
        raise StoredValueError(f"file {file_id} does not exist")
    return codec.decode(json.loads(file_bytes(s, row, files_dir))), row.size_bytes


def load_outputs(s, column: dict | None, files_dir: Path) -> dict[str, Any]:
    """Every output of a node, decoded, files read back."""
    if column is None:
        return {}
    out = {k: codec.decode(v) for k, v in column.items() if k != FILES}
    for name, fid in file_refs(column).items():
        out[name], _ = read_file(s, fid, files_dir)
    return out


def expire_files(sessions, files_dir: Path, now=None) -> int:
    """Delete the bytes of expired temporary files; how many rows expired."""
    now = now or utcnow()
    with sessions.begin() as s:
        rows = s.execute(select(File.id, File.storage_path).where(
            File.is_temporary.is_(True), File.expires_at < now, File.storage_path != "")
            .with_for_update(skip_locked=True)).all()
        if not rows:
            return 0
        s.execute(update(File).where(File.id.in_([r.id for r in rows])).values(storage_path=""))
        s.execute(delete(FileContent).where(FileContent.file_id.in_(
            [r.id for r in rows if r.storage_path == IN_DATABASE])))
    for rel in {r.storage_path for r in rows} - {IN_DATABASE}:
        try:
            (files_dir / rel).unlink()
        except FileNotFoundError:
            pass
    return len(rows)
