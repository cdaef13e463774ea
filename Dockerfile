# One image for the three Plugboard servers; compose picks the server with `plugboard serve <name>`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY plugboard ./plugboard
COPY catalog_service ./catalog_service
COPY instance_service ./instance_service
COPY gateway ./gateway
# git: the catalog's publishing jobs fetch connector repositories with it.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /data plugboard \
    && mkdir -p /data \
    && chown plugboard /data

USER plugboard
ENV PLUGBOARD_BIND_HOST=0.0.0.0 \
    PLUGBOARD_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 50050 50051 50052 8080

ENTRYPOINT ["plugboard"]
CMD ["up"]
