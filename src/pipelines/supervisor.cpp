#include "pipelines/supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>
#include <vector>

#include "base/json_writer.h"
#include "base/time.h"

extern char** environ;

namespace materia {

namespace {

namespace fs = std::filesystem;

constexpr int kLogFilesKept = 200;
constexpr int64_t kPollMs = 100;
constexpr int64_t kCheckTimeoutMs = 10 * 60'000;

volatile sig_atomic_t g_stop_signal = 0;

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string FormatSeconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f", seconds);
  return text;
}

void OnStopSignal(int signal_number) { g_stop_signal = signal_number; }

bool Stopping() { return g_stop_signal != 0; }

// Sleeps up to `duration_ms`, waking early when a stop signal arrives.
void SleepUnlessStopped(int64_t duration_ms) {
  int64_t deadline_ms = SteadyMs() + duration_ms;
  while (!Stopping() && SteadyMs() < deadline_ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(kPollMs, deadline_ms - SteadyMs())));
  }
}

// One log line: "<time> event=<event> key=value ..." or a JSON object.
class EventLog {
 public:
  explicit EventLog(bool json) : json_(json) {}

  void Write(const std::string& event, const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string line;
    std::string time = FormatIso(NowMs());
    if (json_) {
      JsonWriter writer;
      writer.BeginObject().Key("time").String(time).Key("event").String(event);
      for (const auto& [key, value] : fields) writer.Key(key).String(value);
      writer.EndObject();
      line = writer.Take();
    } else {
      line = time + " event=" + event;
      for (const auto& [key, value] : fields) {
        bool quote = value.find(' ') != std::string::npos || value.empty();
        line += " " + key + "=" + (quote ? JsonQuote(value) : value);
      }
    }
    std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
  }

 private:
  bool json_;
};

// The project's supervisor lock, held while the object lives.
class ProjectLock {
 public:
  static Result<ProjectLock> Acquire(const fs::path& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Status::IoError("cannot open " + path.string() + ": " + std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      char buffer[32] = {0};
      ssize_t read_bytes = ::pread(fd, buffer, sizeof(buffer) - 1, 0);
      ::close(fd);
      std::string pid = read_bytes > 0 ? std::string(buffer, static_cast<size_t>(read_bytes)) : "";
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
      return Status::Conflict("another supervisor is running for this project" +
                              (pid.empty() ? std::string() : " (pid " + pid + ")"));
    }
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
      ::close(fd);
      return Status::IoError("cannot write " + path.string() + ": " + std::strerror(errno));
    }
    return ProjectLock(fd);
  }
  ProjectLock(ProjectLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ProjectLock& operator=(ProjectLock&&) = delete;
  ~ProjectLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }

 private:
  explicit ProjectLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

struct ChildOutcome {
  int exit_code = -1;      // the child's exit status; -1 when it was killed
  bool timed_out = false;
  bool cancelled = false;  // stopped because the supervisor was asked to stop
  int64_t duration_ms = 0;
};

// Runs `arguments` with stdout and stderr to `log_path`, waiting up to `timeout_ms`.
// On timeout or a stop signal the child gets SIGTERM, then SIGKILL after `grace_ms`.
Result<ChildOutcome> RunChild(const std::vector<std::string>& arguments, const fs::path& log_path,
                              int64_t timeout_ms, int64_t grace_ms) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> argv;
  for (const std::string& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    return Status::IoError("cannot start " + arguments[0] + ": " + std::strerror(spawned));
  }
  ChildOutcome outcome;
  int64_t started_ms = SteadyMs();
  int64_t kill_at_ms = -1;  // when SIGKILL is due, once SIGTERM was sent
  int status = 0;
  while (true) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) return Status::IoError(std::string("waitpid: ") + std::strerror(errno));
    int64_t now_ms = SteadyMs();
    if (kill_at_ms < 0 && (Stopping() || now_ms - started_ms > timeout_ms)) {
      outcome.cancelled = Stopping();
      outcome.timed_out = !outcome.cancelled;
      ::kill(pid, SIGTERM);
      kill_at_ms = now_ms + grace_ms;
    } else if (kill_at_ms >= 0 && now_ms > kill_at_ms) {
      ::kill(pid, SIGKILL);
      kill_at_ms = now_ms + 365LL * 24 * 3'600'000;  // once
    }
    // Short children are common (a check with nothing to do): poll fast at first.
    int64_t elapsed_ms = SteadyMs() - started_ms;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::clamp<int64_t>(elapsed_ms / 10, 2, kPollMs)));
  }
  outcome.duration_ms = SteadyMs() - started_ms;
  if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  return outcome;
}

