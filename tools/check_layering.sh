#!/usr/bin/env bash
# Fails on an include that points the wrong way (see docs/architecture.md,
# "Modules"):
#   - a module includes a module above it in the dependency order, or a
#     sibling at its own level (api/routes and api/gateway);
#   - a file outside a module includes that module's detail/ headers
#     (tests may: they test the details);
#   - core/domain includes Asio, Beast, JSON or any I/O library, or any
#     of the log but its value types (eventlog/types.h).
#
#   tools/check_layering.sh [source root]     (default: this checkout)
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"

# Module and level, lowest first: a module may include its own headers and
# those of lower levels.
modules="schemas:0 eventlog:1 eventlog/rocksdb:2 eventlog/jetstream:2 core/domain:3 core/wire:4 core/engine:5 projections:6
api/auth:7 api/tls:7 api/stream:8 api/http:9 api/redis:10 api/dashboard:10 api/routes:11 api/gateway:11 api/server:12"

find eventlog core projections api tools tests bench -name '*.h' -o -name '*.cpp' |
  grep -v node_modules | sort |
  xargs grep -Hn -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' |
  awk -v modules="$modules" '
    BEGIN {
      n = split(modules, m, /[ \n]+/)
      for (i = 1; i <= n; i++) { split(m[i], kv, ":"); level[kv[1]] = kv[2]; names[i] = kv[1] }
      count = n
    }
    # The module a path belongs to: the longest module prefix.
    function module_of(path,   i, best) {
      best = ""
      for (i = 1; i <= count; i++)
        if (index(path, names[i] "/") == 1 && length(names[i]) > length(best)) best = names[i]
      return best
    }
    {
      split($0, parts, ":"); file = parts[1]; line = parts[2]
      text = substr($0, length(file) + length(line) + 3)
      if (!match(text, /[<"][^>"]+[>"]/)) next
      target = substr(text, RSTART + 1, RLENGTH - 2)
      angled = substr(text, RSTART, 1) == "<"
      from = module_of(file)
      where = file ":" line ": "

      if (from == "core/domain" && angled &&
          target ~ /^(boost\/(asio|beast|json|url)|spdlog|fmt|rocksdb|pqxx|hiredis)/) {
        print where "core/domain includes <" target ">: the domain has no I/O, Asio or JSON"; bad = 1
      }
      if (angled) next
      to = module_of(target)
      if (to == "") next

      if (target ~ /\/detail\// && index(file, substr(target, 1, index(target, "/detail/"))) != 1 &&
          index(file, "tests/") != 1) {
        print where "includes " target ": a detail of " to ", from outside it"; bad = 1
      }
      if (from == "") next
      if (from == "core/domain" && to == "eventlog" && target != "eventlog/types.h") {
        print where "core/domain includes " target ": of the log, the domain uses only eventlog/types.h"; bad = 1
      }
      if (to != from && level[to] >= level[from]) {
        print where from " includes " target " (" to "): that points up the dependency order"; bad = 1
      }
    }
    END { exit bad }
  ' && echo "layering: every include points down the dependency order"
