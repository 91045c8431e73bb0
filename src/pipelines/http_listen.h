// Starting an httplib server on its own thread: bind (port 0 = a free one), run the
// accept loop on `thread`, and wait (bounded) until it runs, so that a Stop right after
// start ends it. Shared by the local PSD server and the web app.
#pragma once

#include <httplib.h>

#include <string>
#include <thread>

#include "base/status.h"

namespace materia {

// Returns the port listened on, or kIoError "cannot listen on ADDRESS:PORT: reason".
// A port another server listens on is refused (no SO_REUSEPORT sharing).
Result<int> ListenInBackground(httplib::Server& server, const std::string& bind_address, int port,
                               std::thread* thread);

}  // namespace materia
