"""The certificate authority: signs agents' CSRs and signs and verifies actions."""

from __future__ import annotations

import ctypes
import datetime
from ctypes import POINTER, byref, c_size_t, c_void_p
from dataclasses import dataclass

from . import _native, errors
from ._handle import Handle
from ._native import check, encode, lib, take_string

_KEY_TYPES = {"ecdsa_p256": 0, "ecdsa_p384": 1, "rsa_3072": 2}


def _seconds(validity: float | datetime.timedelta) -> int:
    if isinstance(validity, datetime.timedelta):
        return int(validity.total_seconds())
    return int(validity)


def _bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8")


@dataclass(frozen=True)
class Certificate:
    """A certificate the CA issued."""

    pem: str
    serial_hex: str
    sha256_fingerprint: str
    not_before: datetime.datetime
    not_after: datetime.datetime


class CertificateAuthority(Handle):
    """A CA certificate and its private key. Thread-safe; a context manager."""

    _free = lib.pm_ca_free

    def __init__(self, _private: object = None):
        """Use create() or from_pem()."""
        if _private is not _CONSTRUCT:
            raise TypeError("use CertificateAuthority.create() or .from_pem()")
        super().__init__()

    @classmethod
    def create(cls, common_name: str, key_type: str = "ecdsa_p256",
               validity: float | datetime.timedelta = 365 * 86400) -> "CertificateAuthority":
        """A new self-signed CA (development and tests); key_type ecdsa_p256, ecdsa_p384 or
        rsa_3072; validity in seconds or a timedelta."""
        if key_type not in _KEY_TYPES:
            raise errors.InvalidArgument(
                f"key_type {key_type!r} is not one of {', '.join(_KEY_TYPES)}")
        ca = cls(_CONSTRUCT)
        check(lib.pm_ca_create, encode(common_name), _KEY_TYPES[key_type], _seconds(validity),
              byref(ca._handle))
        return ca

    @classmethod
    def from_pem(cls, certificate_pem: str, key_pem: str) -> "CertificateAuthority":
        """A CA from its certificate and unencrypted key (PEM); raises CaError if unusable."""
        ca = cls(_CONSTRUCT)
        check(lib.pm_ca_from_pem, encode(certificate_pem), encode(key_pem), byref(ca._handle))
        return ca

    def _text(self, function) -> str:
        out = c_void_p()
        with self._use() as handle:
            check(function, handle, byref(out))
        return take_string(out)

    @property
    def certificate_pem(self) -> str:
        """The CA certificate, PEM."""
        return self._text(lib.pm_ca_certificate_pem)

    @property
    def private_key_pem(self) -> str:
        """The CA private key, PKCS#8 PEM."""
        return self._text(lib.pm_ca_private_key_pem)

    def sign_csr(self, csr: str | bytes, device_id: str,
                 validity: float | datetime.timedelta = 365 * 86400) -> Certificate:
        """Signs an agent's PKCS#10 request (PEM text or DER bytes) for `device_id`; raises a
        CsrError subclass when the request is refused."""
        data = _bytes(csr)
        out = POINTER(_native.Certificate)()
        with self._use() as handle:
            check(lib.pm_ca_sign_csr, handle, data, len(data), encode(device_id),
                  _seconds(validity), byref(out))
        try:
            c = out.contents
            epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
            return Certificate(c.pem.decode(), c.serial_hex.decode(),
                               c.sha256_fingerprint.decode(),
                               epoch + datetime.timedelta(seconds=c.not_before),
                               epoch + datetime.timedelta(seconds=c.not_after))
        finally:
            lib.pm_certificate_free(out)

    def sign_action(self, action_id: str, action_type: int, params: str | bytes) -> bytes:
        """The CA's signature over the action, as agents verify it (raw bytes)."""
        data = _bytes(params)
        signature = c_void_p()
        size = c_size_t()
        with self._use() as handle:
            check(lib.pm_ca_sign_action, handle, encode(action_id), action_type, data, len(data),
                  byref(signature), byref(size))
        try:
            return ctypes.string_at(signature, size.value)
        finally:
            lib.pm_free(signature)

    def verify_action(self, action_id: str, action_type: int, params: str | bytes,
                      signature: bytes) -> bool:
        """Whether `signature` is this CA's over the action (False when tampered or foreign)."""
        data = _bytes(params)
        try:
            with self._use() as handle:
                check(lib.pm_ca_verify_action, handle, encode(action_id), action_type, data,
                      len(data), signature, len(signature))
        except errors.BadSignature:
            return False
        return True


_CONSTRUCT = object()
