#!/usr/bin/env bash
# Prints a loopback TCP port nothing listens on, below the kernel's ephemeral
# range (32768+) so an outgoing connection cannot be holding it either.
for _ in $(seq 100); do
  p=$(( 20000 + RANDOM % 12000 ))
  if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo $p; exit 0; fi
done
echo "free_port.sh: no free port" >&2
exit 2
