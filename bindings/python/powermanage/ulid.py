"""ULIDs: 26-character, time-sortable identifiers."""

from __future__ import annotations

import ctypes
from ctypes import byref, c_uint64

from ._native import check, encode, lib

#: Length of a ULID's text form.
LENGTH = 26


def new_ulid() -> str:
    """A new ULID; ULIDs from one process strictly increase."""
    out = ctypes.create_string_buffer(LENGTH + 1)
    check(lib.pm_ulid_new, out)
    return out.value.decode("ascii")


def is_valid_ulid(text: str) -> bool:
    """Whether `text` is a well-formed ULID."""
    return bool(lib.pm_ulid_is_valid(encode(text)))


def ulid_timestamp_ms(text: str) -> int:
    """The Unix milliseconds in the ULID `text`; raises InvalidArgument if it is not one."""
    out = c_uint64()
    check(lib.pm_ulid_timestamp_ms, encode(text), byref(out))
    return out.value
