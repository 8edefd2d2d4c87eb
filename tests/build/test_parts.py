"""The builder's pure parts: names, sizes, output tail, package reader, cache, fingerprint."""

from __future__ import annotations

import enum
import os
import struct
from pathlib import Path

import depthai as dai
import pytest

from oakd.build.cache import PackageCache, default_cache_dir
from oakd.build.errors import BuildError, FailureKind
from oakd.build.fingerprint import (
    Toolchain,
    describe,
    fingerprint_document,
    fingerprint_of,
    split_asset_storage,
)
from oakd.build.limits import MIB, app_region_size, format_size, parse_size
from oakd.build.output import TailBuffer
from oakd.core.package import (
    HASH_CHARS,
    PackageError,
    app_name,
    app_name_base,
    package_sections,
    parse_app_name,
    read_section,
)
from oakd.errors import ErrorCode

FP = "ab" * 32


def fake_package(sections: dict[str, bytes]) -> bytes:
    """A minimal SBR package: the header's section table, then each section's bytes."""
    header = bytearray(b"BR")
    body = b""
    for name, data in sections.items():
        offset = 512 + len(body)
        header += struct.pack("<16sIIIBB", name.encode(), len(data), offset, 0, 0, 0)
        body += data
    return bytes(header.ljust(512, b"\0")) + body


def test_app_names_round_trip_and_are_safe() -> None:
    assert app_name_base("my counter/v2") == "my-counter-v2"
    assert app_name_base("...") == "pipeline"
    assert len(app_name_base("x" * 100)) == 48
    name = app_name("counter", FP)
    assert name == "counter@abababababab"
    assert parse_app_name(name) == ("counter", "abababababab")
    assert parse_app_name("somebody else's app") is None


def test_the_application_region_and_sizes() -> None:
    assert app_region_size(32 * MIB) == 24 * MIB
    with pytest.raises(ValueError):
        app_region_size(8 * MIB)
    assert parse_size("24MiB") == parse_size("24M") == parse_size("25165824") == 24 * MIB
    assert parse_size("512k") == 512 * 1024
    with pytest.raises(ValueError, match="not a size"):
        parse_size("big")
    assert format_size(10_747_909) == "10.25 MiB (10 747 909 bytes)"
    assert format_size(512) == "512 bytes"


def test_the_output_tail_is_bounded_and_says_what_it_dropped() -> None:
    tail = TailBuffer(limit=100)
    for i in range(10_000):
        tail.feed(f"line {i}\n".encode())
    captured = tail.captured()
    assert captured.truncated and captured.total_bytes == tail.total
    assert captured.text.startswith("line ") and captured.text.endswith("line 9999\n")
    assert len(captured.text) <= 100
    assert captured.dropped_bytes + len(captured.text) == captured.total_bytes
    assert not TailBuffer(100).captured().truncated


def test_the_package_reader_finds_sections_and_refuses_a_short_file(tmp_path: Path) -> None:
    path = tmp_path / "p.dap"
    path.write_bytes(fake_package({"app_name": b"counter@abababababab"}))
    assert read_section(path, "app_name") == b"counter@abababababab"
    with pytest.raises(PackageError, match="no 'pipeline' section"):
        read_section(path, "pipeline")
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(PackageError, match="cut short"):
        package_sections(path)
    path.write_bytes(b"PK" + b"\0" * 600)
    with pytest.raises(PackageError, match="no 'BR'"):
        package_sections(path)


def test_the_cache_stores_atomically_and_finds_by_fingerprint(tmp_path: Path) -> None:
    cache = PackageCache(tmp_path / "packages")
    assert cache.lookup(FP) is None
    stored = cache.store(FP, lambda p: p.write_bytes(fake_package({"app_name": b"x"})))
    assert stored == cache.path_for(FP) == cache.lookup(FP)
    # Named by the hash its app name carries: the same file as a .dap of it sent by hand.
    assert os.listdir(cache.root) == [f"{FP[:HASH_CHARS]}.dap"]
    assert cache.lookup(FP[:HASH_CHARS]) == stored
    with pytest.raises(ValueError, match="not a fingerprint"):
        cache.path_for("../escape")


def test_a_short_write_never_lands_in_the_cache(tmp_path: Path) -> None:
    cache = PackageCache(tmp_path)
    with pytest.raises(PackageError):
        cache.store(FP, lambda p: p.write_bytes(fake_package({"app_name": b"xyz"})[:-1]))
    assert os.listdir(tmp_path) == []


