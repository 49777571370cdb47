"""The two lifecycles (data/lifecycles.json), validated at load, and the pure transition rule.

`transition()` is handed the submission as stored, what a staff member asks for (a StaffTransition, parsed at the
edge), who they are and `now`; it returns the fields to write, the citizen's timeline entry, the audit entry and the
event, or raises a BahagiaError (409 not allowed from the current status, 422 missing or unknown OPD, 403 role may
not make it). It does no I/O: the staff
service runs it inside a Firestore transaction, so it always judges the state that is being replaced.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from bahagia import events, sla
from bahagia.errors import BahagiaError, FieldError, validation_failed

if TYPE_CHECKING:
    from bahagia.models import StaffTransition

KINDS = ("complaint", "application")
SYSTEM_ROLE = "sistem"
"""The actor of automatic transitions (close_stale_followups); never a role a person can hold."""


class LifecycleError(ValueError):
    """lifecycles.json contradicts itself or the catalogue."""


@dataclass(frozen=True, slots=True)
class StatusInfo:
    name: str
    label: str
    public_note: str
    closed: bool = False
    next: str | None = None
    due_working_days: int | None = None
    auto_close_to: str | None = None
    auto_close_note: str | None = None
    closes_application: bool = False

    @property
    def counts_as_overdue(self) -> bool:
        """An open status whose next step is a person's job; an auto-closing follow-up waits for the scheduler."""
        return not self.closed and self.auto_close_to is None


@dataclass(frozen=True, slots=True)
class TransitionRule:
    source: str
    target: str
    roles: frozenset[str]
    restricted_roles: frozenset[str]
    requires_opd: bool = False
    assigns_opd: bool = False


@dataclass(frozen=True)
class Lifecycle:
    kind: str
    initial: str
    statuses: dict[str, StatusInfo]
    rules: dict[tuple[str, str], TransitionRule]

    def status(self, name: str) -> StatusInfo:
        return self.statuses[name]

    @property
    def open_statuses(self) -> list[str]:
        return [name for name, info in self.statuses.items() if not info.closed]

    @property
    def overdue_statuses(self) -> list[str]:
        return [name for name, info in self.statuses.items() if info.counts_as_overdue]

    def targets_from(self, status: str) -> list[str]:
        return [target for (source, target) in self.rules if source == status]


@dataclass(frozen=True)
class Workflow:
    roles: tuple[str, ...]
    lifecycles: dict[str, Lifecycle]
    application_opd: dict[str, str]


def _build_lifecycle(kind: str, raw: Mapping[str, Any], roles: set[str]) -> Lifecycle:
    statuses: dict[str, StatusInfo] = {}
    for name, spec in raw["statuses"].items():
        auto = spec.get("auto_close") or {}
        statuses[name] = StatusInfo(
            name=name,
            label=spec["label"],
            public_note=spec["public_note"],
            closed=bool(spec.get("closed", False)),
            next=spec.get("next"),
            due_working_days=spec.get("due_working_days"),
            auto_close_to=auto.get("to"),
            auto_close_note=auto.get("note"),
            closes_application=bool(spec.get("closes_application", False)),
        )
    rules: dict[tuple[str, str], TransitionRule] = {}
    for spec in raw["transitions"]:
        key = (spec["from"], spec["to"])
        if key in rules:
            raise LifecycleError(f"{kind}: transition {key} listed twice")
        rules[key] = TransitionRule(
            source=spec["from"],
            target=spec["to"],
            roles=frozenset(spec["roles"]),
            restricted_roles=frozenset(spec.get("restricted_roles", spec["roles"])),
            requires_opd=bool(spec.get("requires_opd", False)),
            assigns_opd=bool(spec.get("assigns_opd", False)),
        )
    life = Lifecycle(kind=kind, initial=raw["initial"], statuses=statuses, rules=rules)
    _check_lifecycle(life, roles)
    return life


