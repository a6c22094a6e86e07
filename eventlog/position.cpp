#include "eventlog/position.h"

#include <algorithm>
#include <charconv>

namespace oee::eventlog {

namespace {
// Seqs a client may write: far beyond any log, and small enough that one
// past them still fits.
constexpr std::uint64_t kMaxSeq = 9'223'372'036'854'775'807ULL;

std::optional<std::uint64_t> number(std::string_view text) {
  std::uint64_t n = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size() || n > kMaxSeq) return std::nullopt;
  return n;
}
}  // namespace

void Position::advance(PartitionId p, Seq seq) {
  if (seq <= at(p)) return;
  set(p, seq);
}

void Position::set(PartitionId p, Seq seq) {
  if (p.value >= last_.size()) {
    if (seq.value == 0) return;
    last_.resize(p.value + 1);
  }
  last_[p.value] = seq;
}

void Position::advance(const Position& other) {
  for (const PartitionId p : each_partition(other.size())) advance(p, other.at(p));
}

Position Position::written_as(bool partitioned) const {
  Position out = *this;
  out.partitioned_ = partitioned;
  return out;
}

std::uint64_t Position::total() const {
  std::uint64_t sum = 0;
  for (const auto s : last_) sum += s.value;
  return sum;
}

std::string Position::next_text() const {
  if (!partitioned_) return std::to_string(at(PartitionId{0}).value + 1);
  std::string out;
  for (std::uint32_t p = 0; p < size(); ++p) {
    if (last_[p].value == 0) continue;
    if (!out.empty()) out.push_back(',');
    out += std::to_string(p) + ':' + std::to_string(last_[p].value + 1);
  }
  return out;
}

std::optional<Position> Position::parse_next(std::string_view text, bool partitioned, std::uint32_t partitions) {
  Position out(partitioned);
  if (!partitioned) {
    const auto n = number(text);
    if (!n) return std::nullopt;
    out.set(PartitionId{0}, Seq{*n == 0 ? 0 : *n - 1});
    return out;
  }
  std::vector<bool> named;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto item = text.substr(0, comma);
    const auto colon = item.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    const auto p = number(item.substr(0, colon));
    const auto seq = number(item.substr(colon + 1));
    if (!p || !seq || *p >= partitions) return std::nullopt;
    if (named.size() <= *p) named.resize(*p + 1, false);
    if (named[*p]) return std::nullopt;
    named[*p] = true;
    out.set(PartitionId{static_cast<std::uint32_t>(*p)}, Seq{*seq == 0 ? 0 : *seq - 1});
    if (comma == std::string_view::npos) return out;
    text.remove_prefix(comma + 1);
    if (text.empty()) return std::nullopt;  // a trailing comma
  }
  return out;
}

bool operator==(const Position& a, const Position& b) {
  if (a.partitioned_ != b.partitioned_) return false;
  const auto n = std::max(a.size(), b.size());
  for (const PartitionId p : each_partition(n)) {
    if (a.at(p) != b.at(p)) return false;
  }
  return true;
}

}  // namespace oee::eventlog
