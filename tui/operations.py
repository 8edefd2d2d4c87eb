"""The destructive camera operations: their requests, and what each one costs the camera.

Every one of them goes through a ConfirmScreen that names the camera and lists what will be
lost; only then is the request sent, with confirm=True.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text

from oakd.core.jobs import ERASES, JobKind, Loss
from oakd.protocol import Request
from oakd.protocol.replies import DeviceInfo, DeviceState
from oakd.protocol.requests import BootloaderUpdate, ClearApp, ClearConfig, FactoryReset
from tui import model

FALLBACK = "it falls back to DHCP, or to 169.254.1.222 without a DHCP server"


def _app(device: DeviceInfo) -> str:
    name = device.flashed_app
    return f"the flashed application ({name})" if name else "the flashed application, if any"


def _network(device: DeviceInfo) -> str:
    return f"its network config (now at {device.address or 'an unknown address'})"


def _bootloader(device: DeviceInfo) -> str:
    version = device.bootloader_version
    return f"the current bootloader ({version})" if version else "the current bootloader"


def _describe(loss: Loss, device: DeviceInfo) -> str:
    """What `loss` means on this camera, in the words of a confirmation dialog."""
    if loss is Loss.APP:
        return _app(device)
    if loss is Loss.NETWORK:
        return f"{_network(device)}: {FALLBACK}"
    if loss is Loss.BOOTLOADER:
        return _bootloader(device)
    return str(loss.value)


@dataclass(frozen=True)
class DeviceOperation:
    """A destructive request on one camera, with its confirmation text."""

    action: str  # the app action, e.g. "factory_reset"
    title: str  # "Factory reset"
    does: str  # what it does, one sentence
    kind: JobKind  # the job it queues; what it erases is core/jobs.ERASES[kind]
    after: str  # what to expect afterwards
    make: Callable[[str], Request]  # MX ID -> the confirmed request

    def confirmation(self, devices: list[DeviceInfo]) -> Text:
        """The dialog body: which cameras, what happens, what is lost."""
        body = Text()
        body.append(f"{self.does}\n\n")
        for device in devices:
            body.append(f"{model.describe(device)}\n", style="bold")
            if device.state is DeviceState.FLASH_BOOTED:
                body.append(f"  · its running app ({device.running_app}) stops\n")
            for loss in ERASES[self.kind]:
                body.append(f"  · loses {_describe(loss, device)}\n", style="red")
        body.append(f"\n{self.after}")
        return body


OPERATIONS: dict[str, DeviceOperation] = {
    op.action: op
    for op in (
        DeviceOperation(
            "factory_reset",
            "Factory reset",
            "Rewrites the bootloader with the one in the daemon's depthai and erases the rest.",
            JobKind.FACTORY_RESET,
            "The camera then waits in its bootloader for a host. Do not unplug it meanwhile.",
            lambda device: FactoryReset(device=device, confirm=True),
        ),
        DeviceOperation(
            "clear_app",
            "Clear app",
            "Erases the application from the camera's flash.",
            JobKind.CLEAR_APP,
            "The camera then boots into its bootloader and waits for a host.",
            lambda device: ClearApp(device=device, confirm=True),
        ),
        DeviceOperation(
            "clear_config",
            "Clear config",
            "Erases the bootloader config, network settings included.",
            JobKind.CLEAR_CONFIG,
            "The application stays. The camera may come back at another address.",
            lambda device: ClearConfig(device=device, confirm=True),
        ),
        DeviceOperation(
            "bootloader_update",
            "Bootloader update",
            "Flashes the bootloader embedded in the daemon's depthai.",
            JobKind.BOOTLOADER_UPDATE,
            "The application and the config stay. A power cut during the write can brick the "
            "camera: keep it powered until the job is done.",
            lambda device: BootloaderUpdate(device=device, confirm=True),
        ),
    )
}


def network_confirmation(devices: list[DeviceInfo], settings: str) -> Text:
    """The dialog body for a network config write."""
    body = Text(f"Writes a new network config: {settings}.\n\n")
    for device in devices:
        body.append(f"{model.describe(device)}\n", style="bold")
        body.append(f"  · loses {_network(device)}\n", style="red")
    body.append(
        "\nA wrong address, prefix or gateway makes the camera unreachable, and it can then "
        "only be recovered by opening it. Check the settings above."
    )
    return body


def inspect_confirmation(devices: list[DeviceInfo]) -> Text:
    """The dialog body before inspecting cameras that run their app."""
    body = Text("Inspecting connects to the camera, and that reboots it out of its app.\n\n")
    for device in devices:
        body.append(f"{model.describe(device)}\n", style="bold")
        body.append(f"  · its running app ({device.running_app}) stops\n", style="red")
    body.append("\nIt starts again the next time the camera boots from its flash.")
    return body
