"""SMS texts for citizens: which template an event gets, how it reads, and proof that it fits one GSM-7 segment.

Pure: callers hand in the names (from the catalogue), the status URL and the facts of the event.

A message must cost one segment on any phone, so every template is a list of variants from the most informative to the
most compact, and rendering takes the first variant that is GSM-7 only and at most 160 septets. The last variant of
every template holds nothing of variable length but the tracking code (fixed length) and the status URL (bounded by
STATUS_URL_MAX_LENGTH, checked when the notifier is built), so some variant always fits;
tests/unit/test_sms_templates.py renders every template with worst-case inputs to prove it.

The PIN is never in an SMS: the notifier never has it (events carry no secrets, Firestore keeps only its salted hash),
and a text message lingers on lock screens, shared phones and provider logs, where code + PIN would open the status of
a complaint. The receipt tells the citizen to use the PIN they were shown on screen.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache

from bahagia.codes import format_tracking_code
from bahagia.events import RECEIVED as RECEIVED  # re-exported: the SMS texts are chosen by event type
from bahagia.events import STATUS_CHANGED as STATUS_CHANGED
from bahagia.events import TYPES

SENDER_PREFIX = "Pemkot Jambi:"
STATUS_URL_MAX_LENGTH = 40
"""Budget of the status URL inside a text; "https://bahagia.jambikota.go.id/status" is 38 characters."""

SEGMENT_SEPTETS = 160
CONCAT_SEGMENT_SEPTETS = 153
UCS2_SEGMENT_CHARS = 70
UCS2_CONCAT_SEGMENT_CHARS = 67

# GSM 03.38 default alphabet (the escape 0x1B left out) and its extension table, whose characters cost two septets.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

EVENT_TYPES = TYPES  # the events that can carry an SMS: both kinds on submission-events

GENERIC_OPD = "perangkat daerah terkait"


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def septets(text: str) -> int:
    """Length in GSM-7 septets (extension characters take two); only meaningful when is_gsm7(text)."""
    return sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)


def segment_count(text: str) -> int:
    """SMS segments the text costs: GSM-7 when it can be, else UCS-2 (UTF-16 code units)."""
    if is_gsm7(text):
        length, single, multi = septets(text), SEGMENT_SEPTETS, CONCAT_SEGMENT_SEPTETS
    else:
        length, single, multi = len(text.encode("utf-16-le")) // 2, UCS2_SEGMENT_CHARS, UCS2_CONCAT_SEGMENT_CHARS
    return 1 if length <= single else math.ceil(length / multi)


def fits_one_segment(text: str) -> bool:
    return is_gsm7(text) and septets(text) <= SEGMENT_SEPTETS


@dataclass(frozen=True)
class SmsNames:
    """The names a text may use, keyed by the catalogue's stable ids."""

    programs: Mapping[str, str] = field(default_factory=dict)
    categories: Mapping[str, str] = field(default_factory=dict)
    opd: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Notice:
    """What an event tells about a submission, with the parts of the submission a text may mention."""

    event_type: str
    kind: str
    status: str
    privacy: str
    tracking_code: str
    program: str | None = None
    benefit: str | None = None
    category: str | None = None
    opd: str | None = None


@dataclass(frozen=True)
class RenderedSms:
    template: str
    text: str
    segments: int
    encoding: str = "gsm7"


@dataclass(frozen=True)
class Template:
    id: str
    variants: tuple[str, ...]
    """str.format patterns from most to least informative; fields: prefix, subject, code, url, opd."""


# --- templates -----------------------------------------------------------------------------------------------------
# Wording: plain Bahasa Indonesia, the sender first, the code as printed on the receipt, one action for the citizen.

_CHECK = "Cek status di {url} dengan kode & PIN."
_INFO = "Info: {url}"

TEMPLATES: dict[str, Template] = {
    t.id: t
    for t in (
        Template("receipt", ("{prefix} {subject} Anda diterima. Kode {code}. " + _CHECK,)),
        Template(
            "receipt.confidential",
            ("{prefix} Kode registrasi Anda {code}. Simpan kode ini. " + _CHECK,),
        ),
        Template(
            "status.diverifikasi",
            ("{prefix} {subject} {code} sudah diverifikasi dan sedang diproses. " + _INFO,),
        ),
        Template(
            "status.didisposisikan",
            (
                "{prefix} {subject} {code} diteruskan ke {opd} untuk ditindaklanjuti. " + _INFO,
                "{prefix} {subject} {code} diteruskan ke {opd} untuk ditindaklanjuti.",
                "{prefix} {subject} {code} diteruskan ke {opd}.",
            ),
        ),
        Template(
            "status.ditindaklanjuti",
            (
                "{prefix} {subject} {code} sedang ditindaklanjuti oleh {opd}. " + _INFO,
                "{prefix} {subject} {code} sedang ditindaklanjuti oleh {opd}.",
            ),
        ),
        Template(
            "status.selesai",
            ("{prefix} {subject} {code} telah selesai ditangani. Terima kasih. " + _INFO,),
        ),
        Template(
            "status.ditolak.application",
            ("{prefix} {subject} {code} tidak dapat disetujui. Alasannya dapat dilihat di {url} dengan kode & PIN.",),
        ),
        Template(
            "status.ditolak.complaint",
            (
                "{prefix} {subject} {code} tidak dapat ditindaklanjuti. "
                "Alasannya dapat dilihat di {url} dengan kode & PIN.",
            ),
        ),
        Template(
            "status.disetujui",
            ("{prefix} {subject} {code} disetujui. Jadwal penyaluran akan diumumkan. " + _INFO,),
        ),
        Template(
            "status.disalurkan",
            ("{prefix} {subject} {code}: bantuan telah disalurkan. " + _INFO,),
        ),
        # For confidential reports: names neither the subject, the category, the status nor an OPD, because the
        # phone may be seen by the very person the report is about.
        Template("status.confidential", ("{prefix} Ada kabar terbaru untuk kode {code}. " + _CHECK,)),
    )
}

