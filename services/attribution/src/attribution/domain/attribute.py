"""The attribution policy: which session made a call, how it is classified, how sure we are, and why.

It is split in two pure steps because the facts live in two places: `match`
needs only the history of the called number (the first stage of the join, keyed
by number); `finish` adds what the caller's other calls tell (first or repeat
caller, touches, a returning visitor), which the second stage, keyed by caller,
knows. `attribute` runs both for callers that have everything at hand.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

from attribution.domain.confidence import ConfidenceModel, MatchEvidence, confidence, last_holder_in_reach
from attribution.domain.lease_history import LeaseHistory, LeaseInterval
from ctrack_common.events import (
    CallFacts,
    Classification,
    NumberConfiguredPayload,
    NumberRole,
    SessionSnapshot,
)

__all__ = [
    "Attribution",
    "CallerContext",
    "CallerHistory",
    "KnownCall",
    "NumberMatch",
    "attribute",
    "finish",
    "match",
]

# A caller's calls to one tenant, as (started_at, call_id): the id breaks ties between simultaneous calls.
CallerHistory = Collection[tuple[datetime, str]]

NO_LEASE_AT_CALL_TIME = "no_lease_at_call_time"
NUMBER_NEVER_LEASED = "number_never_leased"
NUMBER_IN_QUARANTINE = "number_in_quarantine"
NUMBER_NOT_IN_INVENTORY = "number_not_in_inventory"

# Roles whose calls name no session: the classification says which tracking gap the call fell into.
_ROLE_CLASSES = {
    NumberRole.DEFAULT: Classification.DEFAULT_BEFORE_DISPLAY,
    NumberRole.DEFAULT_BEFORE_DISPLAY: Classification.DEFAULT_BEFORE_DISPLAY,
    NumberRole.DEFAULT_AFTER_RECLAIM: Classification.DEFAULT_AFTER_RECLAIM,
    NumberRole.OVERFLOW: Classification.OVERFLOW,
}
_ROLE_REASONS = {
    Classification.DEFAULT_BEFORE_DISPLAY: "called the site's default number, shown before a dynamic number",
    Classification.DEFAULT_AFTER_RECLAIM: "called the number shown after an idle tab's number was taken back",
    Classification.OVERFLOW: "called the overflow number, shown while the pool was exhausted",
}


# The join's values are plain frozen dataclasses (built for every call and lease event); pydantic
# validates and dumps them only where a state is stored (`stages.py`).
@dataclass(frozen=True)
class KnownCall:
    """A call as the join knows it: the latest facts, whose it is, and its number's configuration.

    `number` is the number's `NumberConfigured` payload when the call was first seen (None: the number
    is not in the tenant's inventory); `number_role` is its role (kept for callers that know only that).
    """

    tenant_id: str
    site_id: str | None
    facts: CallFacts
    number_role: NumberRole | None = None
    number: NumberConfiguredPayload | None = None

    @property
    def started_at(self) -> datetime:
        return self.facts.started_at

    @property
    def order_key(self) -> tuple[datetime, str]:
        return (self.facts.started_at, self.facts.call_id)

    @property
    def role(self) -> NumberRole | None:
        return self.number.role if self.number is not None else self.number_role

    @property
    def caller_key(self) -> str:
        """Who the caller is for the tenant; a withheld number ('anonymous', '') is a caller of one call."""
        if any(ch.isdigit() for ch in self.facts.caller_number):
            return f"{self.tenant_id}:{self.facts.caller_number}"
        return f"{self.tenant_id}:call:{self.facts.call_id}"


@dataclass(frozen=True)
class NumberMatch:
    """The first stage's answer: what the called number's history and configuration say about a call.

    A last-holder match (`evidence.after_hold`) names the visitor who held the number last when no
    lease covered the call; stage two names them only within `ConfidenceModel.last_holder_max_seconds`.
    """

    classification: Classification
    unattributed_reason: str | None = None
    reasons: tuple[str, ...] = ()
    lease_id: str | None = None
    visitor_id: str | None = None
    visit_id: str | None = None
    session: SessionSnapshot | None = None
    site_id: str | None = None
    channel: str | None = None
    evidence: MatchEvidence | None = None

    @property
    def waits_for_grace(self) -> bool:
        """No lease covered a pool number's call: a late lease event may still arrive, so the answer may wait."""
        return self.classification is Classification.UNATTRIBUTED or (
            self.evidence is not None and self.evidence.after_hold
        )


@dataclass(frozen=True)
class CallerContext:
    """What the caller's other calls to the tenant say about this one.

    `earlier_on_number` is the answer given to the caller's latest earlier call on the same tracking
    number that named a session (the repeat-caller rule of `finish`).
    """

    first_time: bool = True
    first_touch: SessionSnapshot | None = None
    last_touch: SessionSnapshot | None = None
    previous_visitor_id: str | None = None
    earlier_on_number: Attribution | None = None


