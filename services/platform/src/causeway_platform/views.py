"""Platform's HTTP API: the topology as the platform sees it."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from causeway.auth import Principal, require_admin
from causeway.service import Runtime, get_runtime

router = APIRouter(tags=["topology"])


@router.get("/topology", summary="Accounts, buses, queues and routes (admin)")
def topology(_admin: Principal = Depends(require_admin), runtime: Runtime = Depends(get_runtime)) -> dict:
    t = runtime.topology
    return {
        "region": t.region,
        "hub": {"account": t.hub.account, "bus": t.hub_bus_arn},
        "services": {
            spec.name: {
                "account": spec.account,
                "port": spec.port,
                "publishes": list(spec.publishes),
                "subscribes": list(spec.subscribes),
                "bus": spec.bus_arn if spec.subscribes else None,
                "queue": spec.queue_arn() if spec.subscribes else None,
                "deadLetterQueue": spec.queue_arn(dead_letter=True) if spec.subscribes else None,
            }
            for spec in t.services.values()
        },
        "routes": {e: [c.name for c in t.consumers_of(e)] for e in t.event_types},
    }
