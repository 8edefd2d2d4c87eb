"""A compressed package made from the uncompressed one and the cached compressed firmware is
byte for byte the package depthai makes with compress=True."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from oakd.build.firmware import FirmwareCache, compress_package
from tests import firmware

pytestmark = pytest.mark.timeout(180)


def pipelines(dai: Any) -> dict[str, Any]:
    def script(text: str, nodes: int = 1, board: bool = False) -> Any:
        pipeline = dai.Pipeline()
        for _ in range(nodes):
            pipeline.create(dai.node.Script).setScript(text)
        if board:
            config = dai.BoardConfig()
            config.logDevicePrints = True
            pipeline.setBoardConfig(config)
        return pipeline

    return {
        "one script": script("node.warn('a')"),
        "a large pipeline section": script("x = 1", nodes=1500),
        "another board config (another firmware)": script("node.warn('a')", board=True),
    }


def test_the_same_bytes_as_depthai_compressed(tmp_path: Path) -> None:
    import depthai as dai

    # The default firmware compressed as the suite's daemons get it (tests/firmware.py, made by
    # FirmwareCache too): 5 s of zlib less here, and it must give depthai's bytes as well.
    firmware.seed(tmp_path / "firmware")
    cache = FirmwareCache(tmp_path / "firmware")
    for what, pipeline in pipelines(dai).items():
        raw, want = tmp_path / "raw.dap", tmp_path / "want.dap"
        dai.DeviceBootloader.saveDepthaiApplicationPackage(
            raw, pipeline, compress=False, applicationName="t@000000000000"
        )
        dai.DeviceBootloader.saveDepthaiApplicationPackage(
            want, pipeline, compress=True, applicationName="t@000000000000"
        )
        assert compress_package(raw.read_bytes(), cache) == want.read_bytes(), what
    # Two firmwares: the default one, seeded, and the board config change's, compressed here.
    assert len(list((tmp_path / "firmware").glob("*.zlib"))) == 2