@dataclass(frozen=True)
class Attribution:
    """The answer for one call, without the call facts (those change with status updates).

    `evidence` is what the number's history said (dynamic answers) and `repeat_call` marks an answer
    given by the repeat-caller rule: what a calibration against ground truth bins the answers by.
    """

    classification: Classification
    confidence: float
    confidence_reasons: tuple[str, ...]
    first_time_caller: bool
    unattributed_reason: str | None = None
    lease_id: str | None = None
    visitor_id: str | None = None
    visit_id: str | None = None
    session: SessionSnapshot | None = None
    site_id: str | None = None
    channel: str | None = None
    first_touch: SessionSnapshot | None = None
    last_touch: SessionSnapshot | None = None
    evidence: MatchEvidence | None = None
    repeat_call: bool = False


def _minutes(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 60:.1f} min"


def _lease_match(call: KnownCall, history: LeaseHistory, holders: list[LeaseInterval]) -> NumberMatch:
    moment = call.started_at
    live = [i for i in holders if i.live_at(moment)]
    # A live lease beats another visitor's hold; among equals the latest grant is named (the allocator
    # never leases a number twice at once; if the log says otherwise, the evidence says so).
    candidates = live or holders
    lease = candidates[-1]
    in_hold = not live
    evidence = MatchEvidence(
        in_hold=in_hold,
        hold_elapsed_seconds=(moment - lease.end).total_seconds() if in_hold else 0.0,
        hold_seconds=(lease.match_end - lease.end).total_seconds() if in_hold else 0.0,
        visitors_that_day=_visitors_that_day(call, history),
        concurrent_holders=len(candidates),
    )
    return NumberMatch(
        classification=Classification.DYNAMIC,
        lease_id=lease.lease_id,
        visitor_id=lease.visitor_id,
        visit_id=lease.visit_id,
        session=lease.snapshot_at(moment),
        site_id=lease.site_id,
        evidence=evidence,
    )


def _visitors_that_day(call: KnownCall, history: LeaseHistory) -> int:
    moment = call.started_at
    day_start = datetime.combine(moment.date(), time(), tzinfo=moment.tzinfo)
    return max(1, len(history.visitors_between(call.tenant_id, day_start, moment)))


def _last_holder(call: KnownCall, history: LeaseHistory, last: LeaseInterval) -> NumberMatch:
    """Nobody held the number between the end of `last`'s hold and the call: `last` is the candidate."""
    moment = call.started_at
    since = moment - last.match_end
    evidence = MatchEvidence(
        in_hold=False,
        visitors_that_day=_visitors_that_day(call, history),
        after_hold=True,
        since_hold_end_seconds=since.total_seconds(),
    )
    return NumberMatch(
        classification=Classification.DYNAMIC,
        reasons=(f"no visitor held the number: the last hold ended {_minutes(since)} before the call",),
        lease_id=last.lease_id,
        visitor_id=last.visitor_id,
        visit_id=last.visit_id,
        session=last.snapshot_at(moment),
        site_id=last.site_id,
        evidence=evidence,
    )


def _no_lease(call: KnownCall, history: LeaseHistory) -> NumberMatch:
    moment = call.started_at
    available_from = call.number.available_from if call.number is not None else None
    if available_from is not None and available_from > moment:
        reason, text = (
            NUMBER_IN_QUARANTINE,
            (f"number was in quarantine until {_minutes(available_from - moment)} after the call started"),
        )
    elif call.number is None and call.number_role is None:
        reason, text = NUMBER_NOT_IN_INVENTORY, "number is not in the tenant's inventory"
    else:
        last = history.last_before(call.tenant_id, moment)
        if last is not None:
            return _last_holder(call, history, last)
        reason, text = NUMBER_NEVER_LEASED, "number had never been leased when the call started"
    return NumberMatch(
        classification=Classification.UNATTRIBUTED, unattributed_reason=reason, reasons=(text,)
    )