def test_prune_keeps_the_most_recently_used(tmp_path: Path) -> None:
    cache = PackageCache(tmp_path)
    prints = [f"{i:x}" * 64 for i in range(1, 5)]
    for age, fp in enumerate(reversed(prints)):
        path = cache.store(fp, lambda p: p.write_bytes(fake_package({"a": b"1"})))
        os.utime(path, (1000 + age, 1000 + age))
    cache.lookup(prints[3])  # the oldest, used now
    removed = cache.prune(keep=2)
    assert sorted(p.name for p in removed) == sorted(f"{fp[:12]}.dap" for fp in prints[1:3])


def test_prune_never_removes_a_package_a_queued_flash_needs(tmp_path: Path) -> None:
    needed: set[Path] = set()
    cache = PackageCache(tmp_path, in_use=lambda: needed)
    prints = [f"{i:x}" * 64 for i in range(1, 4)]
    paths = []
    for age, fp in enumerate(prints):
        path = cache.store(fp, lambda p: p.write_bytes(fake_package({"a": b"1"})))
        os.utime(path, (1000 + age, 1000 + age))
        paths.append(path)
    needed.add(paths[0])  # the oldest is still queued
    removed = cache.prune(keep=1)
    assert removed == [paths[1]]
    assert paths[0].exists() and paths[2].exists()


def test_the_default_cache_dir_follows_xdg() -> None:
    assert default_cache_dir({"XDG_CACHE_HOME": "/x"}) == Path("/x/oakd/packages")
    assert default_cache_dir({"HOME": "/home/u"}) == Path("/home/u/.cache/oakd/packages")


class Speed(enum.Enum):
    SUPER = 1


class Settings:
    """Stands for a pybind11 settings object."""

    def __init__(self) -> None:
        self.mtu = 0
        self.speed = Speed.SUPER
        self.gpio = {6: "out", 1: "in"}

    def method(self) -> None:
        """Not a setting."""


def test_describe_walks_settings_objects() -> None:
    assert describe(Settings()) == {
        "type": "Settings",
        "fields": {"gpio": {"1": "in", "6": "out"}, "mtu": 0, "speed": "Speed.SUPER"},
    }


def test_describe_reads_depthais_device_config() -> None:
    described = describe(dai.Pipeline().getDeviceConfig())
    assert described["fields"]["version"] == "Version.VERSION_UNIVERSAL"
    assert "usb" in described["fields"]["board"]["fields"]


def test_serialize_to_json_is_deterministic_and_holds_the_assets() -> None:
    def pipeline_json() -> dict[str, object]:
        pipeline = dai.Pipeline()
        camera = pipeline.create(dai.node.ColorCamera)
        script = pipeline.create(dai.node.Script)
        script.setScript("x = 1\n", "s")
        camera.preview.link(script.inputs["in"])
        return pipeline.serializeToJson()

    first, second = pipeline_json(), pipeline_json()
    assert first == second
    schema, storage = split_asset_storage(first)
    assert "assetStorage" not in schema and b"x = 1\n" in storage


def test_the_fingerprint_covers_options_toolchain_and_asset_bytes() -> None:
    serialized = {"pipeline": {"nodes": []}, "assets": {}, "assetStorage": [1, 2, 3]}
    toolchain = Toolchain("2.33.0.0", "6632d3a2")

    def fp(**changes: object) -> str:
        args: dict[str, object] = {
            "pipeline_json": serialized,
            "device_config": Settings(),
            "toolchain": toolchain,
            "compress": True,
            "app_name_base": "counter",
            **changes,
        }
        return fingerprint_of(fingerprint_document(**args))  # type: ignore[arg-type]

    base = fp()
    assert fp() == base
    variants = [
        fp(compress=False),
        fp(app_name_base="other"),
        fp(toolchain=Toolchain("2.32.0.0", "6632d3a2")),
        fp(toolchain=Toolchain("2.33.0.0", "6632d3a2", custom_firmware="f" * 64)),
        fp(pipeline_json={**serialized, "assetStorage": [1, 2, 4]}),
    ]
    assert len({base, *variants}) == 6


def test_build_error_carries_kind_and_code() -> None:
    error = BuildError(FailureKind.SYNTAX, "pipeline.py, line 3: SyntaxError")
    assert error.to_wire() == {
        "code": ErrorCode.BUILD_FAILED.value,
        "message": "pipeline.py, line 3: SyntaxError",
        "kind": "syntax",
    }
    assert BuildError(FailureKind.CACHE, "disk").code is ErrorCode.INTERNAL
