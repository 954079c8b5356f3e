"""`ctrack replay`: attribution recomputed from the log for a time range, into a separate output.

The range, the replay id and the comparison with the live answers are pure
(`selection`, `summary`); `join` is the one place that drives the live join's
core; `runner` reads the topics and writes the replay topic and table;
`what_if` gathers the recorded traffic for a pool-policy what-if.
"""

from attribution.replay.runner import ReplayOutput, run_replay
from attribution.replay.selection import ReplayRange, replay_id_for
from attribution.replay.summary import CallDifference, ReplaySummary, summarise

__all__ = [
    "CallDifference",
    "ReplayOutput",
    "ReplayRange",
    "ReplaySummary",
    "replay_id_for",
    "run_replay",
    "summarise",
]
