// `beamlink term encode|decode`: Erlang text syntax to ETF bytes and back,
// for debugging what crosses the wire.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "beamlink/etf.h"
#include "beamlink/term_text.h"
#include "command.h"

namespace beamlink::cli {
namespace {

constexpr size_t kMaxInput = 256u << 20;

std::string read_stdin() {
  std::string data;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) {
    data.append(buf, n);
    if (data.size() > kMaxInput) break;
  }
  return data;
}

std::string to_hex(std::span<const uint8_t> bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

Result<std::vector<uint8_t>> from_hex(std::string_view text) {
  std::vector<uint8_t> out;
  int high = -1;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    int v = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (v < 0)
      return fail(Errc::invalid_argument, "not a hex digit at position " + std::to_string(i));
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  if (high >= 0) return fail(Errc::invalid_argument, "odd number of hex digits");
  return out;
}

// Input given as <<131,104,...>> is read as an Erlang binary.
Result<std::vector<uint8_t>> bytes_from_text(std::string_view text) {
  size_t start = text.find_first_not_of(" \t\r\n");
  if (start != std::string_view::npos && text.substr(start, 2) == "<<") {
    auto term = parse_term(text);
    if (!term) return std::unexpected(term.error());
    const Binary* bin = term->get_if<Binary>();
    if (bin == nullptr) return fail(Errc::invalid_argument, "expected a binary <<...>>");
    return std::vector<uint8_t>(bin->bytes.span().begin(), bin->bytes.span().end());
  }
  return from_hex(text);
}

class EncodeCommand : public Command {
 public:
  void add_options(CLI::App& app) override {
    app.add_option("term", text_, "Term in Erlang syntax, e.g. '{ok,[1,2,3]}' (default: stdin)");
    app.add_flag("--compressed", compressed_, "Compress like term_to_binary(T, [compressed])");
    app.add_option("--format", format_, "Output: hex, erlang (<<131,...>>) or raw bytes")
        ->check(CLI::IsMember({"hex", "erlang", "raw"}))
        ->capture_default_str();
  }

  int run() override {
    if (text_.empty()) text_ = read_stdin();
    auto term = parse_term(text_);
    if (!term) {
      std::cerr << "beamlink term encode: " << term.error().to_string() << "\n";
      return 1;
    }
    etf::EncodeOptions options;
    options.compress = compressed_;
    auto bytes = etf::encode(*term, options);
    if (!bytes) {
      std::cerr << "beamlink term encode: " << bytes.error().to_string() << "\n";
      return 1;
    }
    if (format_ == "raw") {
      std::fwrite(bytes->data(), 1, bytes->size(), stdout);
    } else if (format_ == "erlang") {
      std::cout << format_term(Term(Binary{Bytes::copy(*bytes)})) << "\n";
    } else {
      std::cout << to_hex(*bytes) << "\n";
    }
    return 0;
  }

 private:
  std::string text_;
  bool compressed_ = false;
  std::string format_ = "hex";
};

class DecodeCommand : public Command {
 public:
  void add_options(CLI::App& app) override {
    app.add_option("bytes", input_, "ETF bytes as hex or as <<131,...>> (default: stdin)");
    app.add_flag("--raw", raw_, "Read raw ETF bytes from stdin instead of text");
  }

  int run() override {
    std::vector<uint8_t> bytes;
    if (raw_) {
      std::string data = read_stdin();
      bytes.assign(data.begin(), data.end());
    } else {
      if (input_.empty()) input_ = read_stdin();
      auto parsed = bytes_from_text(input_);
      if (!parsed) {
        std::cerr << "beamlink term decode: " << parsed.error().to_string() << "\n";
        return 1;
      }
      bytes = std::move(*parsed);
    }
    auto term = etf::decode(bytes);
    if (!term) {
      std::cerr << "beamlink term decode: " << term.error().to_string() << "\n";
      return 1;
    }
    std::cout << format_term(*term) << "\n";
    return 0;
  }

 private:
  std::string input_;
  bool raw_ = false;
};

class TermCommand : public Command {
 public:
  void add_options(CLI::App& app) override {
    app.require_subcommand(1, 1);
    encode_sub_ = app.add_subcommand("encode", "Erlang text syntax to ETF bytes");
    encode_.add_options(*encode_sub_);
    decode_sub_ = app.add_subcommand("decode", "ETF bytes to Erlang text syntax");
    decode_.add_options(*decode_sub_);
  }

  int run() override { return encode_sub_->parsed() ? encode_.run() : decode_.run(); }

 private:
  EncodeCommand encode_;
  DecodeCommand decode_;
  CLI::App* encode_sub_ = nullptr;
  CLI::App* decode_sub_ = nullptr;
};

}  // namespace

std::unique_ptr<Command> make_term_command() {
  return std::make_unique<TermCommand>();
}

}  // namespace beamlink::cli
