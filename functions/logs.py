"""Structured JSON logs that Cloud Logging understands: one line per record with severity, the trace and span of
the request, functions-framework's execution id, and for errors a stack trace Error Reporting picks up.

What gets logged is ours (codes, statuses, counts), never request content: no NIK, KK, phone or name reaches here,
and an exception is logged by its type and frames, never by its message (which may quote what a citizen sent).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import traceback
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

# Error Reporting groups entries of this type by their stack_trace (cloud.google.com/error-reporting/docs/
# formatting-error-messages), at any severity; only ERROR and above get it, so an outage logged as a warning does not.
REPORTED_ERROR_EVENT = "type.googleapis.com/google.devtools.clouderrorreporting.v1beta1.ReportedErrorEvent"
EXECUTION_ID_HEADER = "Function-Execution-Id"

_trace: contextvars.ContextVar[str | None] = contextvars.ContextVar("trace", default=None)
_span: contextvars.ContextVar[str | None] = contextvars.ContextVar("span", default=None)
_execution_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("execution_id", default=None)
_configured = False

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-(?P<trace>[0-9a-f]{32})-(?P<span>[0-9a-f]{16})-[0-9a-f]{2}$")
_CLOUD_TRACE = re.compile(r"^(?P<trace>[0-9a-fA-F]{1,64})(?:/(?P<span>[0-9]{1,20}))?(?:;o=[01])?$")
_EXECUTION_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def _trace_and_span(headers: Mapping[str, str]) -> tuple[str | None, str | None]:  # names in lower case
    """From W3C `traceparent: 00-TRACE-SPAN-01` (span in hex) or `X-Cloud-Trace-Context: TRACE/SPAN;o=1` (span a
    decimal number); Cloud Logging wants the span as 16 hex digits."""
    w3c = _TRACEPARENT.match(headers.get("traceparent", "").strip())
    if w3c:
        return w3c["trace"], w3c["span"]
    cloud = _CLOUD_TRACE.match(headers.get("x-cloud-trace-context", "").strip())
    if cloud:
        span = int(cloud["span"]) if cloud["span"] else 0
        return cloud["trace"], f"{span:016x}" if 0 < span < 2**64 else None
    return None, None


class HeaderItems(Protocol):
    """A dict of headers or werkzeug's Headers: anything with name/value items."""

    def items(self) -> Iterable[tuple[str, str]]: ...


def set_request_context(headers: HeaderItems, project_id: str) -> None:
    """Trace, span and execution id of the request being served, for every record until the next request.

    Each call sets all three (None when absent): a server thread serves many requests one after another.
    functions-framework puts a `Function-Execution-Id` on every request (Cloud Run's, or one it makes up).
    """
    by_name = {name.lower(): value for name, value in headers.items()}
    trace, span = _trace_and_span(by_name)
    _trace.set(f"projects/{project_id}/traces/{trace}" if trace else None)
    _span.set(span)
    execution_id = by_name.get(EXECUTION_ID_HEADER.lower(), "").strip()
    _execution_id.set(execution_id if _EXECUTION_ID.match(execution_id) else None)


def stack_trace(exc_type: type[BaseException], tb: Any) -> str:
    """Python's traceback layout, frames only: file, line and function of each frame, then the exception's type.
    No source lines and never the message: the message may quote personal data, the frames cannot."""
    lines = ["Traceback (most recent call last):"]
    lines += [f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}' for frame in traceback.extract_tb(tb)]
    module = exc_type.__module__
    lines.append(exc_type.__qualname__ if module == "builtins" else f"{module}.{exc_type.__qualname__}")
    return "\n".join(lines)


class CloudLoggingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": record.levelname if record.levelname != "WARN" else "WARNING",
            "message": record.getMessage(),
            "logger": record.name,
        }
        trace, span, execution_id = _trace.get(), _span.get(), _execution_id.get()
        if trace:
            entry["logging.googleapis.com/trace"] = trace
        if span:
            entry["logging.googleapis.com/spanId"] = span
        if execution_id:
            entry["logging.googleapis.com/labels"] = {"execution_id": execution_id}
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info and record.exc_info[0] is not None:
            # The exception's type and where it happened; its message may quote data, so it is not included.
            entry["error_type"] = record.exc_info[0].__name__
            tb = record.exc_info[2]
            last = tb
            while last is not None and last.tb_next is not None:
                last = last.tb_next
            if last is not None:
                entry["error_at"] = f"{last.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{last.tb_lineno}"
            if record.levelno >= logging.ERROR:
                entry["@type"] = REPORTED_ERROR_EVENT
                entry["stack_trace"] = stack_trace(record.exc_info[0], tb)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure() -> None:
    global _configured
    if _configured:
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(CloudLoggingFormatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    # Client libraries log request details at DEBUG/INFO; keep them to warnings.
    for noisy in ("urllib3", "google", "grpc", "botocore", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _configured = True


def get_logger(name: str) -> logging.Logger:
    configure()
    return logging.getLogger(name)
