#include "base/error.h"

#include <cstring>

namespace krata {

Error Error::FromErrno(std::string_view op, int errno_value, std::string context) {
  Error e;
  e.errno_value_ = errno_value;
  e.op_ = op;
  e.message_ = std::strerror(errno_value);
  e.context_ = std::move(context);
  return e;
}

Error Error::Invalid(std::string_view op, std::string message) {
  Error e;
  e.op_ = op;
  e.message_ = std::move(message);
  return e;
}

Error Error::With(std::string_view outer) && {
  if (context_.empty()) {
    context_ = outer;
  } else {
    context_ = std::string(outer) + ": " + context_;
  }
  return std::move(*this);
}

Error Error::With(std::string_view outer) const& {
  Error copy = *this;
  return std::move(copy).With(outer);
}

std::string Error::ToString() const {
  std::string out;
  if (!context_.empty()) {
    out += context_;
    out += ": ";
  }
  out += op_;
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

}  // namespace krata
