"""Causeway inventory service."""
