"""The package version, in a module of its own so that reporters can print it without
importing the public API (and the engine behind it)."""

__version__ = "0.1.0"
