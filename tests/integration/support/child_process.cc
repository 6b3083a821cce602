#include "integration/support/child_process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace beamlink::testing {
namespace {

std::vector<std::string> merged_environment(const EnvOverrides& overrides) {
  std::vector<std::string> entries;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    bool overridden = false;
    for (const auto& [name, value] : overrides) {
      if (text.starts_with(name + "=")) overridden = true;
    }
    if (!overridden) entries.emplace_back(text);
  }
  for (const auto& [name, value] : overrides) entries.push_back(name + "=" + value);
  return entries;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& text : strings) out.push_back(text.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

std::expected<ChildProcess, std::string> ChildProcess::spawn(const std::vector<std::string>& argv,
                                                             const EnvOverrides& env) {
  if (argv.empty()) return std::unexpected("empty argv");
  std::string command;
  for (const auto& arg : argv) command += (command.empty() ? "" : " ") + arg;

  char path_template[] = "/tmp/beamlink-child-XXXXXX";
  const int output_fd = mkstemp(path_template);
  if (output_fd < 0) return std::unexpected(std::string("mkstemp: ") + std::strerror(errno));

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, output_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, output_fd, 2);
  posix_spawn_file_actions_addclose(&actions, output_fd);

  std::vector<std::string> args = argv;
  std::vector<std::string> environment = merged_environment(env);
  auto arg_pointers = c_strings(args);
  auto env_pointers = c_strings(environment);
  pid_t pid = -1;
  const int error = posix_spawnp(&pid, args[0].c_str(), &actions, nullptr, arg_pointers.data(),
                                 env_pointers.data());
  posix_spawn_file_actions_destroy(&actions);
  close(output_fd);
  if (error != 0) {
    unlink(path_template);
    return std::unexpected("cannot start '" + command + "': " + std::strerror(error));
  }
  return ChildProcess(pid, path_template, command);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      exit_code_(other.exit_code_),
      output_path_(std::move(other.output_path_)),
      command_(std::move(other.command_)) {
  other.output_path_.clear();
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    release();
    pid_ = std::exchange(other.pid_, -1);
    exit_code_ = other.exit_code_;
    output_path_ = std::exchange(other.output_path_, std::string());
    command_ = std::move(other.command_);
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  release();
}

void ChildProcess::release() {
  if (pid_ > 0 && !exit_code_) {
    ::kill(pid_, SIGKILL);
    reap(0);
  }
  if (!output_path_.empty()) unlink(output_path_.c_str());
  pid_ = -1;
}

bool ChildProcess::reap(int options) {
  if (exit_code_) return true;
  int status = 0;
  const pid_t got = waitpid(pid_, &status, options);
  if (got != pid_) return false;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return true;
}

bool ChildProcess::running() {
  return pid_ > 0 && !reap(WNOHANG);
}

std::optional<int> ChildProcess::wait_for(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return exit_code_;
}

int ChildProcess::stop(int signal, std::chrono::milliseconds grace) {
  if (!running()) return exit_code_.value_or(-1);
  ::kill(pid_, signal);
  if (auto code = wait_for(grace)) return *code;
  ::kill(pid_, SIGKILL);
  reap(0);
  return exit_code_.value_or(-1);
}

std::string ChildProcess::output() const {
  std::ifstream file(output_path_);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace beamlink::testing
