#include "cluster_procs.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace cluster_bench {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Fixed-size, so the signal handler reads it without allocating.
constexpr size_t kMaxChildren = 1024;
volatile pid_t children[kMaxChildren];
volatile size_t child_count = 0;

void remember(pid_t pid) {
  for (size_t i = 0; i < child_count; ++i) {
    if (children[i] == 0) {
      children[i] = pid;
      return;
    }
  }
  if (child_count < kMaxChildren) {
    children[child_count] = pid;
    child_count = child_count + 1;  // after the slot is set: the handler may read it
  }
}

void forget(pid_t pid) {
  for (size_t i = 0; i < child_count; ++i) {
    if (children[i] == pid) children[i] = 0;
  }
}

void on_signal(int signal) {
  for (size_t i = 0; i < child_count; ++i) {
    if (children[i] > 0) kill(children[i], SIGKILL);
  }
  _exit(128 + signal);
}

// Reaps `pid` if it has ended; true when it is gone.
bool reaped(pid_t pid) {
  int status = 0;
  pid_t got = waitpid(pid, &status, WNOHANG);
  return got == pid || (got < 0 && errno == ECHILD);
}

}  // namespace

pid_t spawn_child(const Launch& launch, const std::string& log_path) {
  std::vector<std::string> argv;
  if (!launch.netns.empty()) argv = {"ip", "netns", "exec", launch.netns};
  argv.insert(argv.end(), launch.argv.begin(), launch.argv.end());
  std::vector<char*> args;
  for (auto& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);

  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
  env_storage.insert(env_storage.end(), launch.env.begin(), launch.env.end());
  std::vector<char*> env;
  for (auto& entry : env_storage) env.push_back(entry.data());
  env.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  // Children start with default signal dispositions and an empty mask.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t defaults;
  sigset_t empty;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) sigaddset(&defaults, s);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setsigmask(&attributes, &empty);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  pid_t pid = -1;
  int error = posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (error != 0) {
    std::fprintf(stderr, "cannot start %s: %s\n", argv[0].c_str(), std::strerror(error));
    return -1;
  }
  remember(pid);
  return pid;
}

void kill_child(pid_t pid) {
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  forget(pid);
}

void stop_all_children(milliseconds grace) {
  for (size_t i = 0; i < child_count; ++i) {
    if (children[i] > 0) kill(children[i], SIGTERM);
  }
  const auto deadline = Clock::now() + grace;
  for (size_t i = 0; i < child_count; ++i) {
    pid_t pid = children[i];
    if (pid <= 0) continue;
    while (!reaped(pid) && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(10));
    if (!reaped(pid)) {
      kill(pid, SIGKILL);
      int status = 0;
      waitpid(pid, &status, 0);
    }
    children[i] = 0;
  }
  child_count = 0;
}

void install_child_cleanup() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaction(s, &action, nullptr);
  std::atexit([] { stop_all_children(milliseconds(1000)); });
}

int run_command(const std::vector<std::string>& argv, milliseconds limit) {
  pid_t pid = spawn_child(Launch{argv, "", {}}, "/dev/null");
  if (pid < 0) return -1;
  const auto deadline = Clock::now() + limit;
  int status = 0;
  while (Clock::now() < deadline) {
    pid_t got = waitpid(pid, &status, WNOHANG);
    if (got == pid) {
      forget(pid);
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(milliseconds(1));
  }
  kill_child(pid);
  return -1;
}

int64_t rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::strtoll(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

int64_t cpu_ms(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces): state is field
  // 3, utime 14 and stime 15.
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  int64_t ticks = 0;
  for (int index = 3; index <= 15 && fields >> field; ++index) {
    if (index >= 14) ticks += std::strtoll(field.c_str(), nullptr, 10);
  }
  return ticks * 1000 / sysconf(_SC_CLK_TCK);
}

int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

uint16_t free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  uint16_t port = 0;
  if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0) {
    port = ntohs(address.sin_port);
  }
  if (fd >= 0) close(fd);
  return port;
}

}  // namespace cluster_bench