// The last "error: ..." line of a child's log, or its last line.
std::string LastErrorLine(const fs::path& log_path) {
  std::ifstream stream(log_path);
  std::string line;
  std::string last;
  std::string error;
  int lines = 0;
  while (std::getline(stream, line) && lines++ < 1'000'000) {
    if (line.empty()) continue;
    last = line;
    if (line.rfind("error: ", 0) == 0) error = line.substr(7);
  }
  return error.empty() ? last : error;
}

// Removes the oldest logs beyond kLogFilesKept.
void PruneLogs(const fs::path& folder) {
  std::vector<fs::directory_entry> logs;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(folder, error)) {
    if (entry.is_regular_file(error) && entry.path().extension() == ".log") logs.push_back(entry);
  }
  if (static_cast<int>(logs.size()) <= kLogFilesKept) return;
  std::sort(logs.begin(), logs.end(), [](const fs::directory_entry& a, const fs::directory_entry& b) {
    std::error_code ignored;
    return a.last_write_time(ignored) < b.last_write_time(ignored);
  });
  for (size_t i = 0; i + kLogFilesKept < logs.size(); i++) fs::remove(logs[i].path(), error);
}

class Supervisor {
 public:
  Supervisor(const PipelineSettings& settings, StateStore& state, const SupervisorOptions& options)
      : settings_(settings), state_(state), options_(options), log_(options.json_logs),
        random_(static_cast<uint32_t>(NowMs() ^ ::getpid())) {}

  Status Loop();

 private:
  // Asks the pipeline whether it has work: true, false, or an error (logged).
  Result<bool> Check(const PipelineDefinition& pipeline);
  // Runs the pipeline with its retries; never fails the loop.
  void RunWithRetries(const PipelineDefinition& pipeline);
  // Runs one attempt; returns true on success.
  bool RunAttempt(const PipelineDefinition& pipeline, int attempt);
  // Records as failed the runs a previous supervisor started and never saw finish.
  void CloseAbandonedRuns();
  void Publish(const std::string& status, const std::string& pipeline, const std::string& run_id);

  const PipelineSettings& settings_;
  StateStore& state_;
  const SupervisorOptions& options_;
  EventLog log_;
  std::mt19937 random_;
  fs::path logs_;
  int cycle_ = 0;
  TimestampMs started_ms_ = NowMs();
  TimestampMs next_check_ms_ = 0;
};

void Supervisor::Publish(const std::string& status, const std::string& pipeline, const std::string& run_id) {
  JsonWriter json;
  json.BeginObject()
      .Key("pid").Int(::getpid())
      .Key("started_ms").Int(started_ms_)
      .Key("cycle").Int(cycle_)
      .Key("status").String(status)
      .Key("pipeline").String(pipeline)
      .Key("run_id").String(run_id)
      .Key("next_check_ms").Int(next_check_ms_)
      .Key("updated_ms").Int(NowMs())
      .EndObject();
  (void)state_.PutValue("supervisor:state", json.Take());  // best effort: display only
}

Result<bool> Supervisor::Check(const PipelineDefinition& pipeline) {
  fs::path log_path = logs_ / ("check-" + pipeline.name + ".log");
  auto outcome = RunChild({options_.materia_path, "-p", options_.project_dir, "pipeline", "check",
                           pipeline.name},
                          log_path, kCheckTimeoutMs, options_.kill_grace_ms);
  if (!outcome.ok()) return outcome.status();
  if (outcome->cancelled) return false;
  if (outcome->exit_code == 0 || outcome->exit_code == 1) {
    log_.Write("checked", {{"cycle", std::to_string(cycle_)},
                           {"pipeline", pipeline.name},
                           {"has_work", outcome->exit_code == 0 ? "true" : "false"}});
    return outcome->exit_code == 0;
  }
  std::string error = outcome->timed_out ? "the check timed out" : LastErrorLine(log_path);
  log_.Write("check_failed", {{"cycle", std::to_string(cycle_)}, {"pipeline", pipeline.name}, {"error", error}});
  return Status::Internal(error);
}

