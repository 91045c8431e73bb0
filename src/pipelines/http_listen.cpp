#include "pipelines/http_listen.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

namespace materia {

namespace {

constexpr int kStartWaitMsMax = 5000;

}  // namespace

Result<int> ListenInBackground(httplib::Server& server, const std::string& bind_address, int port,
                               std::thread* thread) {
  // cpp-httplib's default sets SO_REUSEPORT, which lets a second server bind a port
  // already served and take half its connections. SO_REUSEADDR alone still allows a
  // restart while old connections linger in TIME_WAIT, and refuses a port in use.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  int bound = -1;
  errno = 0;  // the bind's reason, when it fails, is left in errno
  if (port == 0) {
    bound = server.bind_to_any_port(bind_address);
  } else if (server.bind_to_port(bind_address, port)) {
    bound = port;
  }
  if (bound <= 0) {
    const int reason = errno;
    return Status::IoError("cannot listen on " + bind_address + ":" + std::to_string(port) +
                           (reason != 0 ? std::string(": ") + std::strerror(reason) : std::string()));
  }
  *thread = std::thread([&server] { server.listen_after_bind(); });
  for (int waited_ms = 0; !server.is_running() && waited_ms < kStartWaitMsMax; waited_ms++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return bound;
}

}  // namespace materia
