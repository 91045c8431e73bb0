// materia features status|resolve|write|read|delete|copy|migrate|catalog: the feature
// metadata kept in the project's stores (see features/feature_engine.h).
//   features status [--assert-in-sync]            per feature: samples, new, stale, orphaned
//   features resolve KEY [--samples F] --out F     the samples that need work, to a file
//   features write KEY --in F                     append results (provenance added)
//   features read KEY --out F [--where SQL]...    the latest rows, to a file
//   features delete KEY (--ids F | --all) [--hard]
//   features copy --from S --to S [KEY...]
//   features migrate KEY [--field F] [--to-code-version V]
//   features catalog list | verify
// Files are Parquet, CSV or JSON lines, by extension. Every command takes --store.
#include <cstdio>
#include <memory>

#include "base/json_writer.h"
#include "cli/commands.h"
#include "features/feature_engine.h"
#include "features/store_metrics.h"
#include "project/config.h"
#include "state/state_store.h"

namespace materia::cli {

namespace {

struct StoreOptions {
  std::string store;
  std::string format = "text";
  std::string key;
  std::string samples;
  std::string in;
  std::string out;
  std::string ids;
  std::vector<std::string> where;
  bool all = false;
  bool hard = false;
  bool assert_in_sync = false;
  std::string from;
  std::string to;
  std::vector<std::string> keys;
  std::string field;
  std::string to_code_version;
};

Result<std::unique_ptr<FeatureEngine>> OpenEngine(const StoreOptions& options, bool read_only,
                                                  std::vector<std::string> also_writable = {}) {
  FeatureEngineOptions engine;
  engine.store = options.store;
  engine.read_only = read_only;
  engine.also_writable = std::move(also_writable);
  return FeatureEngine::Open(engine);
}

// Adds what `engine` did to the totals `materia serve` shows on /metrics. A failure
// here never fails the command: it is reported as a warning.
void RecordMetrics(FeatureEngine& engine, const std::map<std::string, ResolvedCounts>& resolved = {}) {
  std::map<std::string, StoreCounters> stores;
  for (MetadataStore* store : engine.stores()) stores[store->name()] = store->counters();
  auto config = LoadConfig(".");
  if (!config.ok()) return;  // the command itself reported a bad config
  auto state = OpenState(*config, /*read_only=*/false);
  Status added = state.ok() ? AddFeatureMetrics(**state, stores, resolved) : state.status();
  if (!added.ok()) std::fprintf(stderr, "warning: feature metrics not recorded: %s\n", added.message().c_str());
}

std::string Milliseconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.0f ms", seconds * 1000);
  return text;
}

// "1 sample", "3 samples".
std::string Samples(int64_t count) { return std::to_string(count) + (count == 1 ? " sample" : " samples"); }

std::string Count(const std::optional<int64_t>& value) { return value ? std::to_string(*value) : "-"; }

int RunStatus(const StoreOptions& options) {
  auto engine = OpenEngine(options, /*read_only=*/true);
  if (!engine.ok()) return ReportError(engine.status());
  auto statuses = (*engine)->StatusOfFeatures();
  if (!statuses.ok()) return ReportError(statuses.status());
  bool in_sync = true;
  for (const FeatureStatus& status : *statuses) in_sync = in_sync && status.InSync();
  if (options.format == "json") {
    JsonWriter json;
    json.BeginObject().Key("in_sync").Bool(in_sync).Key("features").BeginArray();
    for (const FeatureStatus& status : *statuses) {
      json.BeginObject().Key("feature").String(status.feature).Key("version").String(status.feature_version);
      json.Key("store");
      status.store.empty() ? json.Null() : json.String(status.store);
      json.Key("samples").Int(status.samples).Key("current_version").Int(status.current_version);
      for (auto [name, value] : {std::pair{"new", status.new_count}, std::pair{"stale", status.stale_count},
                                 std::pair{"orphaned", status.orphaned_count}}) {
        json.Key(name);
        value ? json.Int(*value) : json.Null();
      }
      json.Key("stale_fields").BeginObject();
      for (const auto& [field, count] : status.stale_fields) json.Key(field).Int(count);
      json.EndObject().EndObject();
    }
    json.EndArray().EndObject();
    std::printf("%s\n", json.str().c_str());
  } else {
    std::vector<std::vector<std::string>> rows = {
        {"FEATURE", "VERSION", "STORE", "SAMPLES", "CURRENT", "NEW", "STALE", "ORPHANED", "STALE FIELDS"}};
    for (const FeatureStatus& status : *statuses) {
      std::string fields;
      for (const auto& [field, count] : status.stale_fields) {
        fields += (fields.empty() ? "" : ", ") + field + " " + std::to_string(count);
      }
      rows.push_back({status.feature, status.feature_version, status.store.empty() ? "-" : status.store,
                      std::to_string(status.samples), std::to_string(status.current_version), Count(status.new_count),
                      Count(status.stale_count), Count(status.orphaned_count), fields.empty() ? "-" : fields});
    }
    PrintAlignedRows(rows);
    std::printf("%s\n", in_sync ? "In sync." : "Out of sync: some samples need work (materia features resolve KEY).");
  }
  RecordMetrics(**engine);
  if (options.assert_in_sync && !in_sync) return kExitFailed;
  return kExitOk;
}

int RunResolve(const StoreOptions& options) {
  auto engine = OpenEngine(options, /*read_only=*/true);
  if (!engine.ok()) return ReportError(engine.status());
  std::string samples;
  if (!options.samples.empty()) {
    auto loaded = (*engine)->LoadFile(options.samples);
    if (!loaded.ok()) return ReportError(loaded.status());
    samples = *loaded;
  }
  // Resolve itself reports ids missing from the samples with the file's name.
  auto resolved = (*engine)->Resolve(options.key, samples);
  if (!resolved.ok()) {
    std::string message = resolved.status().message();
    const std::string placeholder = "the samples";
    if (auto at = message.find(placeholder); at != std::string::npos && !options.samples.empty()) {
      message.replace(at, placeholder.size(), options.samples);
    }
    return ReportError(Status::InvalidInput(message));
  }
  if (!options.out.empty()) {
    auto written = (*engine)->SaveRelation(resolved->table, options.out);
    if (!written.ok()) return ReportError(written.status());
  }
  RecordMetrics(**engine, {{options.key, {resolved->new_count, resolved->stale_count, resolved->orphaned_count}}});
  if (options.format == "json") {
    JsonWriter json;
    json.BeginObject().Key("feature").String(options.key).Key("new").Int(resolved->new_count);
    json.Key("stale").Int(resolved->stale_count).Key("orphaned").Int(resolved->orphaned_count);
    json.Key("milliseconds").Double(resolved->seconds * 1000).Key("out").String(options.out).EndObject();
    std::printf("%s\n", json.str().c_str());
  } else {
    std::printf("%s: %lld new, %lld stale, %lld orphaned (%s)%s\n", options.key.c_str(),
                static_cast<long long>(resolved->new_count), static_cast<long long>(resolved->stale_count),
                static_cast<long long>(resolved->orphaned_count), Milliseconds(resolved->seconds).c_str(),
                options.out.empty() ? "" : (" -> " + options.out).c_str());
  }
  return kExitOk;
}

int RunWrite(const StoreOptions& options) {
  auto engine = OpenEngine(options, /*read_only=*/false);
  if (!engine.ok()) return ReportError(engine.status());
  auto loaded = (*engine)->LoadFile(options.in);
  if (!loaded.ok()) return ReportError(loaded.status());
  auto written = (*engine)->Write(options.key, *loaded, options.in);
  if (!written.ok()) return ReportError(written.status());
  RecordMetrics(**engine);
  std::printf("%s: wrote %s to store %s (feature version %s)\n", options.key.c_str(), Samples(written->rows).c_str(),
              written->store.c_str(), written->feature_version.c_str());
  return kExitOk;
}

int RunRead(const StoreOptions& options) {
  auto engine = OpenEngine(options, /*read_only=*/true);
  if (!engine.ok()) return ReportError(engine.status());
  auto relation = (*engine)->Read(options.key, options.where);
  if (!relation.ok()) return ReportError(relation.status());
  auto written = (*engine)->SaveRelation(*relation, options.out);
  if (!written.ok()) return ReportError(written.status());
  RecordMetrics(**engine);
  std::printf("%s: %s -> %s\n", options.key.c_str(), Samples(*written).c_str(), options.out.c_str());
  return kExitOk;
}

int RunDelete(const StoreOptions& options) {
  if (options.ids.empty() == !options.all) {
    return ReportError(Status::InvalidInput("features delete needs either --ids FILE or --all"));
  }
  auto engine = OpenEngine(options, /*read_only=*/false);
  if (!engine.ok()) return ReportError(engine.status());
  std::string keys;
  if (!options.ids.empty()) {
    auto loaded = (*engine)->LoadFile(options.ids);
    if (!loaded.ok()) return ReportError(loaded.status());
    keys = *loaded;
  }
  auto deleted = (*engine)->Delete(options.key, keys, options.hard, options.ids);
  if (!deleted.ok()) return ReportError(deleted.status());
  RecordMetrics(**engine);
  std::printf("%s: %s %s in store %s\n", options.key.c_str(), options.hard ? "removed" : "deleted",
              Samples(*deleted).c_str(), (*engine)->store().name().c_str());
  return kExitOk;
}

int RunCopy(const StoreOptions& options) {
  StoreOptions opened = options;
  opened.store = options.from;
  auto engine = OpenEngine(opened, /*read_only=*/false, {options.to});
  if (!engine.ok()) return ReportError(engine.status());
  auto copied = (*engine)->Copy(options.from, options.to, options.keys);
  if (!copied.ok()) return ReportError(copied.status());
  RecordMetrics(**engine);
  for (const auto& [key, rows] : *copied) {
    std::printf("%s: copied %s from %s to %s\n", key.c_str(), Samples(rows).c_str(), options.from.c_str(),
                options.to.c_str());
  }
  if (copied->empty()) std::printf("Store %s holds no features.\n", options.from.c_str());
  return kExitOk;
}

int RunMigrate(const StoreOptions& options) {
  auto engine = OpenEngine(options, /*read_only=*/false);
  if (!engine.ok()) return ReportError(engine.status());
  auto migrated = (*engine)->Migrate(options.key, options.field, options.to_code_version);
  if (!migrated.ok()) return ReportError(migrated.status());
  RecordMetrics(**engine);
  std::printf("%s: %s moved to the current code version without recomputing; %lld stay stale "
              "(their inputs changed too)\n",
              options.key.c_str(), Samples(migrated->migrated).c_str(), static_cast<long long>(migrated->left_stale));
  return kExitOk;
}

int RunCatalogList(const StoreOptions& options) {
  auto engine = OpenEngine(options, /*read_only=*/true);
  if (!engine.ok()) return ReportError(engine.status());
  auto entries = (*engine)->catalog().List();
  if (!entries.ok()) return ReportError(entries.status());
  if (options.format == "json") {
    JsonWriter json;
    json.BeginArray();
    for (const MaterializationEntry& entry : *entries) {
      json.BeginObject().Key("feature").String(entry.feature).Key("feature_version").String(entry.feature_version);
      json.Key("container").String(entry.container).Key("data_version").String(entry.data_version);
      json.Key("samples").Int(entry.sample_count).Key("materialized_at_ms").Int(entry.materialized_at_ms).EndObject();
    }
    json.EndArray();
    std::printf("%s\n", json.str().c_str());
    return kExitOk;
  }
  for (const MaterializationEntry& entry : *entries) {
    std::printf("%s  %s  %s  %s  data %s\n", entry.feature.c_str(), entry.feature_version.c_str(),
                entry.container.c_str(), Samples(entry.sample_count).c_str(), entry.data_version.c_str());
  }
  if (entries->empty()) std::printf("The catalog is empty.\n");
  return kExitOk;
}

int RunCatalogVerify(const StoreOptions& options) {
  auto engine = OpenEngine(options, /*read_only=*/true);
  if (!engine.ok()) return ReportError(engine.status());
  auto drifts = (*engine)->VerifyCatalog();
  if (!drifts.ok()) return ReportError(drifts.status());
  if (options.format == "json") {
    JsonWriter json;
    json.BeginObject().Key("in_sync").Bool(drifts->empty()).Key("drift").BeginArray();
    for (const CatalogDriftLine& drift : *drifts) {
      json.BeginObject().Key("kind").String(drift.kind).Key("line").String(drift.line).EndObject();
    }
    json.EndArray().EndObject();
    std::printf("%s\n", json.str().c_str());
  } else {
    for (const CatalogDriftLine& drift : *drifts) std::printf("%s\n", drift.line.c_str());
    std::printf("%s\n", drifts->empty() ? "The catalog agrees with the stores."
                                        : (std::to_string(drifts->size()) + " disagreement(s) between the catalog and the stores.").c_str());
  }
  return drifts->empty() ? kExitOk : kExitFailed;
}

}  // namespace

