// format_term: io_lib:format("~0tp") for every term erl can print the same
// way, and readable forms for pids, ports, references and funs (see
// beamlink/term_text.h and text/node_text.h).
#include <string>
#include <variant>

#include "beamlink/term_text.h"
#include "text/atom_text.h"
#include "text/chars.h"
#include "text/float_text.h"
#include "text/node_text.h"

namespace beamlink {
namespace {

using text::append_quoted_char;

class Printer {
 public:
  Printer(const TermTextOptions& options, std::string& out) : options_(options), out_(out) {}

  void print(const Term& term) {
    term.visit([this](const auto& value) { write(value); });
  }

 private:
  void write(int64_t value) { out_ += std::to_string(value); }
  void write(const BigInt& value) { out_ += value.to_decimal(); }
  void write(double value) { out_ += text::format_float(value); }
  void write(const Atom& atom) { text::append_atom(atom.name, out_); }

  void write(const Reference& ref) {
    out_ += "#Ref<";
    text::append_node(ref.node.name, options_, out_);
    for (auto id = ref.ids.rbegin(); id != ref.ids.rend(); ++id) {
      out_ += '.';
      out_ += std::to_string(*id);
    }
    out_ += '>';
  }

  void write(const ExportFun& fun) {
    out_ += "fun ";
    text::append_atom(fun.module.name, out_);
    out_ += ':';
    text::append_atom(fun.function.name, out_);
    out_ += '/';
    out_ += std::to_string(fun.arity);
  }

  void write(const Closure& fun) {
    out_ += "#Fun<";
    text::append_atom(fun.module.name, out_);
    out_ += '.' + std::to_string(fun.old_index) + '.' + std::to_string(fun.old_uniq) + '>';
  }

  void write(const Port& port) {
    out_ += "#Port<";
    text::append_node(port.node.name, options_, out_);
    out_ += '.' + std::to_string(port.id) + '>';
  }

  void write(const Pid& pid) {
    out_ += '<';
    text::append_node(pid.node.name, options_, out_);
    out_ += '.' + std::to_string(pid.id) + '.' + std::to_string(pid.serial) + '>';
  }

  void write(const Tuple& tuple) {
    out_ += '{';
    write_elements(tuple.elements);
    out_ += '}';
  }

  void write(const Map& map) {
    out_ += "#{";
    bool first = true;
    for (const auto& [key, value] : map.entries) {
      if (!first) out_ += ',';
      first = false;
      print(key);
      out_ += " => ";
      print(value);
    }
    out_ += '}';
  }

  void write(const List& list) {
    if (list.proper() && printable_string(list)) {
      out_ += '"';
      for (const Term& c : list.elements) append_quoted_char(char32_t(c.as<int64_t>()), '"', out_);
      out_ += '"';
      return;
    }
    out_ += '[';
    write_elements(list.elements);
    if (!list.proper()) {
      out_ += '|';
      print(*list.tail);
    }
    out_ += ']';
  }

  void write(const Binary& binary) {
    std::string_view bytes = binary.bytes.view();
    out_ += "<<";
    if (options_.unicode_strings && text::valid_utf8(bytes)) {
      write_utf8_binary(bytes);
    } else if (printable_latin1_bytes(bytes)) {
      out_ += '"';
      for (char c : bytes) append_quoted_char(char32_t(uint8_t(c)), '"', out_);
      out_ += '"';
    } else {
      write_byte_values(bytes);
    }
    out_ += ">>";
  }

  void write(const BitString& bits) {
    std::string_view bytes = bits.bytes.view();
    out_ += "<<";
    if (!bytes.empty()) {
      write_byte_values(bytes.substr(0, bytes.size() - 1));
      if (bytes.size() > 1) out_ += ',';
      out_ += std::to_string(uint8_t(bytes.back()) >> (8 - bits.bits));
      out_ += ':' + std::to_string(bits.bits);
    }
    out_ += ">>";
  }

  // Valid UTF-8: <<"text">> when plain ASCII, <<"text"/utf8>> when it has
  // wider characters, byte values when a character is not printable.
  void write_utf8_binary(std::string_view bytes) {
    bool ascii = true;
    for (std::string_view rest = bytes; !rest.empty();) {
      auto decoded = text::decode_utf8(rest);
      if (!text::printable_unicode(decoded->code_point)) {
        write_byte_values(bytes);
        return;
      }
      ascii = ascii && decoded->length == 1;
      rest.remove_prefix(decoded->length);
    }
    if (bytes.empty()) return;
    out_ += '"';
    for (std::string_view rest = bytes; !rest.empty();) {
      auto decoded = text::decode_utf8(rest);
      append_quoted_char(decoded->code_point, '"', out_);
      rest.remove_prefix(decoded->length);
    }
    out_ += ascii ? "\"" : "\"/utf8";
  }

  void write_byte_values(std::string_view bytes) {
    for (size_t i = 0; i < bytes.size(); ++i) {
      if (i != 0) out_ += ',';
      out_ += std::to_string(uint8_t(bytes[i]));
    }
  }

  void write_elements(const std::vector<Term>& elements) {
    for (size_t i = 0; i < elements.size(); ++i) {
      if (i != 0) out_ += ',';
      print(elements[i]);
    }
  }

  bool printable_string(const List& list) const {
    if (list.elements.empty()) return false;
    for (const Term& element : list.elements) {
      const int64_t* c = element.get_if<int64_t>();
      if (c == nullptr) return false;
      if (!(options_.unicode_strings ? text::printable_unicode(*c) : text::printable_latin1(*c))) {
        return false;
      }
    }
    return true;
  }

  static bool printable_latin1_bytes(std::string_view bytes) {
    if (bytes.empty()) return false;
    for (char c : bytes) {
      if (!text::printable_latin1(uint8_t(c))) return false;
    }
    return true;
  }

  const TermTextOptions& options_;
  std::string& out_;
};

}  // namespace

std::string format_term(const Term& term, const TermTextOptions& options) {
  std::string out;
  Printer(options, out).print(term);
  return out;
}

}  // namespace beamlink
