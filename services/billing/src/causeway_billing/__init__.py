"""Causeway billing service."""
