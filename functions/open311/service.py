"""The open311 use cases. Posting goes through the one intake path (intake.handlers.accept: validation, idempotency,
the atomic commit with outbox and report counters, the event that sends the receipt SMS); reading uses the public
view of bahagia.open311, which never shows pungli, confidential complaints or personal data."""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from bahagia import errors, open311
from bahagia.catalogue import Catalogue

DISCOVERY_CHANGESET = "2026-12-02T00:00:00+07:00"
"""When the services or their definitions last changed (Service Discovery: clients refresh cached data on a change).
Bump it with any change of the complaint categories or of the attributes in bahagia.open311."""
CONTACT = "Call Center Bahagia, Pemerintah Kota Jambi: {base}/pengaduan.html"
KEY_SERVICE = "Kunci API (api_key) untuk mengirim laporan diberikan Diskominfo Kota Jambi kepada mitra aplikasi."

MAX_SCANNED = 3000
"""Documents one GET requests may read while skipping what is not public, whatever the filters."""


class PublicComplaintReader(Protocol):
    def get(self, code: str) -> Mapping[str, Any] | None: ...

    def newest_first(self, categories: list[str], start: dt.datetime, end: dt.datetime) -> Iterator[Mapping[str, Any]]:
        """Complaints of these categories submitted in [start, end), newest first, lazily (pages)."""
        ...


@dataclass
class Open311Context:
    catalogue: Catalogue
    reader: PublicComplaintReader
    submit: Callable[[dict[str, Any], str | None], Any]
    """intake.handlers.accept bound to the intake context and channel open311: (complaint body, key) -> Accepted."""
    api_keys: tuple[str, ...]
    locate: Callable[[float, float], tuple[str, str] | None]
    endpoint_url: str
    status_page_url: str
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))


def discovery(ctx: Open311Context) -> dict[str, Any]:
    base = ctx.endpoint_url.removesuffix("/open311/v2")
    return open311.discovery(ctx.endpoint_url, DISCOVERY_CHANGESET, CONTACT.format(base=base), KEY_SERVICE)


def check_api_key(ctx: Open311Context, api_key: str | None) -> None:
    """POST only (spec: "Requires API Key: Yes"); each partner has its own key, any of them may post."""
    candidate = (api_key or "").strip()
    if not candidate or not any(hmac.compare_digest(candidate.encode(), key.encode()) for key in ctx.api_keys):
        raise open311.forbidden()


def list_requests(ctx: Open311Context, args: Mapping[str, str]) -> list[dict[str, Any]]:
    open311.check_jurisdiction(args.get("jurisdiction_id"))
    query = open311.parse_request_query(args, ctx.catalogue, ctx.clock())
    if query.service_request_ids:
        docs = (ctx.reader.get(code) for code in dict.fromkeys(query.service_request_ids))
        return [open311.request_view(doc, ctx.catalogue) for doc in docs if doc and open311.matches(doc, query)]
    categories = [
        code
        for code in (query.service_codes or tuple(ctx.catalogue.categories))
        if code != "pungli"  # never listed: not even a query is made for it
    ]
    if not categories or query.start is None or query.end is None:
        return []
    views: list[dict[str, Any]] = []
    for scanned, doc in enumerate(ctx.reader.newest_first(categories, query.start, query.end), start=1):
        if open311.matches(doc, query):
            views.append(open311.request_view(doc, ctx.catalogue))
        if len(views) >= open311.MAX_RESULTS or scanned >= MAX_SCANNED:
            break
    return views


def get_request(ctx: Open311Context, raw_id: str, args: Mapping[str, str]) -> list[dict[str, Any]]:
    """GET a request: a list of one, as the spec's example; an unknown, private or malformed id is the same 404."""
    open311.check_jurisdiction(args.get("jurisdiction_id"))
    from bahagia.codes import normalize_tracking_code

    code = normalize_tracking_code(raw_id)
    doc = ctx.reader.get(code) if code else None
    if doc is None or not open311.is_public(doc):
        raise open311.not_found("service_request_id")
    return [open311.request_view(doc, ctx.catalogue)]


def post_request(ctx: Open311Context, form: Mapping[str, str], idempotency_key: str | None) -> list[dict[str, Any]]:
    check_api_key(ctx, form.get("api_key"))
    body = open311.complaint_from_post(form, ctx.catalogue, ctx.locate)
    try:
        accepted = ctx.submit(body, idempotency_key)
    except errors.BahagiaError as error:
        raise _as_open311(error) from None
    code = accepted.response["tracking_code"]
    notice = open311.service_notice({"status": accepted.response["status"]})
    return open311.post_response(code, accepted.pin, ctx.status_page_url, notice)


def _as_open311(error: errors.BahagiaError) -> Exception:
    """Intake's errors in the spec's shape: every field problem its own entry, named as the client sent it.
    503 stays 503 (with Retry-After) rather than the spec's catch-all 400: a client must know to try again."""
    if error.status == 422 and error.details:
        return open311.bad_request(
            *(f"{open311.open311_field(detail.field)}: {detail.message}" for detail in error.details)
        )
    if error.status >= 500:
        return error
    return open311.Open311Error(400, [error.message])
