#include "schedctl/common.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "base/json_writer.h"
#include "base/text.h"
#include "base/time.h"

namespace materia::schedctl {

namespace {

constexpr const char* kEnvFile = ".env";
constexpr size_t kEnvFileLinesMax = 10'000;

// The value of a DATABASE_URL line of a .env file, or nullopt for other lines.
std::optional<std::string> DatabaseUrlOf(std::string line) {
  line = Trim(line);
  if (line.starts_with("export ")) line = Trim(line.substr(7));
  const std::string key = "DATABASE_URL";
  if (!line.starts_with(key)) return std::nullopt;
  std::string rest = Trim(line.substr(key.size()));
  if (rest.empty() || rest[0] != '=') return std::nullopt;
  std::string value = Trim(rest.substr(1));
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
    value = value.substr(1, value.size() - 2);
  }
  return value;
}

// The DATABASE_URL of ./.env; empty when there is no file or no such line.
std::string DatabaseUrlFromEnvFile() {
  std::ifstream file(kEnvFile);
  std::string line;
  std::string url;
  for (size_t count = 0; count < kEnvFileLinesMax && std::getline(file, line); count++) {
    std::optional<std::string> value = DatabaseUrlOf(line);
    if (value) url = *value;  // the last one wins, as in a shell
  }
  return url;
}

// The password in a connection URL or key=value string, or "" (see MaskConninfoPassword).
std::string PasswordOf(const std::string& conninfo) {
  const std::string masked = MaskConninfoPassword(conninfo);
  if (masked == conninfo) return "";
  // The masked text is the original with the password replaced by "***": what lies
  // between the common prefix and the common suffix is the password.
  size_t prefix = 0;
  while (prefix < masked.size() && prefix < conninfo.size() && masked[prefix] == conninfo[prefix]) prefix++;
  size_t suffix = 0;
  while (suffix < masked.size() - prefix && suffix < conninfo.size() - prefix &&
         masked[masked.size() - 1 - suffix] == conninfo[conninfo.size() - 1 - suffix]) {
    suffix++;
  }
  return conninfo.substr(prefix, conninfo.size() - prefix - suffix);
}

}  // namespace

void AddCommonOptions(CLI::App* command, CommonOptions* options) {
  command->add_option("--cluster", options->cluster_pattern,
                      "only the clusters whose whole name matches this regular expression");
  command->add_flag("-v,--verbose", options->verbose, "structured logs (JSON lines) on stderr");
  command->add_option("--postgres-url", options->postgres_url,
                      "the database (default: $DATABASE_URL, else DATABASE_URL= in ./.env)");
  command->add_option("--format", options->format, "text or json (default: text)")
      ->check(CLI::IsMember({"text", "json"}));
}

int ReportError(const Status& status) {
  std::fprintf(stderr, "error: %s\n", OneLine(status.message()).c_str());
  return kExitError;
}

Result<std::string> ResolveDatabaseUrl(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  const char* environment = std::getenv("DATABASE_URL");
  if (environment != nullptr && *environment != '\0') return std::string(environment);
  std::string from_file = DatabaseUrlFromEnvFile();
  if (!from_file.empty()) return from_file;
  return Status::InvalidInput(
      "no database URL: pass --postgres-url, set DATABASE_URL, or put a DATABASE_URL= line in ./.env");
}

Result<std::unique_ptr<PgConnection>> ConnectDatabase(const CommonOptions& options) {
  MATERIA_ASSIGN_OR_RETURN(const std::string url, ResolveDatabaseUrl(options.postgres_url));
  // libpq takes a URL or key=value words; another scheme would be read as words and
  // fail later with a misleading message about the default socket.
  if (size_t scheme_end = url.find("://"); scheme_end != std::string::npos && scheme_end > 0) {
    const std::string scheme = url.substr(0, scheme_end);
    const bool is_scheme = std::all_of(scheme.begin(), scheme.end(), [](unsigned char c) {
      return std::isalnum(c) || c == '+' || c == '-' || c == '.';
    });  // else key=value words, one of whose values holds "://"
    if (is_scheme && scheme != "postgres" && scheme != "postgresql") {
      return Status::InvalidInput("database URL must start with postgres:// or postgresql://, not " + scheme +
                                  "://");
    }
  }
  Result<std::unique_ptr<PgConnection>> connection = PgConnection::Connect(url, kConnectTimeoutS);
  if (connection.ok()) return connection;
  // PgConnection prints no password, but libpq's reason for rejecting a malformed
  // string may quote part of it: whatever the password was is blanked out.
  std::string message = connection.status().message();
  const std::string password = PasswordOf(url);
  for (size_t at = password.empty() ? std::string::npos : message.find(password); at != std::string::npos;
       at = message.find(password, at + 3)) {
    message.replace(at, password.size(), "***");
  }
  return connection.status().code() == StatusCode::kInvalidInput ? Status::InvalidInput(message)
                                                                  : Status::DatabaseError(message);
}

Result<ClusterFilter> ParseFilter(const CommonOptions& options) {
  if (options.cluster_pattern.empty()) return ClusterFilter();
  return ClusterFilter::Parse(options.cluster_pattern);
}

ControlLogger MakeLogger(const CommonOptions& options) {
  if (!options.verbose) return ControlLogger();
  return [](const ControlEvent& event) {
    JsonWriter json;
    json.BeginObject().Key("ts").String(FormatIso(NowMs())).Key("level").String(event.level);
    json.Key("event").String(event.event);
    const std::pair<const char*, const std::string*> fields[] = {
        {"cluster_id", &event.cluster_id}, {"cluster", &event.cluster}, {"strategy", &event.strategy},
        {"action_id", &event.action_id},   {"message", &event.message}};
    for (const auto& [key, value] : fields) {
      if (!value->empty()) json.Key(key).String(*value);
    }
    for (const auto& [key, value] : event.fields) json.Key(key).String(value);
    json.EndObject();
    std::fprintf(stderr, "%s\n", json.str().c_str());
    std::fflush(stderr);
  };
}

}  // namespace materia::schedctl
