#pragma once
// Overflow-checked arithmetic for sizes and offsets that come from untrusted input.

#include <cstdint>
#include <optional>
#include <type_traits>

namespace krata {

template <typename T>
  requires std::is_integral_v<T>
constexpr std::optional<T> CheckedAdd(T a, T b) {
  T out;
  if (__builtin_add_overflow(a, b, &out)) return std::nullopt;
  return out;
}

template <typename T>
  requires std::is_integral_v<T>
constexpr std::optional<T> CheckedMul(T a, T b) {
  T out;
  if (__builtin_mul_overflow(a, b, &out)) return std::nullopt;
  return out;
}

// Rounds v up to a multiple of align (a power of two); nullopt on overflow.
template <typename T>
  requires std::is_unsigned_v<T>
constexpr std::optional<T> AlignUp(T v, T align) {
  auto sum = CheckedAdd<T>(v, align - 1);
  if (!sum) return std::nullopt;
  return *sum & ~(align - 1);
}

}  // namespace krata
