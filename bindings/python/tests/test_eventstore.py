"""The event store through the Python module, on a real PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest

import powermanage as pm


def test_open_reports_an_outage_and_a_missing_schema(empty_database_url):
    with pytest.raises(pm.Unavailable):
        pm.EventStore("postgresql://127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(pm.SchemaError, match="pm_database_migrate"):
        pm.EventStore(empty_database_url)


def test_append_and_read_back(database_url):
    device = pm.Actor.device("01HVDEVICE0000000000000000")
    with pm.EventStore(database_url) as store:
        result = store.append("sensor", "s-1",
                              [pm.NewEvent("Booted", {"n": 1}),
                               ("Heartbeat", {"n": 2}, {"correlation": "abc"})],
                              expected=pm.NO_STREAM, actor=device)
        assert (result.first_version, result.last_version) == (1, 2)
        with pytest.raises(pm.VersionConflict):
            store.append("sensor", "s-1", [("Heartbeat", {})], expected=pm.NO_STREAM)
        store.append("sensor", "s-1", [("Heartbeat", {"n": 3})], expected=2)
        with pytest.raises(pm.InvalidArgument):
            store.append("sensor", "s-1", [])
        assert store.stream_version("sensor", "s-1") == 3
        events = store.read_stream("sensor", "s-1")
        assert [e.version for e in events] == [1, 2, 3]
        assert events[1].data == {"n": 2} and events[1].metadata == {"correlation": "abc"}
        assert (events[0].actor_type, events[0].actor_id) == ("device", device.id)
        assert events[2].actor_type == "system"
        assert abs(events[0].occurred_at.timestamp() - time.time()) < 60
        assert [e.version for e in store.read_stream("sensor", "s-1", from_version=3)] == [3]
        # read_all holds back what committed after a transaction still open anywhere in the
        # cluster (the commit-safe horizon), and other tests run beside this one: wait for it.
        deadline = time.monotonic() + 20
        while True:
            everything = list(store.read_all(batch=2))
            if len(everything) == len(events) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert [e.event_id for e in everything] == [e.event_id for e in events]
        page, after = store.read_all_page(limit=1)
        assert after == page[0].position
    with pytest.raises(pm.Closed):
        store.stream_version("sensor", "s-1")


def test_a_projection_refusing_a_duplicate_raises_already_exists(database_url):
    created = ("UserCreated", {"email": "ada@example.com", "password_hash": "x", "role": "user"})
    with pm.EventStore(database_url) as store:
        store.append("user", pm.new_ulid(), [created], expected=pm.NO_STREAM)
        with pytest.raises(pm.AlreadyExists):
            store.append("user", pm.new_ulid(), [created], expected=pm.NO_STREAM)


def test_subscribe_catches_up_then_receives_live_events(database_url):
    with pm.EventStore(database_url) as store:
        store.append("sensor", "s-1", [("Booted", {}), ("Heartbeat", {})])
        with store.subscribe() as subscription:
            assert [subscription.next(10).version for _ in range(2)] == [1, 2]
            assert subscription.next(0) is None
            store.append("sensor", "s-2", [("Alarm", {"level": 9})])
            live = subscription.next(10)
            assert (live.stream_id, live.data) == ("s-2", {"level": 9})
            assert subscription.position() == live.position
            resume_at = subscription.position()
        # From a position: only what follows it.
        with store.subscribe(after=resume_at) as later:
            store.append("sensor", "s-3", [("Alarm", {})])
            assert later.next(10).stream_id == "s-3"


def test_iterating_a_subscription_ends_when_another_thread_closes_it(database_url):
    with pm.EventStore(database_url) as store:
        store.append("sensor", "s-1", [("Booted", {})])
        subscription = store.subscribe()
        seen = []

        def consume():
            seen.extend(subscription)  # blocks in C with the GIL released

        consumer = threading.Thread(target=consume)
        consumer.start()
        deadline = time.time() + 10
        while not seen and time.time() < deadline:
            time.sleep(0.05)
        subscription.close()
        consumer.join(10)
        assert not consumer.is_alive()
        assert [e.type for e in seen] == ["Booted"]
        with pytest.raises(pm.Closed):
            subscription.next(0)
