"""How a submission reached the city: the `channel` of every submission, listed in this one place.

`web` is everything citizens send themselves through the forms and the public API. The Call Center Bahagia desk
files complaints and aspirations for a caller by `telepon`, `whatsapp` or `walk-in` (someone at the counter).
A new channel (issue 13: Open311, SMS) is one more entry here; the validation, the staff views, the report counters
and the console's labels all read this table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CHANNELS: dict[str, str] = {
    "web": "Formulir web",
    "telepon": "Telepon",
    "whatsapp": "WhatsApp",
    "walk-in": "Datang langsung",
    "open311": "Aplikasi mitra (Open311)",
}
"""Stable id -> label (Bahasa Indonesia), in the order reports list them."""

DEFAULT_CHANNEL = "web"

DESK_CHANNELS: tuple[str, ...] = ("telepon", "whatsapp", "walk-in")
"""What a Call Center operator may choose: the channels by which a person reaches the desk."""


def channel_of(doc: Mapping[str, Any]) -> str:
    """The channel of a stored submission; those stored before channels existed came through the web forms."""
    value = doc.get("channel")
    return value if isinstance(value, str) and value in CHANNELS else DEFAULT_CHANNEL
