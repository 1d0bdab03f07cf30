# One Dockerfile for every Causeway service (identity, platform and the domain
# services). They differ only in which workspace package is installed and which
# command runs, so one parametrised file replaces seven near-identical copies
# (see README, "With Docker"). The build context is the repository root.
#
#   docker build --build-arg SERVICE=orders --target orders -t causeway-orders .
#
# SERVICE picks the package (causeway-<SERVICE>) installed from uv.lock; the
# target of the same name gives the image its command and port. docker-compose.yml
# sets both, and tests/test_compose_file.py checks they agree with the topology.
#
# The final image holds the base Python, one virtual environment (/opt/venv) with
# the locked dependencies plus the SDK and the service as wheels, and nothing
# else: no uv, no build tools, no caches, no sources, no secrets. It runs as an
# unprivileged user. Works with BuildKit and with the classic builder alike (no
# RUN --mount, no heredocs).

ARG PYTHON_IMAGE=python:3.13-slim

# ---- manifests: pyproject.toml files and uv.lock only ---------------------------
# Copying only these into the deps stage keeps the dependency layer below
# cached until a manifest or the lock changes, whatever the source changes.
FROM ${PYTHON_IMAGE} AS manifests
COPY . /src
RUN find /src -type f ! -name pyproject.toml ! -name uv.lock -delete \
    && find /src -depth -type d -empty -delete

# ---- deps: uv and the locked dependencies of the SDK ------------------------------
# They are most of every service's dependencies: one layer shared by all images.
FROM ${PYTHON_IMAGE} AS deps
ARG UV_VERSION=0.13.9
RUN python -m pip install --no-cache-dir --disable-pip-version-check --root-user-action=ignore \
        "uv==${UV_VERSION}"
ENV UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy
WORKDIR /src
COPY --from=manifests /src /src
RUN uv sync --frozen --no-dev --no-install-workspace --package causeway-sdk

# ---- build: the service's own dependencies, then the SDK and the service as wheels --
FROM deps AS build
COPY . /src
ARG SERVICE
RUN test -n "${SERVICE}" || { echo "build arg SERVICE is required (e.g. SERVICE=orders)" >&2; exit 1; }; \
    uv sync --frozen --no-dev --no-editable --package "causeway-${SERVICE}" \
    && /opt/venv/bin/python -c 'import sys; from causeway import serve, topology; \
serve.load_service(sys.argv[1]); topology.default().service(sys.argv[1])' "${SERVICE}"

# ---- runtime: the base image, the virtual environment, an unprivileged user -------
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 causeway \
    && useradd --system --uid 10001 --gid causeway --home-dir /app --create-home \
        --shell /usr/sbin/nologin causeway
COPY --from=build /opt/venv /opt/venv
COPY docker/healthcheck.py /opt/causeway/healthcheck.py
ARG SERVICE
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CAUSEWAY_SERVICE=${SERVICE} \
    HOST=0.0.0.0
LABEL org.opencontainers.image.title="causeway-${SERVICE}"
WORKDIR /app
USER 10001:10001
# GET /readyz (database, LocalStack as the service's own account, identity).
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "/opt/causeway/healthcheck.py"]

# ---- one target per service: its command and port (exec form: SIGTERM reaches uvicorn)
FROM runtime AS platform
EXPOSE 8000
CMD ["causeway-serve", "platform"]

FROM runtime AS identity
EXPOSE 8001
CMD ["causeway-serve", "identity"]

FROM runtime AS orders
EXPOSE 8002
CMD ["causeway-serve", "orders"]

FROM runtime AS inventory
EXPOSE 8003
CMD ["causeway-serve", "inventory"]

FROM runtime AS billing
EXPOSE 8004
CMD ["causeway-serve", "billing"]

FROM runtime AS subscriptions
EXPOSE 8005
CMD ["causeway-serve", "subscriptions"]

FROM runtime AS notifications
EXPOSE 8006
CMD ["causeway-serve", "notifications"]
