// API keys: secrets and their hashes, scopes, the key ring's fold, the
// authenticator's answers, the key codec and POST /api/keys validation.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api/auth/access.h"
#include "api/auth/key_ring.h"
#include "api/auth/key_secret.h"
#include "api/auth/rate_limit.h"
#include "api/auth/ws_tickets.h"
#include "api/routes/key_request.h"
#include "api/routes/time_text.h"
#include "core/wire/key_codec.h"
#include "core/wire/key_message.h"

namespace oee::api {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
const core::KeyId kCreator = *core::KeyId::parse("0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9");

core::ApiKeyCreated created(const NewSecret& secret, core::Scopes scopes, std::optional<TimestampNs> expires = {}) {
  return core::ApiKeyCreated{"test", scopes, secret.hash, core::RateLimit{}, expires, std::nullopt};
}

TEST(KeySecret, FreshSecretsDifferAndHashToWhatTheyAreComparedWith) {
  const NewSecret a = new_key_secret(), b = new_key_secret();
  EXPECT_NE(a.text, b.text);
  EXPECT_EQ(a.text.size(), 4u + 64u);
  EXPECT_EQ(a.text.rfind("oee_", 0), 0u);
  EXPECT_TRUE(same_hash(hash_secret(a.text), a.hash));
  EXPECT_FALSE(same_hash(hash_secret(a.text), b.hash));
  auto flipped = a.hash;
  flipped[31] ^= 1;  // a difference in the last byte still counts
  EXPECT_FALSE(same_hash(flipped, a.hash));
}

TEST(KeySecret, AdminKeysMustBeLongAndVaried) {
  EXPECT_TRUE(admin_key_weakness("short").has_value());
  EXPECT_TRUE(admin_key_weakness(std::string(64, 'a')).has_value());
  EXPECT_TRUE(admin_key_weakness("abababababababababababababababababababab").has_value());
  EXPECT_FALSE(admin_key_weakness(new_key_secret().text).has_value());
  EXPECT_FALSE(admin_key_weakness("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08").has_value());
}

// 32 random bytes, written as hex or base64, and nothing a person makes up.
TEST(KeySecret, AdminKeysAreThirtyTwoRandomBytesInHexOrBase64) {
  const std::string hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  EXPECT_FALSE(admin_key_weakness(hex).has_value());
  EXPECT_FALSE(admin_key_weakness("9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08").has_value());
  EXPECT_FALSE(admin_key_weakness("n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=").has_value()) << "base64";
  EXPECT_FALSE(admin_key_weakness("n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg").has_value()) << "base64url, unpadded";
  // Long enough by length, but not 32 bytes of anything random.
  EXPECT_TRUE(admin_key_weakness("abcdefghijklmnopqrstuvwxyz012345").has_value()) << "the review's example";
  EXPECT_TRUE(admin_key_weakness("correct horse battery staple, correct horse battery staple!").has_value());
  EXPECT_TRUE(admin_key_weakness(hex.substr(0, 62)).has_value()) << "31 bytes of hex";
  EXPECT_TRUE(admin_key_weakness("n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCg").has_value()) << "31 bytes of base64";
  // Patterns: runs, repeats, a small alphabet.
  EXPECT_TRUE(admin_key_weakness("0123456789abcdef" + hex.substr(16)).has_value()) << "a run up";
  EXPECT_TRUE(admin_key_weakness(hex.substr(0, 20) + "00000000" + hex.substr(28)).has_value()) << "a run of one";
  EXPECT_TRUE(admin_key_weakness(hex.substr(0, 20) + "fedcba98" + hex.substr(28)).has_value()) << "a run down";
  EXPECT_TRUE(admin_key_weakness("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef").has_value());
  EXPECT_TRUE(admin_key_weakness("deadbeefcafe0042deadbeefcafe0042deadbeefcafe0042deadbeefcafe0042").has_value());
  EXPECT_TRUE(admin_key_weakness("1a2b1a2b3c1a2b1a2b3c1a2b1a2b3c3c2b1a2b3c1a2b1a3c2b1a2b1a3c2b1a2").has_value())
      << "three hex digits";
  // Minted ones pass, always.
  for (int i = 0; i < 1000; ++i) {
    const std::string minted = new_key_secret().text;
    ASSERT_FALSE(admin_key_weakness(minted).has_value()) << minted;
    ASSERT_FALSE(admin_key_weakness(minted.substr(4)).has_value()) << minted;
  }
}

TEST(Scopes, NamesRoundTripAndUnknownOnesAreRefused) {
  for (const core::Scope s : core::kScopes) EXPECT_EQ(core::parse_scope(core::scope_name(s)), s);
  EXPECT_FALSE(core::parse_scope("orders:*").has_value());
  EXPECT_FALSE(core::parse_scope("ORDERS:READ").has_value());
  core::Scopes some;
  some.add(core::Scope::orders_read);
  EXPECT_TRUE(some.has(core::Scope::orders_read));
  EXPECT_FALSE(some.has(core::Scope::orders_write));
  EXPECT_FALSE(some.has(core::Scope::keys_admin));
}

TEST(KeyRing, FoldsCreationAndRevocation) {
  KeyRing ring;
  const NewSecret secret = new_key_secret();
  const core::KeyId id = core::KeyId::random();
  ring.apply(id, TimestampNs{10}, created(secret, core::Scopes::all()));
  ASSERT_TRUE(ring.find(secret.hash).has_value());
  EXPECT_EQ(ring.find(secret.hash)->id, id);
  EXPECT_FALSE(ring.find(new_key_secret().hash).has_value());

  ring.apply(id, TimestampNs{20}, core::ApiKeyRevoked{});
  ring.apply(id, TimestampNs{30}, core::ApiKeyRevoked{});  // the first revocation stands
  ASSERT_TRUE(ring.get(id)->revoked_at.has_value());
  EXPECT_EQ(ring.get(id)->revoked_at->value, 20);
  ring.apply(id, TimestampNs{40}, created(new_key_secret(), core::Scopes::all()));  // a second creation is ignored
  EXPECT_EQ(ring.list().size(), 1u);
  EXPECT_TRUE(ring.find(secret.hash).has_value());
}

// A key's tree is the key the admin key made and every key made under it:
// each knows its root, and the root counts what was made under it,
// revoked keys included.
TEST(KeyRing, EachKeyKnowsItsTreesRootAndTheRootCountsWhatWasMadeUnderIt) {
  KeyRing ring;
  const auto make = [&](std::optional<core::KeyId> by) {
    const core::KeyId id = core::KeyId::random();
    auto event = created(new_key_secret(), core::Scopes::all());
    event.created_by = by;
    ring.apply(id, TimestampNs{1}, event);
    return id;
  };
  const auto root = make(std::nullopt);
  const auto child = make(root);
  const auto grandchild = make(child);
  const auto other_root = make(std::nullopt);
  EXPECT_EQ(ring.tree_of(root), root);
  EXPECT_EQ(ring.tree_of(child), root);
  EXPECT_EQ(ring.tree_of(grandchild), root);
  EXPECT_EQ(ring.tree_of(other_root), other_root);
  EXPECT_EQ(ring.made_under(root), 2u);
  EXPECT_EQ(ring.made_under(other_root), 0u);
  ring.apply(grandchild, TimestampNs{2}, core::ApiKeyRevoked{});
  EXPECT_EQ(ring.made_under(root), 2u) << "a revoked key is still held";
  const core::KeyId unknown = core::KeyId::random();
  EXPECT_EQ(ring.tree_of(unknown), unknown);
}

// A write of a key made under another is paid from its own bucket and
// from its root's, which the tree shares; a root's from its own alone.
TEST(RateLimiter, AKeyMadeUnderAnotherPaysItsWritesFromItsRootsBucketToo) {
  RateLimiter limits;
  const auto now = std::chrono::steady_clock::now();
  const core::KeyId root = core::KeyId::random();
  const core::KeyId child = core::KeyId::random();
  const core::RateLimit burst_of_two{1, 2};
  EXPECT_TRUE(limits.write(child, burst_of_two, root, burst_of_two, now).allowed);
  EXPECT_TRUE(limits.write(child, burst_of_two, root, burst_of_two, now).allowed);
  EXPECT_FALSE(limits.write(root, burst_of_two, root, burst_of_two, now).allowed) << "the child spent the root's";
  const core::KeyId other = core::KeyId::random();
  EXPECT_TRUE(limits.write(other, burst_of_two, other, burst_of_two, now).allowed) << "another tree paid";
}

TEST(Authenticator, OffLetsEveryoneDoEverything) {
  const Authenticator off;
  auto who = off.authenticate("", "", TimestampNs::now());
  ASSERT_TRUE(who);
  EXPECT_TRUE(who->sees_everything());
  EXPECT_TRUE(who->may(core::Scope::keys_admin));
}

TEST(Authenticator, TellsEachFailureApart) {
  KeyRing ring;
  const std::string admin = new_key_secret().text;
  const Authenticator auth(admin, ring);
  const TimestampNs now{100 * kSecond};
  const NewSecret live = new_key_secret(), revoked = new_key_secret(), expired = new_key_secret();
  core::Scopes read;
  read.add(core::Scope::orders_read);
  const core::KeyId live_id = core::KeyId::random(), revoked_id = core::KeyId::random();
  ring.apply(live_id, TimestampNs{1}, created(live, read));
  ring.apply(revoked_id, TimestampNs{1}, created(revoked, read));
  ring.apply(revoked_id, TimestampNs{2}, core::ApiKeyRevoked{});
  ring.apply(core::KeyId::random(), TimestampNs{1}, created(expired, read, TimestampNs{now.value - 1}));

  EXPECT_EQ(auth.authenticate("", "", now).error(), AuthFailure::missing);
  EXPECT_EQ(auth.authenticate("Basic dXNlcjpwYXNz", "", now).error(), AuthFailure::malformed);
  EXPECT_EQ(auth.authenticate("Bearer", "", now).error(), AuthFailure::malformed);
  EXPECT_EQ(auth.authenticate("Bearer a b", "", now).error(), AuthFailure::malformed);
  // A ring that may not hold every key yet (a gateway's before the core
  // has listed them) cannot tell an unknown key from a new one.
  EXPECT_EQ(auth.authenticate("Bearer oee_nope", "", now).error(), AuthFailure::unavailable);
  ring.mark_complete();
  EXPECT_EQ(auth.authenticate("Bearer oee_nope", "", now).error(), AuthFailure::unknown);
  EXPECT_EQ(auth.authenticate("Bearer " + revoked.text, "", now).error(), AuthFailure::revoked);
  EXPECT_EQ(auth.authenticate("Bearer " + expired.text, "", now).error(), AuthFailure::expired);

  auto key = auth.authenticate("bearer  " + live.text, "", now);  // the scheme in any case, spaces after it
  ASSERT_TRUE(key);
  EXPECT_EQ(key->kind, Principal::Kind::key);
  EXPECT_EQ(key->owner(), live_id);
  EXPECT_TRUE(key->may(core::Scope::orders_read));
  EXPECT_FALSE(key->may(core::Scope::orders_write));
  EXPECT_TRUE(key->sees(live_id));
  EXPECT_FALSE(key->sees(std::nullopt));  // the admin's orders
  EXPECT_FALSE(key->sees(revoked_id));

  auto by_query = auth.authenticate("", live.text, now);  // a browser WebSocket's access_token
  ASSERT_TRUE(by_query);
  EXPECT_EQ(by_query->owner(), live_id);

  auto root = auth.authenticate("Bearer " + admin, "", now);
  ASSERT_TRUE(root);
  EXPECT_EQ(root->kind, Principal::Kind::admin);
  EXPECT_TRUE(root->sees(live_id));
  EXPECT_FALSE(root->owner().has_value());
  EXPECT_TRUE(ring.last_used(live_id).has_value()) << "a key's use is noted";
  EXPECT_FALSE(ring.last_used(revoked_id).has_value()) << "a refused key is not used";
}

// A ticket opens one WebSocket within 30 s: spent by its first use, dead
// at 30 s; a key tree holds at most kPerKeyTree unspent (expired or spent
// ones make room), which no other tree and not the admin key feel.
TEST(WsTickets, ATicketIsSpentByItsFirstUseAndDiesAfterThirtySeconds) {
  using namespace std::chrono_literals;
  WsTickets tickets;
  const TimestampNs t0{1'000'000'000'000};
  const auto at = [&](std::chrono::milliseconds later) {
    return TimestampNs{t0.value + std::chrono::nanoseconds(later).count()};
  };
  const core::KeyId key = core::KeyId::random();
  const auto first = tickets.issue(WsTickets::Holder{key, key}, t0);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->text.rfind("oee_wst_", 0), 0u);
  EXPECT_EQ(first->text.size(), 8u + 64u);
  EXPECT_EQ(first->expires_at, at(30'000ms));
  const auto used = tickets.redeem(first->text, at(29'999ms));
  ASSERT_TRUE(used);
  EXPECT_EQ(used->key, key);
  EXPECT_FALSE(tickets.redeem(first->text, at(29'999ms))) << "spent";

  const auto late = tickets.issue(WsTickets::Holder{}, t0);
  ASSERT_TRUE(late);
  EXPECT_NE(late->text, first->text);
  EXPECT_FALSE(tickets.redeem(late->text, at(30'000ms))) << "expired";
  EXPECT_FALSE(tickets.redeem("oee_wst_made_up", t0));

  // A tree: its root and a key made under it share the quota.
  const core::KeyId root = core::KeyId::random();
  const core::KeyId child = core::KeyId::random();
  std::vector<std::string> held;
  for (std::size_t i = 0; i < WsTickets::kPerKeyTree; ++i) {
    const auto issued = tickets.issue(WsTickets::Holder{i % 2 == 0 ? root : child, root}, t0);
    ASSERT_TRUE(issued) << i;
    held.push_back(issued->text);
  }
  EXPECT_FALSE(tickets.issue(WsTickets::Holder{child, root}, at(1'000ms))) << "past the tree's quota";
  EXPECT_FALSE(tickets.issue(WsTickets::Holder{root, root}, at(1'000ms))) << "past the tree's quota";
  const core::KeyId stranger = core::KeyId::random();
  EXPECT_TRUE(tickets.issue(WsTickets::Holder{stranger, stranger}, at(1'000ms))) << "another tree felt it";
  EXPECT_TRUE(tickets.issue(WsTickets::Holder{}, at(1'000ms))) << "the admin key felt it";
  ASSERT_TRUE(tickets.redeem(held.front(), at(1'000ms)));
  EXPECT_TRUE(tickets.issue(WsTickets::Holder{child, root}, at(1'000ms))) << "the spent one made room";
  EXPECT_FALSE(tickets.issue(WsTickets::Holder{child, root}, at(1'000ms)));
  EXPECT_TRUE(tickets.issue(WsTickets::Holder{child, root}, at(30'000ms))) << "the expired ones made room";

  for (std::size_t i = 1; i < WsTickets::kAdminOutstanding; ++i) ASSERT_TRUE(tickets.issue(WsTickets::Holder{}, at(30'000ms)));
  EXPECT_FALSE(tickets.issue(WsTickets::Holder{}, at(30'000ms))) << "past the admin key's cap";
  EXPECT_TRUE(tickets.issue(WsTickets::Holder{stranger, stranger}, at(30'000ms))) << "a tree felt the admin's";
}

TEST(Principal, NoOneSeesOrMayAnythingAndAKeySeesOnlyItsOwn) {
  const Principal nobody;
  EXPECT_FALSE(nobody.may(core::Scope::orders_read));
  EXPECT_FALSE(nobody.sees(std::nullopt));
  EXPECT_FALSE(nobody.sees(core::KeyId::random()));
  EXPECT_TRUE(Principal::anyone().sees(core::KeyId::random()));
  const Principal operator_key{Principal::Kind::key, core::KeyId::random(), core::Scopes::all(), {}, {}};
  EXPECT_FALSE(operator_key.sees(core::KeyId::random())) << "keys:admin makes keys; it does not see others' orders";
  EXPECT_TRUE(operator_key.sees(operator_key.key));
}

TEST(KeyRing, RevocationIsToldOnceAndNothingUnrevokes) {
  KeyRing ring;
  std::vector<core::KeyId> told;
  ring.on_revoked([&](const core::KeyId& id) { told.push_back(id); });
  const NewSecret secret = new_key_secret();
  const core::KeyId id = core::KeyId::random();
  EXPECT_TRUE(ring.apply(id, TimestampNs{1}, created(secret, core::Scopes::all())));
  EXPECT_TRUE(ring.apply(id, TimestampNs{2}, core::ApiKeyRevoked{}));
  // A listing that overlaps the events replays them: nothing changes.
  for (const auto& m : core::key_messages(*ring.get(id))) EXPECT_FALSE(ring.apply(m.id, m.at, m.event));
  EXPECT_FALSE(ring.apply(id, TimestampNs{1}, created(secret, core::Scopes::all())));
  EXPECT_EQ(told, std::vector<core::KeyId>{id});
  EXPECT_EQ(ring.get(id)->revoked_at, TimestampNs{2});

  // A revocation heard before the creation it revokes (a gateway's feed
  // ahead of an older listing) still wins.
  const core::KeyId late = core::KeyId::random();
  EXPECT_TRUE(ring.apply(late, TimestampNs{5}, core::ApiKeyRevoked{}));
  EXPECT_TRUE(ring.apply(late, TimestampNs{3}, created(new_key_secret(), core::Scopes::all())));
  EXPECT_EQ(ring.get(late)->revoked_at, TimestampNs{5});
}

TEST(KeyMessage, EventsRoundTripThroughJsonWithTheHashNotTheSecret) {
  const NewSecret secret = new_key_secret();
  const core::KeyMessage m{core::KeyId::random(), TimestampNs{7},
                           core::ApiKeyCreated{"bot", core::Scopes(3), secret.hash, core::RateLimit{5, 10},
                                               TimestampNs{42 * kSecond}, kCreator},
                           Seq{9}};
  const std::string text = boost::json::serialize(core::key_message(m));
  EXPECT_EQ(text.find(secret.text.substr(4)), std::string::npos) << text;
  const auto back = core::parse_key_message(boost::json::parse(text).as_object());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, m.id);
  EXPECT_EQ(back->at, m.at);
  EXPECT_EQ(back->seq, m.seq);
  const auto& c = std::get<core::ApiKeyCreated>(back->event);
  EXPECT_EQ(c.hash, secret.hash);
  EXPECT_EQ(c.scopes, core::Scopes(3));
  EXPECT_EQ(c.rate_limit, (core::RateLimit{5, 10}));
  EXPECT_EQ(c.expires_at, TimestampNs{42 * kSecond});
  EXPECT_EQ(c.created_by, kCreator);

  const core::KeyMessage revoked{m.id, TimestampNs{8}, core::ApiKeyRevoked{}, Seq{10}};
  const auto revoked_back = core::parse_key_message(core::key_message(revoked));
  ASSERT_TRUE(revoked_back);
  EXPECT_TRUE(std::holds_alternative<core::ApiKeyRevoked>(revoked_back->event));
  auto broken = core::key_message(m);
  broken["hash"] = "zz";
  EXPECT_FALSE(core::parse_key_message(broken));
}

TEST(KeyCodec, EventsRoundTripAndOrderTypesAreNotKeyEvents) {
  const NewSecret secret = new_key_secret();
  const core::KeyEvent event = core::ApiKeyCreated{"bot", core::Scopes(3), secret.hash, core::RateLimit{5, 10},
                                                   TimestampNs{42 * kSecond}, kCreator};
  const auto back = core::decode_key_event(static_cast<std::uint8_t>(core::type_of(event)),
                                           core::encode_key_event(event));
  ASSERT_TRUE(back.has_value());
  const auto& c = std::get<core::ApiKeyCreated>(*back);
  EXPECT_EQ(c.name, "bot");
  EXPECT_EQ(c.scopes, core::Scopes(3));
  EXPECT_EQ(c.hash, secret.hash);
  EXPECT_EQ(c.rate_limit, (core::RateLimit{5, 10}));
  EXPECT_EQ(c.expires_at, TimestampNs{42 * kSecond});
  EXPECT_EQ(c.created_by, kCreator);
  core::ApiKeyCreated by_admin = c;
  by_admin.created_by.reset();
  const auto admin_back = core::decode_key_event(10, core::encode_key_event(by_admin));
  ASSERT_TRUE(admin_back.has_value());
  EXPECT_FALSE(std::get<core::ApiKeyCreated>(*admin_back).created_by.has_value()) << "absent: the admin key";
  EXPECT_FALSE(core::decode_key_event(1, core::encode_key_event(event)).has_value());
  EXPECT_FALSE(core::decode_key_event(10, "garbage").has_value());
  for (std::uint8_t t = 0; t < 10; ++t) EXPECT_FALSE(core::is_key_event(t)) << int(t);
  EXPECT_TRUE(core::is_key_event(10));
  EXPECT_TRUE(core::is_key_event(11));
}

TEST(Rfc3339, ParsesUtcAndOffsetsAndRefusesTheRest) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:01Z"), TimestampNs{kSecond});
  EXPECT_EQ(parse_rfc3339("1970-01-01T01:00:01+01:00"), TimestampNs{kSecond});
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:01.5Z"), TimestampNs{kSecond + kSecond / 2});
  EXPECT_EQ(parse_rfc3339("2027-01-31T00:00:00Z"), TimestampNs{1'801'353'600 * kSecond});
  EXPECT_EQ(parse_rfc3339("1969-12-31 23:59:59z"), TimestampNs{-kSecond}) << "a space for T, before 1970";
  EXPECT_EQ(parse_time("1000"), kSecond) << "digits: milliseconds";
  EXPECT_EQ(parse_time("1970-01-01T00:00:01.0000000019Z"), kSecond + 1) << "past nanoseconds, dropped";
  for (const char* bad : {"", "2027-01-31", "2027-02-30T00:00:00Z", "2027-01-31T24:00:00Z", "2027-01-31T00:00:00",
                          "2027-01-31T00:00:00.Z", "2027-01-31T00:00:00Zjunk", "27-01-31T00:00:00Z"}) {
    EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
  }
}

TEST(KeyRequest, ValidBodiesParseAndEachBadOneNamesItsField) {
  const TimestampNs now{1'700'000'000 * kSecond};
  auto ok = parse_key_request(boost::json::parse(R"({"name":"bot","scopes":["orders:write","orders:read"],
      "rateLimit":{"perSecond":5,"burst":10},"expiresAt":"2030-01-01T00:00:00Z"})"), now);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->name, "bot");
  EXPECT_TRUE(ok->scopes.has(core::Scope::orders_write));
  EXPECT_FALSE(ok->scopes.has(core::Scope::keys_admin));
  EXPECT_EQ(ok->rate_limit, (core::RateLimit{5, 10}));
  ASSERT_TRUE(ok->expires_at.has_value());

  const std::pair<const char*, const char*> cases[] = {
      {R"([])", ""},
      {R"({"scopes":["orders:read"]})", "name"},
      {R"({"name":"","scopes":["orders:read"]})", "name"},
      {R"({"name":"x"})", "scopes"},
      {R"({"name":"x","scopes":[]})", "scopes"},
      {R"({"name":"x","scopes":["orders:all"]})", "scopes"},
      {R"({"name":"x","scopes":["orders:read"],"rateLimit":{"perSecond":0,"burst":1}})", "rateLimit.perSecond"},
      {R"({"name":"x","scopes":["orders:read"],"rateLimit":{"perSecond":1}})", "rateLimit.burst"},
      {R"({"name":"x","scopes":["orders:read"],"expiresAt":"2001-01-01T00:00:00Z"})", "expiresAt"},
      {R"({"name":"x","scopes":["orders:read"],"expiresAt":"tomorrow"})", "expiresAt"},
      {R"({"name":"x","scopes":["orders:read"],"admin":true})", "admin"},
  };
  for (const auto& [body, field] : cases) {
    auto r = parse_key_request(boost::json::parse(body), now);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().status, 400) << body;
    EXPECT_EQ(r.error().field, field) << body;
  }
}

// What a creator may make: the admin key anything, an API key at most
// itself, with what is not given taken from it.
TEST(KeyRequest, AKeyMakesKeysAtMostAsStrongAsItselfAndTheAdminKeyAny) {
  const TimestampNs now{1'700'000'000 * kSecond};
  const auto request = [&](const char* body) {
    auto r = parse_key_request(boost::json::parse(body), now);
    EXPECT_TRUE(r) << body;
    return *r;
  };
  const core::KeyHash hash{};
  Principal admin;
  admin.kind = Principal::Kind::admin;
  admin.scopes = core::Scopes::all();
  auto by_admin = key_made_by(admin, request(R"({"name":"x","scopes":["keys:admin","orders:write"]})"), hash);
  ASSERT_TRUE(by_admin);
  EXPECT_EQ(by_admin->rate_limit, kDefaultKeyRateLimit) << "no limit given: the default";
  EXPECT_FALSE(by_admin->expires_at.has_value());
  EXPECT_FALSE(by_admin->created_by.has_value());
  by_admin = key_made_by(admin, request(R"({"name":"x","scopes":["orders:read"],"rateLimit":null})"), hash);
  ASSERT_TRUE(by_admin);
  EXPECT_TRUE(by_admin->rate_limit.unlimited()) << "null: no limit, on purpose";

  const TimestampNs expiry{now.value + 3600 * kSecond};
  Principal creator;
  creator.kind = Principal::Kind::key;
  creator.key = kCreator;
  creator.scopes = core::Scopes(static_cast<std::uint8_t>(core::Scope::keys_admin) |
                                static_cast<std::uint8_t>(core::Scope::orders_read));
  creator.rate_limit = core::RateLimit{5, 10};
  creator.expires_at = expiry;
  auto made = key_made_by(creator, request(R"({"name":"x","scopes":["orders:read"]})"), hash);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(made->created_by, kCreator);
  EXPECT_EQ(made->expires_at, expiry) << "no expiry given: its creator's";
  EXPECT_EQ(made->rate_limit, (core::RateLimit{5, 10})) << "no limit given: its creator's";
  made = key_made_by(creator, request(R"({"name":"x","scopes":["orders:read"],"rateLimit":{"perSecond":1,"burst":10},
                                          "expiresAt":"2023-11-14T22:43:20Z"})"),
                     hash);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(made->rate_limit, (core::RateLimit{1, 10}));

  const std::pair<const char*, const char*> refused[] = {
      {R"({"name":"x","scopes":["orders:write"]})", "scopes"},
      {R"({"name":"x","scopes":["orders:read","keys:admin","orders:write"]})", "scopes"},
      {R"({"name":"x","scopes":["orders:read"],"expiresAt":"2030-01-01T00:00:00Z"})", "expiresAt"},
      {R"({"name":"x","scopes":["orders:read"],"rateLimit":null})", "rateLimit"},
      {R"({"name":"x","scopes":["orders:read"],"rateLimit":{"perSecond":6,"burst":10}})", "rateLimit"},
      {R"({"name":"x","scopes":["orders:read"],"rateLimit":{"perSecond":5,"burst":11}})", "rateLimit"},
  };
  for (const auto& [body, field] : refused) {
    const auto r = key_made_by(creator, request(body), hash);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().status, 403) << body;
    EXPECT_EQ(r.error().code, "exceeds_creator") << body;
    EXPECT_EQ(r.error().field, field) << body;
  }
  // A key without a limit or an expiry of its own passes on the default
  // limit and no expiry.
  creator.rate_limit = {};
  creator.expires_at.reset();
  made = key_made_by(creator, request(R"({"name":"x","scopes":["keys:admin"]})"), hash);
  ASSERT_TRUE(made);
  EXPECT_EQ(made->rate_limit, kDefaultKeyRateLimit);
  EXPECT_FALSE(made->expires_at.has_value());
}

TEST(TokenBucket, BurstThenOnePerIntervalAndAnIdleBucketIsFullNotMore) {
  using namespace std::chrono_literals;
  const core::RateLimit limit{2, 3};  // 3 at once, then 2 a second
  const SteadyTime t0{};
  TokenBucket bucket(limit, t0);
  for (std::uint32_t left = 2;; --left) {
    const auto d = bucket.take(limit, t0);
    ASSERT_TRUE(d.allowed);
    EXPECT_EQ(d.limit, 3u);
    EXPECT_EQ(d.remaining, left);
    if (left == 0) break;
  }
  const auto refused = bucket.take(limit, t0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_s, 1u);  // half a second, rounded up
  EXPECT_EQ(refused.reset_s, 2u);        // 1.5 s to refill 3, rounded up
  EXPECT_FALSE(bucket.take(limit, t0 + 499ms).allowed);
  EXPECT_TRUE(bucket.take(limit, t0 + 500ms).allowed);
  EXPECT_FALSE(bucket.take(limit, t0 + 500ms).allowed);
  // A day idle fills it to its burst and no further.
  EXPECT_TRUE(bucket.full_at(limit, t0 + 24h));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(bucket.take(limit, t0 + 24h).allowed) << i;
  EXPECT_FALSE(bucket.take(limit, t0 + 24h).allowed);
}

TEST(RateLimiter, KeysHaveABucketPerKindAndAddressesOneForFailures) {
  RateLimiter limits;
  const SteadyTime now{};
  const core::KeyId key = core::KeyId::random();
  const core::RateLimit one{1, 1};
  EXPECT_TRUE(limits.key(key, RateLimiter::Kind::writes, one, now).allowed);
  EXPECT_FALSE(limits.key(key, RateLimiter::Kind::writes, one, now).allowed);
  EXPECT_TRUE(limits.key(key, RateLimiter::Kind::reads, one, now).allowed) << "reads are counted apart";
  EXPECT_TRUE(limits.key(core::KeyId::random(), RateLimiter::Kind::writes, one, now).allowed) << "another key";
  EXPECT_TRUE(limits.key(key, RateLimiter::Kind::writes, core::RateLimit{}, now).allowed) << "unlimited";
  EXPECT_EQ(limits.limited(), 1u);

  const auto from = boost::asio::ip::make_address("192.0.2.7");
  for (std::uint32_t i = 0; i < RateLimiter::kFailures.burst; ++i) {
    EXPECT_TRUE(limits.failing(from, now).allowed) << i;
    limits.failed(from, AuthFailure::unknown, now);
  }
  EXPECT_FALSE(limits.failing(from, now).allowed);
  EXPECT_TRUE(limits.failing(from, now + std::chrono::seconds(1)).allowed) << "one more a second";
  const auto other = boost::asio::ip::make_address("192.0.2.8");
  limits.failed(other, AuthFailure::missing, now);
  EXPECT_TRUE(limits.failing(other, now).allowed);
  // A gateway that does not know the keys yet is not the client's failure.
  for (int i = 0; i < 100; ++i) limits.failed(other, AuthFailure::unavailable, now);
  EXPECT_TRUE(limits.failing(other, now).allowed);
  EXPECT_EQ(limits.failures(AuthFailure::unknown), RateLimiter::kFailures.burst);
  EXPECT_EQ(limits.failures(AuthFailure::missing), 1u);
  EXPECT_EQ(limits.failures(AuthFailure::unavailable), 100u);
}

// An IPv6 client can pick any address of its /64: failures count against
// the /64; an IPv4 address counts alike whether mapped into IPv6 or not.
TEST(RateLimiter, FailuresCountPerAddressAndPerIpv6Slash64) {
  RateLimiter limits;
  const SteadyTime now{};
  const auto exhaust = [&](const char* address) {
    for (std::uint32_t i = 0; i < RateLimiter::kFailures.burst; ++i)
      limits.failed(boost::asio::ip::make_address(address), AuthFailure::unknown, now);
  };
  exhaust("2001:db8:1:2::1");
  EXPECT_FALSE(limits.failing(boost::asio::ip::make_address("2001:db8:1:2:ffff:ffff:ffff:ffff"), now).allowed);
  EXPECT_TRUE(limits.failing(boost::asio::ip::make_address("2001:db8:1:3::1"), now).allowed) << "another /64";
  exhaust("::ffff:192.0.2.9");
  EXPECT_FALSE(limits.failing(boost::asio::ip::make_address("192.0.2.9"), now).allowed);
  EXPECT_TRUE(limits.failing(boost::asio::ip::make_address("192.0.2.10"), now).allowed);
}

// A table full of busy addresses makes room by forgetting one, the least
// throttled: a scan of fresh addresses does not free a throttled guesser.
TEST(RateLimiter, AFullTableForgetsTheLeastThrottledNotEveryone) {
  RateLimiter limits;
  const SteadyTime now{};
  const auto guesser = boost::asio::ip::make_address("198.51.100.1");
  for (std::uint32_t i = 0; i < RateLimiter::kFailures.burst; ++i) limits.failed(guesser, AuthFailure::unknown, now);
  ASSERT_FALSE(limits.failing(guesser, now).allowed);
  for (std::uint32_t i = 0; i < 20'000; ++i)
    limits.failed(boost::asio::ip::address_v4(0x0A000000 + i), AuthFailure::unknown, now);
  EXPECT_FALSE(limits.failing(guesser, now).allowed) << "the guesser was forgotten with the scan";
}

}  // namespace
}  // namespace oee::api
