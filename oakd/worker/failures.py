"""What a failed depthai call means: the link failed (worth retrying), or the camera said no.

depthai raises RuntimeError when XLink fails under most calls, but several DeviceBootloader
calls (flashing, reading, writing a config) return (False, message) instead, with their own
words for a link that failed: "Couldn't send ..." when the request could not be written
(sendRequest), "Couldn't receive ..." when no answer came back (receiveResponseData); see
depthai-core src/device/DeviceBootloader.cpp. Those are not the camera's refusal. Read as one,
a dropped link became a "refused" failure that is never retried, and a delta whose read failed
so went on to a whole write over the dead link.
"""

from __future__ import annotations

from oakd.worker.contract import DeviceError, Failure

LINK_FAILURE_PREFIXES = ("Couldn't send ", "Couldn't receive ")


def link_error(text: str, address: str, doing: str) -> DeviceError:
    """The link to the camera failed while `doing` (a gerund: "connecting")."""
    if "not found" in text or "X_LINK_DEVICE_NOT_FOUND" in text:
        return DeviceError(
            Failure.TRANSIENT,
            f"the camera at {address} did not answer while {doing} ({text}); check that it is "
            "powered and on the network (`oakd devices`)",
        )
    return DeviceError(
        Failure.TRANSIENT,
        f"the link to the camera at {address} dropped while {doing} ({text}); check the "
        "cable and the PoE switch",
    )


def checked(result: tuple[bool, str], address: str, what: str) -> None:
    """Raise unless depthai's (ok, message) says it worked; `what` as "write the package"."""
    ok, message = result
    if ok:
        return
    if message.startswith(LINK_FAILURE_PREFIXES):
        raise link_error(message, address, f"trying to {what}")
    raise DeviceError(
        Failure.FAILED, f"the camera refused to {what}: {message or 'no reason given'}"
    )
