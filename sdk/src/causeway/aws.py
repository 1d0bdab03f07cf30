"""boto3 clients for the service's own account.

The only LocalStack-specific thing is the endpoint URL (and, there, the
convention that the access key id is the account id: see Settings).
"""

from __future__ import annotations

import functools

import boto3
from botocore.config import Config

from causeway.config import Settings

# Short connect/read timeouts so a dead LocalStack shows as a fast, retried
# error; the read timeout leaves room for a 20 s SQS long poll.
_CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=25, retries={"mode": "standard", "max_attempts": 3})


class AwsClients:
    def __init__(self, settings: Settings) -> None:
        self._session = boto3.session.Session(region_name=settings.aws_region, **settings.aws_credentials())
        self._endpoint_url = settings.aws_endpoint_url
        self._region = settings.aws_region

    @functools.cache  # noqa: B019 - one client per service per process, for the process's life
    def client(self, name: str):
        return self._session.client(name, endpoint_url=self._endpoint_url, config=_CLIENT_CONFIG)

    def events(self):
        return self.client("events")

    def sqs(self):
        return self.client("sqs")

    def sts(self):
        return self.client("sts")

    def events_reading(self, owner_account: str):
        """An EventBridge client that can describe a bus owned by `owner_account`.

        On AWS that is our own client: the bus's resource policy grants the
        read. LocalStack looks a bus up in the caller's account even when it is
        named by ARN, so there the read is made as the owner, by its multi-account
        convention (the access key id is the account id).
        """
        if not self._endpoint_url:
            return self.events()
        return boto3.client(
            "events",
            endpoint_url=self._endpoint_url,
            region_name=self._region,
            aws_access_key_id=owner_account,
            aws_secret_access_key="test",
            config=_CLIENT_CONFIG,
        )
