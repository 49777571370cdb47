"""What the reliability tests are made of: a population of invented citizens, a load of concurrent clients, a
fault-injecting proxy in front of SNS, emulator freezes, and the accounting of what was stored, published and sent.

Everything here talks to 127.0.0.1 only.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
import re
import statistics
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from bahagia.codes import format_tracking_code
from bahagia.identity import check_mobile_phone
from bahagia.wilayah import wilayah
from devstack.config import HOST

# --- the population -----------------------------------------------------------------------------------------------

_FIRST = [
    "Nurhaliza",
    "Rahmadani",
    "Syafrizal",
    "Maimunah",
    "Zulkarnain",
    "Fitriyani",
    "Rusdianto",
    "Herawati",
    "Junaidi",
    "Marlina",
    "Suparmin",
    "Yusnidar",
    "Kasmawati",
    "Darmansyah",
    "Ernawati",
    "Mukhlisin",
]
_SYLLABLES = ["ka", "ra", "wi", "ja", "ya", "su", "ma", "di", "pra", "na", "ta", "sa", "lo", "ri", "bu", "an"]
_PREFIXES = ["0812", "0813", "0821", "0822", "0852", "0853"]


def fake_name(rng: random.Random) -> str:
    surname = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(3, 4))).capitalize()
    return f"{rng.choice(_FIRST)} {surname}"


def fake_nik(rng: random.Random, kecamatan: str, birth: dt.date, woman: bool, serial: int) -> str:
    """A NIK python-stdnum's id.nik accepts: region 15.71.kk (Kota Jambi), DDMMYY with +40 for women, a serial."""
    day = birth.day + (40 if woman else 0)
    return f"1571{kecamatan[-2:]}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial % 10000:04d}"


def phone_spellings(national: str) -> list[str]:
    """A national number 08xxxxxxxxxx in the spellings citizens use; each one normalizes to the same E.164."""
    rest = national[1:]
    return [
        national,
        f"{national[:4]}-{national[4:8]}-{national[8:]}",
        f"+62 {rest[:3]} {rest[3:7]} {rest[7:]}",
        f"62{rest}",
    ]


@dataclass
class Planned:
    """One request a client will make."""

    index: int
    kind: str
    body: dict[str, Any]
    key: str
    expect: str  # accepted | duplicate_nik | invalid
    phone: str | None  # E.164 of the person who should get the SMS, None when nobody should
    group: str  # submissions of one person/complaint share it: at most one may be stored per group
    send_twice: bool = False
    anonymous: bool = False


