"""Shared by every project's tests; project helpers live in tests/support.py."""

pytest_plugins = ["climb.pytest_plugin"]
