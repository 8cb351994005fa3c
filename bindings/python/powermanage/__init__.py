"""libpowermanage from Python: the event store, the certificate authority, JSON Web Tokens
and ULIDs, over the library's C ABI (libpowermanage_c) with ctypes.

Every failure raises a powermanage.Error subclass; handles are context managers.
"""

from ._native import lib as _lib
from .ca import Certificate, CertificateAuthority
from .errors import *  # noqa: F401,F403 (the exception hierarchy is part of the API)
from .errors import Error
from .eventstore import (ANY, NO_STREAM, START, Actor, AppendResult, EventStore, NewEvent,
                         Position, RecordedEvent, Subscription, migrate)
from .jwt import Claims, JwtCodec, TokenType
from .ulid import is_valid_ulid, new_ulid, ulid_timestamp_ms

#: The C library's version.
__version__ = _lib.pm_version().decode()

__all__ = [
    "ANY", "NO_STREAM", "START", "Actor", "AppendResult", "Certificate", "CertificateAuthority",
    "Claims", "Error", "EventStore", "JwtCodec", "NewEvent", "Position", "RecordedEvent",
    "Subscription", "TokenType", "is_valid_ulid", "migrate", "new_ulid", "ulid_timestamp_ms",
]
