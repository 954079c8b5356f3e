"""Which attributed calls stay out of CRMs: calls from a tenant's blocked callers (spam, robocalls).

Attribution classifies such a call `blocked`; call-ingest already flags every event of it
(`call.blocked`). Either is enough: a lead made of a robocall costs a sales team more than a
record kept only in reports.
"""

from __future__ import annotations

from ctrack_common.events import CallAttributed, Classification

__all__ = ["from_blocked_caller"]


def from_blocked_caller(call: CallAttributed) -> bool:
    return call.payload.classification is Classification.BLOCKED or call.payload.call.blocked
