"""Demo data for the local stack: submissions across programmes, kecamatan, statuses and dates, with transitions and
SMS records, shaped like what intake, the staff service and the notifier store.

Everything personal is clearly fake: names are "Warga Contoh 0001", NIKs carry Kota Jambi's region code and a real
date but the serial 9xxx, phones are +62 812 0000 xxxx, and no PIN can open a demo record (its hash is random).
Deterministic for a given `random.Random`: seeding twice with the same seed writes the same documents again.
Pure: the caller hands in `now` and the generator; writing is the CLI's job.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from bahagia import calendar, channels, lifecycle, report_counters, sla
from bahagia.calendar import WIB
from bahagia.codes import new_tracking_code
from bahagia.report_facts import transition_facts

PROGRAM_WEIGHTS = {
    "kartu-bahagia": 40,
    "balikat": 12,
    "banharkat": 10,
    "lansia-bahagia": 14,
    "rumel": 8,
    "kampung-bahagia": 6,
}
BENEFITS = ("pendidikan", "kesehatan", "sosial")
CATEGORY_WEIGHTS = {
    "infrastruktur": 30,
    "lingkungan": 18,
    "layanan-publik": 16,
    "aparatur": 6,
    "budaya": 4,
    "pungli": 4,
    "aspirasi": 12,
}
DEMO_OPD = {
    "infrastruktur": "dinas-pupr",
    "lingkungan": "dlh",
    "layanan-publik": "disdukcapil",
    "aparatur": "inspektorat",
    "budaya": "disbudpar",
    "pungli": "inspektorat",
    "aspirasi": "diskominfo",
}
# Rough shares of Kota Jambi's population by kecamatan, so the map looks like a city and not like noise.
KECAMATAN_WEIGHTS = {
    "15.71.01": 7,
    "15.71.02": 9,
    "15.71.03": 9,
    "15.71.04": 2,
    "15.71.05": 2,
    "15.71.06": 2,
    "15.71.07": 14,
    "15.71.08": 10,
    "15.71.09": 18,
    "15.71.10": 8,
    "15.71.11": 17,
}


@dataclass
class Seeded:
    """One submission with what happened to it, ready to write."""

    submission: dict[str, Any]
    audit: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    counts: report_counters.Counts = field(default_factory=dict)
    """What intake and the staff service would have added to the report counters for all of the above."""

    @property
    def code(self) -> str:
        return str(self.submission["tracking_code"])


def fake_nik(rng: random.Random, kecamatan: str, serial: int, birth: dt.date, female: bool) -> str:
    """Valid for python-stdnum's id.nik (region 15.71.xx, a real date) yet plainly fake: the serial is 9xxx."""
    day = birth.day + (40 if female else 0)
    return f"{kecamatan.replace('.', '')}{day:02d}{birth.month:02d}{birth.year % 100:02d}9{serial % 1000:03d}"


def _pick(rng: random.Random, weights: Mapping[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _office_time(rng: random.Random, day: dt.date) -> dt.datetime:
    # Citizens submit around the clock, mostly in the day; 5% land in the last hour before midnight WIB, which is the
    # previous day's evening in UTC: exactly the case a UTC date would get wrong.
    minute = 23 * 60 + rng.randrange(60) if rng.random() < 0.05 else rng.randrange(6 * 60, 22 * 60)
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60, rng.randrange(60)), tzinfo=WIB).astimezone(
        dt.UTC
    )


def _later(rng: random.Random, since: dt.datetime) -> dt.datetime:
    """When staff act next: usually within the service level, sometimes late."""
    days = rng.choices([0, 1, 2, 3, 4, 6, 9], weights=[18, 30, 22, 14, 7, 6, 3])[0]
    day = since.astimezone(WIB).date() + dt.timedelta(days=days)
    while not calendar.is_working_day(day):
        day += dt.timedelta(days=1)
    moment = dt.datetime.combine(day, dt.time(8 + rng.randrange(8), rng.randrange(60)), tzinfo=WIB).astimezone(dt.UTC)
    return max(moment, since + dt.timedelta(minutes=5))