SENDS_FOR_PRIVACY = {"public", "private", "confidential"}
"""`anonymous` is left out: such a report has no number. Any unknown privacy value is treated as confidential."""


@cache
def _reached_by_transition(kind: str) -> frozenset[str]:
    """The statuses a transition of this kind of case can lead to (data/lifecycles.json); each has its template."""
    from bahagia import lifecycle

    if kind not in lifecycle.KINDS:
        return frozenset()
    return frozenset(rule.target for rule in lifecycle.lifecycle(kind).rules.values())


def template_id_for(notice: Notice) -> str | None:
    """Which template a notice gets, or None when the event warrants no SMS (no such status for this kind)."""
    confidential = notice.privacy not in ("public", "private")
    if notice.event_type == RECEIVED:
        return "receipt.confidential" if confidential else "receipt"
    if notice.event_type != STATUS_CHANGED:
        return None
    if notice.status == "ditolak" and notice.kind in ("application", "complaint"):
        chosen = f"status.ditolak.{notice.kind}"
    elif notice.status in _reached_by_transition(notice.kind):
        chosen = f"status.{notice.status}"
    else:
        return None  # diterima is the receipt's business; approval and disbursement are for applications only
    return "status.confidential" if confidential else chosen


def _subjects(notice: Notice, names: SmsNames) -> list[str]:
    """How a text may name the submission, longest first; the last one has no name from the catalogue."""
    if notice.kind == "application":
        noun = "Permohonan"
        name = names.programs.get(notice.program or "", "")
        labels = [name, _without_parenthesis(name)]
        if notice.benefit:
            benefit = notice.benefit.replace("-", " ").title()
            labels = [f"{label} {benefit}" for label in labels if label] + labels
    elif notice.category == "aspirasi":
        noun, labels = "Aspirasi", []
    else:
        noun = "Laporan"
        name = names.categories.get(notice.category or "", "")
        labels = [name, _without_parenthesis(name)]
    return _unique([f"{noun} {label}" for label in labels if label] + [noun])


def _opds(notice: Notice, names: SmsNames) -> list[str]:
    name = names.opd.get(notice.opd or "", "")
    return _unique([name, GENERIC_OPD] if name else [GENERIC_OPD])


def _without_parenthesis(name: str) -> str:
    return name.split(" (", 1)[0].strip()


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def candidates(template: Template, notice: Notice, names: SmsNames, status_url: str) -> Iterator[str]:
    """Every rendering of a template in order of preference (the most informative first)."""
    # The OPD a case went to is the news of the text, so its name goes last; then the URL; then the programme name.
    for opd in _opds(notice, names):
        for subject in _subjects(notice, names):
            for pattern in template.variants:
                yield pattern.format(
                    prefix=SENDER_PREFIX,
                    subject=subject,
                    code=format_tracking_code(notice.tracking_code),
                    url=status_url,
                    opd=opd,
                )


class TemplateError(ValueError):
    """No variant of a template fits one segment: a bug in the templates or a status URL over its budget."""


def render(notice: Notice, names: SmsNames, status_url: str) -> RenderedSms | None:
    """The one-segment text for a notice, or None when the event warrants no SMS."""
    template_id = template_id_for(notice)
    if template_id is None:
        return None
    template = TEMPLATES[template_id]
    for text in candidates(template, notice, names, status_url):
        if fits_one_segment(text):
            return RenderedSms(template=template_id, text=text, segments=1)
    raise TemplateError(f"template {template_id} does not fit one GSM-7 segment")


def check_status_url(status_url: str) -> str:
    """The status URL if a text can carry it; raised at cold start otherwise, not at the first SMS."""
    if len(status_url) > STATUS_URL_MAX_LENGTH or not is_gsm7(status_url):
        raise TemplateError(
            f"status URL must be GSM-7 and at most {STATUS_URL_MAX_LENGTH} characters to fit in one SMS"
        )
    return status_url


def names_from_catalogue(
    programs: Mapping[str, Mapping[str, object]], categories: Mapping[str, Mapping[str, object]], opd: Mapping[str, str]
) -> SmsNames:
    """SmsNames from the catalogue's programmes, categories and OPDs (bahagia.catalogue.Catalogue's fields)."""
    return SmsNames(
        programs={pid: str(p.get("name", "")) for pid, p in programs.items()},
        categories={cid: str(c.get("name", "")) for cid, c in categories.items()},
        opd=dict(opd),
    )
