#include "api/server/server_options.h"

#include <cstdio>

#include <boost/asio/ip/address.hpp>

#include "api/server/option_roles.h"

namespace oee::api {

std::string_view sim_clock_name(SimClockKind k) { return k == SimClockKind::virtual_clock ? "virtual" : "wall"; }

bool is_loopback_address(std::string_view bind) {
  if (bind == "localhost") return true;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(bind, ec);
  return !ec && address.is_loopback();
}

std::optional<int> parse_server_options(int argc, char** argv, ServerOptions& o) {
  CLI::App cli{"oee-server: durable, event-sourced order execution engine (REST + WebSocket)"};
  cli.footer("A browser opening the server's address (http://127.0.0.1:3000/ by default) gets the dashboard: live "
             "orders, a submit form, timelines, dead letters, charts and health; a gateway's shows its streams. "
             "GET /openapi.json describes every REST route (OpenAPI 3.1).");
  // --help lists the roles in this order. They finish in another: each
  // after those whose results it reads (the simulation reads whether this
  // is a cluster node, serving whether there is an admin key).
  auto storage = options::storage_options();
  auto serving = options::serving_options();
  auto access = options::access_options();
  auto simulation = options::simulation_options();
  auto cluster = options::cluster_options();
  for (auto* role : {storage.get(), serving.get(), access.get(), simulation.get(), cluster.get()}) role->add(cli, o);
  CLI11_PARSE(cli, argc, argv);
  for (auto* role : {cluster.get(), access.get(), simulation.get(), serving.get(), storage.get()}) {
    if (auto refused = role->finish(cli, o)) {
      std::fprintf(stderr, "oee-server: %s\n", refused->c_str());
      return 2;
    }
  }
  if (auto refused = options::check_access_options(o)) {
    std::fprintf(stderr, "oee-server: %s\n", refused->c_str());
    return 2;
  }
  return std::nullopt;
}

}  // namespace oee::api
