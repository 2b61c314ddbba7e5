#pragma once
// UniqueHandle<Traits>: a move-only owner of an OS handle. Traits provide
// `static T Invalid()` and `static void Close(T)`. No implicit conversion to the raw value.

#include <utility>

namespace krata {

template <typename Traits>
class UniqueHandle {
 public:
  using Handle = decltype(Traits::Invalid());
  UniqueHandle() = default;
  explicit UniqueHandle(Handle h) : h_(h) {}
  ~UniqueHandle() { reset(); }
  UniqueHandle(UniqueHandle&& o) noexcept : h_(o.release()) {}
  UniqueHandle& operator=(UniqueHandle&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  UniqueHandle(const UniqueHandle&) = delete;
  UniqueHandle& operator=(const UniqueHandle&) = delete;

  Handle get() const { return h_; }
  explicit operator bool() const { return h_ != Traits::Invalid(); }
  [[nodiscard]] Handle release() { return std::exchange(h_, Traits::Invalid()); }
  void reset(Handle h = Traits::Invalid()) {
    Handle old = std::exchange(h_, h);
    if (old != Traits::Invalid()) Traits::Close(old);
  }

 private:
  Handle h_ = Traits::Invalid();
};

struct FdTraits {
  static int Invalid() { return -1; }
  static void Close(int fd);  // close(2); never retried on EINTR (see unique_fd.cc)
};
using UniqueFd = UniqueHandle<FdTraits>;

}  // namespace krata