def _notification(rng: random.Random, seeded: Seeded, event_id: str, status_now: str, at: dt.datetime) -> None:
    """A `notifications/{event_id}:{recipient}` record as bahagia.notifications writes it (no phone number in it)."""
    created = at + dt.timedelta(seconds=3)
    outcome = rng.choices(["sent", "delivered", "failed"], weights=[70, 25, 5])[0]
    recipient = "".join(rng.choice("0123456789abcdef") for _ in range(64))
    record = {
        "id": f"{event_id}:{recipient}",
        "event_id": event_id,
        "event_type": "submission.received" if status_now == "diterima" else "submission.status_changed",
        "tracking_code": seeded.code,
        "submission_status": status_now,
        "recipient_key": recipient,
        "recipient_role": "applicant" if seeded.submission["kind"] == "application" else "reporter",
        "channel": "sms",
        "template": "received" if status_now == "diterima" else f"status.{status_now}",
        "segments": 1,
        "provider": "sns",
        "provider_message_id": None if outcome == "failed" else f"demo-{event_id}",
        "status": outcome,
        "failure_reason": "invalid_number" if outcome == "failed" else None,
        "retryable": False,
        "attempts": 1,
        "lease_until": None,
        "created_at": created,
        "updated_at": created + dt.timedelta(seconds=1),
        "sent_at": None if outcome == "failed" else created + dt.timedelta(seconds=1),
        "business_date": created.astimezone(WIB).date().isoformat(),
    }
    seeded.notifications.append(record)
    # Created queued, then sent or failed (and later delivered): the notifier's writes, each with its counts.
    queued = {**record, "status": "queued"}
    report_counters.merge(seeded.counts, report_counters.notification_counts(None, queued))
    report_counters.merge(seeded.counts, report_counters.notification_counts(queued, record))