def plan_load(count: int, seed: int, *, twice: float = 0.10, reuse_nik: float = 0.05, invalid: float = 0.02,
              complaints: float = 0.2) -> list[Planned]:  # fmt: skip
    """`count` submissions: 10% sent twice with one key, 5% reusing another's NIK, a few invalid (422)."""
    rng = random.Random(seed)
    area = wilayah()
    kelurahan_by_kecamatan: dict[str, list[str]] = defaultdict(list)
    for code, kel in area.kelurahan.items():
        kelurahan_by_kecamatan[kel.kecamatan].append(code)
    kecamatan_codes = sorted(kelurahan_by_kecamatan)
    today = dt.date.today()
    planned: list[Planned] = []
    used_numbers: set[str] = set()
    for index in range(count):
        while True:
            national = f"{rng.choice(_PREFIXES)}{rng.randrange(10**8):08d}"
            # moto calls every number ending in 99 opted out when asked one by one (CheckIfPhoneNumberIsOptedOut);
            # notify now reads the account's list instead, but leaving them out keeps the load valid either way.
            if national not in used_numbers and not national.endswith("99"):
                used_numbers.add(national)
                break
        spelled = rng.choice(phone_spellings(national))
        e164: str | None = check_mobile_phone(national)
        kecamatan = rng.choice(kecamatan_codes)
        kelurahan = rng.choice(kelurahan_by_kecamatan[kecamatan])
        name = fake_name(rng)
        key = f"rel-{seed}-{index:05d}-{rng.randrange(16**8):08x}"
        if index >= 1 and rng.random() < complaints:
            privacy = rng.choice(["public", "confidential", "anonymous", "public"])
            body: dict[str, Any] = {
                "category": rng.choice(["infrastruktur", "lingkungan", "layanan-publik", "pungli", "budaya"]),
                "description": f"Laporan uji keandalan nomor {seed}-{index}: lampu jalan padam dan jalan berlubang.",
                "location": {"kecamatan": kecamatan, "kelurahan": kelurahan, "address": "Depan gang masjid"},
                "privacy": privacy,
                "reporter": {"name": name, "phone": spelled},
            }
            anonymous = privacy == "anonymous"
            planned.append(Planned(index, "complaint", body, key, "accepted", None if anonymous else e164,
                                   f"complaint-{index}", anonymous=anonymous))  # fmt: skip
            continue
        woman = rng.random() < 0.5
        birth = today.replace(year=today.year - rng.randint(18, 70), day=min(today.day, 28)) - dt.timedelta(
            days=rng.randint(0, 360)
        )
        nik = fake_nik(rng, kecamatan, birth, woman, index)
        body = {
            "program": "kartu-bahagia",
            "benefit": rng.choice(["pendidikan", "kesehatan", "sosial"]),
            "applicant": {
                "nik": nik,
                "kk": f"1571{kecamatan[-2:]}{rng.randrange(10**10):010d}",
                "name": name,
                "birth_date": birth.isoformat(),
                "gender": "P" if woman else "L",
                "phone": spelled,
                "address": {"street": f"Jl. Uji No. {index}", "rt": str(rng.randint(1, 30)),
                            "rw": str(rng.randint(1, 15)), "kecamatan": kecamatan, "kelurahan": kelurahan},
            },
            "details": {"pekerjaan": "Pedagang", "penghasilan_bulanan": rng.randrange(500_000, 3_000_000, 50_000),
                        "jumlah_tanggungan": rng.randint(0, 6)},
            "consent": True,
        }  # fmt: skip
        expect, group = "accepted", f"nik-{nik}-{body['benefit']}"
        earlier = [p for p in planned if p.kind == "application" and p.expect == "accepted"]
        roll = rng.random()
        if earlier and roll < reuse_nik:
            other = rng.choice(earlier)
            body["program"], body["benefit"] = other.body["program"], other.body["benefit"]
            body["applicant"]["nik"] = other.body["applicant"]["nik"]
            body["applicant"]["gender"] = other.body["applicant"]["gender"]
            if rng.random() < 0.5:
                # The same person again (same NIK and phone), under another key: one of the two is stored, the other
                # gets 409 duplicate_application, whichever commits first.
                body["applicant"]["phone"], e164 = other.body["applicant"]["phone"], other.phone
                expect, group = "duplicate_nik", other.group
            else:
                # Another person with that NIK (a relative, a typo, a squatter): accepted as a possible duplicate,
                # flagged for the verifikator (docs/STAFF.md), a filing of its own.
                group = f"possible-duplicate-{index}"
        elif roll < reuse_nik + invalid:
            body["applicant"]["phone"] = "0741-61234"  # a landline: 422
            expect, e164 = "invalid", None
        planned.append(Planned(index, "application", body, key, expect, e164, group))
    for item in rng.sample(planned, round(count * twice)):
        item.send_twice = True
    return planned


def register_people(planned: list[Planned], register: Callable[..., None]) -> None:
    """Tell the privacy guard every personal value this load sends."""
    for item in planned:
        if item.kind == "application":
            applicant = item.body["applicant"]
            register(nik=applicant["nik"], kk=applicant["kk"], phone=applicant["phone"], name=applicant["name"],
                     owner=item.phone)  # fmt: skip
        else:
            reporter = item.body["reporter"]
            # An anonymous reporter's values may reach nobody at all, not even by SMS.
            register(phone=reporter["phone"], name=reporter["name"], owner=None if item.anonymous else item.phone)


