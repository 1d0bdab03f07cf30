# Causeway — the two set-up commands are `make dev` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV ?= uv
PYTHON_VERSION ?= 3.11
LOCALSTACK_VENV := .venv-localstack
export UV_PYTHON_DOWNLOADS := never
# Bytecode is compiled once at install: eight processes start at once and must not each
# compile ~1,000 modules (they would on every start where PYTHONDONTWRITEBYTECODE is set).
export UV_COMPILE_BYTECODE := 1
WORKSPACE_SOURCES := sdk/src identity/src $(wildcard services/*/src) tools/devstack/src

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}'

.PHONY: tools
tools: ## Install uv if it is missing
	@command -v $(UV) >/dev/null || python3 -m pip install --quiet uv

.venv/.synced: Makefile uv.lock pyproject.toml sdk/pyproject.toml identity/pyproject.toml $(wildcard services/*/pyproject.toml) tools/devstack/pyproject.toml
	@$(MAKE) --no-print-directory tools
	$(UV) sync --frozen --python $(PYTHON_VERSION)
	@.venv/bin/python -m compileall -q $(WORKSPACE_SOURCES) >/dev/null
	@touch $@

$(LOCALSTACK_VENV)/.synced: Makefile tools/localstack/requirements.txt
	@$(MAKE) --no-print-directory tools
	$(UV) venv --allow-existing --python 3.11 $(LOCALSTACK_VENV)
	VIRTUAL_ENV=$(LOCALSTACK_VENV) $(UV) pip sync --quiet tools/localstack/requirements.txt
	@touch $@

.PHONY: install
install: .venv/.synced $(LOCALSTACK_VENV)/.synced ## Install the workspace and LocalStack's own environment

.PHONY: dev
dev: install ## Run everything in host mode (LocalStack + all services); Ctrl-C stops all
	@.venv/bin/causeway-dev up

.PHONY: schemas-check
schemas-check: .venv/.synced ## Event schemas: every version compatible with its predecessors, every example valid
	.venv/bin/python -m causeway.schemas check $(if $(SCHEMAS_ROOT),--root $(SCHEMAS_ROOT))

.PHONY: test
test: install ## Run the whole test suite (starts and stops its own LocalStack and services)
	.venv/bin/pytest $(PYTEST_ARGS)

.PHONY: test-postgres
test-postgres: install ## The suite on PostgreSQL (one database and role per service), as compose runs
	CAUSEWAY_TEST_DB=postgres .venv/bin/pytest $(PYTEST_ARGS)

.PHONY: lint
lint: install ## Static checks
	.venv/bin/ruff check .

.PHONY: lock
lock: tools ## Refresh uv.lock after changing dependencies
	$(UV) lock

.PHONY: clean
clean: ## Remove local data (databases, logs, LocalStack state)
	rm -rf data

# ---- containers (docker-compose.yml) ---------------------------------------------------
# Docker Compose v2 (`docker compose`) when present, else the standalone docker-compose.
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)
# Host ports, as docker-compose.yml reads them (CAUSEWAY_PORT_<NAME> moves one).
port = $(or $(CAUSEWAY_PORT_$(1)),$(2))

define COMPOSE_URLS
service        url                          api docs
platform       http://localhost:$(call port,PLATFORM,8000)        http://localhost:$(call port,PLATFORM,8000)/docs
identity       http://localhost:$(call port,IDENTITY,8001)        http://localhost:$(call port,IDENTITY,8001)/docs
orders         http://localhost:$(call port,ORDERS,8002)        http://localhost:$(call port,ORDERS,8002)/docs
inventory      http://localhost:$(call port,INVENTORY,8003)        http://localhost:$(call port,INVENTORY,8003)/docs
billing        http://localhost:$(call port,BILLING,8004)        http://localhost:$(call port,BILLING,8004)/docs
subscriptions  http://localhost:$(call port,SUBSCRIPTIONS,8005)        http://localhost:$(call port,SUBSCRIPTIONS,8005)/docs
notifications  http://localhost:$(call port,NOTIFICATIONS,8006)        http://localhost:$(call port,NOTIFICATIONS,8006)/docs
jaeger         http://localhost:$(call port,JAEGER_UI,16686)       traces (OTLP on 4317 gRPC, 4318 HTTP)
localstack     http://localhost:$(call port,LOCALSTACK,4566)        AWS endpoint (access key id = account id)
endef
export COMPOSE_URLS

.PHONY: up
up: ## Build and start everything in containers (docker compose up -d --build); prints the URLs
	@wait=; if $(COMPOSE) up --help 2>/dev/null | grep -q -- '--wait '; then wait=--wait; fi; \
	 $(COMPOSE) up -d --build $$wait
	@echo; echo "$$COMPOSE_URLS"; echo
	@echo "health: make ps   logs: make logs [SERVICE=orders]   stop: make down [VOLUMES=1 also deletes the data]"

.PHONY: down
down: ## Stop and remove the containers (keeps the database volume; VOLUMES=1 removes it too)
	$(COMPOSE) down --remove-orphans $(if $(filter 1 yes true,$(VOLUMES)),--volumes)

.PHONY: logs
logs: ## Follow the containers' logs (SERVICE=orders for one)
	$(COMPOSE) logs -f --tail=100 $(SERVICE)

.PHONY: ps
ps: ## The containers and their health
	$(COMPOSE) ps

.PHONY: compose-smoke
compose-smoke: .venv/.synced ## Run the real docker-compose.yml here on stand-in images, with the flows (root; see tests/compose_smoke)
	python3 tests/compose_smoke/standins.py run --selftest -- \
		.venv/bin/pytest tests/compose_smoke -p no:cacheprovider -s $(PYTEST_ARGS)

# ---- performance (bench/) ------------------------------------------------------------------
.PHONY: bench
bench: install ## Measure the event path vs raw boto3, HTTP/auth, the flows and the footprint (~10 min); writes results/
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; }; \
	  else echo "make bench needs wrk: sudo apt-get install -y wrk" >&2; exit 1; fi; }
	.venv/bin/python -m bench $(BENCH_ARGS)
