"""Platform service (account 222222222222, port 8000).

It owns the central bus `causeway-bus`; the schema registry, the event
archive and the ops console come here in later issues.
"""

from __future__ import annotations

from causeway.service import Service
from causeway_platform import views

service = Service(
    name="platform",
    description="Home of the central event bus: schema registry, event catalogue and ops.",
    routers=[views.router],
)