# --- the clients --------------------------------------------------------------------------------------------------


@dataclass
class Attempt:
    status: int  # 0: no answer (connection error, timeout)
    seconds: float
    started: float


@dataclass
class Outcome:
    planned: Planned
    copy: int  # 0 the first send, 1 the repeat with the same key
    attempts: list[Attempt] = field(default_factory=list)
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> int:
        return self.attempts[-1].status if self.attempts else 0

    @property
    def tracking_code(self) -> str | None:
        return self.body.get("tracking_code") if self.status == 201 else None

    @property
    def error_code(self) -> str | None:
        error = self.body.get("error")
        return error.get("code") if isinstance(error, dict) else None


RETRY_STATUSES = {0, 502, 503, 504}


def send(client: httpx.Client, path: str, item: Planned, copy: int, *, give_up_after: float) -> Outcome:
    """POST once, and again with the same Idempotency-Key after a 503 or no answer, as a careful client does."""
    outcome = Outcome(item, copy)
    deadline = time.monotonic() + give_up_after
    pause = 0.25
    while True:
        started = time.monotonic()
        try:
            response = client.post(path, json=item.body, headers={"Idempotency-Key": item.key})
            status = response.status_code
            try:
                outcome.body = response.json()
            except ValueError:
                outcome.body = {}
        except httpx.HTTPError:
            status = 0
        outcome.attempts.append(Attempt(status, time.monotonic() - started, started))
        if status not in RETRY_STATUSES or time.monotonic() + pause > deadline:
            return outcome
        time.sleep(pause)
        pause = min(pause * 2, 4.0)


@dataclass
class LoadResult:
    outcomes: list[Outcome]
    started: float
    finished: float

    @property
    def seconds(self) -> float:
        return self.finished - self.started

    def latencies(self) -> list[float]:
        return sorted(a.seconds for o in self.outcomes for a in o.attempts)

    def first_attempt_statuses(self) -> Counter[int]:
        return Counter(o.attempts[0].status for o in self.outcomes)

    def final_statuses(self) -> Counter[int]:
        return Counter(o.status for o in self.outcomes)


def run_load(base_url: str, planned: list[Planned], clients: int, *, progress: Callable[[int], None] | None = None,
             give_up_after: float = 90.0) -> LoadResult:  # fmt: skip
    """`clients` concurrent clients, each with its own connection, work through the planned requests; a request sent
    twice goes out again as its own job, so the copy may race the original."""
    jobs: list[tuple[Planned, int]] = [(item, 0) for item in planned]
    repeats = [(item, 1) for item in planned if item.send_twice]
    rng = random.Random(len(planned))
    for job in repeats:
        # Some repeats right behind the original (a double click), some later (a retry after a timeout).
        jobs.insert(min(len(jobs), jobs.index((job[0], 0)) + rng.choice([1, 2, 5, 40])), job)
    local = threading.local()
    done = 0
    lock = threading.Lock()

    def work(job: tuple[Planned, int]) -> Outcome:
        nonlocal done
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=base_url, timeout=30.0)
        item, copy = job
        outcome = send(local.client, f"/v1/{item.kind}s", item, copy, give_up_after=give_up_after)
        with lock:
            done += 1
            count = done
        if progress is not None:
            progress(count)
        return outcome

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=clients, thread_name_prefix="client") as pool:
        outcomes = list(pool.map(work, jobs))
    return LoadResult(outcomes, started, time.monotonic())


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# --- SNS failing on purpose ---------------------------------------------------------------------------------------

_SNS_ERRORS = [
    (503, b'<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Receiver</Type>'
          b"<Code>ServiceUnavailable</Code><Message>Service is unavailable</Message></Error>"
          b"<RequestId>fault</RequestId></ErrorResponse>"),
    (400, b'<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type>'
          b"<Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
          b"<RequestId>fault</RequestId></ErrorResponse>"),
]  # fmt: skip


