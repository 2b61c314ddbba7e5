#include "base/json_util.h"

namespace krata::json_util {
namespace {

Error FieldError(std::string_view what, std::string_view key, std::string_view expected) {
  return Error::Invalid(what,
                        "field \"" + std::string(key) + "\": expected " + std::string(expected));
}

const Json* Find(const Json& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

}  // namespace

Result<Json> ParseObject(std::string_view text, std::string_view what) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Error::Invalid(what, "not valid JSON");
  if (!j.is_object()) return Error::Invalid(what, "JSON top level is not an object");
  return j;
}

Result<std::optional<std::string>> OptString(const Json& obj, std::string_view key,
                                             std::string_view what) {
  const Json* v = Find(obj, key);
  if (v == nullptr) return std::optional<std::string>();
  if (!v->is_string()) return FieldError(what, key, "a string");
  return std::optional<std::string>(v->get_ref<const std::string&>());
}

Result<std::string> ReqString(const Json& obj, std::string_view key, std::string_view what) {
  std::optional<std::string> s = TRY(OptString(obj, key, what));
  if (!s.has_value()) return FieldError(what, key, "a string (missing)");
  return std::move(*s);
}

Result<std::optional<int64_t>> OptNonNegInt(const Json& obj, std::string_view key,
                                            std::string_view what) {
  const Json* v = Find(obj, key);
  if (v == nullptr) return std::optional<int64_t>();
  if (v->is_number_unsigned()) {
    uint64_t u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return FieldError(what, key, "a size below 2^63");
    return std::optional<int64_t>(static_cast<int64_t>(u));
  }
  if (v->is_number_integer()) {
    int64_t i = v->get<int64_t>();
    if (i < 0) return FieldError(what, key, "a non-negative integer");
    return std::optional<int64_t>(i);
  }
  return FieldError(what, key, "an integer");
}

Result<std::optional<std::vector<std::string>>> OptStringArray(const Json& obj,
                                                               std::string_view key,
                                                               std::string_view what) {
  const Json* v = Find(obj, key);
  if (v == nullptr) return std::optional<std::vector<std::string>>();
  if (!v->is_array()) return FieldError(what, key, "an array of strings");
  std::vector<std::string> out;
  out.reserve(v->size());
  for (const Json& e : *v) {
    if (!e.is_string()) return FieldError(what, key, "an array of strings");
    out.push_back(e.get_ref<const std::string&>());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Result<std::map<std::string, std::string>> OptStringMap(const Json& obj, std::string_view key,
                                                        std::string_view what) {
  std::map<std::string, std::string> out;
  const Json* v = Find(obj, key);
  if (v == nullptr) return out;
  if (!v->is_object()) return FieldError(what, key, "an object of strings");
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (!it.value().is_string()) return FieldError(what, key, "an object of strings");
    out.emplace(it.key(), it.value().get_ref<const std::string&>());
  }
  return out;
}

Result<std::vector<std::string>> OptObjectKeys(const Json& obj, std::string_view key,
                                               std::string_view what) {
  std::vector<std::string> out;
  const Json* v = Find(obj, key);
  if (v == nullptr) return out;
  if (!v->is_object()) return FieldError(what, key, "an object");
  for (auto it = v->begin(); it != v->end(); ++it) out.push_back(it.key());
  return out;
}

Result<const Json*> OptObject(const Json& obj, std::string_view key, std::string_view what) {
  const Json* v = Find(obj, key);
  if (v != nullptr && !v->is_object()) return FieldError(what, key, "an object");
  return v;
}

Result<const Json*> OptArray(const Json& obj, std::string_view key, std::string_view what) {
  const Json* v = Find(obj, key);
  if (v != nullptr && !v->is_array()) return FieldError(what, key, "an array");
  return v;
}

}  // namespace krata::json_util
