"""The installed version (`rollcall --version`, the build_info metric)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("rollcall")
except PackageNotFoundError:  # running from a tree that was never installed
    VERSION = "0.0.0+unknown"
