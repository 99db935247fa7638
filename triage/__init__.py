"""Triage Desk core: import, classify and store constituent email. Never imports Qt."""

__version__ = "0.1.0"
