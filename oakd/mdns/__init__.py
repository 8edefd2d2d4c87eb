"""oakd on mDNS: the record a daemon announces (`_oakd._tcp.local.`), the interfaces it is
sent on, and the browser that `oakd daemons` (and later the TUI) use to find daemons."""
