#include "discovery/k8s_service_account.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace beamlink::discovery::k8s {

Result<std::string> read_trimmed_file(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int error = errno;
    if (error == ENOENT) return fail(Errc::not_found, path + ": no such file");
    return fail(Errc::io, path + ": " + std::strerror(error));
  }
  std::string text(max_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > max_bytes) {
    return fail(Errc::limit_exceeded,
                path + ": longer than " + std::to_string(max_bytes) + " bytes");
  }
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return std::string();
  size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

Result<std::string> TokenFile::token() {
  std::lock_guard lock(mutex_);
  struct stat info {};
  if (::stat(path_.c_str(), &info) != 0) {
    cached_ = false;
    if (errno == ENOENT) return std::string();
    return fail(Errc::io, path_ + ": " + std::strerror(errno));
  }
  if (cached_ && info.st_ino == inode_ && info.st_size == size_ &&
      info.st_mtim.tv_sec == mtime_.tv_sec && info.st_mtim.tv_nsec == mtime_.tv_nsec) {
    return token_;
  }
  auto text = read_trimmed_file(path_);
  if (!text) {
    cached_ = false;
    if (text.error().code == Errc::not_found) return std::string();
    return text;
  }
  token_ = std::move(*text);
  inode_ = info.st_ino;
  size_ = info.st_size;
  mtime_ = info.st_mtim;
  cached_ = true;
  return token_;
}

}  // namespace beamlink::discovery::k8s
