"""The Causeway platform SDK.

Every service uses it the same way: `causeway.service.Service` wires settings,
database, outbox relay, queue consumer, authentication, telemetry and the web
app. This package root stays free of imports: the provisioning init hook loads
`causeway.topology` and `causeway.provisioning` inside LocalStack, where the
rest of the SDK's dependencies are absent.
"""
