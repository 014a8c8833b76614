"""Stage 2 (routing): one error format for every answer that is not a success.

Every error body is JSON: {"error": {"code": "not_found", "message": "..."}}, with a `fields`
object for invalid_body (422). The codes are listed in openapi.yaml. Handlers raise `ApiError`;
the exception handlers below turn it, and the framework's own HTTPException (404, 405 ...),
into that format, keeping the headers the status needs (Allow on 405, WWW-Authenticate on 401).
"""

from starlette.exceptions import HTTPException  # noqa: F401 (used by code you write)
from starlette.requests import Request
from starlette.responses import JSONResponse

# The framework's own HTTP errors (no route, wrong method) and the codes they get.
FRAMEWORK_CODES = {404: "not_found", 405: "method_not_allowed"}


class ApiError(Exception):
    """An error answer: status, code (from openapi.yaml), message, optional fields and headers."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.headers = headers


def error_response(
    status: int,
    code: str,
    message: str,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The JSON error answer: {"error": {"code", "message"[, "fields"]}} with `headers`."""
    error: dict = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return JSONResponse({"error": error}, status_code=status, headers=headers)


async def api_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Turn an ApiError raised by a handler into its error answer."""
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Turn the framework's HTTPException (no such route, wrong method) into the error format,
    keeping its headers: a 405 must say which methods are allowed."""
    assert isinstance(exc, HTTPException)
    code = FRAMEWORK_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)
