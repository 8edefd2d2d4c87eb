"""The Script nodes of a package: their sources, processors and the links between them.

Read out of the package's `pipeline` (the serialized PipelineSchema), `assets` (where each
asset lies in `asset_storage`) and `asset_storage` sections, all written by depthai 2.x in
libnop's format (core/nop.py). Pure: section bytes in. The emulator runs what this finds
(emulator/app.py); `oakd build` uses it to report what a package holds.

The field orders are depthai 2.33's (read off packages it made, see tests/unit/test_scripts.py):
    PipelineSchema   [connections, globalProperties, nodes]
    NodeConnection   [node1Id, node1OutputGroup, node1Output, node2Id, node2InputGroup,
                      node2Input]
    NodeObjInfo      [id, name, properties (binary, libnop itself), ioInfo]
    ScriptProperties [scriptUri, scriptName, processor]   processor: 0 LEON_CSS, 1 LEON_MSS
    NodeIoInfo       [group, name, type, blocking, queueSize, waitForMessage, id]
    AssetsMap        [map: key -> [offset, size, alignment]]
A Script's source is the asset `/node/<id>/__script`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from oakd.core.nop import NopError, decode

PIPELINE, ASSETS, ASSET_STORAGE = "pipeline", "assets", "asset_storage"
LEON_CSS, LEON_MSS = 0, 1
PROCESSORS = {LEON_CSS: "LEON_CSS", LEON_MSS: "LEON_MSS"}
IO_OUTPUT_TYPES = (0, 1)  # MSender, SSender; 2, 3 are MReceiver, SReceiver


class ScriptsError(ValueError):
    """The sections do not hold a pipeline this reader understands."""


@dataclass(frozen=True)
class Port:
    """An input or an output of a node."""

    name: str
    blocking: bool
    queue_size: int


@dataclass(frozen=True)
class ScriptNode:
    """One Script node of a package."""

    id: int
    name: str  # setScript's name: what tracebacks call the file
    processor: int  # LEON_CSS or LEON_MSS
    source: str
    inputs: tuple[Port, ...] = ()
    outputs: tuple[Port, ...] = ()

    @property
    def processor_name(self) -> str:
        """LEON_CSS or LEON_MSS."""
        return PROCESSORS.get(self.processor, str(self.processor))


@dataclass(frozen=True)
class Link:
    """An output of one node linked to an input of another."""

    from_node: int
    output: str
    to_node: int
    input: str


@dataclass(frozen=True)
class PackageScripts:
    """The Script nodes of a package and every link in its pipeline."""

    scripts: tuple[ScriptNode, ...]
    links: tuple[Link, ...] = ()
    node_names: dict[int, str] = field(default_factory=dict)  # every node: id -> type name


def read_scripts(sections: Mapping[str, bytes]) -> PackageScripts:
    """The Script nodes in a package's sections (`pipeline`, `assets`, `asset_storage`)."""
    try:
        schema = decode(sections[PIPELINE])
        assets = _assets(decode(sections[ASSETS]))
    except KeyError as exc:
        raise ScriptsError(f"the package has no {exc.args[0]!r} section") from None
    except NopError as exc:
        raise ScriptsError(f"cannot read the package's pipeline: {exc}") from None
    storage = sections.get(ASSET_STORAGE, b"")
    try:
        connections, _, nodes = schema
        links = tuple(_link(c) for c in connections)
        names = {int(node_id): str(info[1]) for node_id, info in nodes.items()}
        scripts = tuple(
            _script(int(node_id), info, assets, storage)
            for node_id, info in sorted(nodes.items())
            if info[1] == "Script"
        )
    except (TypeError, ValueError, IndexError, AttributeError, NopError) as exc:
        raise ScriptsError(f"the package's pipeline is not a depthai 2.x one: {exc}") from None
    return PackageScripts(scripts, links, names)


def _assets(value: Any) -> dict[str, tuple[int, int]]:
    (table,) = value
    return {str(key): (int(entry[0]), int(entry[1])) for key, entry in table.items()}


def _link(connection: list[Any]) -> Link:
    from_node, _, output, to_node, _, input_ = connection
    return Link(int(from_node), str(output), int(to_node), str(input_))


def _script(
    node_id: int, info: list[Any], assets: dict[str, tuple[int, int]], storage: bytes
) -> ScriptNode:
    _, _, properties, io_info = info
    uri, name, processor = decode(properties)
    source = ""
    if str(uri).startswith("asset:"):
        where = assets.get(f"/node/{node_id}/{str(uri).removeprefix('asset:')}")
        if where is None:
            raise ScriptsError(f"Script node {node_id}'s source {uri!r} is not in the assets")
        offset, size = where
        if offset < 0 or offset + size > len(storage):
            raise ScriptsError(f"Script node {node_id}'s source lies outside asset_storage")
        source = storage[offset : offset + size].decode("utf-8", "replace")
    inputs: list[Port] = []
    outputs: list[Port] = []
    for io in io_info.values():
        _, port_name, kind, blocking, queue_size = io[:5]
        port = Port(str(port_name), bool(blocking), int(queue_size))
        (outputs if kind in IO_OUTPUT_TYPES else inputs).append(port)
    return ScriptNode(node_id, str(name), int(processor), source, tuple(inputs), tuple(outputs))
