"""A failed depthai call is read as the link's failure or the camera's answer (failures.py).

The strings are depthai's own (depthai-core src/device/DeviceBootloader.cpp): the calls that
return (False, message) say "Couldn't send ..." / "Couldn't receive ..." when XLink failed
under them. Provoking each of them through the emulator would take a race between an RST and
depthai's next request (the torn read-back in test_delta.py loses it now and then); the rule
itself is pure, so it is tested here, and test_delta.py keeps the whole path.
"""

from __future__ import annotations

import pytest

from oakd.errors import ErrorCode
from oakd.worker.contract import DeviceError, Failure
from oakd.worker.failures import checked


@pytest.mark.parametrize(
    "message",
    [
        "Couldn't send bootloader flash request",
        "Couldn't receive bootloader response",
        "Couldn't send request to flash configuration data",
        "Couldn't receive response to flash configuration clear",
    ],
)
def test_a_link_that_failed_under_a_call_is_transient_and_says_dropped(message: str) -> None:
    with pytest.raises(DeviceError) as caught:
        checked((False, message), "127.0.0.2", "write the package")
    error = caught.value
    assert error.failure is Failure.TRANSIENT and error.failure.retried
    assert error.failure.code is ErrorCode.DEVICE_UNREACHABLE
    assert "dropped while trying to write the package" in error.message
    assert "127.0.0.2" in error.message and message in error.message


@pytest.mark.parametrize("message", ["Not enough space", ""])
def test_the_cameras_own_answer_is_a_refusal_that_is_not_retried(message: str) -> None:
    with pytest.raises(DeviceError) as caught:
        checked((False, message), "127.0.0.2", "write the package")
    error = caught.value
    assert error.failure is Failure.FAILED and not error.failure.retried
    assert error.message == (
        f"the camera refused to write the package: {message or 'no reason given'}"
    )


def test_success_raises_nothing() -> None:
    checked((True, ""), "127.0.0.2", "write the package")
