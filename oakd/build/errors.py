"""Why a build failed: a stable kind for scripts, and BuildError for code that raises.

Most failures are the user's (a syntax error, an endless loop): `build_project` returns them in
the BuildResult instead of raising, because a failed build is an ordinary outcome of editing.
BuildError exists for callers that want an exception with a wire code (see `to_wire`).
"""

from __future__ import annotations

from enum import Enum

from oakd.errors import ErrorCode, OakdError


class FailureKind(str, Enum):
    """What went wrong in a build; the value is stable and appears in JSON output."""

    PROJECT_MISSING = "project_missing"  # the project directory does not exist
    ENTRY_MISSING = "entry_missing"  # the entry file (pipeline.py) does not exist
    SYNTAX = "syntax"  # a SyntaxError in the user's code
    EXCEPTION = "exception"  # the user's code raised
    NO_PIPELINE = "no_pipeline"  # neither create_pipeline() nor `pipeline` is defined
    WRONG_TYPE = "wrong_type"  # create_pipeline() returned something else than a dai.Pipeline
    TIMEOUT = "timeout"  # the build ran past its time limit
    MEMORY = "memory"  # the user's code ran out of its memory limit
    EXITED = "exited"  # the user's code called sys.exit() or os._exit()
    CRASHED = "crashed"  # the build process died of a signal
    NOT_STANDALONE = "not_standalone"  # XLinkIn/XLinkOut nodes: nothing to talk to once flashed
    TOO_LARGE = "too_large"  # the package does not fit the camera's application region
    PACKAGE = "package"  # depthai could not make the package
    CACHE = "cache"  # the package cache could not be read or written
    INTERNAL = "internal"  # a bug in oakd's builder


# Failures of oakd itself rather than of the project.
_OURS = {FailureKind.CACHE, FailureKind.INTERNAL}


def error_code_for(kind: FailureKind) -> ErrorCode:
    """The protocol's error code for a failure kind; `kind` travels beside it on the wire."""
    if kind in _OURS:
        return ErrorCode.INTERNAL
    return ErrorCode.BUILD_FAILED


class BuildError(OakdError):
    """A build failed; `kind` says how, `message` says it to a person."""

    def __init__(self, kind: FailureKind, message: str, traceback: str = "") -> None:
        super().__init__(message, error_code_for(kind))
        self.kind = kind
        self.traceback = traceback

    def to_wire(self) -> dict[str, str]:
        """The protocol's error object, with the build failure's kind."""
        wire = super().to_wire()
        wire["kind"] = self.kind.value
        return wire
