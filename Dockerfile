# SecBot container image: one image, the command picks the role (`secbot --help`):
#   all (default) | intake | results | worker | migrate | config validate | check-id | healthcheck
#
# Three stages so that the final image carries only what runs: the compiled `secbot` binary (Bun embeds itself),
# gitleaks, git and flock. No Bun, Node, Go or package manager reaches the last stage.
# Versions are pinned here and checked by test/unit/deploy/dockerfile.test.ts against the toolchain pins
# (scripts/toolchain/package.json for Bun, scripts/setup.sh for gitleaks), so the image scans with exactly the
# gitleaks the tests ran against.

# --- gitleaks: take the official release binary instead of compiling Go here ---------------------------------------
# The official image builds it with CGO_ENABLED=0, so the Alpine-built binary runs unchanged on Debian.
FROM zricethezav/gitleaks:v8.30.1 AS gitleaks

# --- build: compile src/main.ts into a single executable ------------------------------------------------------------
# Same Bun as scripts/toolchain/package.json: a compiled binary embeds the Bun that built it, so this pin is the
# runtime version too. The oven/bun image is Debian (glibc), matching the final stage's libc.
FROM oven/bun:1.4.4 AS build
WORKDIR /app
# Manifests first: the dependency layer stays cached while only sources change.
# --production: the build needs the runtime packages (and swagger-ui-dist, whose assets are embedded), not the
# type checker, test libraries or drizzle-kit. --frozen-lockfile: fail instead of silently resolving new versions.
COPY package.json bun.lock bunfig.toml tsconfig.json ./
RUN bun install --frozen-lockfile --production
COPY src ./src
COPY scripts/build.ts ./scripts/build.ts
# Writes /app/dist/secbot; migrations are embedded (src/db/migrations.generated.ts), so no SQL files are copied.
RUN bun run build && ./dist/secbot --version

# --- runtime ---------------------------------------------------------------------------------------------------------
FROM debian:bookworm-slim
# Set by the build (docker build --build-arg VERSION=… --build-arg REVISION=$(git rev-parse HEAD) --build-arg CREATED=…).
ARG VERSION=0.2.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="secbot" \
      org.opencontainers.image.description="Security checks for self-managed GitLab: gitleaks scans, DefectDojo imports, Slack notices and a CI gate" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.documentation="README.md in the source repository" \
      org.opencontainers.image.base.name="debian:bookworm-slim"
# git: SecBot clones and fetches with the system git (SECBOT_GIT_BIN). util-linux: flock(1), which serialises access
# to the git mirror cache. ca-certificates: HTTPS to GitLab, DefectDojo and Slack. tini: PID 1 that forwards SIGTERM,
# so SecBot's graceful shutdown (SECBOT_SHUTDOWN_GRACE_MS) runs, and reaps the git/gitleaks children.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates util-linux tini \
 && rm -rf /var/lib/apt/lists/*

# A fixed numeric uid/gid so Kubernetes' runAsNonRoot can verify it and volume ownership is predictable.
RUN groupadd --system --gid 10001 secbot \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app/data --no-create-home --shell /usr/sbin/nologin secbot \
 && mkdir -p /app/data/cache \
 && chown -R 10001:10001 /app/data

WORKDIR /app
COPY --from=gitleaks /usr/bin/gitleaks /usr/local/bin/gitleaks
COPY --from=build /app/dist/secbot /app/secbot
# The default workflow; compose and Kubernetes mount their own over it (read-only).
COPY config.yml /app/config.yml

# Absolute paths, so the binary behaves the same whatever the working directory or a mounted .env says.
# /app/data is the only writable place the app needs: the SQLite file (single-container use) and the git cache.
ENV SECBOT_GITLEAKS_BIN=/usr/local/bin/gitleaks \
    SECBOT_CACHE_DIR=/app/data/cache \
    SECBOT_DATABASE_URL=/app/data/secbot.sqlite \
    SECBOT_CONFIG=/app/config.yml

# intake, results, worker metrics/health (settings defaults SECBOT_INTAKE_PORT, _RESULTS_PORT, _WORKER_PORT).
EXPOSE 5000 5001 5002

USER 10001:10001

# `secbot healthcheck` probes /healthz on the intake, results and worker ports the settings name and passes when
# one answers, so the same HEALTHCHECK fits every role (all, intake, results, worker) and follows port settings.
# /healthz is liveness only (no database round trip), so a slow database does not make Docker restart the process.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/app/secbot", "healthcheck"]

ENTRYPOINT ["tini", "--", "/app/secbot"]
CMD ["all"]
