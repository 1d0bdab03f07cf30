"""Causeway orders service."""
