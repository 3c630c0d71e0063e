#!/usr/bin/bash
# postgres-shared: the host's PostgreSQL 15 in an empty-root container. On first start
# (an empty /data) it creates the cluster, the aqstream role (password from a 0600 file,
# never argv or environment) and the AqStream databases, like the official image's
# initdb hooks; then it runs the server in the foreground, listening on 127.0.0.1 only.
set -euo pipefail
bin=/usr/lib/postgresql/15/bin

# Started as root (docker-compose.root.yml), it drops to the server's user RUN_AS (uid:gid)
# the way the official postgres image does with gosu; `docker compose exec` and `run` then
# act as root unless given `-u`, as they do on a production host.
if [ "$(/usr/bin/id -u)" = 0 ]; then
  : "${RUN_AS:?started as root without RUN_AS (uid:gid of the server user)}"
  exec /usr/bin/setpriv --reuid="${RUN_AS%:*}" --regid="${RUN_AS#*:}" --clear-groups /usr/bin/bash "$0" "$@"
fi
export PGDATA=/data/pgdata

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  rm -rf "$PGDATA.init"
  "$bin/initdb" -D "$PGDATA.init" -U aqstream --pwfile=/run/aqstream-password \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  cat >> "$PGDATA.init/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = ${PGPORT}
unix_socket_directories = '/tmp'
CONF
  # Socket only while initialising, so the TCP health check passes only when it is done.
  "$bin/pg_ctl" -D "$PGDATA.init" -w -o "-c listen_addresses=''" -l /tmp/init.log start >/dev/null
  for db in ${AQSTREAM_DATABASES}; do
    "$bin/psql" -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE \"$db\""
  done
  "$bin/pg_ctl" -D "$PGDATA.init" -m fast -w stop >/dev/null
  mv "$PGDATA.init" "$PGDATA"
  echo "postgres-shared: initialised with databases: ${AQSTREAM_DATABASES}"
fi
exec "$bin/postgres" -D "$PGDATA"
