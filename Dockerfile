# One image for the API, the worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim-bookworm AS frontend
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 KEYLOOP_DATA_DIR=/data
RUN apt-get update && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/* && useradd --create-home --uid 1000 keyloop
WORKDIR /app
COPY pyproject.toml README.md ./
COPY backend/ backend/
COPY worker/ worker/
COPY imaging/ imaging/
COPY migrations/ migrations/
RUN pip install --no-cache-dir -e '.[ml,formats]'
COPY --from=frontend /src/frontend/dist frontend/dist
RUN mkdir -p /data && chown keyloop /data
USER keyloop
EXPOSE 8000
CMD ["uvicorn", "backend.app:create_served_app", "--factory", "--host", "0.0.0.0", "--port", "8000"]
