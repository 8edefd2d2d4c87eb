"""The Textual front end: talks to the daemon only through oakd.protocol."""
