# What bench/auth_cost.sh and bench/auth_instructions.sh share, sourced by
# both: one server per run, with authentication off or on, and the load.
# Each function sets or reads the run's globals: dir, pid, url, key.

admin=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

# start_server off|on [launcher...]: build/bin/oee-server (under the
# launcher, if given) in a fresh data dir, --sim fast; with `on`, an admin
# key and an API key (orders:write) for the load. Fails if it does not start.
start_server() {
  local mode=$1 args=()
  shift
  dir=$(mktemp -d)
  key=()
  [ "$mode" = on ] && args=(--admin-key "$admin")
  "$@" build/bin/oee-server --data-dir "$dir/data" --port 0 --sim fast --log-level warn "${args[@]}" \
    > "$dir/out" 2> "$dir/err" &
  pid=$!
  for _ in $(seq 600); do grep -q LISTENING "$dir/out" 2>/dev/null && break; sleep 0.2; done
  grep -q LISTENING "$dir/out" || { echo "the server did not start: $(cat "$dir/err")" >&2; stop; return 1; }
  url="http://127.0.0.1:$(sed -n 's/^LISTENING .*:\([0-9]*\)$/\1/p' "$dir/out")"
  if [ "$mode" = on ]; then
    key=(--api-key "$(curl -fsS -X POST "$url/api/keys" -H "Authorization: Bearer $admin" \
      -H 'Content-Type: application/json' -d '{"name":"bench","scopes":["orders:write"],"rateLimit":null}' |
      sed -n 's/.*"key":"\([^"]*\)".*/\1/p')")
  fi
}

# load orders connections: submits them (with the run's key), then waits
# until the executor is idle.
load() {
  build/bin/oee-loadgen --target "$url" --connections "$2" --orders "$1" --duration 3600 --drain 0 --json \
    "${key[@]}" > /dev/null
  for _ in $(seq 3000); do
    case "$(curl -s "$url/health")" in *'"inFlight":0,"waiting":0'*) break ;; esac
    sleep 0.2
  done
}

# The run's server stopped and its data removed. (A RETURN trap does not
# fire for a function run in a command substitution.)
stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"; }
