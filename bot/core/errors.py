"""Errors with a message fit to show the person who caused them."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or a refused request: the message is shown as it is (one line)."""
