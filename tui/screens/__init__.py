"""The TUI's screens (dialogs over the main screen), one per module."""
