// Parsing a command line with CLI11 the way materia's programs report it: help and
// version print and exit 0, every usage error is one line on stderr. Header-only, so
// that mz-schedctl (which does not link the materia command's files) shares it.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace materia::cli {

// When the words of `args` name a command that does not exist, the line saying so:
// "unknown command 'x' for 'materia features' (one of: ...)". Options are skipped,
// with the value of those that take one; after an unknown option nothing is said
// (CLI11's own message names it). Empty when every command word is known.
inline std::string UnknownCommandMessage(const CLI::App& root, const std::vector<std::string>& args) {
  const CLI::App* app = &root;
  std::string path = root.get_name();  // argv[0] once parsed: keep its file name
  if (size_t slash = path.rfind('/'); slash != std::string::npos) path = path.substr(slash + 1);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") return "";
    if (arg.size() > 1 && arg[0] == '-') {
      if (arg.find('=') != std::string::npos) continue;
      // A known option that takes a value consumes the next word.
      const CLI::Option* option = nullptr;
      for (const CLI::App* scope = app; scope != nullptr && option == nullptr; scope = scope->get_parent()) {
        option = scope->get_option_no_throw(arg);
      }
      if (option == nullptr) return "";  // an unknown option: CLI11's message names it
      if (option->get_type_size_min() > 0 && option->get_items_expected_min() > 0) ++i;
      continue;
    }
    const auto subcommands = app->get_subcommands([](const CLI::App*) { return true; });
    if (subcommands.empty()) return "";  // a positional argument of a leaf command
    const CLI::App* next = nullptr;
    for (const CLI::App* sub : subcommands) {
      if (sub->check_name(arg)) next = sub;
    }
    if (next == nullptr) {
      std::string names;
      for (const CLI::App* sub : subcommands) {
        if (sub->get_name().empty()) continue;
        names += (names.empty() ? "" : ", ") + sub->get_name();
      }
      return "unknown command '" + arg + "' for '" + path + "' (one of: " + names + ")";
    }
    app = next;
    path += " " + next->get_name();
  }
  return "";
}

// Parses argv into `app`. Returns the exit code when the program must stop now (help,
// version, or a usage error printed as one line), std::nullopt when the command runs.
inline std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv, int usage_error_code,
                                           int internal_error_code) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string unknown = UnknownCommandMessage(app, args);
    if (!unknown.empty()) {
      std::fprintf(stderr, "error: %s\n", unknown.c_str());
    } else {
      std::fprintf(stderr, "error: %s (see --help)\n", e.what());
    }
    return usage_error_code;
  } catch (const std::exception& e) {
    // A bug or an unexpected system failure: still one line and an error exit.
    std::fprintf(stderr, "error: internal: %s\n", e.what());
    return internal_error_code;
  }
  return std::nullopt;
}

}  // namespace materia::cli
