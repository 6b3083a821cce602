#include "text/float_text.h"

#include <charconv>
#include <cmath>
#include <string>

namespace beamlink::text {
namespace {

// The shortest round-trip digits of |value| (no leading or trailing zeros)
// and the decimal point's place: |value| = 0.<digits> * 10^place.
struct Shortest {
  std::string digits;
  int place;
};

Shortest shortest_digits(double magnitude) {
  char buffer[64];
  auto [end, error] =
      std::to_chars(buffer, buffer + sizeof buffer, magnitude, std::chars_format::scientific);
  std::string_view text(buffer, size_t(end - buffer));  // d[.ddd]e[+-]xx
  size_t e = text.find('e');
  Shortest out;
  for (char c : text.substr(0, e)) {
    if (c != '.') out.digits += c;
  }
  int exponent = 0;
  std::string_view exponent_text = text.substr(e + 1);
  if (exponent_text.front() == '+') exponent_text.remove_prefix(1);
  std::from_chars(exponent_text.data(), exponent_text.data() + exponent_text.size(), exponent);
  while (out.digits.size() > 1 && out.digits.back() == '0') out.digits.pop_back();
  out.place = exponent + 1;
  return out;
}

std::string scientific(const Shortest& s) {
  std::string out(1, s.digits[0]);
  out += '.';
  out += s.digits.size() == 1 ? "0" : s.digits.substr(1);
  out += 'e';
  out += std::to_string(s.place - 1);
  return out;
}

std::string plain(const Shortest& s) {
  int length = int(s.digits.size());
  if (s.place <= 0) return "0." + std::string(size_t(-s.place), '0') + s.digits;
  if (s.place < length) {
    return s.digits.substr(0, size_t(s.place)) + "." + s.digits.substr(size_t(s.place));
  }
  return s.digits + std::string(size_t(s.place - length), '0') + ".0";
}

}  // namespace

std::string format_float(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  std::string sign = std::signbit(value) ? "-" : "";
  double magnitude = std::fabs(value);
  if (magnitude == 0) return sign + "0.0";
  Shortest s = shortest_digits(magnitude);
  std::string sci = scientific(s);
  bool whole = s.place >= int(s.digits.size());
  if (whole && magnitude >= 9007199254740992.0) return sign + sci;
  std::string dec = plain(s);
  return sign + (dec.size() <= sci.size() ? dec : sci);
}

}  // namespace beamlink::text
