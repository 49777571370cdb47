"""Every deployable function target, one line each (`--source=functions --entry-point=NAME`)."""

from intake.handlers import list_programs, relay_outbox, submit_application, submit_complaint, track_submission
from notify.handlers import send_sms_notification
from reports.handlers import build_nightly_report
from staff.handlers import close_stale_followups, staff_api

__all__ = [
    "build_nightly_report",
    "close_stale_followups",
    "list_programs",
    "relay_outbox",
    "send_sms_notification",
    "staff_api",
    "submit_application",
    "submit_complaint",
    "track_submission",
]
