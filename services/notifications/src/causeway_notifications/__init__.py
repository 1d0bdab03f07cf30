"""Causeway notifications service."""
