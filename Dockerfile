# SecBot container image: one image, the command picks the role (seed §1.2; `secbot --help`):
#   all (default) | intake | results | worker | migrate | config validate | check-id
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
# git: SecBot clones and fetches with the system git (SECBOT_GIT_BIN). util-linux: flock(1), which serialises access
# to the git mirror cache. ca-certificates: HTTPS to GitLab, DefectDojo and Slack. tini: PID 1 that forwards SIGTERM,
# so SecBot's graceful shutdown (SECBOT_SHUTDOWN_GRACE_MS) runs, and reaps the git/gitleaks children.
# curl: only for HEALTHCHECK (the compiled binary has no health sub-command, and curl is simpler to read than a
# bash /dev/tcp probe).
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates util-linux tini curl \
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
    SECBOT_CONFIG=/app/config.yml \
    SECBOT_HEALTH_PORT=5000

# intake, results, worker metrics/health (settings defaults SECBOT_INTAKE_PORT, _RESULTS_PORT, _WORKER_PORT).
EXPOSE 5000 5001 5002

USER 10001:10001

# SECBOT_HEALTH_PORT is read only by this probe (not by SecBot): set it to 5001 for `results` and 5002 for `worker`.
# /healthz is liveness only (no database round trip), so a slow database does not make Docker restart the process.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD curl -fsS --max-time 4 "http://127.0.0.1:${SECBOT_HEALTH_PORT:-5000}/healthz" >/dev/null || exit 1

ENTRYPOINT ["tini", "--", "/app/secbot"]
CMD ["all"]
