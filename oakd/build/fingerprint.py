"""The build fingerprint: a SHA-256 over everything that determines a package's bytes.

`createDepthaiApplicationPackage` writes (depthai-core, DeviceBootloader.cpp): the device
firmware chosen by depthai's version and by `pipeline.getDeviceConfig()` (board config, OpenVINO
version), optionally zlib-compressed; the pipeline schema, the assets map and the asset storage,
which is exactly what `pipeline.serializeToJson()` returns; the firmware version string; the
application name. So the fingerprint covers:

- the serialized pipeline, with its asset storage (Script sources, blobs, config files a node
  holds) reduced to a SHA-256 of its bytes;
- the device config, described field by field (it has no serializer of its own);
- depthai's version and device firmware version, and a custom firmware if DEPTHAI_DEVICE_BINARY
  names one;
- the options that change the bytes: compression and the app name's base.

Measured with depthai 2.33: `serializeToJson()` is deterministic across processes, hash seeds
and repeated pipelines in one process (node ids count from 0 in each pipeline; it holds no paths
of assets, only their keys, and no random ids). Files the pipeline never reads, comments and
whitespace in Python code do not reach it, so they leave the fingerprint unchanged.

Pure: no depthai import here; the child passes in what it read from depthai.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

# Bump when the document below changes shape, so that no old cache entry matches by accident.
SCHEME = 1
_MAX_DEPTH = 12


@dataclass(frozen=True)
class Toolchain:
    """What depthai puts into every package regardless of the pipeline."""

    depthai_version: str
    device_version: str  # the device firmware's commit, the package's `__fw_version`
    custom_firmware: str = ""  # SHA-256 of $DEPTHAI_DEVICE_BINARY's file, if set


def split_asset_storage(pipeline_json: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """The serialized pipeline without `assetStorage`, and that storage as bytes.

    depthai returns the storage as a list of ints (about 0.1 s per MB of assets); hashing it as
    bytes keeps the fingerprint document small.
    """
    rest = {key: value for key, value in pipeline_json.items() if key != "assetStorage"}
    return rest, bytes(pipeline_json.get("assetStorage", []))


def describe(obj: Any, depth: int = 0) -> Any:
    """A JSON-able description of a depthai settings object (pybind11 classes, enums, maps).

    Public, non-callable attributes in name order; enums by name; maps by key. Used for the
    device config, which depthai does not serialize for Python.
    """
    if depth > _MAX_DEPTH:
        raise ValueError("settings nested too deeply to describe")
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [describe(item, depth + 1) for item in obj]
    if isinstance(obj, dict):
        return {str(key): describe(value, depth + 1) for key, value in _by_key(obj.items())}
    if hasattr(type(obj), "__members__") and hasattr(obj, "name"):  # a pybind11 enum
        return f"{type(obj).__name__}.{obj.name}"
    items = getattr(obj, "items", None)
    if callable(items):  # a bound pybind11 map (GPIO, UART)
        return {str(key): describe(value, depth + 1) for key, value in _by_key(items())}
    fields: dict[str, Any] = {}
    for name in dir(obj):
        if name.startswith("_"):
            continue
        value = getattr(obj, name)
        if isinstance(value, type) or (callable(value) and not hasattr(value, "items")):
            continue
        fields[name] = describe(value, depth + 1)
    return {"type": type(obj).__name__, "fields": fields}


def _by_key(items: Any) -> list[tuple[Any, Any]]:
    return sorted(items, key=lambda item: str(item[0]))


def fingerprint_document(
    pipeline_json: dict[str, Any],
    device_config: Any,
    toolchain: Toolchain,
    *,
    compress: bool,
    app_name_base: str,
    telemetry: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the fingerprint covers, as one JSON-able document (telemetry's settings
    only when it is added: packages without it keep their fingerprints)."""
    schema, storage = split_asset_storage(pipeline_json)
    document = {
        "scheme": SCHEME,
        "toolchain": {
            "depthai": toolchain.depthai_version,
            "device": toolchain.device_version,
            "custom_firmware": toolchain.custom_firmware,
        },
        "pipeline": schema,
        "asset_storage": {"size": len(storage), "sha256": hashlib.sha256(storage).hexdigest()},
        "device_config": describe(device_config),
        "options": {"compress": compress, "app_name_base": app_name_base, "check_checksum": False},
    }
    if telemetry is not None:
        document["telemetry"] = telemetry
    return document


def fingerprint_of(document: dict[str, Any]) -> str:
    """The SHA-256 (64 hex digits) of a fingerprint document in canonical JSON."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
