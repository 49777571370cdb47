import json
import logging

import logs


def _format(record_message: str, **fields) -> dict:
    record = logging.LogRecord("bahagia.test", logging.WARNING, __file__, 1, record_message, None, None)
    if fields:
        record.fields = fields
    return json.loads(logs.CloudLoggingFormatter().format(record))


def test_a_log_line_is_one_json_object_cloud_logging_understands():
    logs.set_trace("105445aa7843bc8bf206b12000100000/1;o=1", "demo-bahagia")
    entry = _format("event left in outbox", event_id="abc")
    assert entry["severity"] == "WARNING"
    assert entry["message"] == "event left in outbox"
    assert entry["event_id"] == "abc"
    assert entry["logging.googleapis.com/trace"] == "projects/demo-bahagia/traces/105445aa7843bc8bf206b12000100000"


def test_w3c_traceparent_is_understood_and_garbage_ignored():
    logs.set_trace("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "p")
    assert _format("x")["logging.googleapis.com/trace"] == "projects/p/traces/4bf92f3577b34da6a3ce929d0e0e4736"
    logs.set_trace("not a trace\r\ninjected", "p")
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
