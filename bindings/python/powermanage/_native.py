"""Loads libpowermanage_c and declares the C ABI's functions for ctypes.

The library is found, in order, at $PM_C_LIBRARY, next to an installed package (the path
written into _location.py by `cmake --install`), then by the system's library search.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from ctypes import (POINTER, Structure, c_char, c_char_p, c_int, c_int32, c_int64, c_size_t,
                    c_uint64, c_void_p)

from . import errors


def _find_library() -> str:
    explicit = os.environ.get("PM_C_LIBRARY")
    if explicit:
        return explicit
    try:
        from . import _location  # written at install time only
    except ImportError:
        _location = None
    if _location is not None:
        candidate = os.path.normpath(
            os.path.join(os.path.dirname(os.path.abspath(__file__)), _location.LIBRARY))
        if os.path.exists(candidate):
            return candidate
    found = ctypes.util.find_library("powermanage_c")
    if found:
        return found
    raise ImportError(
        "libpowermanage_c not found: install libpowermanage (cmake --install), or set "
        "PM_C_LIBRARY to the path of libpowermanage_c.so")


lib = ctypes.CDLL(_find_library())


class Error(Structure):
    """Opaque pm_error."""


class Position(Structure):
    """pm_position."""

    _fields_ = [("transaction_id", c_uint64), ("position", c_int64)]


class Actor(Structure):
    """pm_actor."""

    _fields_ = [("type", c_int), ("id", c_char_p)]


class NewEvent(Structure):
    """pm_new_event."""

    _fields_ = [("type", c_char_p), ("data_json", c_char_p), ("metadata_json", c_char_p)]


class AppendResult(Structure):
    """pm_append_result."""

    _fields_ = [("first_version", c_int32), ("last_version", c_int32),
                ("last_position", c_int64)]


class RecordedEvent(Structure):
    """pm_recorded_event."""

    _fields_ = [("position", Position), ("event_id", c_char_p), ("stream_type", c_char_p),
                ("stream_id", c_char_p), ("version", c_int32), ("type", c_char_p),
                ("data_json", c_char_p), ("metadata_json", c_char_p), ("actor_type", c_char_p),
                ("actor_id", c_char_p), ("occurred_at_us", c_int64)]


class EventList(Structure):
    """pm_event_list."""

    _fields_ = [("events", POINTER(RecordedEvent)), ("count", c_size_t), ("next", Position)]


class Certificate(Structure):
    """pm_certificate."""

    _fields_ = [("pem", c_char_p), ("serial_hex", c_char_p), ("sha256_fingerprint", c_char_p),
                ("not_before", c_int64), ("not_after", c_int64)]


class Claims(Structure):
    """pm_claims."""

    _fields_ = [("jti", c_char_p), ("user_id", c_char_p), ("email", c_char_p),
                ("role", c_char_p), ("type", c_int), ("session_version", c_int32),
                ("family", c_char_p), ("issued_at", c_int64), ("expires_at", c_int64)]


ErrorOut = POINTER(POINTER(Error))


def _declare(name, restype, *argtypes):
    function = getattr(lib, name)
    function.restype = restype
    function.argtypes = list(argtypes)
    return function


_declare("pm_error_status", c_int, POINTER(Error))
_declare("pm_error_message", c_char_p, POINTER(Error))
_declare("pm_error_free", None, POINTER(Error))
_declare("pm_status_name", c_char_p, c_int)
_declare("pm_free", None, c_void_p)
_declare("pm_version", c_char_p)

_declare("pm_ulid_new", c_int, POINTER(c_char), ErrorOut)
_declare("pm_ulid_is_valid", c_int, c_char_p)
_declare("pm_ulid_timestamp_ms", c_int, c_char_p, POINTER(c_uint64), ErrorOut)

_declare("pm_database_migrate", c_int, c_char_p, ErrorOut)
_declare("pm_event_store_open", c_int, c_char_p, c_size_t, POINTER(c_void_p), ErrorOut)
_declare("pm_event_store_close", None, c_void_p)
_declare("pm_event_store_free", None, c_void_p)
_declare("pm_event_store_append", c_int, c_void_p, c_char_p, c_char_p, c_int64,
         POINTER(NewEvent), c_size_t, POINTER(Actor), POINTER(AppendResult), ErrorOut)
_declare("pm_event_store_stream_version", c_int, c_void_p, c_char_p, c_char_p,
         POINTER(c_int32), ErrorOut)
_declare("pm_event_list_free", None, POINTER(EventList))
_declare("pm_event_store_read_stream", c_int, c_void_p, c_char_p, c_char_p, c_int32,
         POINTER(POINTER(EventList)), ErrorOut)
_declare("pm_event_store_read_all", c_int, c_void_p, Position, c_size_t,
         POINTER(POINTER(EventList)), ErrorOut)
_declare("pm_event_store_subscribe", c_int, c_void_p, Position, POINTER(c_void_p), ErrorOut)
_declare("pm_subscription_next", c_int, c_void_p, c_int64, POINTER(POINTER(RecordedEvent)),
         ErrorOut)
_declare("pm_subscription_position", c_int, c_void_p, POINTER(Position), ErrorOut)
_declare("pm_subscription_close", None, c_void_p)
_declare("pm_subscription_free", None, c_void_p)
_declare("pm_event_free", None, POINTER(RecordedEvent))

_declare("pm_ca_create", c_int, c_char_p, c_int, c_int64, POINTER(c_void_p), ErrorOut)
_declare("pm_ca_from_pem", c_int, c_char_p, c_char_p, POINTER(c_void_p), ErrorOut)
_declare("pm_ca_free", None, c_void_p)
_declare("pm_ca_certificate_pem", c_int, c_void_p, POINTER(c_void_p), ErrorOut)
_declare("pm_ca_private_key_pem", c_int, c_void_p, POINTER(c_void_p), ErrorOut)
_declare("pm_certificate_free", None, POINTER(Certificate))
_declare("pm_ca_sign_csr", c_int, c_void_p, c_char_p, c_size_t, c_char_p, c_int64,
         POINTER(POINTER(Certificate)), ErrorOut)
_declare("pm_ca_sign_action", c_int, c_void_p, c_char_p, c_int, c_char_p, c_size_t,
         POINTER(c_void_p), POINTER(c_size_t), ErrorOut)
_declare("pm_ca_verify_action", c_int, c_void_p, c_char_p, c_int, c_char_p, c_size_t, c_char_p,
         c_size_t, ErrorOut)

_declare("pm_jwt_open", c_int, c_char_p, c_size_t, POINTER(c_void_p), ErrorOut)
_declare("pm_jwt_free", None, c_void_p)
_declare("pm_jwt_issue", c_int, c_void_p, POINTER(Claims), POINTER(c_void_p), ErrorOut)
_declare("pm_jwt_verify", c_int, c_void_p, c_char_p, c_int, c_int64, POINTER(POINTER(Claims)),
         ErrorOut)
_declare("pm_claims_free", None, POINTER(Claims))


def check(function, *args) -> None:
    """Calls `function(*args, &error)` and raises the powermanage.Error its status maps to."""
    error = POINTER(Error)()
    status = function(*args, ctypes.byref(error))
    if status == 0:
        return
    try:
        message = lib.pm_error_message(error).decode("utf-8", "replace")
    finally:
        lib.pm_error_free(error)
    raise errors.BY_STATUS.get(status, errors.InternalError)(message)


def take_string(pointer: c_void_p) -> str:
    """The NUL-terminated string at `pointer`, released with pm_free."""
    try:
        return ctypes.string_at(pointer).decode("utf-8")
    finally:
        lib.pm_free(pointer)


def encode(text: str | bytes | None) -> bytes | None:
    """UTF-8 for the C side; None stays NULL."""
    if text is None or isinstance(text, bytes):
        return text
    return text.encode("utf-8")
