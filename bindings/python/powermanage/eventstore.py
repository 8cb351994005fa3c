"""The event store: append, read, and subscribe to the global event order."""

from __future__ import annotations

import datetime
import json
from ctypes import POINTER, byref, c_int32, c_void_p
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, NamedTuple

from . import _native, errors
from ._handle import Handle as _Handle
from ._native import check, encode, lib

#: Expected version for appends whatever the stream's version.
ANY = -1
#: Expected version for appends that create the stream.
NO_STREAM = 0


class Position(NamedTuple):
    """A place in the global order: by appending transaction, then by position."""

    transaction_id: int = 0
    position: int = 0

    def _c(self) -> _native.Position:
        return _native.Position(self.transaction_id, self.position)


#: Before every event.
START = Position(0, 0)


@dataclass(frozen=True)
class Actor:
    """Who appends: kind "system", "admin", "user" or "device", and an id."""

    kind: str
    id: str

    _KINDS = {"system": 0, "admin": 1, "user": 2, "device": 3}

    @classmethod
    def system(cls, label: str = "python") -> "Actor":
        """The integrator's own process."""
        return cls("system", label)

    @classmethod
    def device(cls, device_id: str) -> "Actor":
        """An agent."""
        return cls("device", device_id)

    @classmethod
    def user(cls, user_id: str) -> "Actor":
        """A console user."""
        return cls("user", user_id)

    @classmethod
    def admin(cls, user_id: str) -> "Actor":
        """An administrator."""
        return cls("admin", user_id)


@dataclass
class NewEvent:
    """An event to append: its type, payload and metadata (JSON objects)."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AppendResult:
    """What an append wrote."""

    first_version: int
    last_version: int
    last_position: int


@dataclass(frozen=True)
class RecordedEvent:
    """An event as stored."""

    position: Position
    event_id: str
    stream_type: str
    stream_id: str
    version: int
    type: str
    data: dict[str, Any]
    metadata: dict[str, Any]
    actor_type: str
    actor_id: str
    occurred_at: datetime.datetime

    @classmethod
    def _from_c(cls, e: _native.RecordedEvent) -> "RecordedEvent":
        def text(value: bytes) -> str:
            return value.decode("utf-8")

        return cls(
            position=Position(e.position.transaction_id, e.position.position),
            event_id=text(e.event_id), stream_type=text(e.stream_type),
            stream_id=text(e.stream_id), version=e.version, type=text(e.type),
            data=json.loads(e.data_json), metadata=json.loads(e.metadata_json),
            actor_type=text(e.actor_type), actor_id=text(e.actor_id),
            occurred_at=datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) +
            datetime.timedelta(microseconds=e.occurred_at_us))


def migrate(url: str) -> None:
    """Applies libpowermanage's schema to the database at `url` (once; concurrent callers wait)."""
    check(lib.pm_database_migrate, encode(url))


def _take_list(pointer) -> tuple[list[RecordedEvent], Position]:
    try:
        listed = pointer.contents
        events = [RecordedEvent._from_c(listed.events[i]) for i in range(listed.count)]
        return events, Position(listed.next.transaction_id, listed.next.position)
    finally:
        lib.pm_event_list_free(pointer)


