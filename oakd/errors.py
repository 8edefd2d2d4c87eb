"""One exception root, one subclass per failure domain; each code is stable and on the wire.

A person always sees `message`: what failed and what to do about it. Scripts match on `code`,
which never changes once published (see ErrorCode).
"""

from __future__ import annotations

from enum import Enum


class ErrorCode(str, Enum):
    """Stable error codes, as they appear in the protocol's error responses."""

    # protocol
    BAD_FRAME = "bad_frame"  # not JSON, not an object, or missing fields
    FRAME_TOO_LARGE = "frame_too_large"
    HELLO_REQUIRED = "hello_required"
    PROTOCOL_MISMATCH = "protocol_mismatch"
    UNKNOWN_REQUEST = "unknown_request"
    BAD_PARAMS = "bad_params"
    PERMISSION_DENIED = "permission_denied"
    TOO_MANY_REQUESTS = "too_many_requests"  # a client's requests in flight are capped
    # daemon
    INTERNAL = "internal"
    DAEMON_UNREACHABLE = "daemon_unreachable"
    ALREADY_RUNNING = "already_running"
    # config and state
    CONFIG = "config"
    STATE = "state"
    # devices and jobs (used from the flash engine on)
    NOT_FOUND = "not_found"
    AMBIGUOUS = "ambiguous"
    CONFIRMATION_REQUIRED = "confirmation_required"
    REFUSED = "refused"  # preflight said no; the message says why and what to do
    BOOTLOADER_TOO_OLD = "bootloader_too_old"  # a flash refused unless forced
    DEVICE_UNREACHABLE = "device_unreachable"  # no answer, a dropped link, a deadline
    DEVICE_FAILED = "device_failed"  # the camera refused, or did not end as it should
    BUSY = "busy"  # e.g. cancelling a job that is already writing
    INTERRUPTED = "interrupted"  # a job cut off by daemon restarts twice: queue it anew
    BUILD_FAILED = "build_failed"


class OakdError(Exception):
    """Root of every error oakd raises on purpose."""

    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def to_wire(self) -> dict[str, str]:
        """The `error` object of a protocol response."""
        return {"code": self.code.value, "message": self.message}


class ProtocolError(OakdError):
    """A client sent something the protocol does not allow."""

    code = ErrorCode.BAD_FRAME


class ConfigError(OakdError):
    """The configuration file is unreadable or names something wrongly."""

    code = ErrorCode.CONFIG


class StateError(OakdError):
    """The state database cannot be opened or migrated."""

    code = ErrorCode.STATE


class DaemonUnreachable(OakdError):
    """No daemon answers on the socket; the message says how to start one."""

    code = ErrorCode.DAEMON_UNREACHABLE


class AlreadyRunning(OakdError):
    """Another daemon already serves the socket."""

    code = ErrorCode.ALREADY_RUNNING


class RemoteError(OakdError):
    """An error response from the daemon, re-raised on the client side; `kind` is the build
    failure's kind when the error is a failed build (oakd/build/errors.py FailureKind)."""

    def __init__(self, message: str, code: ErrorCode | None = None, kind: str | None = None):
        super().__init__(message, code)
        self.kind = kind