class FaultySns:
    """An HTTP proxy in front of moto that answers a fraction of SNS calls itself with a 503 or a throttling error,
    the transient failures SNS has in an outage. The notify processes reach SNS only through it."""

    def __init__(self, upstream: str, seed: int = 7) -> None:
        self.upstream = upstream
        self.failure_rate = 0.0
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.calls: Counter[tuple[str, int]] = Counter()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                text = body[:2048].decode("utf-8", "replace")
                action = text.split("Action=", 1)[1].split("&", 1)[0] if "Action=" in text else "?"
                with proxy._lock:
                    fail = proxy._rng.random() < proxy.failure_rate
                    error = proxy._rng.choice(_SNS_ERRORS)
                if fail:
                    status, headers, answer = error[0], {"Content-Type": "text/xml"}, error[1]
                else:
                    status, headers, answer = _forward(proxy.upstream + self.path, body, dict(self.headers.items()))
                with proxy._lock:
                    proxy.calls[(action, status)] += 1
                self.send_response(status)
                for key, value in headers.items():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((HOST, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="faulty-sns")
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self._server.server_address[1]}"

    def failed(self) -> int:
        with self._lock:
            return sum(n for (_, status), n in self.calls.items() if status >= 400)

    def total(self) -> int:
        with self._lock:
            return sum(self.calls.values())

    def reset_counts(self) -> None:
        with self._lock:
            self.calls.clear()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _forward(url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, dict[str, str], bytes]:
    keep = {k: v for k, v in headers.items() if k.lower() not in ("host", "content-length", "connection")}
    request = urllib.request.Request(url, data=body, headers=keep, method="POST")  # noqa: S310 -- 127.0.0.1 only
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


# --- emulator freezes ---------------------------------------------------------------------------------------------


@dataclass
class Freeze:
    component: str
    seconds: float
    at: float = 0.0
    until: float = 0.0


@contextmanager
def frozen(process: Any, seconds_hint: float = 0.0) -> Iterator[None]:
    """SIGSTOP the component's whole process group, SIGCONT it afterwards whatever happens. The emulators keep their
    data only in memory: a freeze, never a restart."""
    import signal

    process.signal_group(signal.SIGSTOP)
    try:
        yield
    finally:
        process.signal_group(signal.SIGCONT)


def freeze_for(process: Any, seconds: float) -> Freeze:
    record = Freeze(process.name, seconds, at=time.monotonic())
    with frozen(process):
        time.sleep(seconds)
    record.until = time.monotonic()
    return record


# --- Pub/Sub over REST (extra subscriptions, taps, poison) --------------------------------------------------------


def rest(method: str, url: str, body: Mapping[str, Any] | None = None, timeout: float = 30.0) -> dict[str, Any]:
    data = json.dumps(body or {}).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        answer: dict[str, Any] = json.loads(response.read() or b"{}")
        return answer


