#pragma once
// Error: what failed (op), the OS errno if any, and short context. Systems code returns these
// through Result<T> instead of throwing (docs/ARCHITECTURE.md, "Errors").

#include <string>
#include <string_view>

namespace krata {

class Error {
 public:
  Error() = default;
  // An OS call failed: op names the syscall/ioctl/hypercall, errno_value is the saved errno.
  static Error FromErrno(std::string_view op, int errno_value, std::string context = {});
  // Bad input or a broken protocol: no errno.
  static Error Invalid(std::string_view op, std::string message);

  int errno_value() const { return errno_value_; }
  std::string_view op() const { return op_; }
  const std::string& message() const { return message_; }

  // Adds outer context, e.g. Error(...).With("domain 3"): "domain 3: op: message".
  Error With(std::string_view outer) &&;
  Error With(std::string_view outer) const&;

  // Human-readable one-line description: "[context: ]op: message[ (errno name)]".
  std::string ToString() const;

 private:
  int errno_value_ = 0;
  std::string op_;
  std::string message_;
  std::string context_;
};

}  // namespace krata
