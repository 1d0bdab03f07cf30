# Causeway — the two set-up commands are `make dev` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV ?= uv
PYTHON_VERSION ?= 3.11
LOCALSTACK_VENV := .venv-localstack
export UV_PYTHON_DOWNLOADS := never

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}'

.PHONY: tools
tools: ## Install uv if it is missing
	@command -v $(UV) >/dev/null || python3 -m pip install --quiet uv

.venv/.synced: uv.lock pyproject.toml sdk/pyproject.toml identity/pyproject.toml $(wildcard services/*/pyproject.toml) tools/devstack/pyproject.toml
	@$(MAKE) --no-print-directory tools
	$(UV) sync --frozen --python $(PYTHON_VERSION)
	@touch $@

$(LOCALSTACK_VENV)/.synced: tools/localstack/requirements.txt
	@$(MAKE) --no-print-directory tools
	$(UV) venv --allow-existing --python 3.11 $(LOCALSTACK_VENV)
	VIRTUAL_ENV=$(LOCALSTACK_VENV) $(UV) pip sync --quiet tools/localstack/requirements.txt
	@touch $@

.PHONY: install
install: .venv/.synced $(LOCALSTACK_VENV)/.synced ## Install the workspace and LocalStack's own environment

.PHONY: dev
dev: install ## Run everything in host mode (LocalStack + all services); Ctrl-C stops all
	@.venv/bin/causeway-dev up

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
