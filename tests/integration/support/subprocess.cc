#include "integration/support/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace beamlink::testing {

namespace {

struct Pipe {
  int read_end = -1;
  int write_end = -1;
  bool open() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return false;
    read_end = fds[0];
    write_end = fds[1];
    return true;
  }
  static void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  ~Pipe() {
    close_fd(read_end);
    close_fd(write_end);
  }
};

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, std::string_view stdin_data,
                          std::chrono::milliseconds timeout) {
  ProcessResult result;
  if (argv.empty()) {
    result.err = "run_process: empty argv";
    return result;
  }
  Pipe in, out, err;
  if (!in.open() || !out.open() || !err.open()) {
    result.err = std::string("run_process: pipe: ") + std::strerror(errno);
    return result;
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  // A child that exits before reading all its stdin must not kill the test.
  signal(SIGPIPE, SIG_IGN);
  pid_t pid = fork();
  if (pid < 0) {
    result.err = std::string("run_process: fork: ") + std::strerror(errno);
    return result;
  }
  if (pid == 0) {
    setpgid(0, 0);  // its own group, so a timeout can stop its children too
    signal(SIGPIPE, SIG_DFL);
    dup2(in.read_end, STDIN_FILENO);
    dup2(out.write_end, STDOUT_FILENO);
    dup2(err.write_end, STDERR_FILENO);
    execvp(args[0], args.data());
    const char* why = std::strerror(errno);
    (void)!write(STDERR_FILENO, "exec failed: ", 13);
    (void)!write(STDERR_FILENO, why, std::strlen(why));
    _exit(127);
  }
  setpgid(pid, pid);
  Pipe::close_fd(in.read_end);
  Pipe::close_fd(out.write_end);
  Pipe::close_fd(err.write_end);
  // Writing stdin may block, so it is fed through the same poll loop.
  fcntl(in.write_end, F_SETFL, O_NONBLOCK);
  size_t written = 0;
  if (stdin_data.empty()) Pipe::close_fd(in.write_end);

  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[65536];
  int status = 0;
  bool exited = false;
  while (out.read_end >= 0 || err.read_end >= 0) {
    // A daemon the command started (erl starts epmd) may hold the pipes
    // open after the command exits: then drain briefly and stop.
    if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      deadline =
          std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(500));
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      if (exited) break;
      result.timed_out = true;
      kill(-pid, SIGKILL);
      break;
    }
    pollfd fds[3];
    nfds_t count = 0;
    int* owners[3];
    std::string* sinks[3] = {nullptr, nullptr, nullptr};
    if (out.read_end >= 0) {
      fds[count] = {out.read_end, POLLIN, 0};
      owners[count] = &out.read_end;
      sinks[count++] = &result.out;
    }
    if (err.read_end >= 0) {
      fds[count] = {err.read_end, POLLIN, 0};
      owners[count] = &err.read_end;
      sinks[count++] = &result.err;
    }
    if (in.write_end >= 0) {
      fds[count] = {in.write_end, POLLOUT, 0};
      owners[count++] = &in.write_end;
    }
    // Short polls, so an exit is noticed even while a daemon holds the pipes.
    int ready = poll(fds, count, static_cast<int>(std::min<int64_t>(left.count(), 50)));
    if (ready < 0 && errno != EINTR) break;
    for (nfds_t i = 0; i < count && ready > 0; ++i) {
      if (fds[i].revents == 0) continue;
      if (sinks[i] == nullptr) {
        ssize_t n = write(fds[i].fd, stdin_data.data() + written, stdin_data.size() - written);
        if (n > 0) written += static_cast<size_t>(n);
        if (n < 0 && errno != EAGAIN && errno != EINTR) written = stdin_data.size();
        if (written == stdin_data.size()) Pipe::close_fd(*owners[i]);
        continue;
      }
      ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        Pipe::close_fd(*owners[i]);
      }
    }
  }
  while (!exited && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = exit_code_of(status);
  if (result.timed_out) {
    result.err += "\nrun_process: timed out after " + std::to_string(timeout.count()) + " ms";
  }
  return result;
}

}  // namespace beamlink::testing