def match(call: KnownCall, history: LeaseHistory) -> NumberMatch:
    """What the number says about `call`: its role, else the lease whose [grant, end + hold) contains the start.

    A blocked caller wins over everything: the classification is `blocked`, and the
    session is still matched for the record.
    """
    role = call.role
    if role is NumberRole.STATIC:
        channel = call.number.channel if call.number is not None else None
        found = NumberMatch(
            classification=Classification.STATIC,
            channel=channel,
            site_id=call.number.site_id if call.number is not None else None,
            reasons=(f"called the static number of channel {channel or 'unnamed'}",),
        )
    elif role in _ROLE_CLASSES:
        classification = _ROLE_CLASSES[role]
        found = NumberMatch(
            classification=classification,
            unattributed_reason=classification.value,
            reasons=(_ROLE_REASONS[classification],),
        )
    else:
        holders = history.holding_at(call.tenant_id, call.started_at)
        found = _lease_match(call, history, holders) if holders else _no_lease(call, history)
    if call.facts.blocked:
        reason = f"caller is on the tenant's block list ({call.facts.block_reason or 'blocked'})"
        return replace(found, classification=Classification.BLOCKED, reasons=(reason, *found.reasons))
    return found


def _out_of_reach(found: NumberMatch, model: ConfidenceModel) -> NumberMatch:
    """A last holder whose hold ended too long ago is not named: the call stays unattributed."""
    evidence = found.evidence
    if evidence is None or not evidence.after_hold or last_holder_in_reach(model, evidence):
        return found
    return NumberMatch(
        classification=Classification.UNATTRIBUTED
        if found.classification is Classification.DYNAMIC
        else found.classification,
        unattributed_reason=NO_LEASE_AT_CALL_TIME,
        reasons=found.reasons
        if model.last_holder_max_seconds <= 0
        else (
            *found.reasons,
            f"the last holder is named only within {_minutes(timedelta(seconds=model.last_holder_max_seconds))}",
        ),
        site_id=found.site_id,
    )


def _repeat_call(found: NumberMatch, caller: CallerContext, model: ConfidenceModel) -> Attribution | None:
    """The repeat-caller rule: the session of the caller's earlier call on this number, when it wins.

    It wins when the number now names another visitor or nobody: a caller dialling again a number
    they were shown is likelier the earlier session than whoever holds the number now
    (`ConfidenceModel.repeat_caller_keeps_session`; measured in docs/accuracy.md).
    """
    earlier = caller.earlier_on_number
    if (
        not model.repeat_caller_keeps_session
        or earlier is None
        or found.classification not in (Classification.DYNAMIC, Classification.UNATTRIBUTED)
        or found.visitor_id == earlier.visitor_id
    ):
        return None
    now = (
        f"the number now names visitor {found.visitor_id}"
        if found.visitor_id is not None
        else f"the number names nobody ({found.unattributed_reason})"
    )
    reasons = (
        f"repeat caller: their earlier call on this number was attributed to visitor {earlier.visitor_id}",
        now,
    )
    return replace(
        earlier,
        classification=Classification.DYNAMIC,
        confidence=round(model.repeat_caller, 4),
        confidence_reasons=reasons,
        unattributed_reason=None,
        first_time_caller=caller.first_time,
        first_touch=caller.first_touch,
        last_touch=caller.last_touch,
        evidence=None,
        repeat_call=True,
    )


def finish(found: NumberMatch, caller: CallerContext, model: ConfidenceModel) -> Attribution:
    """The full answer: the number's match, the caller's context and the confidence with its reasons."""
    found = _out_of_reach(found, model)
    repeat = _repeat_call(found, caller, model)
    if repeat is not None:
        return repeat
    if found.evidence is not None and found.classification is Classification.DYNAMIC:
        returning = caller.previous_visitor_id is not None and caller.previous_visitor_id == found.visitor_id
        value, reasons = confidence(model, found.evidence, returning_visitor=returning)
    elif found.classification is Classification.STATIC:
        value, reasons = model.static, found.reasons
    else:
        value, reasons = 0.0, found.reasons
    return Attribution(
        classification=found.classification,
        confidence=value,
        confidence_reasons=reasons,
        first_time_caller=caller.first_time,
        unattributed_reason=found.unattributed_reason,
        lease_id=found.lease_id,
        visitor_id=found.visitor_id,
        visit_id=found.visit_id,
        session=found.session,
        site_id=found.site_id,
        channel=found.channel,
        first_touch=caller.first_touch,
        last_touch=caller.last_touch,
        evidence=found.evidence if found.classification is Classification.DYNAMIC else None,
    )


def attribute(
    call: KnownCall,
    history: LeaseHistory,
    caller_history: CallerHistory = (),
    *,
    model: ConfidenceModel | None = None,
    caller: CallerContext | None = None,
) -> Attribution:
    """Match `call` against the lease history of its number at the moment it started.

    `caller_history` holds the caller's calls to the same tenant known so far; the call is a
    first-time call when none of them started before it. `caller` overrides that with the
    full context (touches, previous visitor) when the caller's calls are known.
    """
    context = caller or CallerContext(first_time=not any(key < call.order_key for key in caller_history))
    return finish(match(call, history), context, model or ConfidenceModel())
