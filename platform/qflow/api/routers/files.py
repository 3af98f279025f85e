"""`GET /files/{id}`: the bytes of a file the user owns (outputs too big to keep inline travel as files),
with every read recorded in `file_access_logs`."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import FileResponse, Response
from sqlalchemy import select

from qflow.api.deps import CurrentUser, SessionDep, not_found
from qflow.db.base import utcnow
from qflow.db.models import File, FileAccessLog
from qflow.db.models.files import IN_DATABASE
from qflow.engine.queue.files import StoredValueError, file_bytes

router = APIRouter(prefix="/files", tags=["files"])


@router.get("/{file_id}")
def download(file_id: uuid.UUID, request: Request, session: SessionDep, user: CurrentUser) -> Response:
    with session.begin():
        row = session.scalars(select(File).where(File.id == file_id, File.owner_id == user.id)).one_or_none()
        if row is None:
            raise not_found("file")
        headers = {"X-Content-SHA256": row.sha256}
        if not row.storage_path:
            raise HTTPException(status.HTTP_410_GONE, "the file expired and its contents were deleted")
        # Expired files are deleted by workers and `qflow run`, whenever they next look: until then
        # the bytes are still there, but no longer the user's to read.
        if row.is_temporary and row.expires_at is not None and row.expires_at <= utcnow():
            raise HTTPException(status.HTTP_410_GONE, f"the file expired at {row.expires_at.isoformat()}")
        if row.storage_path == IN_DATABASE:
            try:
                data = file_bytes(session, row, request.app.state.settings.files_dir)
            except StoredValueError as e:
                raise HTTPException(status.HTTP_410_GONE, str(e)) from None
            response: Response = Response(data, media_type=row.mime_type, headers={
                **headers, "Content-Disposition": f"attachment; filename*=utf-8''{quote(row.name)}"})
        else:
            # Streamed from disk, never whole in memory.
            path = (request.app.state.settings.files_dir / row.storage_path).resolve()
            if not path.is_file():
                raise HTTPException(status.HTTP_410_GONE, "the file's contents are missing from the files directory")
            response = FileResponse(path, media_type=row.mime_type, filename=row.name, headers=headers)
        session.add(FileAccessLog(file_id=row.id, user_id=user.id, action="download"))
    return response
