"""How a failure of the user's code reads: a kind, one sentence, and their own traceback.

The sentence says what happened, where in their files, and what to do; the traceback starts at
their first frame, because the builder's own frames are noise to them.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from types import TracebackType

from oakd.build.confine import release_ballast
from oakd.build.errors import FailureKind

_PACKAGE_DIR = Path(__file__).resolve().parent


class Refusal(Exception):
    """The build stops here with a failure for the user."""

    def __init__(self, kind: FailureKind, message: str, traceback: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.traceback = traceback


def user_failure(exc: BaseException, doing: str, project: Path, memory_mb: int) -> Refusal:
    """A Refusal that tells a person what their code did, where, with their traceback."""
    if isinstance(exc, MemoryError):
        release_ballast()
    if isinstance(exc, SystemExit):
        return Refusal(
            FailureKind.EXITED,
            f"your pipeline code called sys.exit({exc.code!r}) {doing}; a pipeline file "
            "must define create_pipeline() and return, not exit",
            user_traceback(exc),
        )
    if isinstance(exc, SyntaxError):
        where = f"{relative(exc.filename, project)}, line {exc.lineno}"
        return Refusal(
            FailureKind.SYNTAX,
            f"{where}: {type(exc).__name__}: {exc.msg}",
            "".join(traceback.format_exception_only(type(exc), exc)),
        )
    where = last_user_line(exc.__traceback__, project)
    text = user_traceback(exc)
    if isinstance(exc, MemoryError):
        return Refusal(
            FailureKind.MEMORY,
            f"your pipeline code ran out of memory {doing}{where}: a build may use "
            f"{memory_mb} MiB ([build] memory_mb)",
            text,
        )
    return Refusal(
        FailureKind.EXCEPTION, f"{type(exc).__name__} {doing}{where}: {exc}".rstrip(": "), text
    )


def user_traceback(exc: BaseException) -> str:
    """The traceback from the user's first frame on: the builder's own frames are noise."""
    tb = exc.__traceback__
    while tb is not None and _internal(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    lines = traceback.format_exception(type(exc), exc, tb)
    traceback.clear_frames(exc.__traceback__)  # let a memory bomb's locals go
    return "".join(lines)


def last_user_line(tb: TracebackType | None, project: Path) -> str:
    """' (pipeline.py, line 12)' for the deepest frame in the project, else ''."""
    where = ""
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if Path(filename).is_relative_to(project):
            where = f" ({relative(filename, project)}, line {tb.tb_lineno})"
        tb = tb.tb_next
    return where


def _internal(filename: str) -> bool:
    return filename.startswith("<frozen ") or Path(filename).parent == _PACKAGE_DIR


def relative(filename: str | None, project: Path) -> str:
    """A file name as the user knows it: relative to the project when inside it."""
    if not filename:
        return "<unknown file>"
    path = Path(filename)
    return str(path.relative_to(project)) if path.is_relative_to(project) else filename


def describe_type(value: object) -> str:
    """'None', 'a list', 'a numpy.ndarray': what a value is, for a message."""
    if value is None:
        return "None"
    cls = type(value)
    name = cls.__qualname__
    if cls.__module__ != "builtins":
        name = f"{cls.__module__}.{name}"
    return f"an {name}" if name[:1].lower() in "aeiou" else f"a {name}"
