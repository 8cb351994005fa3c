"""JSON Web Tokens (HS256) as the control plane issues and checks them."""

from __future__ import annotations

import datetime
import enum
import time
from ctypes import POINTER, byref, c_void_p
from dataclasses import dataclass

from . import _native
from ._handle import Handle
from ._native import check, encode, lib, take_string


class TokenType(enum.IntEnum):
    """What a token is for."""

    ACCESS = 0
    REFRESH = 1


@dataclass(frozen=True)
class Claims:
    """The claims of a verified token."""

    jti: str
    user_id: str
    email: str
    role: str
    type: TokenType
    session_version: int
    family: str
    issued_at: datetime.datetime
    expires_at: datetime.datetime


def _unix(at: datetime.datetime | float | None) -> int:
    if at is None:
        return int(time.time())
    if isinstance(at, datetime.datetime):
        return int(at.timestamp())
    return int(at)


def _from_unix(seconds: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)


class JwtCodec(Handle):
    """Issues and verifies tokens with one secret (at least 32 bytes). A context manager."""

    _free = lib.pm_jwt_free

    def __init__(self, secret: str | bytes):
        super().__init__()
        key = secret if isinstance(secret, bytes) else secret.encode("utf-8")
        check(lib.pm_jwt_open, key, len(key), byref(self._handle))

    def issue(self, user_id: str, role: str, *, email: str = "",
              type: TokenType = TokenType.ACCESS, ttl: float | datetime.timedelta = 900,
              issued_at: datetime.datetime | float | None = None, session_version: int = 0,
              family: str = "", jti: str | None = None) -> str:
        """A signed token for `user_id` valid for `ttl` (seconds or a timedelta) from
        `issued_at` (default now); a new ULID as jti unless given."""
        start = _unix(issued_at)
        seconds = ttl.total_seconds() if isinstance(ttl, datetime.timedelta) else ttl
        claims = _native.Claims(encode(jti), encode(user_id), encode(email), encode(role),
                                int(type), session_version, encode(family), start,
                                start + int(seconds))
        out = c_void_p()
        with self._use() as handle:
            check(lib.pm_jwt_issue, handle, byref(claims), byref(out))
        return take_string(out)

    def verify(self, token: str, expected: TokenType = TokenType.ACCESS,
               now: datetime.datetime | float | None = None) -> Claims:
        """The token's claims; raises the TokenError subclass of the first check it fails
        (TokenMalformed, TokenAlgorithm, BadSignature, TokenExpired, TokenWrongType,
        TokenWrongIssuer)."""
        out = POINTER(_native.Claims)()
        with self._use() as handle:
            check(lib.pm_jwt_verify, handle, encode(token), int(expected),
                  0 if now is None else _unix(now), byref(out))
        try:
            c = out.contents
            return Claims(c.jti.decode(), c.user_id.decode(), c.email.decode(), c.role.decode(),
                          TokenType(c.type), c.session_version, c.family.decode(),
                          _from_unix(c.issued_at), _from_unix(c.expires_at))
        finally:
            lib.pm_claims_free(out)
