# Configurator API + workers: Blender as the PyPI `bpy` module, serving GLB jobs in-process,
# and the web configurator it serves at `/`.

FROM node:20-bookworm-slim AS webapp
WORKDIR /frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Shared libraries the bpy wheel links against or loads at start (X11/GL stubs, even headless);
# everything else it needs ships inside the wheel.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libx11-6 libxext6 libxrender1 libxxf86vm1 libxfixes3 libxi6 libxt6 libxkbcommon0 \
        libsm6 libice6 libgl1 libegl1 \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 configurator
WORKDIR /app

# Dependencies first, exactly as locked, so code changes do not re-download bpy.
COPY requirements-runtime.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements-runtime.lock

COPY blender_manifest.toml server_entry.py ./
COPY configurator_addon/ configurator_addon/
# Sample products seeded into an empty database (their .blend files are built at first start).
COPY templates/ templates/
COPY --from=webapp /frontend/dist frontend/dist
RUN mkdir -p /app/var && chown configurator:configurator /app/var /app/templates

USER configurator
ENV HOST=0.0.0.0 \
    PORT=8000
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '8000')}/health\", timeout=4)"]

CMD ["python", "server_entry.py", "serve"]
