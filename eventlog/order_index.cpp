#include "eventlog/detail/order_index.h"

#include <algorithm>
#include <cstring>

#include "eventlog/record_codec.h"

namespace oee::eventlog::detail {

namespace {

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Reads what put_varint and put_body wrote, refusing anything that runs past the end.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool varint(std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return false;
      const auto byte = static_cast<std::uint8_t>(data_[pos_++]);
      v |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }
  bool bytes(std::size_t n, std::string_view& out) {
    if (data_.size() - pos_ < n) return false;
    out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  [[nodiscard]] bool done() const { return pos_ == data_.size(); }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

void put_body(std::string& out, std::string_view snapshot, const std::vector<Seq>& seqs) {
  put_varint(out, snapshot.size());
  out.append(snapshot);
  put_varint(out, seqs.size());
  std::uint64_t previous = 0;
  for (const auto seq : seqs) {
    put_varint(out, seq.value - previous);  // seqs rise: small deltas
    previous = seq.value;
  }
}

bool read_body(Reader& in, IndexedOrder& out) {
  std::uint64_t len = 0;
  std::string_view snapshot;
  if (!in.varint(len) || !in.bytes(len, snapshot)) return false;
  out.snapshot.assign(snapshot);
  std::uint64_t n = 0;
  if (!in.varint(n) || n == 0) return false;
  out.seqs.clear();
  std::uint64_t seq = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::uint64_t delta = 0;
    if (!in.varint(delta) || delta == 0) return false;
    seq += delta;
    out.seqs.push_back(Seq{seq});
  }
  return true;
}

}  // namespace

OrderId order_at(const char* bytes) {
  OrderId::Bytes b;
  std::memcpy(b.data(), bytes, b.size());
  return OrderId{b};
}

std::string encode_order_record(std::string_view snapshot, const std::vector<Seq>& seqs) {
  std::string out;
  out.reserve(snapshot.size() + 8 + seqs.size() * 3);
  put_body(out, snapshot, seqs);
  append_crc32c(out);
  return out;
}

Result<IndexedOrder> decode_order_record(const OrderId& order, std::string_view value) {
  const auto body = checked_body(value);
  if (!body) return make_error_code(Errc::corrupted);
  Reader in(*body);
  IndexedOrder out{order, {}, {}};
  if (!read_body(in, out) || !in.done()) return make_error_code(Errc::corrupted);
  return out;
}

Result<std::vector<IndexedOrder>> decode_checkpoint(std::string_view value) {
  const auto body = checked_body(value);
  if (!body) return make_error_code(Errc::corrupted);
  Reader in(*body);
  std::uint64_t count = 0;
  if (!in.varint(count)) return make_error_code(Errc::corrupted);
  std::vector<IndexedOrder> out;
  out.reserve(std::min<std::uint64_t>(count, body->size()));
  for (std::uint64_t i = 0; i < count; ++i) {
    std::string_view id;
    if (!in.bytes(OrderId::Bytes{}.size(), id)) return make_error_code(Errc::corrupted);
    IndexedOrder order{order_at(id.data()), {}, {}};
    if (!read_body(in, order)) return make_error_code(Errc::corrupted);
    out.push_back(std::move(order));
  }
  if (!in.done()) return make_error_code(Errc::corrupted);
  return out;
}

std::optional<OrderSnapshotEntry> OrderIndex::snapshot(const OrderId& order) const {
  std::lock_guard lock(mu_);
  const auto it = open_.find(order);
  if (it == open_.end() || it->second.snapshot.empty()) return std::nullopt;
  return OrderSnapshotEntry{it->second.seqs.back(), it->second.snapshot};
}

std::optional<IndexedOrder> OrderIndex::open_order(const OrderId& order) const {
  std::lock_guard lock(mu_);
  const auto it = open_.find(order);
  if (it == open_.end()) return std::nullopt;
  return IndexedOrder{order, it->second.snapshot, it->second.seqs};
}

bool OrderIndex::contains(const OrderId& order) const {
  std::lock_guard lock(mu_);
  return open_.contains(order);
}

std::optional<std::vector<Seq>> OrderIndex::seqs(const OrderId& order) const {
  std::lock_guard lock(mu_);
  const auto it = open_.find(order);
  if (it == open_.end()) return std::nullopt;
  return it->second.seqs;
}

std::vector<OrderId> OrderIndex::ids(std::size_t max) const {
  std::vector<OrderId> out;
  {
    std::lock_guard lock(mu_);
    out.reserve(open_.size());
    for (const auto& [id, entry] : open_) out.push_back(id);
  }
  // In the order of their bytes, as every stored set lists.
  std::sort(out.begin(), out.end());
  if (out.size() > max) out.resize(max);
  return out;
}

std::size_t OrderIndex::size() const {
  std::lock_guard lock(mu_);
  return open_.size();
}

const OrderIndex::Entry* OrderIndex::find(const OrderId& order) const {
  const auto it = open_.find(order);
  return it == open_.end() ? nullptr : &it->second;
}

std::size_t OrderIndex::apply(std::span<Update> updates) {
  std::lock_guard lock(mu_);
  for (auto& u : updates) {
    if (u.finishes) {
      open_.erase(u.order);
      continue;
    }
    auto [it, inserted] = open_.try_emplace(u.order);
    if (inserted && u.reopened) it->second = std::move(*u.reopened);
    if (!u.snapshot.empty()) it->second.snapshot = std::move(u.snapshot);
    it->second.seqs.push_back(u.seq);
  }
  return open_.size();
}

std::string OrderIndex::encode_checkpoint() const {
  std::string out;
  put_varint(out, open_.size());
  for (const auto& [id, entry] : open_) {
    out.append(id.view());
    put_body(out, entry.snapshot, entry.seqs);
  }
  append_crc32c(out);
  return out;
}

void OrderIndex::load_checkpoint(std::vector<IndexedOrder> orders) {
  std::lock_guard lock(mu_);
  open_.clear();
  open_.reserve(orders.size());
  for (auto& o : orders) open_.emplace(o.order, Entry{std::move(o.snapshot), std::move(o.seqs)});
}

}  // namespace oee::eventlog::detail
