#include "beamlink/result.h"

namespace beamlink {

std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::invalid_argument:
      return "invalid argument";
    case Errc::malformed:
      return "malformed";
    case Errc::limit_exceeded:
      return "limit exceeded";
    case Errc::unsupported:
      return "unsupported";
    case Errc::io:
      return "i/o error";
    case Errc::timeout:
      return "timeout";
    case Errc::not_found:
      return "not found";
    case Errc::refused:
      return "refused";
    case Errc::closed:
      return "closed";
  }
  return "error";
}

std::string Error::to_string() const {
  std::string out(errc_name(code));
  out += ": ";
  out += message;
  return out;
}

}  // namespace beamlink