@dataclass
class PubSubRest:
    host: str
    project: str

    def url(self, path: str) -> str:
        return f"http://{self.host}/v1/projects/{self.project}/{path}"

    def topic(self, name: str) -> str:
        return f"projects/{self.project}/topics/{name}"

    def create_pull(self, name: str, topic: str) -> None:
        rest("PUT", self.url(f"subscriptions/{name}"), {"topic": self.topic(topic), "ackDeadlineSeconds": 60})

    def create_push(self, name: str, topic: str, endpoint: str, dead_letter: str, attempts: int = 5) -> None:
        # No retry policy: the emulator drops failed pushes under one (tests/reliability/conftest.py).
        rest("PUT", self.url(f"subscriptions/{name}"), {
            "topic": self.topic(topic),
            "pushConfig": {"pushEndpoint": endpoint},
            "ackDeadlineSeconds": 60,
            "deadLetterPolicy": {"deadLetterTopic": self.topic(dead_letter), "maxDeliveryAttempts": attempts},
        })  # fmt: skip

    def delete_subscription(self, name: str) -> None:
        with suppress(urllib.error.HTTPError):
            rest("DELETE", self.url(f"subscriptions/{name}"))

    def publish(self, topic: str, data: bytes, attributes: Mapping[str, str] | None = None) -> None:
        message = {"data": base64.b64encode(data).decode(), "attributes": dict(attributes or {})}
        rest("POST", self.url(f"topics/{topic}:publish"), {"messages": [message]})

    def drain(self, subscription: str) -> list[dict[str, Any]]:
        """Pull and ack everything the subscription holds now: the messages' data, decoded."""
        received: list[dict[str, Any]] = []
        while True:
            answer = rest("POST", self.url(f"subscriptions/{subscription}:pull"),
                          {"maxMessages": 1000, "returnImmediately": True})  # fmt: skip
            messages = answer.get("receivedMessages", [])
            if not messages:
                return received
            rest("POST", self.url(f"subscriptions/{subscription}:acknowledge"),
                 {"ackIds": [m["ackId"] for m in messages]})  # fmt: skip
            for message in messages:
                raw = base64.b64decode(message["message"].get("data", ""))
                try:
                    data = json.loads(raw)
                except ValueError:
                    data = {"_raw": raw.decode("utf-8", "replace")}
                received.append({"data": data, "attributes": message["message"].get("attributes", {}),
                                 "text": raw.decode("utf-8", "replace")})  # fmt: skip


# --- the accounting -----------------------------------------------------------------------------------------------

_CODE_IN_SMS = re.compile(r"\b([2-9A-HJKMNP-TV-Z]{4})-([2-9A-HJKMNP-TV-Z]{5})\b")


@dataclass
class Ledger:
    """What should exist after a load, and how what does exist compares."""

    accepted: dict[str, Planned]  # tracking code -> the planned request that got it
    unclear: list[Outcome]  # a final answer other than 201 / 409 / 422
    wrong_answer: list[Outcome]  # 409 / 422 where the plan expected otherwise, or the reverse
    key_mismatch: int  # a request sent twice with one key that got two different tracking codes

    @property
    def expected_sms(self) -> dict[str, str]:
        return {code: item.phone for code, item in self.accepted.items() if item.phone}


def ledger(result: LoadResult) -> Ledger:
    accepted: dict[str, Planned] = {}
    unclear, wrong = [], []
    codes_per_key: dict[str, set[str]] = defaultdict(set)
    for outcome in result.outcomes:
        item = outcome.planned
        if outcome.status == 201 and outcome.tracking_code:
            accepted[outcome.tracking_code] = item
            codes_per_key[item.key].add(outcome.tracking_code)
            if item.expect == "invalid":
                wrong.append(outcome)
        elif outcome.status == 409 and outcome.error_code == "duplicate_application":
            if item.expect == "invalid":
                wrong.append(outcome)
        elif outcome.status == 422 and outcome.error_code == "validation_failed":
            if item.expect != "invalid":
                wrong.append(outcome)
        else:
            unclear.append(outcome)
    mismatched = sum(1 for found in codes_per_key.values() if len(found) > 1)
    return Ledger(accepted, unclear, wrong, mismatched)


def stored_documents(db: Any) -> dict[str, dict[str, dict[str, Any]]]:
    """Every top-level collection of the project: name -> document id -> data."""
    return {coll.id: {snap.id: snap.to_dict() or {} for snap in coll.stream()} for coll in db.collections()}


