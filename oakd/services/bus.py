"""The event bus: the daemon's services publish, subscribed client sessions receive."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from oakd.protocol import encode, event, topic_of


class Subscriber(Protocol):
    """Anything that takes pushed events without blocking (a client session)."""

    topics: frozenset[str]

    def push(self, frame: bytes) -> None:
        """Queue an encoded frame; never blocks."""


class EventBus:
    """Fan-out of events by topic. Publishing never blocks: each subscriber queues or drops."""

    def __init__(self) -> None:
        self._subscribers: set[Subscriber] = set()

    def subscribe(self, subscriber: Subscriber) -> None:
        """Start delivering to `subscriber`."""
        self._subscribers.add(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Stop delivering to `subscriber`."""
        self._subscribers.discard(subscriber)

    def publish(self, name: str, data: Any) -> None:
        """Send event `name` to every subscriber of its topic."""
        topic = topic_of(name)
        frame: bytes | None = None  # encoded once, for all subscribers
        for subscriber in list(self._subscribers):
            if topic in subscriber.topics:
                frame = frame or encode(event(name, data))
                subscriber.push(frame)

    def __len__(self) -> int:
        return len(self._subscribers)


class Nudge:
    """A subscriber that keeps no frames, only notes that an event of its topics came: for a
    service that looks again at what it cares about (a camera's arrival, its count)."""

    def __init__(self, *topics: str) -> None:
        self.topics = frozenset(topics)
        self.event = asyncio.Event()

    def push(self, frame: bytes) -> None:
        self.event.set()
