"""Events between services: envelope, outbox, relay, inbox, consumer."""
