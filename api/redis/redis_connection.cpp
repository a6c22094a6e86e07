#include "api/redis/redis_connection.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/engine/use_tuple.h"

namespace oee::api {

namespace asio = boost::asio;

namespace {

RedisReady failed(std::string why) { return RedisReady(boost::system::in_place_error, std::move(why)); }

RedisValue copy_reply(const redisReply& r) {
  RedisValue v;
  switch (r.type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      v.kind = r.type == REDIS_REPLY_STRING   ? RedisValue::Kind::string
               : r.type == REDIS_REPLY_STATUS ? RedisValue::Kind::status
                                              : RedisValue::Kind::error;
      v.text.assign(r.str, r.len);
      break;
    case REDIS_REPLY_INTEGER:
      v.kind = RedisValue::Kind::integer;
      v.integer = r.integer;
      break;
    case REDIS_REPLY_ARRAY:
      v.kind = RedisValue::Kind::array;
      v.items.reserve(r.elements);
      for (std::size_t i = 0; i < r.elements; ++i) v.items.push_back(copy_reply(*r.element[i]));
      break;
    default:
      v.kind = RedisValue::Kind::nil;
  }
  return v;
}
}  // namespace

// Everything hiredis's event hooks and callbacks reach through `data`
// pointers. Async waits hold a shared_ptr to it, so it outlives any call
// into hiredis that is in progress.
struct RedisConnection::State : std::enable_shared_from_this<State> {
  explicit State(asio::any_io_executor executor) : ex(std::move(executor)), signal(ex) {}

  asio::any_io_executor ex;
  redisAsyncContext* ac = nullptr;
  std::optional<asio::posix::stream_descriptor> socket;
  bool want_read = false, want_write = false;
  bool read_waiting = false, write_waiting = false;
  bool ready = false;
  bool closing = false;  // we asked for it: no disconnect notification
  std::optional<int> connect_status;
  std::string connect_error;
  asio::steady_timer signal;  // wakes connect() when hiredis reports the TCP connect
  std::function<void(std::string)> on_disconnect;
  std::vector<std::unique_ptr<PushHandler>> push_handlers;  // hiredis keeps raw pointers

  // Waits for the socket to be readable (or writable) while hiredis wants
  // it, hands the event to hiredis, and waits again.
  void arm(bool write) {
    bool& waiting = write ? write_waiting : read_waiting;
    const bool& wanted = write ? want_write : want_read;
    if (ac == nullptr || waiting || !wanted) return;
    waiting = true;
    socket->async_wait(write ? asio::posix::descriptor_base::wait_write : asio::posix::descriptor_base::wait_read,
                       [self = shared_from_this(), write](const boost::system::error_code& ec) {
                         (write ? self->write_waiting : self->read_waiting) = false;
                         if (ec || self->ac == nullptr) return;
                         if (write ? self->want_write : self->want_read) {
                           write ? redisAsyncHandleWrite(self->ac) : redisAsyncHandleRead(self->ac);
                         }
                         self->arm(write);
                       });
  }

  static State* of(void* p) { return static_cast<State*>(p); }
  static void add_read(void* p) {
    of(p)->want_read = true;
    of(p)->arm(false);
  }
  static void del_read(void* p) { of(p)->want_read = false; }
  static void add_write(void* p) {
    of(p)->want_write = true;
    of(p)->arm(true);
  }
  static void del_write(void* p) { of(p)->want_write = false; }
  // hiredis is freeing the context and will close the socket itself.
  static void cleanup(void* p) {
    auto* st = of(p);
    st->ac = nullptr;
    st->ready = false;
    st->want_read = st->want_write = false;
    if (st->socket) (void)st->socket->release();  // cancels waits, keeps the fd open for hiredis
  }

  static void on_connect(const redisAsyncContext* c, int status) {
    auto* st = of(c->data);
    st->connect_status = status;
    if (status != REDIS_OK) st->connect_error = c->errstr != nullptr ? c->errstr : "connect failed";
    st->signal.cancel();
  }

  static void on_disconnected(const redisAsyncContext* c, int status) {
    auto* st = of(c->data);
    st->ready = false;
    if (st->closing || !st->on_disconnect) return;
    std::string reason = status == REDIS_OK ? "closed" : (c->errstr != nullptr ? c->errstr : "connection lost");
    if (reason.empty()) reason = "connection lost";
    // Deferred: the handler may drop the last reference to this connection.
    asio::post(st->ex, [handler = std::move(st->on_disconnect), reason = std::move(reason)] { handler(reason); });
    st->on_disconnect = nullptr;
  }

  static void on_reply(redisAsyncContext*, void* reply, void* privdata) {
    std::unique_ptr<ReplyHandler> handler(static_cast<ReplyHandler*>(privdata));
    if (!*handler) return;
    if (reply == nullptr) {
      (*handler)(nullptr);
      return;
    }
    const RedisValue v = copy_reply(*static_cast<redisReply*>(reply));
    (*handler)(&v);
  }

