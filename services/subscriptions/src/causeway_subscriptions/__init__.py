"""Causeway subscriptions service."""
