# What bench/run and bench/cpu_per_order.sh share, sourced by both: waiting
# for a server's executor to go idle, and reading the CPU its threads used.
# Sourced by bench/request_instructions.sh too, for start_fast and wait_idle.

health() { curl -s "http://127.0.0.1:$1/health"; }

# start_fast SERVER DIR [launcher...]: SERVER (under the launcher, if given)
# with --sim fast on a fresh data dir in DIR; sets pid and url once it
# listens (waiting up to 2 minutes: a launcher such as valgrind is slow),
# or fails with the end of its stderr.
start_fast() {
  local server=$1 dir=$2
  shift 2
  "$@" "$server" --data-dir "$dir/data" --port 0 --sim fast --log-level warn > "$dir/out" 2> "$dir/err" &
  pid=$!
  for _ in $(seq 600); do grep -q LISTENING "$dir/out" 2>/dev/null && break; sleep 0.2; done
  grep -q LISTENING "$dir/out" || { echo "$server did not start: $(tail -3 "$dir/err")" >&2; return 1; }
  url="http://127.0.0.1:$(sed -n 's/^LISTENING .*:\([0-9]*\)$/\1/p' "$dir/out")"
}

# wait_idle PORT PID: until the executor has nothing in flight or waiting
# (at most 10 minutes); fails if the server dies meanwhile.
wait_idle() {
  for _ in $(seq 3000); do
    kill -0 "$2" 2>/dev/null || { echo "the server died" >&2; return 1; }
    case "$(health "$1")" in *'"inFlight":0,"waiting":0'*) return 0 ;; esac
    sleep 0.2
  done
}

# thread_ticks PID: "name ticks" per thread name (user + system, in clock
# ticks), from /proc/PID/task/*/stat; the names have no spaces here.
thread_ticks() {
  for t in /proc/$1/task/*/stat; do sed 's/^[0-9]* (\([^)]*\))/\1/' "$t"; done |
    awk '{ cpu[$1] += $13 + $14 } END { for (c in cpu) print c, cpu[c] }'
}

# cpu_json PID ORDERS: {"total": us per order, "threads": {name: us per order}}
cpu_json() {
  thread_ticks "$1" | awk -v hz="$(getconf CLK_TCK)" -v n="$2" '{ cpu[$1] = $2; all += $2 } END {
      printf "{\"total\": %.1f, \"threads\": {", all/hz*1e6/n; sep = ""
      for (c in cpu) if (cpu[c] > 0) { printf "%s\"%s\": %.1f", sep, c, cpu[c]/hz*1e6/n; sep = ", " }
      printf "}}" }'
}

# thread_switches PID: "name voluntary involuntary" per thread name, the
# context switches its threads made so far (/proc/PID/task/*/status): a
# voluntary one is a thread that waited, so another had to wake it.
thread_switches() {
  for t in /proc/$1/task/*; do
    awk '/^Name:/ { n = $2 } /^voluntary_ctxt_switches/ { v = $2 } /^nonvoluntary_ctxt_switches/ { i = $2 }
         END { print n, v, i }' "$t/status"
  done | awk '{ v[$1] += $2; i[$1] += $3 } END { for (n in v) print n, v[n], i[n] }'
}
