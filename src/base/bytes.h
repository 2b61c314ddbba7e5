#pragma once
// Byte views over untrusted input: bounds-checked little-endian loads.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

namespace krata {

using ByteSpan = std::span<const std::byte>;

inline ByteSpan AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

inline std::string_view AsChars(ByteSpan b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Loads a little-endian unsigned integer at offset, or nullopt if it does not fit.
template <typename T>
std::optional<T> LoadLe(ByteSpan data, size_t offset) {
  if (offset > data.size() || data.size() - offset < sizeof(T)) return std::nullopt;
  T v;
  std::memcpy(&v, data.data() + offset, sizeof(T));
  static_assert(std::endian::native == std::endian::little, "x86_64 only");
  return v;
}

}  // namespace krata
