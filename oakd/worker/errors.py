"""The one error a device operation raises in the worker, with the kind that decides retries."""

from __future__ import annotations


class OpError(Exception):
    """An operation that did not succeed; `kind` decides whether it is retried:
    `transient` (the link dropped, the camera was not found), `refused` (a preflight check said
    no; nothing was written) or `failed`."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
