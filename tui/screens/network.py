"""Asks for a camera's network config: DHCP, or a static address with gateway and DNS."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from oakd.protocol.replies import NetworkFacts
from tui import model


@dataclass(frozen=True)
class NetworkChoice:
    """The fields of a NetworkConfig request."""

    dhcp: bool
    static: str | None = None
    gateway: str | None = None
    dns: str | None = None

    def describe(self) -> str:
        """The new settings in words."""
        if self.dhcp:
            return "DHCP"
        dns = f", DNS {self.dns}" if self.dns else ""
        return f"static {self.static}, gateway {self.gateway}{dns}"


def validate(dhcp: bool, static: str, gateway: str, dns: str, cameras: int) -> NetworkChoice | str:
    """The fields checked before anything is sent: a wrong address soft-bricks a camera."""
    if dhcp:
        return NetworkChoice(dhcp=True)
    if cameras != 1:
        return "a static address is for one camera at a time: mark only one"
    if "/" not in static:
        return "address: give it with its prefix, like 192.168.1.50/24"
    try:
        interface = ipaddress.ip_interface(static.strip())
    except ValueError:
        return f"address: {static!r} is not an address/prefix like 192.168.1.50/24"
    if interface.version != 4:
        return "address: the camera takes an IPv4 address"
    net = interface.network
    if net.prefixlen < 31 and interface.ip in (net.network_address, net.broadcast_address):
        return f"address: {interface.ip} is the network or broadcast address of {net}"
    try:
        gw = ipaddress.ip_address(gateway.strip())
    except ValueError:
        what = f"{gateway.strip()!r} is not an address" if gateway.strip() else "give it"
        return f"gateway: {what}, like 192.168.1.1"
    if gw not in net:
        return f"gateway: {gw} is not in {net}: the camera could not reach it"
    if gw == interface.ip:
        return "gateway: it cannot be the camera's own address"
    dns_text = dns.strip()
    if dns_text:
        try:
            ipaddress.ip_address(dns_text)
        except ValueError:
            return f"DNS: {dns_text!r} is not an address"
    return NetworkChoice(False, str(interface), str(gw), dns_text or None)


class NetworkScreen(ModalScreen[NetworkChoice | None]):
    """DHCP or static; the fields are checked here, and a confirmation follows."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, targets: list[str], current: list[NetworkFacts | None] | None = None
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.targets = targets
        # Each target's settings as last read (tui/model.network_settings), in order.
        self.current = current or [None] * len(targets)

    def compose(self) -> ComposeResult:
        # One camera with a static config: the fields start from it, to change one of them.
        only = (self.current[0] if len(self.current) == 1 else None) or model.NO_CONFIG
        static = only.static
        with Vertical(classes="dialog"):
            yield Label("Network config", classes="dialog-title")
            now = "\n".join(
                f"{name} now: {model.describe_network(settings)}"
                for name, settings in zip(self.targets, self.current, strict=False)
            )
            yield Static(Content(now), id="net-current", classes="dialog-body")
            with RadioSet(id="net-mode"):
                yield RadioButton("DHCP", value=not static, id="net-dhcp")
                yield RadioButton("static", value=static, id="net-static")
            address = f"{only.address}/{model.prefix_of(only.mask)}" if static else ""
            yield Input(
                address,
                placeholder="address/prefix, e.g. 192.168.1.50/24",
                id="net-address",
            )
            yield Input(
                only.gateway if static else "",
                placeholder="gateway, e.g. 192.168.1.1",
                id="net-gateway",
            )
            yield Input(
                only.dns if static else "",
                placeholder="DNS (optional)",
                id="net-dns",
            )
            yield Static("", id="net-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Next", id="next", variant="primary", compact=True)

    def on_mount(self) -> None:
        self._show_fields(self.query_one("#net-static", RadioButton).value)

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self._show_fields(event.pressed.id == "net-static")
        self._clear_error()

    def on_input_changed(self, _: Input.Changed) -> None:
        self._clear_error()  # the error was about what the field held before

    def _clear_error(self) -> None:
        self.query_one("#net-error", Static).update("")

    def _show_fields(self, static: bool) -> None:
        for field in ("#net-address", "#net-gateway", "#net-dns"):
            self.query_one(field, Input).display = static

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "next":
            self._submit()
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        result = validate(
            self.query_one("#net-dhcp", RadioButton).value,
            self.query_one("#net-address", Input).value,
            self.query_one("#net-gateway", Input).value,
            self.query_one("#net-dns", Input).value,
            len(self.targets),
        )
        if isinstance(result, str):
            self.query_one("#net-error", Static).update(Content(result))
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        """Change nothing."""
        self.dismiss(None)
