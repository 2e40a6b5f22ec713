"""Qaldyq: the unified information system for accounting and monitoring of all waste types."""

__version__ = "0.1.0"
