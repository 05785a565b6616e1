#!/usr/bin/env bash
# A Dsdr cluster on one machine, as separate OS processes on this host: one PostgreSQL (its own data folder, a free
# loopback port), N Dsdr.Silo workers joined through the PostgreSQL membership table (distinct --node names and
# ports, one shared checkpoint folder) and, when this build's Dsdr.Web has cluster mode, the web host as an Orleans
# client of that cluster.
#
#   deploy/local/cluster.sh start  [--workers N] [--slots K] [--simulated|--trainer] [--dir DIR] [--build|--no-build] [-c CONFIG]
#   deploy/local/cluster.sh status [--dir DIR]
#   deploy/local/cluster.sh stop   [--dir DIR]
#   deploy/local/cluster.sh env    [--dir DIR]     # prints `export DSDR_PG=…` etc. for a shell or a client
#
# start is idempotent: what already runs is kept, what is missing (e.g. a killed worker) is started again on its
# former ports. stop sends SIGTERM, waits (DSDR_STOP_TIMEOUT, default 30 s), then SIGKILLs stragglers, then stops
# PostgreSQL; the data folder stays (`rm -rf DIR` forgets the cluster).
#
# Failure detection is tuned for a local cluster (a killed worker is declared dead in ~10 s and its trials requeued
# after a 10 s lease); override any of these through the environment before `start`:
#   Dsdr__Membership__ProbeTimeout (00:00:02)  Dsdr__Membership__NumMissedProbesLimit (3)
#   Dsdr__Scheduling__SlotHeartbeatInterval (00:00:01)  Dsdr__Scheduling__LeaseTimeout (00:00:10)
#   Dsdr__Scheduling__TrialWatchInterval (00:00:05)
set -euo pipefail

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "cluster.sh: $*" >&2; exit 1; }
say() { echo "cluster.sh: $*" >&2; }

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
command="${1:-}"
[ $# -gt 0 ] && shift
workers=""; slots=""; simulated=""; dir="${DSDR_CLUSTER_DIR:-/tmp/dsdr-cluster}"; build="auto"; configuration="Release"
while [ $# -gt 0 ]; do
  case "$1" in
    --workers) [ $# -ge 2 ] || die "--workers needs a number"; workers="$2"; shift 2 ;;
    --slots) [ $# -ge 2 ] || die "--slots needs a number"; slots="$2"; shift 2 ;;
    --simulated) simulated=1; shift ;;
    --trainer) simulated=0; shift ;;
    --dir) [ $# -ge 2 ] || die "--dir needs a folder"; dir="$2"; shift 2 ;;
    --build) build="always"; shift ;;
    --no-build) build="never"; shift ;;
    -c|--configuration) [ $# -ge 2 ] || die "$1 needs Release or Debug"; configuration="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
case "$command" in start|stop|status|env) ;; -h|--help|"") usage; exit 0 ;; *) die "unknown command '$command': use start, stop, status or env" ;; esac
[ -z "$workers" ] || [[ "$workers" =~ ^[1-9][0-9]?$ ]] || die "--workers must be a number from 1 to 99 (got '$workers')"
[ -z "$slots" ] || [[ "$slots" =~ ^[1-9][0-9]?$ ]] || die "--slots must be a number of CPU slots per worker, 1 or more (got '$slots')"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

