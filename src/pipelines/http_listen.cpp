#include "pipelines/http_listen.h"

#include <chrono>

namespace materia {

namespace {

constexpr int kStartWaitMsMax = 5000;

}  // namespace

Result<int> ListenInBackground(httplib::Server& server, const std::string& bind_address, int port,
                               std::thread* thread) {
  int bound = -1;
  if (port == 0) {
    bound = server.bind_to_any_port(bind_address);
  } else if (server.bind_to_port(bind_address, port)) {
    bound = port;
  }
  if (bound <= 0) return Status::IoError("cannot listen on " + bind_address + ":" + std::to_string(port));
  *thread = std::thread([&server] { server.listen_after_bind(); });
  for (int waited_ms = 0; !server.is_running() && waited_ms < kStartWaitMsMax; waited_ms++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return bound;
}

}  // namespace materia
