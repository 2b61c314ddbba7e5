#pragma once
// Result<T>: a value or an Error, spelled like std::expected (has_value, value, error,
// operator*, operator->, value_or) so a later switch is a search-and-replace. No operator
// bool on purpose: `if (r)` on a Result<bool> is a classic bug.
//
// TRY(expr) evaluates a Result; on error it returns the error from the enclosing function,
// otherwise it yields the value. MUST(expr) aborts on error (broken invariants only).

#include <cstdio>
#include <cstdlib>
#include <type_traits>
#include <utility>
#include <variant>

#include "base/error.h"

namespace krata {

template <typename T>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  Result(const T& v) : v_(std::in_place_index<0>, v) {}        // NOLINT: implicit by design
  Result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}  // NOLINT
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}  // NOLINT
  template <typename U>
    requires(std::is_convertible_v<U, T> && !std::is_same_v<std::decay_t<U>, T> &&
             !std::is_same_v<std::decay_t<U>, Error>)
  Result(U&& v) : v_(std::in_place_index<0>, T(std::forward<U>(v))) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  T& value() & { return Check(), std::get<0>(v_); }
  const T& value() const& { return Check(), std::get<0>(v_); }
  T&& value() && { return Check(), std::move(std::get<0>(v_)); }
  const Error& error() const { return std::get<1>(v_); }
  Error& error() { return std::get<1>(v_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(v_) : T(std::forward<U>(fallback));
  }

 private:
  void Check() const {
    if (!has_value()) {
      std::fprintf(stderr, "Result::value() on error: %s\n", error().ToString().c_str());
      std::abort();
    }
  }
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;
  Result() = default;
  Result(Error e) : error_(std::move(e)), ok_(false) {}  // NOLINT: implicit by design
  bool has_value() const { return ok_; }
  void value() const {
    if (!ok_) {
      std::fprintf(stderr, "Result::value() on error: %s\n", error_.ToString().c_str());
      std::abort();
    }
  }
  const Error& error() const { return error_; }
  Error& error() { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

namespace detail {
template <typename T>
T&& ResultValue(Result<T>&& r) {
  return std::move(r).value();
}
inline void ResultValue(Result<void>&&) {}
}  // namespace detail

}  // namespace krata

// Statement expressions: GCC and clang both support them (CMAKE_CXX_EXTENSIONS is on).
#define TRY(expr)                                                  \
  ({                                                               \
    auto&& krata_try_result_ = (expr);                             \
    if (!krata_try_result_.has_value()) {                          \
      return std::move(krata_try_result_.error());                 \
    }                                                              \
    ::krata::detail::ResultValue(std::move(krata_try_result_));    \
  })

#define MUST(expr)                                                              \
  ({                                                                            \
    auto&& krata_must_result_ = (expr);                                         \
    if (!krata_must_result_.has_value()) {                                      \
      std::fprintf(stderr, "%s:%d: MUST(%s) failed: %s\n", __FILE__, __LINE__, \
                   #expr, krata_must_result_.error().ToString().c_str());       \
      std::abort();                                                             \
    }                                                                           \
    ::krata::detail::ResultValue(std::move(krata_must_result_));                \
  })