class EventStore(_Handle):
    """The event store on one PostgreSQL database (migrated with migrate()). Thread-safe."""

    _free = lib.pm_event_store_free

    def __init__(self, url: str, pool_size: int = 4):
        """Connects once to check the database; raises Unavailable or SchemaError."""
        super().__init__()
        check(lib.pm_event_store_open, encode(url), pool_size, byref(self._handle))

    def append(self, stream_type: str, stream_id: str, events: Iterable[NewEvent | tuple],
               expected: int = ANY, actor: Actor | None = None) -> AppendResult:
        """Appends `events` (NewEvent or (type, data[, metadata]) tuples) to the stream if it is
        at `expected` (ANY, NO_STREAM or a version); raises VersionConflict otherwise."""
        batch = [e if isinstance(e, NewEvent) else NewEvent(*e) for e in events]
        c_events = (_native.NewEvent * max(len(batch), 1))()
        for i, e in enumerate(batch):
            c_events[i] = _native.NewEvent(encode(e.type), encode(json.dumps(e.data)),
                                           encode(json.dumps(e.metadata)))
        c_actor = None
        if actor is not None:
            if actor.kind not in Actor._KINDS:
                raise errors.InvalidArgument(f"actor kind {actor.kind!r} is not one of "
                                             f"{', '.join(Actor._KINDS)}")
            c_actor = byref(_native.Actor(Actor._KINDS[actor.kind], encode(actor.id)))
        result = _native.AppendResult()
        with self._use() as handle:
            check(lib.pm_event_store_append, handle, encode(stream_type), encode(stream_id),
                  expected, c_events, len(batch), c_actor, byref(result))
        return AppendResult(result.first_version, result.last_version, result.last_position)

    def stream_version(self, stream_type: str, stream_id: str) -> int:
        """The stream's version; 0 if it has no events."""
        out = c_int32()
        with self._use() as handle:
            check(lib.pm_event_store_stream_version, handle, encode(stream_type),
                  encode(stream_id), byref(out))
        return out.value

    def read_stream(self, stream_type: str, stream_id: str,
                    from_version: int = 1) -> list[RecordedEvent]:
        """The stream's events from `from_version` on."""
        out = POINTER(_native.EventList)()
        with self._use() as handle:
            check(lib.pm_event_store_read_stream, handle, encode(stream_type),
                  encode(stream_id), from_version, byref(out))
        return _take_list(out)[0]

    def read_all_page(self, after: Position = START,
                      limit: int = 500) -> tuple[list[RecordedEvent], Position]:
        """Up to `limit` final events after `after`, and the position to continue from."""
        out = POINTER(_native.EventList)()
        with self._use() as handle:
            check(lib.pm_event_store_read_all, handle, Position(*after)._c(), limit,
                  byref(out))
        return _take_list(out)

    def read_all(self, after: Position = START, batch: int = 500) -> Iterator[RecordedEvent]:
        """Every final event after `after`, page by page, until a page comes back empty."""
        while True:
            events, after = self.read_all_page(after, batch)
            if not events:
                return
            yield from events

    def subscribe(self, after: Position = START) -> "Subscription":
        """A live subscription to every event after `after`."""
        return Subscription(self, after)


class Subscription(_Handle):
    """Every event after a position, catching up then live, each once and in order.

    Iterating blocks until the next event (and ends when the subscription is closed, from
    another thread too); next(timeout) returns None when nothing arrives in time. The C call
    releases the GIL while it waits, so other Python threads keep running.
    """

    _free = lib.pm_subscription_free
    _stop = lib.pm_subscription_close

    def __init__(self, store: EventStore, after: Position = START):
        super().__init__()
        with store._use() as handle:
            check(lib.pm_event_store_subscribe, handle, Position(*after)._c(),
                  byref(self._handle))

    def next(self, timeout: float | None = None) -> RecordedEvent | None:
        """The next event, waiting up to `timeout` seconds (None: for ever); None on timeout."""
        out = POINTER(_native.RecordedEvent)()
        timeout_ms = -1 if timeout is None else max(0, int(timeout * 1000))
        try:
            with self._use() as handle:
                check(lib.pm_subscription_next, handle, timeout_ms, byref(out))
        except errors.Timeout:
            return None
        try:
            return RecordedEvent._from_c(out.contents)
        finally:
            lib.pm_event_free(out)

    def position(self) -> Position:
        """The position of the last event returned."""
        out = _native.Position()
        with self._use() as handle:
            check(lib.pm_subscription_position, handle, byref(out))
        return Position(out.transaction_id, out.position)

    def __iter__(self) -> Iterator[RecordedEvent]:
        while True:
            try:
                event = self.next()
            except errors.Closed:
                return
            if event is not None:
                yield event