pg_bin="${DSDR_PG_BIN:-}"
if [ -z "$pg_bin" ]; then
  for candidate in /usr/lib/postgresql/*/bin; do [ -x "$candidate/pg_ctl" ] && pg_bin="$candidate"; done
  [ -n "$pg_bin" ] || pg_bin="$(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/pg_ctl)")"
fi
pgdata="$dir/postgres"
conf="$dir/cluster.conf"
run="$dir/run"
logs="$dir/logs"
checkpoints="$dir/checkpoints"
silo_dll="$repo/src/Dsdr.Silo/bin/$configuration/net10.0/Dsdr.Silo.dll"
web_dll="$repo/web/Dsdr.Web/bin/$configuration/net10.0/Dsdr.Web.dll"
cluster_id="${DSDR_CLUSTER_ID:-dsdr}"
service_id="${DSDR_SERVICE_ID:-dsdr}"

# ---- helpers ---------------------------------------------------------------------------------------------------

# A free TCP port (the kernel's pick for port 0), not among those handed out earlier in this run.
handed_out=" "
free_port() {
  local port
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    if command -v python3 >/dev/null 2>&1; then
      port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("",0)); print(s.getsockname()[1])')"
    else
      port=$((20000 + RANDOM % 40000))
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
    fi
    case "$handed_out" in *" $port "*) continue ;; esac
    handed_out="$handed_out$port "
    echo "$port"; return 0
  done
  die "could not find a free TCP port"
}

# Runs a PostgreSQL tool as the server's unprivileged user when we are root (postgres refuses to run as root).
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pid from a pid file, if that process is alive and is what the file says (guards against a reused pid).
live_pid() {
  local file="$1" what="$2" pid
  [ -f "$file" ] || return 1
  pid="$(cat "$file")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$what" || return 1
  echo "$pid"
}

pg_port() { cat "$dir/postgres.port"; }
pg_password() { cat "$dir/postgres.password"; }
connection_string() { echo "Host=127.0.0.1;Port=$(pg_port);Username=dsdr;Password=$(pg_password);Database=dsdr"; }
psql_dsdr() { PGPASSWORD="$(pg_password)" "$pg_bin/psql" -h 127.0.0.1 -p "$(pg_port)" -U dsdr -d dsdr -X -q -t -A "$@"; }
pg_running() { [ -f "$pgdata/postmaster.pid" ] && as_pg "$pg_bin/pg_ctl" status -D "$pgdata" >/dev/null 2>&1; }

read_conf() {
  conf_workers=""; conf_slots=""; conf_simulated=""
  if [ -f "$conf" ]; then
    # shellcheck disable=SC1090
    . "$conf"
    conf_workers="${WORKERS:-}"; conf_slots="${SLOTS:-}"; conf_simulated="${SIMULATED:-}"
  fi
}

write_env() {
  cat >"$dir/cluster.env" <<EOF
# Source this file to reach the local Dsdr cluster in $dir.
export DSDR_PG='$(connection_string)'
export Orleans__ClusterId='$cluster_id'
export DSDR_CLUSTER_ID='$cluster_id'
export DSDR_SERVICE_ID='$service_id'
export DSDR_CHECKPOINTS='$checkpoints'
EOF
  if [ -f "$run/web.port" ]; then echo "export DSDR_URL='http://127.0.0.1:$(cat "$run/web.port")'" >>"$dir/cluster.env"; fi
  if [ -f "$dir/api-key" ]; then echo "export DSDR_API_KEY='$(cat "$dir/api-key")'" >>"$dir/cluster.env"; fi
  chmod 600 "$dir/cluster.env"
}

# ---- PostgreSQL ------------------------------------------------------------------------------------------------

start_postgres() {
  [ -x "$pg_bin/pg_ctl" ] || die "PostgreSQL binaries not found (looked in '$pg_bin'): install postgresql (Debian: apt-get install postgresql) or set DSDR_PG_BIN"
  if [ "$(id -u)" = 0 ]; then
    id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin postgres \
      || die "running as root, PostgreSQL needs the unprivileged user 'postgres', and creating it failed"
    local d="$dir"
    while [ "$d" != "/" ]; do
      runuser -u postgres -- test -x "$d" || die "the PostgreSQL user cannot enter '$d' (a parent of --dir is closed to it): choose a --dir under /tmp or /var/lib"
      d="$(dirname "$d")"
    done
  fi
  if [ ! -f "$pgdata/PG_VERSION" ]; then
    [ -d "$pgdata" ] && [ -n "$(ls -A "$pgdata")" ] && die "'$pgdata' is not empty and holds no PostgreSQL cluster: empty it or choose another --dir"
    say "initialising PostgreSQL in $pgdata"
    mkdir -p "$pgdata"; chmod 700 "$pgdata"
    local pwfile
    pwfile="$(mktemp)"
    head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/postgres.password"
    chmod 600 "$dir/postgres.password"
    cp "$dir/postgres.password" "$pwfile"
    if [ "$(id -u)" = 0 ]; then chown -R postgres: "$pgdata" "$pwfile"; fi
    as_pg "$pg_bin/initdb" -D "$pgdata" -U dsdr --pwfile "$pwfile" --auth scram-sha-256 -E UTF8 --locale C >"$logs/initdb.log" 2>&1 \
      || { rm -f "$pwfile"; die "initdb failed, see $logs/initdb.log"; }
    rm -f "$pwfile"
    cat >>"$pgdata/postgresql.conf" <<'EOF'

# Dsdr local cluster (deploy/local/cluster.sh)
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 300
EOF
    free_port >"$dir/postgres.port"
  fi
  if pg_running; then
    say "PostgreSQL already running on 127.0.0.1:$(pg_port)"
  else
    [ -f "$pgdata/postmaster.pid" ] && { say "removing stale postmaster.pid"; rm -f "$pgdata/postmaster.pid"; }
    local port
    port="$(pg_port)"
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      port="$(free_port)"; echo "$port" >"$dir/postgres.port"
      say "PostgreSQL's former port is taken now; using $port"
    fi
    (cd / && as_pg "$pg_bin/pg_ctl" start -D "$pgdata" -w -t 60 -l "$pgdata/server.log" -o "-p $port" </dev/null >"$logs/pg_ctl.log" 2>&1) \
      || die "PostgreSQL did not start; see $pgdata/server.log and $logs/pg_ctl.log"
    ln -sf "$pgdata/server.log" "$logs/postgres.log"
    say "PostgreSQL running on 127.0.0.1:$port"
  fi
  if [ -z "$(PGPASSWORD="$(pg_password)" "$pg_bin/psql" -h 127.0.0.1 -p "$(pg_port)" -U dsdr -d postgres -X -t -A \
      -c "SELECT 1 FROM pg_database WHERE datname = 'dsdr'")" ]; then
    PGPASSWORD="$(pg_password)" "$pg_bin/createdb" -h 127.0.0.1 -p "$(pg_port)" -U dsdr dsdr || die "could not create database 'dsdr'"
  fi
  write_env
}

# ---- workers and web -------------------------------------------------------------------------------------------

ensure_built() {
  local need_web="$1"
  if [ "$build" = always ] || { [ "$build" = auto ] && [ ! -f "$silo_dll" ]; }; then
    say "building Dsdr.Silo ($configuration)"
    dotnet build "$repo/src/Dsdr.Silo" -c "$configuration" -nologo -v q -clp:ErrorsOnly >&2 || die "building Dsdr.Silo failed"
  fi
  [ -f "$silo_dll" ] || die "$silo_dll is missing: build it (dotnet build src/Dsdr.Silo -c $configuration) or drop --no-build"
  if [ "$need_web" = 1 ] && { [ "$build" = always ] || { [ "$build" = auto ] && [ ! -f "$web_dll" ]; }; }; then
    say "building Dsdr.Web ($configuration)"
    dotnet build "$repo/web/Dsdr.Web" -c "$configuration" -nologo -v q -clp:ErrorsOnly >&2 || die "building Dsdr.Web failed"
  fi
}

# Dsdr.Web joins a cluster only once its hosting has cluster mode (`--cluster`); older builds run single-node.
web_has_cluster_mode() {
  [ -f "$repo/web/Dsdr.Web/Program.cs" ] && grep -rqs -- '"--cluster"' "$repo/web/Dsdr.Web" --include='*.cs'
}

# Exports the failure-detection and lease timings (the caller's values win).
export_timings() {
  export Dsdr__Membership__ProbeTimeout="${Dsdr__Membership__ProbeTimeout:-00:00:02}"
  export Dsdr__Membership__NumMissedProbesLimit="${Dsdr__Membership__NumMissedProbesLimit:-3}"
  export Dsdr__Scheduling__SlotHeartbeatInterval="${Dsdr__Scheduling__SlotHeartbeatInterval:-00:00:01}"
  export Dsdr__Scheduling__LeaseTimeout="${Dsdr__Scheduling__LeaseTimeout:-00:00:10}"
  export Dsdr__Scheduling__TrialWatchInterval="${Dsdr__Scheduling__TrialWatchInterval:-00:00:05}"
  # One line per log entry with a timestamp, so the worker logs show when things happened.
  export Logging__Console__FormatterName=simple
  export Logging__Console__FormatterOptions__SingleLine=true
  export Logging__Console__FormatterOptions__TimestampFormat="HH:mm:ss.fff "
  export Logging__Console__FormatterOptions__UseUtcTimestamp=true
}

start_worker() {
  local i="$1" node="worker-$1" ports="$run/worker-$1.ports" pid silo="" gateway="" http=""
  if pid="$(live_pid "$run/$node.pid" Dsdr.Silo.dll)"; then
    say "$node already running (pid $pid)"; return 0
  fi
  if [ -f "$ports" ]; then read -r silo gateway http <"$ports"; fi
  if [ -z "$http" ]; then silo="$(free_port)"; gateway="$(free_port)"; http="$(free_port)"; echo "$silo $gateway $http" >"$ports"; fi
  local args=(--cluster --cluster-id "$cluster_id" --service-id "$service_id" --node "$node" --devices "cpu:$slots"
              --silo-port "$silo" --gateway-port "$gateway" --http-port "$http" --checkpoints "$checkpoints")
  if [ "$simulated" = 1 ]; then args+=(--simulated); fi
  DSDR_PG="$(connection_string)" setsid dotnet "$silo_dll" "${args[@]}" >>"$logs/$node.log" 2>&1 </dev/null &
  echo $! >"$run/$node.pid"
  say "$node starting (pid $!, silo port $silo, gateway $gateway, health http://127.0.0.1:$http/health/ready)"
}

# Waits until every worker's silo is Active in the membership table (status 3), or one of them exits.
wait_for_workers() {
  local deadline=$((SECONDS + ${DSDR_START_TIMEOUT:-180})) i silo gateway pending
  while :; do
    pending=""
    for i in $(seq 1 "$workers"); do
      live_pid "$run/worker-$i.pid" Dsdr.Silo.dll >/dev/null || die "worker-$i exited while starting; see $logs/worker-$i.log:
$(tail -n 15 "$logs/worker-$i.log" 2>/dev/null)"
      read -r silo gateway _ <"$run/worker-$i.ports"
      [ "$(psql_dsdr -c "SELECT count(*) FROM orleans_membership WHERE cluster_id = '$cluster_id' AND status = 3 AND silo_address LIKE '%:$silo@%'" 2>/dev/null || echo 0)" -ge 1 ] \
        || pending="$pending worker-$i"
    done
    [ -z "$pending" ] && return 0
    [ $SECONDS -lt $deadline ] || die "timed out waiting for${pending} to join the cluster; see $logs/"
    sleep 1
  done
}

# Ready: GET /health/ready answers 200 (PostgreSQL reachable, cluster connected); a web host without that route
# (404) is ready once the API answers GET /api/pool, which asks the cluster.
web_ready() {
  local code
  code="$(curl -s -o /dev/null -w '%{http_code}' "$1/health/ready" 2>/dev/null || true)"
  [ "$code" = 200 ] && return 0
  [ "$code" = 404 ] && curl -fsS "$1/api/pool" >/dev/null 2>&1
}

start_web() {
  local pid port key args
  if pid="$(live_pid "$run/web.pid" Dsdr.Web.dll)"; then say "web already running (pid $pid)"; return 0; fi
  if [ -f "$run/web.port" ]; then port="$(cat "$run/web.port")"; else port="$(free_port)"; echo "$port" >"$run/web.port"; fi
  # Mutating routes need the API key (X-Api-Key); one is made per cluster folder unless Dsdr__ApiKey is set.
  if [ -n "${Dsdr__ApiKey:-}" ]; then key="$Dsdr__ApiKey"
  else
    if [ ! -f "$dir/api-key" ]; then head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/api-key"; chmod 600 "$dir/api-key"; fi
    key="$(cat "$dir/api-key")"
  fi
  args=(--cluster --cluster-id "$cluster_id" --service-id "$service_id" --urls "http://127.0.0.1:$port" --checkpoints "$checkpoints")
  # With simulated workers the web host adds each trial's simulation plan (steps, checkpoints at the eval interval).
  if [ "$simulated" = 1 ]; then args+=(--simulated --simulated-step-ms "${DSDR_SIMULATED_STEP_MS:-200}"); fi
  # Its project folder is the content root, as under `dotnet run`.
  (cd "$repo/web/Dsdr.Web" && exec env DSDR_PG="$(connection_string)" Dsdr__ApiKey="$key" Logging__LogLevel__Microsoft.AspNetCore=Warning \
    setsid dotnet "$web_dll" "${args[@]}" >>"$logs/web.log" 2>&1 </dev/null) &
  echo $! >"$run/web.pid"
  say "web starting (pid $!, http://127.0.0.1:$port)"
  local deadline=$((SECONDS + ${DSDR_START_TIMEOUT:-180}))
  until web_ready "http://127.0.0.1:$port"; do
    live_pid "$run/web.pid" Dsdr.Web.dll >/dev/null || die "web exited while starting; see $logs/web.log:
$(tail -n 15 "$logs/web.log" 2>/dev/null)"
    [ $SECONDS -lt $deadline ] || die "timed out waiting for the web host to be ready (http://127.0.0.1:$port/health/ready); see $logs/web.log"
    sleep 1
  done
}

cmd_start() {
  mkdir -p "$run" "$logs" "$checkpoints"
  read_conf
  if [ -n "$conf_workers" ]; then
    # A later start keeps the cluster's shape unless told otherwise while nothing runs.
    local any_running="" f
    for f in "$run"/*.pid; do
      if [ -e "$f" ] && live_pid "$f" dotnet >/dev/null; then any_running=1; fi
    done
    if [ -n "$any_running" ]; then
      [ -z "$workers" ] || [ "$workers" = "$conf_workers" ] || die "the cluster in $dir runs with $conf_workers worker(s); stop it before changing --workers"
      [ -z "$slots" ] || [ "$slots" = "$conf_slots" ] || die "the cluster in $dir runs with $conf_slots slot(s) per worker; stop it before changing --slots"
      [ -z "$simulated" ] || [ "$simulated" = "$conf_simulated" ] \
        || die "the cluster in $dir runs the $([ "$conf_simulated" = 1 ] && echo simulated runner || echo trainer); stop it before switching runners"
    fi
    # Settings not given now are the ones it ran with last time.
    workers="${workers:-$conf_workers}"; slots="${slots:-$conf_slots}"; simulated="${simulated:-$conf_simulated}"
  fi
  workers="${workers:-2}"; slots="${slots:-1}"; simulated="${simulated:-0}"
  printf 'WORKERS=%s\nSLOTS=%s\nSIMULATED=%s\n' "$workers" "$slots" "$simulated" >"$conf"

  local web=0
  web_has_cluster_mode && web=1
  ensure_built "$web"
  start_postgres
  export_timings
  for i in $(seq 1 "$workers"); do start_worker "$i"; done
  wait_for_workers
  if [ "$web" = 1 ]; then start_web; write_env; else say "web not started: this build's Dsdr.Web has no cluster mode yet (--cluster)"; fi
  cmd_status
}

# ---- status and stop -------------------------------------------------------------------------------------------

cmd_status() {
  read_conf
  echo "cluster in $dir (cluster id '$cluster_id', ${conf_workers:-?} worker(s), ${conf_slots:-?} CPU slot(s) each$([ "${conf_simulated:-0}" = 1 ] && echo ", simulated runner"))"
  if [ -f "$dir/postgres.port" ] && pg_running; then
    echo "  postgres  running   127.0.0.1:$(pg_port)   (env: source $dir/cluster.env)"
  else
    echo "  postgres  stopped"
  fi
  local f name pid extra what silo gateway http
  for f in "$run"/worker-*.ports "$run"/web.port; do
    [ -e "$f" ] || continue
    name="$(basename "$f")"; name="${name%.*}"
    if [ "$name" = web ]; then extra="http://127.0.0.1:$(cat "$f") (API key in $dir/api-key)"; what=Dsdr.Web.dll
    else read -r silo gateway http <"$f"; extra="silo $silo, gateway $gateway, health http://127.0.0.1:${http:-?}/health/ready"; what=Dsdr.Silo.dll; fi
    if pid="$(live_pid "$run/$name.pid" "$what")"; then printf '  %-9s running   pid %-7s %s   log %s\n' "$name" "$pid" "$extra" "$logs/$name.log"
    else printf '  %-9s stopped   %s\n' "$name" "$extra"; fi
  done
  if [ -f "$dir/postgres.port" ] && pg_running; then
    echo "  membership (orleans_membership, cluster '$cluster_id'):"
    psql_dsdr -F '  ' -c "SELECT '    ' || silo_address, CASE status WHEN 3 THEN 'Active' WHEN 6 THEN 'Dead' WHEN 2 THEN 'Joining'
        WHEN 4 THEN 'ShuttingDown' WHEN 5 THEN 'Stopping' ELSE status::text END, 'gateway ' || proxy_port, 'alive ' || to_char(iamalive_time, 'HH24:MI:SS')
        FROM orleans_membership WHERE cluster_id = '$cluster_id' ORDER BY start_time" 2>/dev/null || echo "    (no membership table yet)"
  fi
}

stop_process() {
  local file="$1" what="$2" name pid
  name="$(basename "$file" .pid)"
  if ! pid="$(live_pid "$file" "$what")"; then rm -f "$file"; return 0; fi
  kill -TERM "$pid" 2>/dev/null || true
  echo "$name $pid"
}

cmd_stop() {
  local stopping=() f entry name pid deadline
  for f in "$run"/web.pid "$run"/worker-*.pid; do
    [ -e "$f" ] || continue
    entry="$(stop_process "$f" "$([ "$(basename "$f")" = web.pid ] && echo Dsdr.Web.dll || echo Dsdr.Silo.dll)")"
    if [ -n "$entry" ]; then stopping+=("$entry"); fi
  done
  deadline=$((SECONDS + ${DSDR_STOP_TIMEOUT:-30}))
  for entry in ${stopping[@]+"${stopping[@]}"}; do
    read -r name pid <<<"$entry"
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      say "$name (pid $pid) did not stop within ${DSDR_STOP_TIMEOUT:-30} s of SIGTERM: sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    else
      say "$name stopped"
    fi
    rm -f "$run/$name.pid"
  done
  if [ -f "$pgdata/PG_VERSION" ] && pg_running; then
    (cd / && as_pg "$pg_bin/pg_ctl" stop -D "$pgdata" -m fast -w -t 60 </dev/null >>"$logs/pg_ctl.log" 2>&1) \
      || die "pg_ctl stop failed; see $logs/pg_ctl.log"
    say "PostgreSQL stopped"
  fi
}

case "$command" in
  start) cmd_start ;;
  status) cmd_status ;;
  stop) cmd_stop ;;
  env) [ -f "$dir/cluster.env" ] || die "no cluster in $dir (run start first)"; cat "$dir/cluster.env" ;;
esac
