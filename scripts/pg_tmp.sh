# A throwaway PostgreSQL cluster on 127.0.0.1 (sourced by scripts/test.sh).
#   source scripts/pg_tmp.sh; pg_tmp_start DIR; ...; pg_tmp_stop DIR
# Sets PG_TMP_URL (postgresql+psycopg://pipeline@127.0.0.1:PORT/pipeline_test) and PG_TMP_PORT.
# PostgreSQL refuses to run as root, so as root the cluster runs as the 'postgres' user (Debian's
# package creates it); DIR is handed to that user. Trust authentication is safe only because the
# server listens on loopback and its socket lives in DIR.
pg_tmp_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

pg_tmp_start() {
  local dir=$1 bin port as=()
  bin=$(pg_tmp_bin)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "pg_tmp: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; return 1
  fi
  mkdir -p "$dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || { echo "pg_tmp: running as root needs the 'postgres' user" >&2; return 1; }
    chown postgres "$dir"; chmod 700 "$dir"; as=(runuser -u postgres --)
  fi
  "${as[@]}" "$bin/initdb" -D "$dir/data" -U pipeline --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { echo "pg_tmp: initdb failed:" >&2; tail -n 20 "$dir/initdb.log" >&2; return 1; }
  if ! "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null; then
    echo "pg_tmp: server did not start:" >&2; tail -n 20 "$dir/log" >&2; return 1
  fi
  "${as[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U pipeline pipeline_test
  export PG_TMP_URL="postgresql+psycopg://pipeline@127.0.0.1:$port/pipeline_test"
  export PG_TMP_PORT=$port
}

pg_tmp_stop() {
  local dir=$1 as=()
  if [ "$(id -u)" -eq 0 ]; then as=(runuser -u postgres --); fi
  if [ -d "$dir/data" ]; then
    "${as[@]}" "$(pg_tmp_bin)/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}
