"""The exceptions of the powermanage module: one class per pm_status of the C ABI."""

from __future__ import annotations


class Error(Exception):
    """Any failure reported by libpowermanage; `status` is the C ABI's pm_status name."""

    status = "PM_ERR_INTERNAL"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidArgument(Error, ValueError):
    """A value the library refuses: bad JSON, a missing name, a bad number."""

    status = "PM_ERR_INVALID_ARGUMENT"


class OutOfMemory(Error, MemoryError):
    """The library could not allocate; nothing was changed."""

    status = "PM_ERR_OUT_OF_MEMORY"


class Unavailable(Error):
    """The database cannot be reached; retry later."""

    status = "PM_ERR_UNAVAILABLE"


class DatabaseError(Error):
    """The database refused a statement."""

    status = "PM_ERR_DATABASE"


class SchemaError(Error):
    """The database lacks libpowermanage's schema (run powermanage.migrate) or is newer."""

    status = "PM_ERR_SCHEMA"


class VersionConflict(Error):
    """The stream was not at the expected version: re-read, re-check, retry."""

    status = "PM_ERR_VERSION_CONFLICT"


class AlreadyExists(Error):
    """A projection's uniqueness rule refused the append."""

    status = "PM_ERR_ALREADY_EXISTS"


class Closed(Error):
    """The handle was closed."""

    status = "PM_ERR_CLOSED"


class Timeout(Error, TimeoutError):
    """Nothing arrived in time."""

    status = "PM_ERR_TIMEOUT"


class CsrError(Error, ValueError):
    """The CA refuses a certificate request."""


class CsrMalformed(CsrError):
    """Not a PEM or DER PKCS#10 request."""

    status = "PM_ERR_CSR_MALFORMED"


class CsrBadSignature(CsrError):
    """The request's self-signature does not verify."""

    status = "PM_ERR_CSR_BAD_SIGNATURE"


class CsrUnsupportedKey(CsrError):
    """Not an ECDSA P-256/P-384 or RSA >= 2048-bit key."""

    status = "PM_ERR_CSR_UNSUPPORTED_KEY"


class CaError(Error):
    """The CA certificate or key is unusable."""

    status = "PM_ERR_CA"


class TokenError(Error):
    """A token was refused."""


class BadSignature(TokenError):
    """An action signature or a token's HMAC does not match."""

    status = "PM_ERR_BAD_SIGNATURE"


class TokenMalformed(TokenError):
    """Not a well-formed JWT."""

    status = "PM_ERR_TOKEN_MALFORMED"


class TokenAlgorithm(TokenError):
    """The token's alg is not HS256."""

    status = "PM_ERR_TOKEN_ALGORITHM"


class TokenExpired(TokenError):
    """The token has expired."""

    status = "PM_ERR_TOKEN_EXPIRED"


class TokenWrongType(TokenError):
    """An access token where a refresh token was expected, or the other way round."""

    status = "PM_ERR_TOKEN_TYPE"


class TokenWrongIssuer(TokenError):
    """The token's issuer is not power-manage."""

    status = "PM_ERR_TOKEN_ISSUER"


class SubscriptionError(Error):
    """The subscription stopped on an error."""

    status = "PM_ERR_SUBSCRIPTION"


class InternalError(Error):
    """A bug in libpowermanage: please report the message."""

    status = "PM_ERR_INTERNAL"


# pm_status values, in the C header's order.
BY_STATUS = {
    1: InvalidArgument,
    2: OutOfMemory,
    3: Unavailable,
    4: DatabaseError,
    5: SchemaError,
    6: VersionConflict,
    7: AlreadyExists,
    8: Closed,
    9: Timeout,
    10: CsrMalformed,
    11: CsrBadSignature,
    12: CsrUnsupportedKey,
    13: CaError,
    14: BadSignature,
    15: TokenMalformed,
    16: TokenAlgorithm,
    17: TokenExpired,
    18: TokenWrongType,
    19: TokenWrongIssuer,
    20: SubscriptionError,
    21: InternalError,
}