  static void on_push(redisAsyncContext*, void* reply, void* privdata) {
    if (reply == nullptr) return;  // connection lost: on_disconnected reports it
    (*static_cast<PushHandler*>(privdata))(copy_reply(*static_cast<redisReply*>(reply)));
  }
};

std::shared_ptr<RedisConnection> RedisConnection::make(asio::any_io_executor executor) {
  return std::shared_ptr<RedisConnection>(new RedisConnection(std::move(executor)));
}

RedisConnection::RedisConnection(asio::any_io_executor executor)
    : state_(std::make_shared<State>(std::move(executor))) {}

RedisConnection::~RedisConnection() { close(); }

asio::awaitable<RedisReady> RedisConnection::connect(const RedisEndpoint& endpoint, std::chrono::milliseconds timeout) {
  auto st = state_;
  asio::ip::tcp::resolver resolver(st->ex);
  const std::string port = std::to_string(endpoint.port);
  auto [rec, results] = co_await resolver.async_resolve(endpoint.host, port, use_tuple);
  if (rec || results.empty()) co_return failed("cannot resolve " + endpoint.host + ": " + rec.message());
  const std::string ip = results.begin()->endpoint().address().to_string();

  redisAsyncContext* ac = redisAsyncConnect(ip.c_str(), endpoint.port);
  if (ac == nullptr) co_return failed("out of memory");
  if (ac->err != 0) {
    std::string error = ac->errstr;
    redisAsyncFree(ac);
    co_return failed(std::move(error));
  }
  st->ac = ac;
  ac->data = st.get();
  ac->ev.data = st.get();
  ac->ev.addRead = &State::add_read;
  ac->ev.delRead = &State::del_read;
  ac->ev.addWrite = &State::add_write;
  ac->ev.delWrite = &State::del_write;
  ac->ev.cleanup = &State::cleanup;
  st->socket.emplace(st->ex, ac->c.fd);
  redisAsyncSetDisconnectCallback(ac, &State::on_disconnected);
  redisAsyncSetConnectCallback(ac, &State::on_connect);  // arms the first write wait

  st->signal.expires_after(timeout);
  while (!st->connect_status) {
    auto [ec] = co_await st->signal.async_wait(use_tuple);
    if (!ec && !st->connect_status) {
      close();
      co_return failed("timed out connecting to " + redacted(endpoint));
    }
  }
  if (*st->connect_status != REDIS_OK) co_return failed(st->connect_error + " (" + redacted(endpoint) + ")");
  st->ready = true;

  if (!endpoint.password.empty()) {
    std::vector<std::string_view> auth{"AUTH"};
    if (!endpoint.user.empty()) auth.push_back(endpoint.user);
    auth.push_back(endpoint.password);
    if (auto ready = co_await setup_command(auth, endpoint, timeout); !ready) co_return ready;
  }
  if (endpoint.db != 0) {
    const std::string db = std::to_string(endpoint.db);
    std::vector<std::string_view> select{"SELECT", db};  // named: [gcc12-coro]
    if (auto ready = co_await setup_command(select, endpoint, timeout); !ready) co_return ready;
  }
  co_return RedisReady{};
}

asio::awaitable<RedisReady> RedisConnection::setup_command(std::vector<std::string_view> args,
                                                           const RedisEndpoint& endpoint,
                                                           std::chrono::milliseconds timeout) {
  const std::string name(args.front());
  auto reply = co_await call(std::move(args), timeout);
  if (!reply) co_return failed("no reply to " + name + " from " + redacted(endpoint));
  if (reply->kind == RedisValue::Kind::error) {
    close();
    co_return failed(reply->text);
  }
  co_return RedisReady{};
}

bool RedisConnection::command(const std::vector<std::string_view>& args, ReplyHandler on_reply) {
  auto& st = *state_;
  if (st.ac == nullptr || !st.ready) return false;
  std::vector<const char*> argv;
  std::vector<std::size_t> argvlen;
  argv.reserve(args.size());
  argvlen.reserve(args.size());
  for (auto a : args) {
    argv.push_back(a.data());
    argvlen.push_back(a.size());
  }
  auto* handler = on_reply ? new ReplyHandler(std::move(on_reply)) : nullptr;
  const int rc = redisAsyncCommandArgv(st.ac, handler != nullptr ? &State::on_reply : nullptr, handler,
                                       static_cast<int>(args.size()), argv.data(), argvlen.data());
  if (rc != REDIS_OK) {
    delete handler;
    return false;
  }
  return true;
}

asio::awaitable<std::optional<RedisValue>> RedisConnection::call(std::vector<std::string_view> args,
                                                                 std::chrono::milliseconds timeout) {
  struct Pending {
    explicit Pending(asio::any_io_executor ex) : timer(std::move(ex)) {}
    asio::steady_timer timer;
    bool done = false;
    std::optional<RedisValue> value;
  };
  auto pending = std::make_shared<Pending>(state_->ex);
  const bool queued = command(args, [pending](const RedisValue* v) {
    pending->done = true;
    if (v != nullptr) pending->value = *v;
    pending->timer.cancel();
  });
  if (!queued) co_return std::nullopt;
  pending->timer.expires_after(timeout);
  while (!pending->done) {
    auto [ec] = co_await pending->timer.async_wait(use_tuple);
    if (!ec && !pending->done) {
      close();
      co_return std::nullopt;
    }
  }
  co_return pending->value;
}

bool RedisConnection::subscribe(const std::string& channel, PushHandler on_push) {
  auto& st = *state_;
  if (st.ac == nullptr || !st.ready) return false;
  st.push_handlers.push_back(std::make_unique<PushHandler>(std::move(on_push)));
  const char* argv[] = {"SUBSCRIBE", channel.c_str()};
  const std::size_t argvlen[] = {9, channel.size()};
  return redisAsyncCommandArgv(st.ac, &State::on_push, st.push_handlers.back().get(), 2, argv, argvlen) == REDIS_OK;
}

void RedisConnection::on_disconnect(std::function<void(std::string)> handler) {
  state_->on_disconnect = std::move(handler);
}

bool RedisConnection::connected() const { return state_->ac != nullptr && state_->ready; }

void RedisConnection::close() {
  auto& st = *state_;
  st.closing = true;
  st.ready = false;
  if (st.ac != nullptr) {
    // Frees the context now, or right after the hiredis callback in progress;
    // pending reply handlers run with nullptr.
    redisAsyncFree(st.ac);
  }
}

}  // namespace oee::api
