// Which peers a node watches closely; see watch_ring.h.
#include "dist/watch_ring.h"

#include <algorithm>

namespace beamlink::dist {

std::vector<std::string> watched_peers(const std::string& self, std::vector<std::string> peers,
                                       unsigned k) {
  peers.push_back(self);
  std::sort(peers.begin(), peers.end());
  peers.erase(std::unique(peers.begin(), peers.end()), peers.end());
  const size_t n = peers.size();
  const size_t at =
      static_cast<size_t>(std::lower_bound(peers.begin(), peers.end(), self) - peers.begin());
  const size_t count = std::min<size_t>(k, n - 1);
  std::vector<std::string> watched;
  watched.reserve(count);
  for (size_t i = 1; i <= count; ++i) watched.push_back(peers[(at + n - i) % n]);
  std::sort(watched.begin(), watched.end());
  return watched;
}

}  // namespace beamlink::dist