void RegisterFeatureStoreCommands(CLI::App* features, GlobalOptions& global) {
  auto options = std::make_shared<StoreOptions>();
  auto store_option = [options](CLI::App* command) {
    command->add_option("--store", options->store, "the store to use (default: features.store in config.yaml)");
  };

  CLI::App* status = features->add_subcommand(
      "status", "Per feature: samples stored, and how many are new, stale (by field) or orphaned");
  status->add_flag("--assert-in-sync", options->assert_in_sync, "exit 1 unless every feature is in sync");
  AddFormatOption(status, &options->format, {"text", "json"});
  store_option(status);
  SetProjectAction(status, global, [options] { return RunStatus(*options); });

  CLI::App* resolve = features->add_subcommand(
      "resolve", "Write the samples of a feature that are new, stale or orphaned to a file");
  resolve->add_option("key", options->key, "the feature, e.g. video/crop")->required();
  resolve->add_option("--samples", options->samples, "a root feature's sample list (.parquet, .csv, .jsonl)");
  resolve->add_option("--out", options->out, "where to write the rows (.parquet, .csv, .jsonl)");
  AddFormatOption(resolve, &options->format, {"text", "json"});
  store_option(resolve);
  SetProjectAction(resolve, global, [options] { return RunResolve(*options); });

  CLI::App* write = features->add_subcommand("write", "Append computed samples of a feature from a file");
  write->add_option("key", options->key, "the feature")->required();
  write->add_option("--in", options->in, "the rows (.parquet, .csv, .jsonl)")->required();
  store_option(write);
  SetProjectAction(write, global, [options] { return RunWrite(*options); });

  CLI::App* read = features->add_subcommand("read", "Write the latest samples of a feature to a file");
  read->add_option("key", options->key, "the feature")->required();
  read->add_option("--out", options->out, "the file (.parquet, .csv, .jsonl)")->required();
  read->add_option("--where", options->where, "a SQL condition on the rows (repeatable)");
  store_option(read);
  SetProjectAction(read, global, [options] { return RunRead(*options); });

  CLI::App* remove = features->add_subcommand("delete", "Delete samples of a feature (a tombstone unless --hard)");
  remove->add_option("key", options->key, "the feature")->required();
  remove->add_option("--ids", options->ids, "a file with the id columns of the samples to delete");
  remove->add_flag("--all", options->all, "delete every sample");
  remove->add_flag("--hard", options->hard, "remove the rows for good instead of appending tombstones");
  store_option(remove);
  SetProjectAction(remove, global, [options] { return RunDelete(*options); });

  CLI::App* copy = features->add_subcommand("copy", "Copy the latest samples of features from one store to another");
  copy->add_option("--from", options->from, "the source store")->required();
  copy->add_option("--to", options->to, "the target store")->required();
  copy->add_option("keys", options->keys, "the features (default: every feature the source holds)");
  SetProjectAction(copy, global, [options] { return RunCopy(*options); });

  CLI::App* migrate = features->add_subcommand(
      "migrate", "After a metadata-only code_version bump: move stored samples to the new version without recomputing");
  migrate->add_option("key", options->key, "the feature")->required();
  migrate->add_option("--field", options->field, "the field whose code_version changed");
  migrate->add_option("--to-code-version", options->to_code_version,
                      "the code_version the definition must now have (a check)");
  store_option(migrate);
  SetProjectAction(migrate, global, [options] { return RunMigrate(*options); });

  CLI::App* catalog = features->add_subcommand("catalog", "The materialization catalog: list entries, verify against stores");
  catalog->require_subcommand(1);
  CLI::App* catalog_list = catalog->add_subcommand("list", "Every materialization: feature, version, store, samples");
  AddFormatOption(catalog_list, &options->format, {"text", "json"});
  SetProjectAction(catalog_list, global, [options] { return RunCatalogList(*options); });
  CLI::App* verify = catalog->add_subcommand("verify", "Report where the catalog and the stores disagree (exit 1 if so)");
  AddFormatOption(verify, &options->format, {"text", "json"});
  SetProjectAction(verify, global, [options] { return RunCatalogVerify(*options); });
}

}  // namespace materia::cli
