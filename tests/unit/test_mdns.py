"""The mDNS record's format, the addresses a daemon announces, its persistent id, the config
keys and `oakd daemons`' usage errors. No sockets: the real mDNS is in
tests/integration/test_daemons_mdns.py."""

from __future__ import annotations

import ipaddress
import subprocess
import sys
from pathlib import Path

import pytest

from oakd.cli import main
from oakd.config import Config, parse_config
from oakd.errors import ConfigError
from oakd.mdns import net
from oakd.mdns.record import DaemonRecord, FoundDaemon, host_label, instance_name
from oakd.services.announce import UUID_FILE, daemon_uuid, ssh_hint

RECORD = DaemonRecord(
    uuid="6d1c1d2e-0000-4000-8000-000000000001",
    version="0.1.0",
    protocol=1,
    cameras=3,
    ssh="ssh://ops@plant-2",
    socket="/run/oakd/oakd.sock",
)


def test_the_record_reads_back_as_written() -> None:
    wire = {k.encode(): v.encode() for k, v in RECORD.properties().items()}
    assert DaemonRecord.parse(wire) == RECORD
    assert RECORD.properties()["txtvers"] == "1"


def test_a_record_of_another_version_is_read_leniently() -> None:
    parsed = DaemonRecord.parse({b"uuid": b"u", b"cameras": b"many", b"extra": None})
    assert (parsed.uuid, parsed.cameras, parsed.protocol, parsed.socket) == ("u", -1, -1, "")


def found(**kwargs: object) -> FoundDaemon:
    fields: dict = {
        "name": "oakd on plant-2",
        "host": "plant-2",
        "port": 22,
        "addresses": ["10.2.0.5", "172.17.0.1"],
        "record": RECORD,
    }
    fields.update(kwargs)
    return FoundDaemon(**fields)


def test_the_host_url_uses_the_first_address_the_login_and_the_socket() -> None:
    assert found().url() == "ssh://ops@10.2.0.5/run/oakd/oakd.sock"
    assert found(port=2222).url() == "ssh://ops@10.2.0.5:2222/run/oakd/oakd.sock"
    assert found(addresses=[]).url() == "ssh://ops@plant-2/run/oakd/oakd.sock"
    shared = DaemonRecord(**{**RECORD.__dict__, "ssh": "ssh://plant-2"})
    assert found(record=shared).url() == "ssh://10.2.0.5/run/oakd/oakd.sock"
    wire = found().to_wire()
    assert wire["cameras_online"] == 3 and wire["url"] == found().url()


def test_the_instance_name_comes_from_the_host_name_as_one_label() -> None:
    assert instance_name("plant-2.example.com") == "oakd on plant-2"
    assert host_label("my_host.lan") == "my-host"
    assert host_label("___") == "oakd"
    assert len(host_label("x" * 100)) == 63


def test_the_daemon_id_is_made_once_and_kept(tmp_path: Path) -> None:
    first = daemon_uuid(tmp_path)
    assert daemon_uuid(tmp_path) == first
    assert (tmp_path / UUID_FILE).read_text().strip() == first
    (tmp_path / UUID_FILE).write_text("not a uuid\n")
    replaced = daemon_uuid(tmp_path)
    assert replaced != first and daemon_uuid(tmp_path) == replaced


def test_the_ssh_hint_names_the_user_unless_a_group_shares_the_socket() -> None:
    assert ssh_hint(shared=False).startswith("ssh://") and "@" in ssh_hint(shared=False)
    assert "@" not in ssh_hint(shared=True)


def _host(*interfaces: str) -> list[tuple[ipaddress.IPv4Interface, bool]]:
    ifaces = [ipaddress.IPv4Interface(i) for i in interfaces]
    return [(i, i.ip.is_loopback) for i in ifaces]


def test_announced_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(net, "_host_ipv4", lambda: _host("127.0.0.1/8", "10.2.0.5/24"))
    assert net.announced_addresses([]) == ["10.2.0.5"]  # never loopback to a remote browser
    assert net.announced_addresses(["127.0.0.1", "10.9.9.9"]) == ["127.0.0.1"]  # as chosen
    monkeypatch.setattr(net, "_host_ipv4", lambda: _host("127.0.0.1/8"))
    assert net.announced_addresses([]) == ["127.0.0.1"]  # loopback when it is all there is


def test_addresses_on_our_networks_come_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(net, "_host_ipv4", lambda: _host("127.0.0.1/8", "10.2.0.9/24"))
    assert net.reachable_first(["172.17.0.1", "10.2.0.5"]) == ["10.2.0.5", "172.17.0.1"]


def test_announcing_is_on_by_default_and_off_with_one_setting() -> None:
    assert Config().daemon.announce is True
    assert Config().daemon.announce_interfaces == []
    assert parse_config("[daemon]\nannounce = false\n").daemon.announce is False
    chosen = parse_config('[daemon]\nannounce_interfaces = ["127.0.0.1"]\n')
    assert chosen.daemon.announce_interfaces == ["127.0.0.1"]
    with pytest.raises(ConfigError, match=r"\[daemon.announce_interfaces\[0\]\].*IPv4"):
        parse_config('[daemon]\nannounce_interfaces = ["eth0"]\n')


@pytest.mark.parametrize(
    "argv", [["daemons", "--timeout", "0"], ["daemons", "--interface", "eth0"]]
)
def test_daemons_usage_errors_exit_2_before_browsing(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert "oakd: --" in capsys.readouterr().err


def test_building_the_parser_does_not_load_zeroconf() -> None:
    code = (
        "import sys; from oakd.cli import build_parser; build_parser(); "
        "print('zeroconf' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"
