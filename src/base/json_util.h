#pragma once
// Type-checked access to untrusted JSON (nlohmann). nlohmann throws on a type mismatch, and
// systems code must not throw, so every field goes through these helpers, which check the
// type first and report "field: expected string" style errors. Shared by the OCI parsers and
// the zone launch config.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace krata::json_util {

using Json = nlohmann::json;

// Parses text without exceptions; an error if it is not JSON or not an object.
Result<Json> ParseObject(std::string_view text, std::string_view what);

// Optional string field: absent or null gives nullopt; any other non-string is an error.
Result<std::optional<std::string>> OptString(const Json& obj, std::string_view key,
                                             std::string_view what);
// Required string field.
Result<std::string> ReqString(const Json& obj, std::string_view key, std::string_view what);
// Optional non-negative integer that fits int64 (JSON numbers like 1.0 are refused).
Result<std::optional<int64_t>> OptNonNegInt(const Json& obj, std::string_view key,
                                            std::string_view what);
// Optional array of strings (null means absent).
Result<std::optional<std::vector<std::string>>> OptStringArray(const Json& obj,
                                                               std::string_view key,
                                                               std::string_view what);
// Optional object whose values are strings (annotations, labels).
Result<std::map<std::string, std::string>> OptStringMap(const Json& obj, std::string_view key,
                                                        std::string_view what);
// Optional object used as a set (ExposedPorts, Volumes): its keys, values ignored.
Result<std::vector<std::string>> OptObjectKeys(const Json& obj, std::string_view key,
                                               std::string_view what);
// A member that must be an object if present; nullptr when absent or null.
Result<const Json*> OptObject(const Json& obj, std::string_view key, std::string_view what);
Result<const Json*> OptArray(const Json& obj, std::string_view key, std::string_view what);

}  // namespace krata::json_util