def _check_lifecycle(life: Lifecycle, roles: set[str]) -> None:
    kind, statuses = life.kind, life.statuses
    if life.initial not in statuses or statuses[life.initial].closed:
        raise LifecycleError(f"{kind}: initial status {life.initial!r} must be an open status")
    for (source, target), rule in life.rules.items():
        if source not in statuses or target not in statuses:
            raise LifecycleError(f"{kind}: transition {source}->{target} names an unknown status")
        if statuses[source].closed:
            raise LifecycleError(f"{kind}: closed status {source} has an outgoing transition")
        unknown = (rule.roles | rule.restricted_roles) - roles
        if unknown:
            raise LifecycleError(f"{kind}: transition {source}->{target} names unknown roles {sorted(unknown)}")
        if not rule.roles:
            raise LifecycleError(f"{kind}: transition {source}->{target} has no role that may make it")
    for name, info in statuses.items():
        outgoing = life.targets_from(name)
        if info.closed:
            if info.next or info.due_working_days is not None or info.auto_close_to:
                raise LifecycleError(f"{kind}: closed status {name} cannot have a next step or due date")
            continue
        if not outgoing:
            raise LifecycleError(f"{kind}: open status {name} has no way out")
        if info.next not in outgoing:
            raise LifecycleError(f"{kind}: next step of {name} ({info.next}) is not an allowed transition")
        if not isinstance(info.due_working_days, int) or info.due_working_days < 1:
            raise LifecycleError(f"{kind}: open status {name} needs due_working_days >= 1")
        if info.auto_close_to is not None:
            if info.auto_close_to not in outgoing or not statuses[info.auto_close_to].closed:
                raise LifecycleError(f"{kind}: {name} auto-closes to {info.auto_close_to}, not a closed next status")
            if not info.auto_close_note:
                raise LifecycleError(f"{kind}: auto-close of {name} needs a note")
    # Every status must be reachable from the initial one, or it is a typo.
    reached, frontier = {life.initial}, [life.initial]
    while frontier:
        for target in life.targets_from(frontier.pop()):
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    if reached != set(statuses):
        raise LifecycleError(f"{kind}: unreachable statuses {sorted(set(statuses) - reached)}")


def build(raw: Mapping[str, Any], opd_ids: set[str], program_ids: set[str]) -> Workflow:
    """Validate the raw data against itself and the catalogue's OPD and programme ids."""
    roles = set(raw["roles"])
    if SYSTEM_ROLE in roles:
        raise LifecycleError(f"{SYSTEM_ROLE!r} is reserved for automatic transitions")
    if set(raw["lifecycles"]) != set(KINDS):
        raise LifecycleError(f"lifecycles must be exactly {KINDS}")
    lifecycles = {kind: _build_lifecycle(kind, spec, roles) for kind, spec in raw["lifecycles"].items()}
    application_opd = dict(raw["application_opd"])
    if set(application_opd) != program_ids:
        raise LifecycleError(f"application_opd must name exactly the programmes {sorted(program_ids)}")
    unknown = set(application_opd.values()) - opd_ids
    if unknown:
        raise LifecycleError(f"application_opd names unknown OPD {sorted(unknown)}")
    return Workflow(roles=tuple(raw["roles"]), lifecycles=lifecycles, application_opd=application_opd)


@cache
def workflow() -> Workflow:
    from bahagia.catalogue import catalogue

    text = resources.files("bahagia").joinpath("data/lifecycles.json").read_text(encoding="utf-8")
    cat = catalogue()
    return build(json.loads(text), set(cat.opd), set(cat.programs))


def lifecycle(kind: str) -> Lifecycle:
    return workflow().lifecycles[kind]


# --- status lists, derived from the data (reports, SMS, staff queries) ---------------------------------------------


def _main_path(life: Lifecycle) -> list[str]:
    path: list[str] = []
    status: str | None = life.initial
    while status is not None and status not in path:
        path.append(status)
        status = life.statuses[status].next
    return path


@cache
def all_statuses() -> tuple[str, ...]:
    """Every status of either lifecycle, in the order reports list them: each lifecycle's main path (the initial
    status, then `next` after `next`), complaints first, then the statuses off every main path (rejections)."""
    ordered: list[str] = []
    for kind in KINDS:
        ordered.extend(s for s in _main_path(lifecycle(kind)) if s not in ordered)
    for kind in KINDS:
        ordered.extend(s for s in lifecycle(kind).statuses if s not in ordered)
    return tuple(ordered)


