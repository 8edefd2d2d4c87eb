"""The device worker: a child process that runs depthai operations for the daemon.

Protocol, one JSON object per line. The parent writes {"op": NAME, "params": {...}} on stdin;
the worker answers with any number of {"event": "phase", "phase": ...} and
{"event": "progress", "value": ...} lines (a write announces its bytes first with
{"event": "size", "bytes": N}: progress is a fraction of them), then exactly one
{"event": "done", "result": {...}} or {"event": "error", "kind": ..., "message": ...}.
It starts with {"event": "ready", ...}.
"""
