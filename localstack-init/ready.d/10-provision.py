# LocalStack init hook (ready stage): provision the Causeway topology.
#
# LocalStack exec()s this file inside its own process, with boto3 and PyYAML
# importable but without our SDK installed and without __file__. The SDK's
# source folder is mounted (compose) or pointed to (host mode) through
# CAUSEWAY_SDK_PATH, so the topology and the provisioning code have one home.
import os
import sys

from localstack import config

sys.path.insert(0, os.environ.get("CAUSEWAY_SDK_PATH", "/opt/causeway/sdk"))

from causeway.provisioning import provision  # noqa: E402

print(provision(endpoint_url=config.internal_service_url()).summary(), flush=True)
