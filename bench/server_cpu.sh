# What bench/run and bench/cpu_per_order.sh share, sourced by both: waiting
# for a server's executor to go idle, and reading the CPU its threads used.

health() { curl -s "http://127.0.0.1:$1/health"; }

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
