"""`GET /files/{id}`: the bytes of a file the user owns (outputs too big to keep inline travel as files),
with every read recorded in `file_access_logs`."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import FileResponse
from sqlalchemy import select

from qflow.api.deps import CurrentUser, SessionDep, not_found
from qflow.db.models import File, FileAccessLog

router = APIRouter(prefix="/files", tags=["files"])


@router.get("/{file_id}")
def download(file_id: uuid.UUID, request: Request, session: SessionDep, user: CurrentUser) -> FileResponse:
    with session.begin():
        row = session.scalars(select(File).where(File.id == file_id, File.owner_id == user.id)).one_or_none()
        if row is None:
            raise not_found("file")
        if not row.storage_path:
            raise HTTPException(status.HTTP_410_GONE, "the file expired and its contents were deleted")
        path = (request.app.state.settings.files_dir / row.storage_path).resolve()
        if not path.is_file():
            raise HTTPException(status.HTTP_410_GONE, "the file's contents are missing from the files directory")
        session.add(FileAccessLog(file_id=row.id, user_id=user.id, action="download"))
    return FileResponse(path, media_type=row.mime_type, filename=row.name,
                        headers={"X-Content-SHA256": row.sha256})
