#include "etf/compression.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

namespace beamlink::etf {

namespace {

// zlib's best case is about 1032:1, so a stream that claims more is lying;
// refusing it before allocating keeps tiny inputs from reserving max_size.
constexpr size_t kMaxInflateRatio = 1100;
constexpr size_t kFirstOutput = 64u << 10;

struct InflateStream {
  z_stream z{};
  bool ready = false;
  ~InflateStream() {
    if (ready) inflateEnd(&z);
  }
};

struct DeflateStream {
  z_stream z{};
  bool ready = false;
  ~DeflateStream() {
    if (ready) deflateEnd(&z);
  }
};

}  // namespace

Result<std::vector<uint8_t>> inflate_exact(std::span<const uint8_t> compressed, size_t declared) {
  if (declared / kMaxInflateRatio > compressed.size()) {
    return fail(Errc::malformed, "declares " + std::to_string(declared) +
                                     " uncompressed bytes, impossible from " +
                                     std::to_string(compressed.size()) + " compressed bytes");
  }
  if (compressed.size() > std::numeric_limits<uInt>::max() ||
      declared > std::numeric_limits<uInt>::max()) {
    return fail(Errc::limit_exceeded, "compressed term too large for zlib");
  }
  // The output grows with what actually inflates (doubling, capped by the
  // declared size), so a stream that lies about its size or breaks early
  // costs about what it produced, not what it declared.
  std::vector<uint8_t> out(std::min(declared, std::max(kFirstOutput, 4 * compressed.size())));
  InflateStream stream;
  if (inflateInit(&stream.z) != Z_OK) return fail(Errc::io, "zlib inflateInit failed");
  stream.ready = true;
  stream.z.next_in = const_cast<Bytef*>(compressed.data());
  stream.z.avail_in = static_cast<uInt>(compressed.size());
  stream.z.next_out = out.data();
  stream.z.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&stream.z, Z_SYNC_FLUSH);
  while (rc == Z_OK && stream.z.avail_out == 0 && out.size() < declared) {
    const size_t produced = out.size();
    out.resize(std::min(declared, produced * 2));
    stream.z.next_out = out.data() + produced;
    stream.z.avail_out = static_cast<uInt>(out.size() - produced);
    rc = inflate(&stream.z, Z_SYNC_FLUSH);
  }
  // One spare byte detects a stream that inflates to more than declared.
  uint8_t spare = 0;
  if (rc == Z_OK && stream.z.avail_out == 0) {
    stream.z.next_out = &spare;
    stream.z.avail_out = 1;
    rc = inflate(&stream.z, Z_SYNC_FLUSH);
  }
  if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_MEM_ERROR || rc == Z_STREAM_ERROR) {
    std::string why = stream.z.msg != nullptr ? stream.z.msg : "error " + std::to_string(rc);
    return fail(Errc::malformed, "bad zlib stream: " + why);
  }
  if (stream.z.total_out > declared) {
    return fail(Errc::malformed,
                "inflates to more than the declared " + std::to_string(declared) + " bytes");
  }
  if (rc != Z_STREAM_END) {
    return fail(Errc::malformed, "zlib stream is truncated after " +
                                     std::to_string(stream.z.total_out) + " of " +
                                     std::to_string(declared) + " bytes");
  }
  if (stream.z.total_out != declared) {
    return fail(Errc::malformed, "inflates to " + std::to_string(stream.z.total_out) +
                                     " bytes but declares " + std::to_string(declared));
  }
  if (stream.z.avail_in != 0) {
    return fail(Errc::malformed,
                std::to_string(stream.z.avail_in) + " bytes follow the end of the zlib stream");
  }
  return out;
}

Result<void> deflate_to(std::vector<uint8_t>& out, std::span<const uint8_t> raw, int level) {
  if (level < 0 || level > 9) {
    return fail(Errc::invalid_argument, "compression level " + std::to_string(level));
  }
  if (raw.size() > std::numeric_limits<uInt>::max()) {
    return fail(Errc::invalid_argument, "term too large to compress");
  }
  DeflateStream stream;
  if (deflateInit(&stream.z, level) != Z_OK) return fail(Errc::io, "zlib deflateInit failed");
  stream.ready = true;
  size_t start = out.size();
  size_t bound = deflateBound(&stream.z, static_cast<uLong>(raw.size()));
  out.resize(start + bound);
  stream.z.next_in = const_cast<Bytef*>(raw.data());
  stream.z.avail_in = static_cast<uInt>(raw.size());
  stream.z.next_out = out.data() + start;
  stream.z.avail_out = static_cast<uInt>(bound);
  int rc = deflate(&stream.z, Z_FINISH);
  if (rc != Z_STREAM_END) {
    out.resize(start);
    return fail(Errc::io, "zlib deflate failed: " + std::to_string(rc));
  }
  out.resize(start + stream.z.total_out);
  return {};
}

}  // namespace beamlink::etf
