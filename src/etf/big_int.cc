// BigInt's decimal text and double conversions. Magnitudes are regrouped
// into 32-bit words so each schoolbook step handles nine decimal digits at a
// time: quadratic, and fast enough for numbers of many thousands of digits.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "beamlink/term.h"
#include "etf/big_int_digits.h"

namespace beamlink {
namespace {

// Decimal digit strings longer than this are refused by parse_decimal.
constexpr size_t kMaxDecimalDigits = 100000;

std::vector<uint32_t> words_of(const std::vector<uint8_t>& magnitude) {
  std::vector<uint32_t> words((magnitude.size() + 3) / 4, 0);
  for (size_t i = 0; i < magnitude.size(); ++i) {
    words[i / 4] |= uint32_t{magnitude[i]} << (8 * (i % 4));
  }
  while (!words.empty() && words.back() == 0) words.pop_back();
  return words;
}

std::vector<uint8_t> bytes_of(const std::vector<uint32_t>& words) {
  std::vector<uint8_t> bytes;
  bytes.reserve(words.size() * 4);
  for (uint32_t word : words) {
    for (int shift = 0; shift < 32; shift += 8) bytes.push_back(uint8_t(word >> shift));
  }
  while (!bytes.empty() && bytes.back() == 0) bytes.pop_back();
  return bytes;
}

// words = words * factor + addend.
void multiply_add(std::vector<uint32_t>& words, uint32_t factor, uint32_t addend) {
  uint64_t carry = addend;
  for (uint32_t& word : words) {
    uint64_t product = uint64_t{word} * factor + carry;
    word = uint32_t(product);
    carry = product >> 32;
  }
  if (carry != 0) words.push_back(uint32_t(carry));
}

// words = words / divisor; returns the remainder. Drops leading zero words.
uint32_t divide(std::vector<uint32_t>& words, uint32_t divisor) {
  uint64_t remainder = 0;
  for (size_t i = words.size(); i-- > 0;) {
    uint64_t current = (remainder << 32) | words[i];
    words[i] = uint32_t(current / divisor);
    remainder = current % divisor;
  }
  while (!words.empty() && words.back() == 0) words.pop_back();
  return uint32_t(remainder);
}

}  // namespace

namespace etf {

std::vector<uint8_t> magnitude_from_digits(std::span<const uint8_t> digits, unsigned base) {
  // The most digits whose value fits one 32-bit word.
  size_t chunk = 1;
  uint64_t chunk_factor = base;
  while (chunk_factor * base <= std::numeric_limits<uint32_t>::max()) {
    chunk_factor *= base;
    ++chunk;
  }
  std::vector<uint32_t> words;
  for (size_t start = 0; start < digits.size(); start += chunk) {
    size_t end = std::min(digits.size(), start + chunk);
    uint32_t factor = 1;
    uint32_t value = 0;
    for (size_t i = start; i < end; ++i) {
      factor *= base;
      value = value * base + digits[i];
    }
    multiply_add(words, factor, value);
  }
  return bytes_of(words);
}

Term integer_from_magnitude(bool negative, std::vector<uint8_t> magnitude) {
  if (magnitude.size() <= 8) {
    uint64_t value = 0;
    for (size_t i = magnitude.size(); i-- > 0;) value = (value << 8) | magnitude[i];
    constexpr uint64_t kMaxPositive = uint64_t{std::numeric_limits<int64_t>::max()};
    if (!negative && value <= kMaxPositive) return Term(int64_t(value));
    if (negative && value <= kMaxPositive + 1) return Term(int64_t(0 - value));
  }
  return Term(BigInt{negative, std::move(magnitude)});
}

}  // namespace etf

std::string BigInt::to_decimal() const {
  std::vector<uint32_t> words = words_of(magnitude);
  if (words.empty()) return "0";
  std::vector<uint32_t> groups;  // base 10^9, least significant first
  while (!words.empty()) groups.push_back(divide(words, 1000000000));
  std::string out = negative ? "-" : "";
  out += std::to_string(groups.back());
  for (size_t i = groups.size() - 1; i-- > 0;) {
    std::string group = std::to_string(groups[i]);
    out.append(9 - group.size(), '0');
    out += group;
  }
  return out;
}

std::optional<Term> BigInt::parse_decimal(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text.empty() || text.size() > kMaxDecimalDigits) return std::nullopt;
  std::vector<uint8_t> digits;
  digits.reserve(text.size());
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    digits.push_back(uint8_t(c - '0'));
  }
  return etf::integer_from_magnitude(negative, etf::magnitude_from_digits(digits, 10));
}

double BigInt::to_double() const {
  size_t top = magnitude.size();
  while (top > 0 && magnitude[top - 1] == 0) --top;
  if (top == 0) return negative ? -0.0 : 0.0;
  size_t bit_length = (top - 1) * 8 + size_t(std::bit_width(magnitude[top - 1]));
  // Keep the top 64 bits and fold every lower bit into a sticky bit, so the
  // one rounding the uint64 -> double conversion does is the correct one.
  size_t shift = bit_length > 64 ? bit_length - 64 : 0;
  uint64_t high = 0;
  bool sticky = false;
  for (size_t bit = 0; bit < top * 8; ++bit) {
    bool set = (magnitude[bit / 8] >> (bit % 8)) & 1;
    if (bit < shift) {
      sticky = sticky || set;
    } else if (set) {
      high |= uint64_t{1} << (bit - shift);
    }
  }
  if (sticky) high |= 1;
  double value = std::ldexp(double(high), int(std::min<size_t>(shift, 4096)));
  return negative ? -value : value;
}

}  // namespace beamlink