@cache
def target_statuses() -> tuple[str, ...]:
    """Statuses a transition can lead to (the initial status is only ever the first), in report order."""
    targets = {rule.target for kind in KINDS for rule in lifecycle(kind).rules.values()}
    return tuple(s for s in all_statuses() if s in targets)


@cache
def sla_statuses() -> tuple[str, ...]:
    """Open statuses whose next step is a person's job, so that they can be overdue (StatusInfo.counts_as_overdue)."""
    overdue = {s for kind in KINDS for s in lifecycle(kind).overdue_statuses}
    return tuple(s for s in all_statuses() if s in overdue)


@cache
def first_step_statuses() -> tuple[str, ...]:
    """The step after the initial status ('time to verification' runs from submission to it)."""
    firsts = {lifecycle(kind).status(lifecycle(kind).initial).next for kind in KINDS}
    return tuple(s for s in all_statuses() if s in firsts)


@cache
def closed_statuses() -> tuple[str, ...]:
    """Final statuses ('time to completion' runs from submission to any of them)."""
    closed = {s for kind in KINDS for s, info in lifecycle(kind).statuses.items() if info.closed}
    return tuple(s for s in all_statuses() if s in closed)


def opd_names() -> dict[str, str]:
    from bahagia.catalogue import catalogue

    return catalogue().opd


# --- who may see what ----------------------------------------------------------------------------------------------


def is_restricted(doc: Mapping[str, Any]) -> bool:
    """A pungli report or a confidential complaint: only integritas sees its content and reporter."""
    return doc.get("kind") == "complaint" and (doc.get("category") == "pungli" or doc.get("privacy") == "confidential")


# --- the transition ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a staff member from a verified token, or the scheduler (role `sistem`)."""

    email: str
    role: str
    opd: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"email": self.email, "role": self.role, "opd": self.opd}


SYSTEM_ACTOR = Actor(email="sistem@bahagia", role=SYSTEM_ROLE)


@dataclass(frozen=True)
class TransitionOutcome:
    changes: dict[str, Any]
    """Fields to set on the submission (timeline already includes the new entry)."""
    audit: dict[str, Any]
    event: dict[str, Any]
    release_marker: str | None = None
    """The open_applications id to delete, when an application reaches a status that closes it."""
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    """What the transition adds to the nightly report's counters (bahagia.report_counters.transition_counts, judged
    on the submission as the transaction read it); the staff service fills it in, the store writes it."""


def invalid_transition(source: str, target: str) -> BahagiaError:
    return BahagiaError(
        "invalid_transition",
        f"Status tidak dapat diubah dari '{source}' menjadi '{target}'.",
        409,
    )


def moved_on(seen: str, source: str) -> BahagiaError:
    """The case left the status the staff member saw (`from`): someone else acted first."""
    return BahagiaError(
        "invalid_transition",
        f"Kasus ini sudah berubah: status yang Anda lihat '{seen}', statusnya sekarang '{source}'. "
        "Muat ulang kasus, lalu periksa lagi.",
        409,
    )


def forbidden() -> BahagiaError:
    return BahagiaError("forbidden", "Peran Anda tidak berwenang melakukan tindakan ini.", 403)


def not_found_for_staff() -> BahagiaError:
    return BahagiaError("not_found", "Data tidak ditemukan.", 404)


def can_see(actor: Actor, doc: Mapping[str, Any]) -> bool:
    """Whether the case exists for this actor at all: an OPD sees only the cases handed to it (others are 404)."""
    if actor.role == "opd":
        return actor.opd is not None and doc.get("opd") == actor.opd
    return actor.role in ("verifikator", "integritas", "pimpinan", SYSTEM_ROLE)


def allowed_roles(rule: TransitionRule, doc: Mapping[str, Any]) -> frozenset[str]:
    return rule.restricted_roles if is_restricted(doc) else rule.roles


def _public_note(info: StatusInfo, opd: str | None) -> str:
    name = opd_names().get(opd or "", "perangkat daerah terkait")
    return info.public_note.replace("{opd_name}", name)


