// discovery/k8s_service_account.h - what a pod's service account mount
// (/var/run/secrets/kubernetes.io/serviceaccount) holds: token, ca.crt and
// namespace.
//
// TokenFile re-reads the token only when the file changed (inode, size or
// modification time), so projected tokens, which the kubelet rotates by
// swapping a symlink, are picked up on the next request without reading
// the file for every one. Thread-safe.
#pragma once

#include <sys/types.h>

#include <ctime>
#include <mutex>
#include <string>

#include "beamlink/result.h"

namespace beamlink::discovery::k8s {

class TokenFile {
 public:
  explicit TokenFile(std::string path) : path_(std::move(path)) {}

  // The token without surrounding whitespace; "" when the file does not
  // exist (requests then go without Authorization, and the API's 401 says
  // so). Errc::io when it exists but cannot be read; limit_exceeded over
  // 64 KiB.
  Result<std::string> token();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::mutex mutex_;
  bool cached_ = false;
  ino_t inode_ = 0;
  off_t size_ = 0;
  timespec mtime_{};
  std::string token_;
};

// The whole of a small file, trimmed (namespace, token). Errc::not_found
// when it does not exist.
Result<std::string> read_trimmed_file(const std::string& path, size_t max_bytes = 64 * 1024);

}  // namespace beamlink::discovery::k8s
