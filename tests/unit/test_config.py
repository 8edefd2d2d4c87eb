"""The config file: defaults, lookup order, and errors that name file, key and expectation."""

from __future__ import annotations

from pathlib import Path

import pytest

from oakd.config import Config, find_config, load_config, parse_config
from oakd.errors import ConfigError


def test_no_config_means_defaults(tmp_path: Path) -> None:
    config = load_config(None, env={"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)})
    assert config == Config()
    assert config.discovery.interval_s == 2.0
    assert config.flash.parallel == 8


def test_lookup_order(tmp_path: Path) -> None:
    xdg = tmp_path / "xdg" / "oakd" / "config.toml"
    xdg.parent.mkdir(parents=True)
    xdg.write_text("")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "OAKD_CONFIG": str(tmp_path / "env.toml")}
    assert find_config("/explicit.toml", env) == Path("/explicit.toml")
    assert find_config(None, env) == tmp_path / "env.toml"
    del env["OAKD_CONFIG"]
    assert find_config(None, env) == xdg


def test_a_named_config_that_is_missing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load_config(str(tmp_path / "nope.toml"))


def test_full_example_parses() -> None:
    config = parse_config(
        """
        [daemon]
        socket_group = "oakd"
        [discovery]
        interval_s = 1
        static_addresses = ["10.0.0.5"]
        [[device]]
        id = "18443010C1D2E3F400"
        alias = "door"
        [[project]]
        path = "~/p"
        devices = ["door"]
        """
    )
    assert config.discovery.interval_s == 1.0
    assert config.device[0].alias == "door"
    assert config.project[0].entry == "pipeline.py"


def test_a_named_cameras_address_is_probed_as_static_addresses_are() -> None:
    config = parse_config(
        """
        [discovery]
        static_addresses = ["10.0.0.5", "10.0.0.6"]
        [[device]]
        id = "18443010C1D2E3F400"
        address = "10.0.0.6"
        [[device]]
        id = "18443010C1D2E3F500"
        address = "10.9.0.7"
        [[device]]
        id = "18443010C1D2E3F600"
        """
    )
    assert config.unicast_addresses() == ["10.0.0.5", "10.0.0.6", "10.9.0.7"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[discovery]\nintervall_s = 2",
            "[discovery.intervall_s] unknown key (did you mean 'interval_s'?)",
        ),
        ("[daemon]\nlog_level = 3", "[daemon.log_level] expected a string, got 3"),
        ("[flash]\nparallel = true", "[flash.parallel] expected a whole number, got true"),
        ("[flash]\nparallel = 0", "[flash.parallel] expected a whole number from 1 to 256"),
        ('[discovery]\nstatic_addresses = ["10.0.0"]', "expected an IPv4 address"),
        ("[[device]]\nalias = 'x'", "[device[0].id] is required"),
        ("[[device]]\nid = 'x'\naddress = 'door'", "[device[0].address] expected an IPv4"),
        ("[flash]\nmin_bootloader = '0.0'", "[flash.min_bootloader] expected a version"),
        ("colour = 'red'", "[colour] unknown key"),
        ("source = 'x'", "[source] unknown key"),
        ("[discovery", "not valid TOML"),
    ],
)
def test_errors_name_the_key_and_what_was_expected(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, Path("/etc/oakd/config.toml"))
    assert info.value.message.startswith("/etc/oakd/config.toml: ")
    assert expected in info.value.message
