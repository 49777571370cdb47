import json
import logging
import re
import sys

import logs


def _format(record_message: str, **fields) -> dict:
    record = logging.LogRecord("bahagia.test", logging.WARNING, __file__, 1, record_message, None, None)
    if fields:
        record.fields = fields
    return json.loads(logs.CloudLoggingFormatter().format(record))


def test_a_log_line_is_one_json_object_cloud_logging_understands():
    logs.set_request_context({"X-Cloud-Trace-Context": "105445aa7843bc8bf206b12000100000/1;o=1"}, "demo-bahagia")
    entry = _format("event left in outbox", event_id="abc")
    assert entry["severity"] == "WARNING"
    assert entry["message"] == "event left in outbox"
    assert entry["event_id"] == "abc"
    assert entry["logging.googleapis.com/trace"] == "projects/demo-bahagia/traces/105445aa7843bc8bf206b12000100000"


def test_w3c_traceparent_is_understood_and_garbage_ignored():
    logs.set_request_context({"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, "p")
    assert _format("x")["logging.googleapis.com/trace"] == "projects/p/traces/4bf92f3577b34da6a3ce929d0e0e4736"
    logs.set_request_context({"X-Cloud-Trace-Context": "not a trace\r\ninjected"}, "p")
    assert "logging.googleapis.com/trace" not in _format("x")


def test_an_exception_is_logged_by_type_and_place_never_by_its_message():
    try:
        raise ValueError("NIK 1571015708850003 tidak valid")
    except ValueError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "unexpected error", None, None)
        import sys

        record.exc_info = sys.exc_info()
    text = logs.CloudLoggingFormatter().format(record)
    assert "1571015708850003" not in text
    entry = json.loads(text)
    assert entry["error_type"] == "ValueError"
    assert entry["error_at"].startswith("test_logs.py:")


# --- execution id, span, Error Reporting (issue 11) -------------------------------------------------------------


def test_every_record_carries_the_execution_id_and_span_of_its_request():
    logs.set_request_context(
        {"Function-Execution-Id": "fX3kq9ZpL0aB", "X-Cloud-Trace-Context": "105445aa7843bc8bf206b12000100000/2;o=1"},
        "demo-bahagia",
    )
    for entry in (_format("first"), _format("second", event_id="e")):
        assert entry["logging.googleapis.com/labels"] == {"execution_id": "fX3kq9ZpL0aB"}
        # Cloud Logging's spanId is 16 hex digits; X-Cloud-Trace-Context gives it as a decimal number.
        assert entry["logging.googleapis.com/spanId"] == "0000000000000002"


def test_header_names_in_any_case_and_the_w3c_span_as_it_is():
    logs.set_request_context(
        {"function-execution-id": "abc", "TRACEPARENT": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
        "p",
    )
    entry = _format("x")
    assert entry["logging.googleapis.com/labels"] == {"execution_id": "abc"}
    assert entry["logging.googleapis.com/spanId"] == "00f067aa0ba902b7"


def test_the_next_request_without_headers_leaves_nothing_of_the_previous_one():
    logs.set_request_context({"Function-Execution-Id": "one", "X-Cloud-Trace-Context": "abc/7;o=1"}, "p")
    logs.set_request_context({"Function-Execution-Id": "bad id\r\n"}, "p")
    entry = _format("x")
    assert "logging.googleapis.com/labels" not in entry
    assert "logging.googleapis.com/spanId" not in entry
    assert "logging.googleapis.com/trace" not in entry


def _record_of(level: int, exc: BaseException) -> logging.LogRecord:
    try:
        raise exc
    except type(exc):
        record = logging.LogRecord("t", level, __file__, 1, "unexpected error", None, None)
        record.exc_info = sys.exc_info()
    return record


def _fail_deep(nik: str) -> None:
    raise KeyError(f"no record for NIK {nik}")


def test_an_error_goes_to_error_reporting_with_frames_and_never_the_message():
    try:
        _fail_deep("1571015708850003")
    except KeyError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "unexpected error", None, None)
        record.exc_info = sys.exc_info()
    text = logs.CloudLoggingFormatter().format(record)
    assert "1571015708850003" not in text
    entry = json.loads(text)
    assert entry["@type"] == "type.googleapis.com/google.devtools.clouderrorreporting.v1beta1.ReportedErrorEvent"
    lines = entry["stack_trace"].splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert re.fullmatch(r'  File ".*test_logs\.py", line \d+, in test_an_error_goes_to_error_reporting.*', lines[1])
    assert re.fullmatch(r'  File ".*test_logs\.py", line \d+, in _fail_deep', lines[2])
    assert lines[-1] == "KeyError"  # the type as Python prints an exception without arguments
    assert entry["message"] == "unexpected error"


def test_a_non_builtin_exception_is_named_with_its_module():
    from bahagia.errors import BahagiaError

    entry = json.loads(logs.CloudLoggingFormatter().format(_record_of(logging.CRITICAL, BahagiaError("x", "y", 400))))
    assert entry["stack_trace"].splitlines()[-1] == "bahagia.errors.BahagiaError"


def test_a_warning_with_a_traceback_is_not_an_error_report():
    # An outage (503) is logged as a warning: error_type and error_at for the operator, no Error Reporting entry.
    entry = json.loads(logs.CloudLoggingFormatter().format(_record_of(logging.WARNING, TimeoutError("slow"))))
    assert entry["error_type"] == "TimeoutError"
    assert "@type" not in entry
    assert "stack_trace" not in entry
