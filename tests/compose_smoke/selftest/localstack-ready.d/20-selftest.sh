#!/bin/bash
# Self-test hook for the LocalStack stand-in: .sh hooks run as subprocesses after the
# .py hook above; curl and awslocal must work. Any failure marks the hook ERROR.
set -euo pipefail
curl -fsS http://localhost:4566/_localstack/health >/dev/null
AWS_ACCESS_KEY_ID=123456789012 awslocal sqs get-queue-url --queue-name causeway-selftest
echo "selftest sh hook: ok"
