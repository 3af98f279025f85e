"""Error answers that cannot themselves fail: a 422 echoes the input it refused, and that input may hold
what JSON cannot encode (half a surrogate pair, NaN) — the default handler then answered 500."""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


def printable(value: Any) -> Any:
    """`value` (jsonable) with every string UTF-8 can encode and every number JSON can: a lone
    surrogate is shown escaped (`\\ud800`), a non-finite float as its name."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {printable(k): printable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [printable(v) for v in value]
    return value


async def request_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's own 422 (`{"detail": [...errors]}`), encodable whatever the request held."""
    return JSONResponse(status_code=422, content={"detail": printable(jsonable_encoder(exc.errors()))})


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, request_validation_error)
