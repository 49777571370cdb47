"""The staff use cases: who am I, list with counts, read, transition, audit trail, the auto-close, staff management.

Every function is handed an authenticated Actor; what the actor may see is staff.views, what it may do is
bahagia.lifecycle. Every read of a full record (personal data), every read of a pungli/confidential record and every
transition leave an audit entry.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import outbox
from bahagia import calendar, lifecycle, report_counters
from bahagia.errors import BahagiaError
from bahagia.lifecycle import Actor
from bahagia.models import StaffTransition
from logs import get_logger
from ports import EventPublisher, StaffDirectory, StaffMember, StaffStore, StoreQuery, TokenVerifier
from settings import Settings
from staff import auth, views
from staff.queries import ORDERS, Cursor, ListQuery

log = get_logger("bahagia.staff")

AUTO_CLOSE_BATCH = 200


@dataclass
class StaffContext:
    settings: Settings
    store: StaffStore
    publisher: EventPublisher
    verifier: TokenVerifier
    directory: StaffDirectory
    opd_ids: set[str]
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    new_event_id: Callable[[], str] = field(default=lambda: uuid.uuid4().hex)


def authenticate(ctx: StaffContext, authorization: str | None) -> Actor:
    return ctx.verifier.verify(auth.bearer_token(authorization))


def whoami(actor: Actor) -> dict[str, Any]:
    """GET /v1/staff/me: what the console needs to know of the person signed in (Google tokens carry no role)."""
    return actor.as_dict()


def require_case_reader(actor: Actor) -> None:
    """403 unless the actor reads cases (admin does not). Handlers call it before judging a body: 403 before 422."""
    if actor.role not in views.CASE_ROLES:
        raise lifecycle.forbidden()


def _visible(ctx: StaffContext, actor: Actor, code: str) -> dict[str, Any]:
    require_case_reader(actor)
    doc = ctx.store.get_submission(code)
    if doc is None or not lifecycle.can_see(actor, doc):
        raise lifecycle.not_found_for_staff()  # another OPD's case looks exactly like a missing one
    return doc


def _read_audit(actor: Actor, doc: Mapping[str, Any], now: dt.datetime, what: str, full: bool) -> dict[str, Any]:
    return {
        "tracking_code": doc["tracking_code"],
        "action": "read",
        "what": what,
        "view": "full" if full else "redacted",
        "at": now,
        "actor": actor.as_dict(),
    }


# --- list ----------------------------------------------------------------------------------------------------------


def _overdue_statuses() -> list[str]:
    return sorted({s for kind in lifecycle.KINDS for s in lifecycle.lifecycle(kind).overdue_statuses})


def store_query(actor: Actor, query: ListQuery, now: dt.datetime) -> StoreQuery | None:
    """The list query scoped to the actor, or None when it can match nothing (another OPD, a closed status)."""
    equals = dict(query.equals)
    if actor.role == "opd":
        if equals.get("opd", actor.opd) != actor.opd:
            return None
        equals["opd"] = actor.opd or ""
    statuses_in = None
    if query.by_due_date:
        # Only statuses a person must act on have a deadline to sort or filter by.
        overdue = _overdue_statuses()
        if "status" in equals:
            if equals["status"] not in overdue:
                return None
        else:
            statuses_in = overdue
    after = (query.cursor.values, query.cursor.tracking_code) if query.cursor else None
    return StoreQuery(
        equals=equals,
        statuses_in=statuses_in,
        due_before=now if query.overdue else None,
        submitted_from=query.submitted_from,
        submitted_before=query.submitted_before,
        order_fields=ORDERS[query.order],
        after=after,
        limit=query.limit,
    )


def _deadline_counts(ctx: StaffContext, actor: Actor, query: ListQuery, now: dt.datetime) -> dict[str, int | None]:
    """Of the cases the filters (without `overdue`) select: how many are past their deadline, and how many fall due
    later today (WIB). None where the filters combine with a deadline range only through an index we do not keep."""
    if query.has_dates and set(query.equals) - {"opd", "status"}:
        return {"overdue": None, "due_today": None}
    base = store_query(actor, dataclasses.replace(query, overdue=True, sort="due", cursor=None), now)
    if base is None:
        return {"overdue": 0, "due_today": 0}
    end_of_today = calendar.start_of(calendar.business_day(now) + dt.timedelta(days=1))
    return {
        "overdue": ctx.store.count_submissions(base),
        "due_today": ctx.store.count_submissions(dataclasses.replace(base, due_from=now, due_before=end_of_today)),
    }


def list_submissions(ctx: StaffContext, actor: Actor, query: ListQuery) -> dict[str, Any]:
    """A page of the queue; the first page (no cursor) also carries its counts, three count aggregations."""
    require_case_reader(actor)
    now = ctx.clock()
    scoped = store_query(actor, query, now)
    counts: dict[str, int | None] | None = None
    if query.cursor is None:
        counts = {"total": 0 if scoped is None else ctx.store.count_submissions(scoped)}
        counts.update(_deadline_counts(ctx, actor, query, now))
    if scoped is None:
        return {"items": [], "next_cursor": None, **({"counts": counts} if counts else {})}
    docs = ctx.store.query_submissions(scoped)
    page, more = docs[: query.limit], len(docs) > query.limit
    next_cursor = None
    if more and page:
        last = page[-1]
        values = tuple(last[name] for name, _ in ORDERS[query.order])
        next_cursor = Cursor(order=query.order, values=values, tracking_code=last["tracking_code"]).encode()
    answer: dict[str, Any] = {"items": [views.summary(doc, now) for doc in page], "next_cursor": next_cursor}
    if counts is not None:
        answer["counts"] = counts
    return answer


# --- read one ------------------------------------------------------------------------------------------------------


def read_submission(ctx: StaffContext, actor: Actor, code: str) -> dict[str, Any]:
    """One record as the actor may see it. Every read of the full record (the applicant's or reporter's data, the
    complaint's text) is audited, and every read of a pungli/confidential one, redacted or not: who, when, which
    code and which view, never what was read."""
    doc = _visible(ctx, actor, code)
    now = ctx.clock()
    full = views.sees_content(actor, doc)
    if full or lifecycle.is_restricted(doc):
        # Written before the answer leaves: a read that cannot be audited does not happen.
        ctx.store.append_audit(_read_audit(actor, doc, now, "submission", full))
    return views.record(actor, doc, ctx.store.notifications(code), now)


def audit_trail(ctx: StaffContext, actor: Actor, code: str) -> dict[str, Any]:
    doc = _visible(ctx, actor, code)
    if lifecycle.is_restricted(doc):
        ctx.store.append_audit(_read_audit(actor, doc, ctx.clock(), "audit", actor.role == "integritas"))
    entries = ctx.store.audit_entries(code)
    return {"tracking_code": code, "entries": [views.audit_entry(actor, doc, e) for e in entries]}


# --- transitions ---------------------------------------------------------------------------------------------------


def _counted(doc: dict[str, Any], outcome: lifecycle.TransitionOutcome) -> lifecycle.TransitionOutcome:
    """The outcome with what it adds to the nightly report's counters, judged on `doc` as the transaction read it."""
    return dataclasses.replace(outcome, counts=report_counters.transition_counts(doc, outcome.audit))


def _publish(ctx: StaffContext, event: dict[str, Any]) -> None:
    """Publish an event whose outbox entry is committed; on failure the relay (relay_outbox) sends it later."""
    outbox.send_committed_event(ctx.publisher, ctx.store, None, event)


def transition(ctx: StaffContext, actor: Actor, code: str, request: StaffTransition) -> dict[str, Any]:
    """POST .../transitions: judged and written in one Firestore transaction, so two concurrent ones cannot both win."""
    require_case_reader(actor)
    now = ctx.clock()
    event_id = ctx.new_event_id()

    def decide(doc: dict[str, Any]) -> lifecycle.TransitionOutcome:
        return _counted(doc, lifecycle.transition(doc, request, actor, now, event_id))

    result = ctx.store.commit_transition(code, decide)
    if result is None:
        raise lifecycle.not_found_for_staff()
    updated, outcome = result
    log.info(
        "submission transitioned",
        extra={
            "fields": {
                "tracking_code": code,
                "from": outcome.audit["from"],
                "to": outcome.audit["to"],
                "role": actor.role,
                "event_id": event_id,
            }
        },
    )
    _publish(ctx, outcome.event)
    return views.record(actor, updated, ctx.store.notifications(code), now)


def close_stale_followups(ctx: StaffContext, limit: int = AUTO_CLOSE_BATCH) -> dict[str, int]:
    """Close as `selesai` every follow-up whose 10 working days have passed with nothing else happening."""
    now = ctx.clock()
    statuses = [
        name
        for kind in lifecycle.KINDS
        for name, info in lifecycle.lifecycle(kind).statuses.items()
        if info.auto_close_to is not None
    ]
    closed = 0
    for code in ctx.store.due_for_auto_close(sorted(set(statuses)), now, limit):
        event_id = ctx.new_event_id()

        def decide(doc: dict[str, Any], event_id: str = event_id) -> lifecycle.TransitionOutcome | None:
            # Judged again inside the transaction: a case an OPD closed a moment ago is left alone.
            outcome = lifecycle.auto_close(doc, now, event_id)
            return None if outcome is None else _counted(doc, outcome)

        result = ctx.store.commit_transition(code, decide)
        if result is not None:
            closed += 1
            _publish(ctx, result[1].event)
    if closed:
        log.info("stale follow-ups closed", extra={"fields": {"closed": closed}})
    return {"closed": closed}


# --- staff management (admin) --------------------------------------------------------------------------------------


def require_admin(actor: Actor) -> None:
    """403 unless the actor is an admin. Handlers call it before judging a body: 403 before 422."""
    if actor.role != "admin":
        raise lifecycle.forbidden()


def _member_view(member: StaffMember) -> dict[str, Any]:
    return {"email": member.email, "role": member.role, "opd": member.opd, "active": member.active}


def list_staff(ctx: StaffContext, actor: Actor) -> dict[str, Any]:
    require_admin(actor)
    return {"users": [_member_view(m) for m in sorted(ctx.directory.list(), key=lambda m: m.email)]}


STAFF_CHANGES_SHOWN = 100


def staff_changes(ctx: StaffContext, actor: Actor) -> dict[str, Any]:
    """GET /v1/staff/users/audit: the latest changes to the directory, newest first, each naming who was changed.

    The audit entries name the member by `staff_id` (a hash, so exports do not spell out addresses); the admin, who
    sees the directory anyway, gets the address back from it.
    """
    require_admin(actor)
    emails = {auth.staff_id(m.email): m.email for m in ctx.directory.list()}
    entries = []
    for entry in ctx.store.staff_updates(STAFF_CHANGES_SHOWN):
        entries.append(
            views.jsonable(
                {
                    "at": entry.get("at"),
                    "actor": entry.get("actor"),
                    "email": emails.get(str(entry.get("staff_id"))),
                    "role": entry.get("role"),
                    "opd": entry.get("opd"),
                    "active": entry.get("active"),
                }
            )
        )
    return {"entries": entries}


# --- the Call Center Bahagia desk ------------------------------------------------------------------------------------


def require_operator(actor: Actor) -> None:
    """403 unless the actor is a Call Center operator. Before the body is judged: 403 before 422."""
    if actor.role != "operator":
        raise BahagiaError("forbidden", "Hanya operator Call Center yang dapat mencatat laporan warga.", 403)


def put_staff(ctx: StaffContext, actor: Actor, member: StaffMember) -> dict[str, Any]:
    """PUT /v1/staff/users/{email} {role, opd, active}: create or change one staff member (staff.bodies parsed it)."""
    require_admin(actor)
    if member.email == actor.email and (member.role != "admin" or not member.active):
        raise BahagiaError("forbidden", "Admin tidak dapat mencabut perannya sendiri.", 403)
    now = ctx.clock()
    ctx.directory.put(member, actor.email, now)
    ctx.store.append_audit(
        {
            "tracking_code": None,
            "action": "staff_update",
            "at": now,
            "actor": actor.as_dict(),
            "staff_id": auth.staff_id(member.email),
            "role": member.role,
            "opd": member.opd,
            "active": member.active,
        }
    )
    return _member_view(member)
