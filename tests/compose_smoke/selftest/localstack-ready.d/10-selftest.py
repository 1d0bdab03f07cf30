# Self-test hook for the LocalStack stand-in (not a project hook). LocalStack exec()s
# .py hooks inside its own process, as the real image does: boto3 and localstack
# must be importable. Creates a queue in account 123456789012 for 20-selftest.sh.
import boto3
from localstack import config

sqs = boto3.client(
    "sqs",
    endpoint_url=config.internal_service_url(),
    region_name="us-east-1",
    aws_access_key_id="123456789012",
    aws_secret_access_key="test",
)
print("selftest py hook:", sqs.create_queue(QueueName="causeway-selftest")["QueueUrl"], flush=True)
