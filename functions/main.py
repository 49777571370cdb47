"""Every deployable function target, one line each (`--source=functions --entry-point=NAME`)."""

from inbound.handlers import sms_webhook
from intake.handlers import list_programs, relay_outbox, submit_application, submit_complaint, track_submission
from notify.handlers import send_sms_notification
from open311.handlers import open311_api as open311
from reports.handlers import build_nightly_report
from staff.handlers import close_stale_followups, staff_api

__all__ = [
    "build_nightly_report",
    "close_stale_followups",
    "list_programs",
    "open311",
    "relay_outbox",
    "send_sms_notification",
    "sms_webhook",
    "staff_api",
    "submit_application",
    "submit_complaint",
    "track_submission",
]
