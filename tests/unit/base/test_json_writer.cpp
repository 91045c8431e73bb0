#include "base/json_writer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace materia {
namespace {

TEST(JsonWriter, NestedContainersHaveCommasOnlyBetweenItems) {
  JsonWriter writer;
  writer.BeginObject()
      .Key("a").Int(1)
      .Key("b").BeginArray().String("x").BeginObject().EndObject().Null().EndArray()
      .Key("c").Bool(false)
      .Key("d").StringArray({})
      .EndObject();
  EXPECT_EQ(writer.str(), R"({"a":1,"b":["x",{},null],"c":false,"d":[]})");
}

TEST(JsonWriter, EscapesWhatJsonRequiresAndKeepsUtf8) {
  std::string tricky = std::string("q\"b\\n\nt\tc") + '\x01' + "Ünï";
  JsonWriter writer;
  writer.BeginObject().Key(tricky).String(tricky).EndObject();
  EXPECT_EQ(writer.str(), "{\"q\\\"b\\\\n\\nt\\tc\\u0001Ünï\":\"q\\\"b\\\\n\\nt\\tc\\u0001Ünï\"}");
  // What it writes reads back as the same text.
  nlohmann::json parsed = nlohmann::json::parse(writer.str());
  EXPECT_EQ(parsed[tricky].get<std::string>(), tricky);
  EXPECT_EQ(JsonQuote("a\"b"), "\"a\\\"b\"");
}

}  // namespace
}  // namespace materia
