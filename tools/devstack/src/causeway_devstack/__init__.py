"""Host mode: LocalStack and every Causeway service as local processes.

`make dev` and the test suite both use `Stack`, so what the tests exercise is
exactly what a developer runs.
"""
