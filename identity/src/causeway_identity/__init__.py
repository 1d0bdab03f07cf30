"""Identity: the one place that issues and validates tokens."""