bool Supervisor::RunAttempt(const PipelineDefinition& pipeline, int attempt) {
  std::string run_id = NewPipelineRunId(pipeline.name);
  fs::path log_path = logs_ / (run_id + ".log");
  Publish("running", pipeline.name, run_id);
  log_.Write("run_started", {{"cycle", std::to_string(cycle_)},
                             {"pipeline", pipeline.name},
                             {"run_id", run_id},
                             {"attempt", std::to_string(attempt)}});
  TimestampMs started_ms = NowMs();
  auto outcome = RunChild({options_.materia_path, "-p", options_.project_dir, "pipeline", "run",
                           pipeline.name, "--run-id", run_id, "--attempt", std::to_string(attempt),
                           "--trigger", "supervisor"},
                          log_path, pipeline.timeout_ms, options_.kill_grace_ms);
  std::string status = "failed";
  std::string error;
  double seconds = 0;
  if (!outcome.ok()) {
    error = outcome.status().message();
  } else {
    seconds = static_cast<double>(outcome->duration_ms) / 1000.0;
    if (outcome->cancelled) {
      status = "cancelled";
      error = "stopped: the supervisor was asked to stop";
    } else if (outcome->timed_out) {
      status = "timeout";
      error = "stopped after the pipeline's timeout of " + std::to_string(pipeline.timeout_ms / 1000) + "s";
    } else if (outcome->exit_code == 0) {
      status = "success";
    } else {
      error = LastErrorLine(log_path);
      if (error.empty()) error = "exited with code " + std::to_string(outcome->exit_code);
    }
  }
  // The child records its own run; one it could not finish recording is completed here.
  auto runs = state_.ListPipelineRuns(pipeline.name, 20);
  bool recorded = false;
  if (runs.ok()) {
    for (const PipelineRunRecord& run : *runs) {
      if (run.run_id != run_id) continue;
      recorded = run.status != "running";
      if (recorded && status != "success" && !run.error.empty()) error = run.error;  // the child knows best
    }
  }
  if (!recorded) {
    PipelineRunRecord record;
    record.run_id = run_id;
    record.pipeline = pipeline.name;
    record.status = status;
    record.attempt = attempt;
    record.started_ms = started_ms;
    record.finished_ms = NowMs();
    record.trigger = "supervisor";
    record.error = error;
    if (runs.ok()) {
      for (const PipelineRunRecord& run : *runs) {
        if (run.run_id == run_id) record.worker_size = run.worker_size;
      }
    }
    (void)state_.PutPipelineRun(record);
  }
  std::vector<std::pair<std::string, std::string>> fields = {
      {"cycle", std::to_string(cycle_)}, {"pipeline", pipeline.name}, {"run_id", run_id},
      {"attempt", std::to_string(attempt)}, {"status", status},
      {"duration_s", FormatSeconds(seconds)}, {"log", log_path.string()}};
  if (!error.empty()) fields.emplace_back("error", error);
  log_.Write("run_finished", fields);
  return status == "success";
}

// A supervisor killed (kill -9, OOM, power loss) while a child ran leaves that run
// recorded as "running" for ever: on the dashboard, in history and in /metrics, where a
// crash loop would then never count as failing. Holding the project's lock, this
// supervisor knows its predecessor is gone, so its runs are closed as failed. A child
// that outlived its supervisor and finishes later records its own outcome over this.
void Supervisor::CloseAbandonedRuns() {
  constexpr int kRunsScanned = 100;
  for (const PipelineDefinition& pipeline : settings_.pipelines) {
    auto runs = state_.ListPipelineRuns(pipeline.name, kRunsScanned);
    if (!runs.ok()) continue;  // best effort: the loop does not depend on it
    for (PipelineRunRecord run : *runs) {
      if (run.status != "running" || run.trigger != "supervisor") continue;
      run.status = "failed";
      run.finished_ms = NowMs();
      run.error = "abandoned: the supervisor running it stopped before it finished";
      if (!state_.PutPipelineRun(run).ok()) continue;
      log_.Write("run_abandoned", {{"pipeline", run.pipeline}, {"run_id", run.run_id}, {"status", run.status}});
    }
  }
}