@dataclass
class Accounting:
    accepted: int
    stored: int
    lost_submissions: int  # got 201, not stored
    phantom_submissions: int  # stored, though no client was told 201
    duplicate_submissions: int  # more than one stored per person/programme or per complaint
    half_written: int  # a submission without its markers, or a marker without its submission
    outbox_left: int
    events_seen: int
    events_lost: int  # a stored submission whose submission.received never reached the topic
    event_redeliveries: int  # the same event_id more than once (allowed: consumers deduplicate)
    sms_expected: int
    sms_sent: int
    sms_lost: int
    sms_duplicated: int
    sms_wrong_recipient: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def account(book: Ledger, documents: dict[str, dict[str, dict[str, Any]]], events: list[dict[str, Any]],
            sms: list[dict[str, Any]]) -> Accounting:  # fmt: skip
    submissions = documents.get("submissions", {})
    by_group: Counter[str] = Counter()
    group_of_code = {code: item.group for code, item in book.accepted.items()}
    for code in submissions:
        by_group[group_of_code.get(code, f"unknown-{code}")] += 1
    markers = documents.get("open_applications", {})
    # Every open application is on exactly one marker: as its holder, or as a possible duplicate beside it.
    marker_codes = Counter(m.get("tracking_code") for m in markers.values())
    marker_codes.update(code for m in markers.values() for code in m.get("duplicates") or {})
    keys = documents.get("idempotency_keys", {})
    key_codes = Counter(k.get("tracking_code") for k in keys.values())
    half = 0
    for code, doc in submissions.items():
        if doc.get("kind") == "application" and marker_codes[code] != 1:
            half += 1
        if code in book.accepted and key_codes[code] != 1:
            half += 1  # every load request carries a key: its record commits with the submission
    half += sum(1 for code in marker_codes if code not in submissions)
    half += sum(1 for code in key_codes if code not in submissions)

    event_ids: Counter[str] = Counter()
    received_codes = set()
    for event in events:
        data = event["data"]
        if data.get("type") == "submission.received":
            event_ids[data.get("event_id", "")] += 1
            received_codes.add(data.get("tracking_code"))

    per_code: Counter[str] = Counter()
    wrong_recipient = 0
    expected = book.expected_sms
    for message in sms:
        found = _CODE_IN_SMS.search(message.get("message", ""))
        if not found:
            continue
        code = found.group(1) + found.group(2)
        per_code[code] += 1
        if code in expected and message.get("phone_number") != expected[code]:
            wrong_recipient += 1
    return Accounting(
        accepted=len(book.accepted),
        stored=len(submissions),
        lost_submissions=sum(1 for code in book.accepted if code not in submissions),
        phantom_submissions=sum(1 for code in submissions if code not in book.accepted),
        duplicate_submissions=sum(n - 1 for n in by_group.values() if n > 1),
        half_written=half,
        outbox_left=len(documents.get("outbox", {})),
        events_seen=sum(event_ids.values()),
        events_lost=sum(1 for code in submissions if code not in received_codes),
        event_redeliveries=sum(n - 1 for n in event_ids.values() if n > 1),
        sms_expected=len(expected),
        sms_sent=sum(per_code[code] for code in expected),
        sms_lost=sum(1 for code in expected if per_code[code] == 0),
        sms_duplicated=sum(per_code[code] - 1 for code in expected if per_code[code] > 1)
        + sum(n for code, n in per_code.items() if code not in expected),
        sms_wrong_recipient=wrong_recipient,
    )


def sms_codes(messages: list[dict[str, Any]]) -> set[str]:
    codes = set()
    for message in messages:
        found = _CODE_IN_SMS.search(message.get("message", ""))
        if found:
            codes.add(found.group(1) + found.group(2))
    return codes


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 1.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def latency_figures(result: LoadResult) -> dict[str, Any]:
    latencies = result.latencies()
    accepted = sum(1 for o in result.outcomes if o.status == 201 and o.copy == 0)
    return {
        "requests (incl. retries)": len(latencies),
        "wall time s": round(result.seconds, 1),
        "accepted submissions/s": round(accepted / result.seconds, 1) if result.seconds else 0.0,
        "latency p50 ms": round(percentile(latencies, 0.50) * 1000),
        "latency p99 ms": round(percentile(latencies, 0.99) * 1000),
        "latency max ms": round(max(latencies, default=0.0) * 1000),
        "latency mean ms": round(statistics.fmean(latencies) * 1000) if latencies else 0,
    }


def format_code(code: str) -> str:
    return format_tracking_code(code)
