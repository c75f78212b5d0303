#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer. Uses DATABASE_URL / REDIS_URL when set; otherwise local
# servers on 127.0.0.1, starting installed ones when stopped and installing them (Debian packages)
# when absent. Remote servers named in the URLs are only checked, never installed.
set -euo pipefail

DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/helpdesk}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"

log() { printf '[services] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; return 1; fi
}

# host and port out of scheme://user:pass@host:port/db
url_host() { local rest="${1#*://}"; rest="${rest#*@}"; rest="${rest%%/*}"; printf '%s' "${rest%%:*}"; }
url_port() {
  local rest="${1#*://}"; rest="${rest#*@}"; rest="${rest%%/*}"
  if [[ "$rest" == *:* ]]; then printf '%s' "${rest##*:}"; else printf '%s' "$2"; fi
}

reachable() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_for() {
  local name=$1 host=$2 port=$3
  for _ in $(seq 1 60); do
    if reachable "$host" "$port"; then log "$name is up on $host:$port"; return 0; fi
    sleep 0.5
  done
  log "$name did not come up on $host:$port"; return 1
}

is_local() { [[ "$1" == "127.0.0.1" || "$1" == "localhost" || "$1" == "::1" ]]; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

ensure_postgres() {
  local host port
  host=$(url_host "$DATABASE_URL"); port=$(url_port "$DATABASE_URL" 5432)
  if reachable "$host" "$port"; then log "PostgreSQL is up on $host:$port"; return 0; fi
  if ! is_local "$host"; then log "PostgreSQL at $host:$port does not answer"; return 1; fi
  local installed_now=0
  if ! command -v pg_ctlcluster >/dev/null; then
    log "installing PostgreSQL from Debian packages"
    apt_install postgresql
    installed_now=1
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  if [ "$installed_now" = 1 ]; then
    # A fresh Debian cluster asks for passwords on TCP; this machine's dev cluster trusts loopback,
    # as the project's default DATABASE_URL (no password) expects.
    local hba="/etc/postgresql/$version/main/pg_hba.conf"
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  log "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for PostgreSQL "$host" "$port"
}

ensure_redis() {
  local host port
  host=$(url_host "$REDIS_URL"); port=$(url_port "$REDIS_URL" 6379)
  if reachable "$host" "$port"; then log "Redis is up on $host:$port"; return 0; fi
  if ! is_local "$host"; then log "Redis at $host:$port does not answer"; return 1; fi
  if ! command -v redis-server >/dev/null; then
    log "installing Redis from Debian packages"
    apt_install redis-server
  fi
  log "starting Redis"
  as_root mkdir -p /var/lib/redis /var/log/redis
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$port" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/helpdesk.log
  wait_for Redis "$host" "$port"
}

ensure_postgres
ensure_redis