void Supervisor::RunWithRetries(const PipelineDefinition& pipeline) {
  for (int attempt = 1; attempt <= pipeline.retry.attempts_max && !Stopping(); attempt++) {
    if (RunAttempt(pipeline, attempt)) return;
    if (Stopping()) return;
    if (attempt == pipeline.retry.attempts_max) {
      log_.Write("gave_up", {{"cycle", std::to_string(cycle_)},
                             {"pipeline", pipeline.name},
                             {"attempts", std::to_string(attempt)}});
      return;
    }
    int64_t delay_ms = BackoffMs(pipeline.retry, attempt);
    delay_ms += static_cast<int64_t>(std::uniform_real_distribution<double>(0, 0.2)(random_) *
                                     static_cast<double>(delay_ms));
    log_.Write("retry_scheduled", {{"cycle", std::to_string(cycle_)},
                                   {"pipeline", pipeline.name},
                                   {"attempt", std::to_string(attempt + 1)},
                                   {"delay_s", FormatSeconds(static_cast<double>(delay_ms) / 1000.0)}});
    Publish("backing off", pipeline.name, "");
    SleepUnlessStopped(delay_ms);
  }
}

Status Supervisor::Loop() {
  fs::path state_dir = fs::path(options_.project_dir) / ".materia";
  logs_ = state_dir / "logs";
  std::error_code error;
  fs::create_directories(logs_, error);
  if (error) return Status::IoError("cannot create " + logs_.string() + ": " + error.message());
  MATERIA_ASSIGN_OR_RETURN(ProjectLock lock, ProjectLock::Acquire(state_dir / "supervisor.lock"));
  int64_t interval_ms = options_.interval_ms > 0 ? options_.interval_ms : settings_.supervisor_interval_ms;
  log_.Write("supervisor_started", {{"pid", std::to_string(::getpid())},
                                    {"project", options_.project_dir},
                                    {"interval_s", std::to_string(interval_ms / 1000)}});
  CloseAbandonedRuns();
  while (!Stopping() && (options_.cycles_max <= 0 || cycle_ < options_.cycles_max)) {
    cycle_++;
    int64_t cycle_started_ms = SteadyMs();
    int ran = 0;
    for (const PipelineDefinition& pipeline : settings_.pipelines) {
      if (!pipeline.enabled || Stopping()) continue;
      Publish("checking", pipeline.name, "");
      auto has_work = Check(pipeline);
      if (!has_work.ok() || !*has_work) continue;
      RunWithRetries(pipeline);
      ran++;
    }
    PruneLogs(logs_);
    bool last = options_.cycles_max > 0 && cycle_ >= options_.cycles_max;
    int64_t wait_ms = last ? 0 : std::max<int64_t>(0, interval_ms - (SteadyMs() - cycle_started_ms));
    next_check_ms_ = last ? 0 : NowMs() + wait_ms;
    log_.Write("cycle_finished", {{"cycle", std::to_string(cycle_)},
                                  {"ran", std::to_string(ran)},
                                  {"next_check", last ? "" : FormatIso(next_check_ms_)}});
    Publish("sleeping", "", "");
    if (!last) SleepUnlessStopped(wait_ms);
  }
  Publish("stopped", "", "");
  log_.Write("supervisor_stopped", {{"cycles", std::to_string(cycle_)},
                                    {"signal", Stopping() ? std::to_string(g_stop_signal) : ""}});
  return Status::Ok();
}

}  // namespace

void EndWithSupervisor() {
  const char* variable = std::getenv(kSupervisorPidVariable);
  if (variable == nullptr) return;
  const pid_t supervisor = static_cast<pid_t>(std::atoll(variable));
  if (supervisor <= 0 || ::getppid() != supervisor) return;  // started by someone else
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  // The supervisor may have died before the request took effect.
  if (::getppid() != supervisor) ::raise(SIGTERM);
}

Status Supervise(const PipelineSettings& settings, StateStore& state, const SupervisorOptions& options) {
  // Children run from this (the main) thread, so the kernel's parent-death signal
  // (EndWithSupervisor) fires when the process dies, not when some thread ends.
  ::setenv(kSupervisorPidVariable, std::to_string(::getpid()).c_str(), 1);
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGTERM, &action, nullptr);
  ::sigaction(SIGINT, &action, nullptr);
  g_stop_signal = 0;
  Supervisor supervisor(settings, state, options);
  return supervisor.Loop();
}

}  // namespace materia
