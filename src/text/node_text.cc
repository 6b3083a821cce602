#include "text/node_text.h"

#include "text/atom_text.h"

namespace beamlink::text {

bool local_node(std::string_view node, const TermTextOptions& options) {
  return node == options.local_node || node == "nonode@nohost";
}

bool node_prints_bare(std::string_view node) {
  if (node.find('@') == std::string_view::npos) return false;
  bool part_has_non_digit = false;
  size_t part_length = 0;
  for (char c : node) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (c == '.') {
      if (part_length == 0) return false;
      part_length = 0;
      part_has_non_digit = false;
      continue;
    }
    if (!alnum && c != '_' && c != '@' && c != '-') return false;
    ++part_length;
    if (c < '0' || c > '9') part_has_non_digit = true;
  }
  return part_length != 0 && part_has_non_digit;
}

void append_node(std::string_view node, const TermTextOptions& options, std::string& out) {
  if (local_node(node, options)) {
    out += '0';
  } else if (node_prints_bare(node)) {
    out += node;
  } else {
    append_quoted(node, '\'', out);
  }
}

}  // namespace beamlink::text
