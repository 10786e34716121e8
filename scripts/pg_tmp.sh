# A throwaway PostgreSQL cluster on 127.0.0.1 (sourced by scripts/test.sh).
# Sets PG_TMP_URL. PostgreSQL refuses to run as root, so as root it runs as the 'postgres' user.
pg_tmp_bin() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1; }

pg_tmp_start() {
  local dir=$1 bin port as=()
  bin=$(pg_tmp_bin)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; as=(runuser -u postgres --); fi
  "${as[@]}" "$bin/initdb" -D "$dir/data" -U pipeline --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null
  "${as[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U pipeline pipeline_test
  export PG_TMP_URL="postgresql+psycopg://pipeline@127.0.0.1:$port/pipeline_test"
  export PG_TMP_PORT=$port
}

pg_tmp_stop() {
  local dir=$1 as=()
  [ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)
  "${as[@]}" "$(pg_tmp_bin)/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
