// The route table each role builds: which handler a request reaches, what
// a path that takes other methods answers, and which stream an upgrade asks for.
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "api/http/router.h"

namespace oee::api {
namespace {

namespace asio = boost::asio;

RestHandler says(std::string what) {
  return [what](const HttpRequest&, const RequestTarget& t) -> asio::awaitable<HttpResponse> {
    std::string body = what;
    for (const auto& s : t.segments) body += " " + s;
    co_return HttpResponse{200, body, "text/plain", {}};
  };
}

HttpResponse call(const Router& router, std::string method, std::string target) {
  asio::io_context ioc;
  HttpRequest request{std::move(method), std::move(target), "", "", ""};
  auto answer = asio::co_spawn(ioc, router.handle(request), asio::use_future);
  ioc.run();
  return answer.get();
}

Router example() {
  Router router;
  router.on("GET", "items", kAnyone, says("list"))
      .on("POST", "items", kAnyone, says("add"))
      .on("DELETE", "items/all", kAnyone, says("clear"))
      .on("GET", "items/*", kAnyone, says("one"))
      .on("DELETE", "items/*", kAnyone, says("remove"))
      .on("GET", "", kAnyone, says("root"));
  return router;
}

TEST(HttpRouter, EachMethodReachesItsHandlerAndHeadIsGet) {
  const Router router = example();
  EXPECT_EQ(call(router, "GET", "/items").body, "list items");
  EXPECT_EQ(call(router, "HEAD", "/items").body, "list items");
  EXPECT_EQ(call(router, "POST", "/items").body, "add items");
  EXPECT_EQ(call(router, "GET", "/items/7?x=1").body, "one items 7");
  EXPECT_EQ(call(router, "DELETE", "/items/7").body, "remove items 7");
  EXPECT_EQ(call(router, "GET", "/").body, "root");
}

// The first path registered that matches decides: /items/all takes DELETE
// only, even though items/* would take a GET.
TEST(HttpRouter, AMatchedPathWithAnotherMethodIs405WithWhatItAllows) {
  const Router router = example();
  const auto put = call(router, "PUT", "/items");
  EXPECT_EQ(put.status, 405);
  EXPECT_EQ(put.allow, "GET, POST");
  EXPECT_NE(put.body.find("method_not_allowed"), std::string::npos);
  const auto get_all = call(router, "GET", "/items/all");
  EXPECT_EQ(get_all.status, 405);
  EXPECT_EQ(get_all.allow, "DELETE");
  EXPECT_EQ(call(router, "DELETE", "/items/all").body, "clear items all");
}

TEST(HttpRouter, UnknownPathIsNotFoundOrWhatOtherwiseSays) {
  Router router = example();
  const auto missing = call(router, "GET", "/nothing/here");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("no route for GET /nothing/here"), std::string::npos);
  router.otherwise(says("elsewhere"));
  EXPECT_EQ(call(router, "POST", "/nothing").body, "elsewhere nothing");
  const auto bad = call(router, "GET", "/items?a=1&a=2");
  EXPECT_EQ(bad.status, 400) << "a query parameter given twice";
}

TEST(HttpRouter, OrderStreamsAreTheStreamPathsAndNothingElseIs) {
  const Authenticator open;  // authentication off
  Router router(open);
  add_order_streams(router);
  const std::string id = "0b7c2f4e-2f7a-4b8e-9a51-3c1d7e0f9a12";

  const auto ws = router.websocket("/ws?orderId=" + id + "&fromSeq=5", "");
  ASSERT_TRUE(ws);
  EXPECT_EQ(ws->protocol, WsProtocol::json);
  ASSERT_TRUE(ws->order);
  EXPECT_EQ(ws->order->str(), id);
  EXPECT_EQ(ws->from_seq, 5u);
  EXPECT_FALSE(ws->error);

  EXPECT_EQ(router.websocket("/api/orders/status", "")->protocol, WsProtocol::bare_id);
  EXPECT_EQ(router.websocket("/api/orders/execute", "")->protocol, WsProtocol::bare_id);
  EXPECT_EQ(router.websocket("/api/orders/execute?orderId=" + id, "")->protocol, WsProtocol::fixed);
  const auto path_id = router.websocket("/order/" + id, "");
  ASSERT_TRUE(path_id);
  EXPECT_EQ(path_id->protocol, WsProtocol::fixed);
  EXPECT_EQ(path_id->order->str(), id);

  EXPECT_EQ(router.websocket("/order/not-an-id", "")->error->code, "invalid_order_id");
  EXPECT_EQ(router.websocket("/ws?fromSeq=-1", "")->error->code, "invalid_from_seq");
  EXPECT_EQ(router.websocket("/ws?orderId=1&orderId=2", "")->error->status, 400);
  EXPECT_FALSE(router.websocket("/health", ""));
  EXPECT_FALSE(router.websocket("/order", ""));

  // A router made without an authenticator lets no one in.
  Router unguarded;
  add_order_streams(unguarded);
  unguarded.on("GET", "secret", kOrderReads, says("secret"));
  EXPECT_EQ(unguarded.websocket("/ws", "")->refusal->status, 401);
  EXPECT_EQ(call(unguarded, "GET", "/secret").status, 401);
}

}  // namespace
}  // namespace oee::api
