# Configurator API + workers: Blender as the PyPI `bpy` module, serving GLB jobs in-process,
# and the web configurator it serves at `/`.
#
# The base images are build arguments so that machines which cannot pull them build from
# stand-ins made with debootstrap (tools/image/base_images.py, docs/container.md).
ARG NODE_IMAGE=node:20-bookworm-slim
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${NODE_IMAGE} AS webapp
WORKDIR /frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Shared libraries the bpy wheel links against or loads at start (X11/GL stubs, even headless);
# everything else it needs ships inside the wheel. With no GPU, bpy draws (Workbench renders,
# thumbnails) through EGL on Mesa's software rasteriser: libegl-mesa0 is the EGL vendor
# library and libgl1-mesa-dri carries llvmpipe.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libx11-6 libxext6 libxrender1 libxxf86vm1 libxfixes3 libxi6 libxt6 libxkbcommon0 \
        libsm6 libice6 libgl1 libegl1 libegl-mesa0 libgl1-mesa-dri \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 configurator
WORKDIR /app

# Dependencies first, exactly as locked, so code changes do not re-download bpy.
COPY requirements-runtime.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements-runtime.lock

COPY blender_manifest.toml server_entry.py ./
COPY configurator_addon/ configurator_addon/
COPY tools/image/healthcheck.py tools/image/healthcheck.py
COPY --from=webapp /frontend/dist frontend/dist
# Everything the service writes is the service user's: var/ (blobs when no storage account is
# configured, keys, scratch) and the sample templates, whose .blend files and catalog are built
# here, as that user, so the first start has nothing to build.
RUN mkdir -p /app/var && chown configurator:configurator /app/var
COPY --chown=configurator:configurator templates/ templates/
USER configurator
RUN python templates/build_templates.py templates/

ENV HOST=0.0.0.0 \
    PORT=8000
EXPOSE 8000

# /health of the API on $PORT; a worker (no public port) sets HEALTHCHECK_URL to its
# metrics listener instead (docker-compose.yml).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "tools/image/healthcheck.py"]

CMD ["python", "server_entry.py", "serve"]