def transition(
    doc: Mapping[str, Any],
    request: StaffTransition,
    actor: Actor,
    now: dt.datetime,
    event_id: str,
) -> TransitionOutcome:
    """Judge one requested transition of the stored `doc`; see the module docstring."""
    kind, source = doc["kind"], doc["status"]
    life = lifecycle(kind)
    is_system = actor.role == SYSTEM_ROLE
    if not is_system and actor.role not in {r for rl in life.rules.values() for r in allowed_roles(rl, doc)}:
        raise forbidden()  # pimpinan and admin never change a case
    if not can_see(actor, doc):
        raise not_found_for_staff()
    if request.to not in life.statuses:
        raise validation_failed([FieldError("to", "unknown_status", "Status tujuan tidak dikenal.")])
    # A role that may never move a case to this status is 403 whatever the current status; 409 is for the right
    # role at the wrong moment, so a verifier learns the case moved on, an OPD learns it is not its job.
    may_reach = {r for rl in life.rules.values() if rl.target == request.to for r in allowed_roles(rl, doc)}
    if not is_system and actor.role not in may_reach:
        raise forbidden()
    rule = life.rules.get((source, request.to))
    if request.expected_from is not None and request.expected_from != source:
        seen = life.statuses.get(request.expected_from)
        raise moved_on(seen.label if seen else request.expected_from, life.status(source).label)
    if rule is None:
        raise invalid_transition(source, request.to)
    if not is_system and actor.role not in allowed_roles(rule, doc):
        raise forbidden()

    opd = doc.get("opd")
    if rule.requires_opd:
        if not request.opd:
            raise validation_failed([FieldError("opd", "required", "OPD tujuan disposisi wajib diisi.")])
        opd = request.opd
    elif rule.assigns_opd:
        opd = request.opd or workflow().application_opd.get(doc.get("program") or "")
    elif request.opd and request.opd != opd:
        raise validation_failed([FieldError("opd", "not_applicable", "OPD hanya dapat diisi saat disposisi.")])
    if opd is not None and opd not in opd_names():
        raise validation_failed([FieldError("opd", "unknown_opd", "OPD tidak dikenal.")])

    info = life.status(request.to)
    timeline_entry = {"status": request.to, "at": now, "note": _public_note(info, opd)}
    changes: dict[str, Any] = {
        "status": request.to,
        "status_changed_at": now,
        "timeline": [*doc.get("timeline", []), timeline_entry],
        "due_at": sla.due_at(kind, request.to, now),
        "opd": opd,
        "updated_at": now,
    }
    # The nightly report's facts (issue 5), judged on the submission before this change. Imported here: report_facts
    # imports sla, which imports this module.
    from bahagia import report_facts

    audit = {
        "tracking_code": doc["tracking_code"],
        "action": "transition",
        "at": now,
        "actor": actor.as_dict(),
        "from": source,
        "to": request.to,
        "note": request.note,
        "opd": opd,
        "event_id": event_id,
        **report_facts.transition_facts(doc, now),
    }
    event = events.submission_event(events.STATUS_CHANGED, {**doc, "status": request.to}, event_id, now)
    release = None
    if info.closes_application and isinstance(doc.get("dedup_key"), str):
        release = doc["dedup_key"]
    return TransitionOutcome(changes=changes, audit=audit, event=event, release_marker=release)


def auto_close(doc: Mapping[str, Any], now: dt.datetime, event_id: str) -> TransitionOutcome | None:
    """The scheduler's transition of a stale follow-up, or None when the doc is not (or no longer) due for it."""
    life = lifecycle(doc["kind"])
    info = life.statuses.get(doc.get("status", ""))
    due = doc.get("due_at")
    if info is None or info.auto_close_to is None or not isinstance(due, dt.datetime) or due >= now:
        return None
    assert info.auto_close_note is not None
    from bahagia.models import StaffTransition  # pydantic and the identity checks: only the scheduler's path needs them

    request = StaffTransition(to=info.auto_close_to, note=info.auto_close_note)
    return transition(doc, request, SYSTEM_ACTOR, now, event_id)
