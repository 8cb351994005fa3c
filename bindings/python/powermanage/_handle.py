"""The owner of a C handle, shared by every class that wraps one."""

from __future__ import annotations

import contextlib
import threading
from ctypes import c_void_p
from typing import Iterator

from . import errors


class Handle:
    """Owns a C handle. Calls borrow it through _use(); close() (from a context manager, any
    thread, or the collector) first wakes and waits out the calls still running, then frees
    it once, since the C ABI forbids freeing a handle another thread is using."""

    _free = None  # the C function that releases the handle
    _stop = None  # the C function that wakes calls waiting on the handle, if any

    def __init__(self) -> None:
        self._handle = c_void_p()
        self._state = threading.Condition()
        self._closing = False
        self._users = 0

    @contextlib.contextmanager
    def _use(self) -> Iterator[c_void_p]:
        with self._state:
            if self._closing or not self._handle:
                raise errors.Closed(f"this {type(self).__name__} was closed")
            self._users += 1
        try:
            yield self._handle
        finally:
            with self._state:
                self._users -= 1
                self._state.notify_all()

    def close(self) -> None:
        """Releases the handle; later calls raise powermanage.Closed. Idempotent."""
        with self._state:
            if self._closing:
                return
            self._closing = True
            handle = self._handle
            if handle and type(self)._stop is not None:
                type(self)._stop(handle)
            self._state.wait_for(lambda: self._users == 0)
            self._handle = c_void_p()
        if handle:
            type(self)._free(handle)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_handle", None):
            self.close()
