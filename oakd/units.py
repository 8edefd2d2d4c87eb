"""The systemd units, rendered for one installation of oakd.

The files in the repository's systemd/ directory are these templates rendered with
EXEC = /usr/bin/oakd (tests/unit/test_units.py keeps them equal); `oakd service install`
renders them with the interpreter and module of the running installation.
"""

from __future__ import annotations

SYSTEM_SERVICE = """\
# oakd, system-wide: one daemon for every user of this machine.
# Install with `oakd service install`; clients in the group `oakd` reach /run/oakd/oakd.sock.
[Unit]
Description=oakd: live reload of standalone pipelines on OAK PoE cameras
Documentation=man:systemd.service(5)
# Cameras are found on the LAN: wait until the network is really up.
Wants=network-online.target
After=network-online.target
Requires=oakd.socket
After=oakd.socket

[Service]
# READY=1 comes once the socket listens and the first discovery pass is done.
Type=notify
# Only the daemon may notify, not the child processes that build pipelines.
NotifyAccess=main
ExecStart={exec} daemon
ExecReload=/bin/kill -HUP $MAINPID
# Pings come from the daemon's event loop at half this interval: a blocked loop trips it.
WatchdogSec=30
Restart=on-failure
RestartSec=2

# A dedicated system user (created by `oakd service install`). DynamicUser=yes would also
# work, but the socket's group must exist while the daemon is stopped, for oakd.socket.
User=oakd
Group=oakd
# /var/lib/oakd: cameras, jobs and history (SQLite). oakd reads $STATE_DIRECTORY.
StateDirectory=oakd
# /var/cache/oakd: built application packages. oakd reads $CACHE_DIRECTORY.
CacheDirectory=oakd
# /run/oakd holds the socket, which oakd.socket owns: keep the directory when the daemon
# stops, or the socket file would vanish under a listening oakd.socket.
RuntimeDirectory=oakd
RuntimeDirectoryPreserve=yes

# The whole file system is read-only but for the directories above.
ProtectSystem=strict
# Home directories are readable, never writable: projects there can be watched and built.
# The oakd user still needs the Unix permissions to read them (a group, or an ACL); for
# projects in your own home the per-user unit (oakd-user.service) is simpler.
ProtectHome=read-only
# A private /tmp: pipeline builds leave nothing in the shared one.
PrivateTmp=yes
# Neither the daemon nor a pipeline build may gain privileges (setuid binaries, capabilities).
NoNewPrivileges=yes
# Unix for clients and systemd, IPv4 for XLink discovery and TCP (IPv6 for its sockets),
# netlink to enumerate interfaces for broadcast discovery.
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
# Must NOT be used: PrivateNetwork=yes or IPAddressDeny=any would hide the cameras on the LAN,
# and RestrictNetworkInterfaces would stop broadcasts on the camera interface.
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
LockPersonality=yes
RestrictRealtime=yes
SystemCallArchitectures=native

[Install]
WantedBy=multi-user.target
"""

SYSTEM_SOCKET = """\
# The system daemon's socket: systemd creates it early, so clients can connect (and start the
# daemon) before it runs. oakd serves on the socket it is handed (LISTEN_FDS).
[Unit]
Description=oakd daemon socket

[Socket]
ListenStream=/run/oakd/oakd.sock
# Read and write for the owner and the group `oakd`: add users who may flash to that group.
SocketMode=0660
SocketUser=oakd
SocketGroup=oakd
DirectoryMode=0750

[Install]
WantedBy=sockets.target
"""

USER_SERVICE = """\
# oakd for one user: projects in your home, socket at $XDG_RUNTIME_DIR/oakd/oakd.sock,
# state in ~/.local/state/oakd. Install with `oakd service install --user`.
[Unit]
Description=oakd: live reload of standalone pipelines on OAK PoE cameras (user)

[Service]
# READY=1 comes once the socket listens and the first discovery pass is done.
Type=notify
NotifyAccess=main
ExecStart={exec} daemon
ExecReload=/bin/kill -HUP $MAINPID
# Pings come from the daemon's event loop at half this interval: a blocked loop trips it.
WatchdogSec=30
Restart=on-failure
RestartSec=2
StateDirectory=oakd
CacheDirectory=oakd
# Must NOT be used: PrivateNetwork=yes would hide the cameras on the LAN.

[Install]
WantedBy=default.target
"""

REPO_EXEC = "/usr/bin/oakd"

UNITS = {
    "oakd.service": SYSTEM_SERVICE,
    "oakd.socket": SYSTEM_SOCKET,
    "oakd-user.service": USER_SERVICE,
}


def render(name: str, exec_start: str) -> str:
    """One unit file's text, with `exec_start` as the command that runs oakd."""
    return UNITS[name].replace("{exec}", exec_start)


if __name__ == "__main__":
    # Regenerate the repository's systemd/ files from the templates.
    from pathlib import Path

    for unit in UNITS:
        Path("systemd", unit).write_text(render(unit, REPO_EXEC))
