"""A standalone pipeline: it runs on the camera with no host attached.

oakd watches this directory. Save this file and every target camera is re-flashed with the new
pipeline: edit the GREETING below and watch the cameras' app name change in the TUI.

Standalone mode, in three rules (Luxonis' standalone-mode docs):
1. No XLinkIn or XLinkOut nodes: once flashed, there is no host to talk to. oakd refuses a
   pipeline that has one, naming the node.
2. The camera reaches the world through a Script node (TCP, UDP, HTTP over PoE; GPIO; UART)
   or SPI. Here a Script node serves a tiny web page on port 8080 of the camera: on a real
   camera, open http://CAMERA-ADDRESS:8080. The emulated cameras of `oakd demo` run
   Script nodes too (no sensor, no neural network): there the page answers inside the demo's
   own network, and what the script logs (node.warn) shows in the TUI: press l on a camera.
3. There is no host-side code: everything the camera does is in this pipeline. oakd builds it
   in a child process (so a bug here never reaches the daemon), packages it, and flashes it.
"""

import depthai as dai

GREETING = "Hello from a standalone OAK PoE camera"

# Runs on the camera, inside the Script node's own Python interpreter (not on your machine).
SERVER = """
import socket
import time

greeting = "{greeting}"
started = time.time()
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(("0.0.0.0", 8080))
server.listen(1)
node.warn("serving http on port 8080")
while True:
    conn, _ = server.accept()
    up = int(time.time() - started)
    body = "<h1>%s</h1><p>up %d s</p>" % (greeting, up)
    conn.send(("HTTP/1.0 200 OK\\r\\nContent-Type: text/html\\r\\n\\r\\n" + body).encode())
    conn.close()
"""


def create_pipeline() -> dai.Pipeline:
    """oakd calls this to get the pipeline it flashes."""
    pipeline = dai.Pipeline()
    script = pipeline.create(dai.node.Script)
    script.setProcessor(dai.ProcessorType.LEON_CSS)  # the CPU with the network stack
    script.setScript(SERVER.format(greeting=GREETING))
    return pipeline
