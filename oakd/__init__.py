"""oakd: develop standalone-mode pipelines on Luxonis OAK PoE cameras with a live loop."""

__version__ = "0.1.0"
