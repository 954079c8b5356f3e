"""Kafka plumbing shared by the services: producing, consuming with dead-lettering, log replay."""

from ctrack_common.messaging.consumer import EventConsumer, Record, RejectedEvent
from ctrack_common.messaging.log_reader import LogFollower, replay
from ctrack_common.messaging.producer import EventProducer, PublishFailed

__all__ = [
    "EventConsumer",
    "EventProducer",
    "LogFollower",
    "PublishFailed",
    "Record",
    "RejectedEvent",
    "replay",
]
