#!/bin/sh
# A NATS server of compose.yaml's cluster profile. Its configuration is
# written from the environment, so no password is on a command line: the
# nodes' user (oee), the tools' user (oee-tools, read-only) and the routes'
# password, with the permissions of permissions.conf beside this script.
#
#   NATS_NAME=nats1 NATS_PEERS="nats2 nats3" OEE_NATS_PASSWORD=… \
#   OEE_NATS_TOOLS_PASSWORD=… OEE_NATS_ROUTE_PASSWORD=… compose_server.sh
set -eu
: "${NATS_NAME:?}" "${NATS_PEERS:?}" "${OEE_NATS_PASSWORD:?}" "${OEE_NATS_TOOLS_PASSWORD:?}"
: "${OEE_NATS_ROUTE_PASSWORD:?}"
here=$(dirname "$0")
routes=""
for peer in $NATS_PEERS; do
  routes="$routes    \"nats-route://route:$OEE_NATS_ROUTE_PASSWORD@$peer:6222\"
"
done
umask 077
conf=/tmp/nats-server.conf
{
  cat "$here/permissions.conf"
  cat <<CONF
server_name: "$NATS_NAME"
listen: "0.0.0.0:4222"
jetstream { store_dir: "/data" }
authorization {
  users: [
    { user: "oee", password: "$OEE_NATS_PASSWORD", permissions: \$node }
    { user: "oee-tools", password: "$OEE_NATS_TOOLS_PASSWORD", permissions: \$tools }
  ]
}
cluster {
  name: "oee"
  listen: "0.0.0.0:6222"
  authorization { user: "route", password: "$OEE_NATS_ROUTE_PASSWORD" }
  routes: [
$routes  ]
}
CONF
} > "$conf"
exec nats-server -c "$conf"
