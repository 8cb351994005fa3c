#!/usr/bin/env python3
"""What an integrator's Python tool does with libpowermanage: a CA that signs an agent's
certificate request and an action, a token for an administrator, and, given a database URL,
events appended to the store and read back through a subscription.

usage: ca_and_events.py [DATABASE_URL]
The database is migrated first (libpowermanage's schema is applied once, idempotently).
"""

from __future__ import annotations

import json
import subprocess
import sys

import powermanage as pm


def certificate_request(hostname: str) -> str:
    # An agent makes its own key and request; the openssl command stands in for it here.
    return subprocess.run(
        ["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", "/dev/null", "-subj", f"/CN={hostname}"],
        check=True, capture_output=True, text=True).stdout


def main() -> int:
    device_id = pm.new_ulid()
    with pm.CertificateAuthority.create("example fleet CA") as ca:
        cert = ca.sign_csr(certificate_request("laptop-1"), device_id, validity=86400)
        print(f"signed device {device_id}: serial {cert.serial_hex}, "
              f"valid until {cert.not_after:%Y-%m-%d}")
        params = json.dumps({"script": "uptime"})
        signature = ca.sign_action(pm.new_ulid(), 3, params)
        print(f"action signature: {len(signature)} bytes")

    with pm.JwtCodec(b"example secret of at least 32 bytes!") as tokens:
        token = tokens.issue(pm.new_ulid(), "admin", email="ops@example.com", ttl=600)
        print(f"token for {tokens.verify(token).email}, role {tokens.verify(token).role}")

    if len(sys.argv) < 2:
        return 0
    url = sys.argv[1]
    pm.migrate(url)
    with pm.EventStore(url) as store, store.subscribe() as subscription:
        stream = pm.new_ulid()
        store.append("sensor", stream,
                     [("Booted", {"device": device_id}), ("Heartbeat", {"load": 0.4})],
                     expected=pm.NO_STREAM, actor=pm.Actor.device(device_id))
        received = [subscription.next(timeout=10) for _ in range(2)]
        for event in received:
            print(f"received {event.type} v{event.version} at {event.position.position}: "
                  f"{json.dumps(event.data)}")
        if [e.type for e in received] != ["Booted", "Heartbeat"]:
            print("the subscription did not deliver both events", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