def demo_submission(
    rng: random.Random,
    serial: int,
    day: dt.date,
    now: dt.datetime,
    places: Mapping[str, list[str]],
    *,
    at: dt.datetime | None = None,
    kind: str | None = None,
) -> Seeded:
    """One fake submission of `day`, walked through its lifecycle up to `now`."""
    submitted_at = at or _office_time(rng, day)
    kind = kind or ("application" if rng.random() < 0.6 else "complaint")
    code = new_tracking_code(lambda n: rng.randrange(n))
    kecamatan: str | None = _pick(rng, KECAMATAN_WEIGHTS)
    kelurahan: str | None = rng.choice(places[kecamatan]) if kecamatan else None
    name = f"Warga Contoh {serial:04d}"
    phone = f"+62812{serial % 100_000_000:08d}"
    doc: dict[str, Any] = {
        "schema_version": 1,
        "tracking_code": code,
        "kind": kind,
        "channel": "web",
        "status": "diterima",
        "submitted_at": submitted_at,
        "status_changed_at": submitted_at,
        "business_date": submitted_at.astimezone(WIB).date().isoformat(),
        "pin_hash": "".join(rng.choice("0123456789abcdef") for _ in range(64)),
        "pin_salt": "".join(rng.choice("0123456789abcdef") for _ in range(32)),
        "program": None,
        "benefit": None,
        "category": None,
        "opd": None,
        "demo": True,
    }
    if kind == "application":
        program = _pick(rng, PROGRAM_WEIGHTS)
        female = rng.random() < 0.5
        birth = dt.date(1950 + rng.randrange(55), 1 + rng.randrange(12), 1 + rng.randrange(28))
        doc.update(
            program=program,
            benefit=rng.choice(BENEFITS) if program == "kartu-bahagia" else None,
            privacy="private",
            applicant={
                "nik": fake_nik(rng, str(kecamatan), serial, birth, female),
                "kk": f"{str(kecamatan).replace('.', '')}0101019{serial % 1000:03d}",
                "name": name,
                "birth_date": birth.isoformat(),
                "gender": "P" if female else "L",
                "phone": phone,
                "address": {
                    "street": f"Jalan Contoh No. {serial % 200 + 1}",
                    "rt": "001",
                    "rw": "002",
                    "kecamatan": kecamatan,
                    "kelurahan": kelurahan,
                },
            },
            details={"contoh": True},
        )
    else:
        category = _pick(rng, CATEGORY_WEIGHTS)
        if category == "aspirasi" and rng.random() < 0.5:
            kecamatan = kelurahan = None
        privacy = (
            "confidential"
            if category == "pungli"
            else rng.choices(["public", "anonymous", "confidential"], weights=[80, 12, 8])[0]
        )
        # One complaint in five comes through the Call Center Bahagia desk (from the serial: the random stream,
        # and so every other seeded figure, stays what it was).
        channel = channels.DESK_CHANNELS[serial // 5 % 3] if serial % 5 == 0 else "web"
        doc.update(
            channel=channel,
            category=category,
            privacy=privacy,
            complaint={
                "description": f"Laporan contoh nomor {serial} untuk data demo.",
                "location": {"kecamatan": kecamatan, "kelurahan": kelurahan, "address": None},
                "occurred_on": day.isoformat(),
            },
            suggested_opd=DEMO_OPD[category],
        )
        if privacy != "anonymous":
            doc["reporter"] = {"name": name, "phone": phone}
    doc["kecamatan"], doc["kelurahan"] = kecamatan, kelurahan
    doc["due_at"] = sla.initial_due_at(kind, submitted_at)
    doc["timeline"] = [{"status": "diterima", "at": submitted_at, "note": None}]
    seeded = Seeded(doc, counts=report_counters.submission_counts(doc))
    has_phone = kind == "application" or doc.get("privacy") != "anonymous"
    if has_phone:
        _notification(rng, seeded, f"{code}-0", "diterima", submitted_at)
    _walk(rng, seeded, now, has_phone)
    return seeded


def _walk(rng: random.Random, seeded: Seeded, now: dt.datetime, has_phone: bool) -> None:
    doc = seeded.submission
    life = lifecycle.lifecycle(doc["kind"])
    since = doc["submitted_at"]
    while True:
        info = life.status(doc["status"])
        if info.closed:
            return
        at = _later(rng, since)
        if info.auto_close_to and doc["due_at"] < at:
            at = doc["due_at"] + dt.timedelta(minutes=30)  # the scheduler's close of a stale follow-up
        if at > now:
            return
        options = life.targets_from(doc["status"])
        target = info.next if rng.random() < 0.88 or len(options) == 1 else rng.choice(options)
        assert target is not None
        opd = doc.get("opd")
        if target == "didisposisikan":
            opd = DEMO_OPD[doc["category"]]
        elif doc["kind"] == "application" and target == "diverifikasi":
            opd = lifecycle.workflow().application_opd[doc["program"]]
        entry = {
            "tracking_code": doc["tracking_code"],
            "action": "transition",
            "at": at,
            "actor": {"email": "petugas.contoh@contoh.invalid", "role": "verifikator", "opd": None},
            "from": doc["status"],
            "to": target,
            "note": "Catatan contoh.",
            "opd": opd,
            "event_id": f"{doc['tracking_code']}-{len(seeded.audit) + 1}",
            **transition_facts(doc, at),
        }
        seeded.audit.append(entry)
        report_counters.merge(seeded.counts, report_counters.transition_counts(doc, entry))
        doc.update(
            status=target,
            status_changed_at=at,
            opd=opd,
            due_at=sla.due_at(doc["kind"], target, at),
            updated_at=at,
        )
        doc["timeline"].append({"status": target, "at": at, "note": None})
        if has_phone:
            _notification(rng, seeded, entry["event_id"], target, at)
        since = at


def places_by_kecamatan() -> dict[str, list[str]]:
    from bahagia.wilayah import wilayah

    result: dict[str, list[str]] = {}
    for code, kel in wilayah().kelurahan.items():
        result.setdefault(kel.kecamatan, []).append(code)
    return result


def demo_data(
    rng: random.Random, first: dt.date, last: dt.date, total: int, now: dt.datetime, start_serial: int = 1
) -> Iterator[Seeded]:
    """`total` submissions spread over the days from `first` to `last`, weekdays busier than weekends."""
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    weights = [1.0 if d.weekday() < 5 else 0.45 for d in days]
    places = places_by_kecamatan()
    for serial in range(start_serial, start_serial + total):
        day = rng.choices(days, weights=weights)[0]
        yield demo_submission(rng, serial, day, now, places)
