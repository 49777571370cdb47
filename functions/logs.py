"""Structured JSON logs that Cloud Logging understands: one line per record with severity and the trace id.

What gets logged is ours (codes, statuses, counts), never request content: no NIK, KK, phone or name reaches here.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from typing import Any

_trace: contextvars.ContextVar[str | None] = contextvars.ContextVar("trace", default=None)
_configured = False


def set_trace(header_value: str | None, project_id: str) -> None:
    """From `X-Cloud-Trace-Context: TRACE/SPAN;o=1` or W3C `traceparent: 00-TRACE-SPAN-01`."""
    trace_id = None
    if header_value:
        if header_value.startswith("00-") and header_value.count("-") == 3:
            trace_id = header_value.split("-")[1]
        else:
            trace_id = header_value.split("/")[0].split(";")[0]
    if trace_id and trace_id.isalnum() and len(trace_id) <= 64:
        _trace.set(f"projects/{project_id}/traces/{trace_id}")
    else:
        _trace.set(None)


class CloudLoggingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": record.levelname if record.levelname != "WARN" else "WARNING",
            "message": record.getMessage(),
            "logger": record.name,
        }
        trace = _trace.get()
        if trace:
            entry["logging.googleapis.com/trace"] = trace
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info and record.exc_info[0] is not None:
            # The exception's type and where it happened; its message may quote data, so it is not included.
            entry["error_type"] = record.exc_info[0].__name__
            tb = record.exc_info[2]
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            if tb is not None:
                entry["error_at"] = f"{tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}"
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
