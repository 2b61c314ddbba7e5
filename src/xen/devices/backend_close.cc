#include "xen/devices/backend_close.h"

#include <string>
#include <vector>

#include "xen/devices/domain.h"
#include "xen/store/transaction.h"

namespace krata::xen::devices {
namespace {

using store::TxId;
using store::XsClient;

// xen/include/public/io/xenbus.h
constexpr const char* kStateClosing = "5";
constexpr const char* kStateClosed = "6";

}  // namespace

Result<bool> CloseBackends(XsClient& xs, std::string_view kind, DomId domid,
                           std::chrono::milliseconds timeout, DomId backend) {
  const std::string dir =
      DomainPath(backend) + "/backend/" + std::string(kind) + "/" + std::to_string(domid);
  std::vector<std::string> ids;
  Status s = store::RunTransaction(xs, [&](TxId tx) -> Status {
    ids.clear();
    Result<std::optional<std::string>> exists = xs.TryRead(dir, tx);
    if (!exists.has_value()) return std::move(exists.error());
    if (!exists->has_value()) return {};
    ids = TRY(xs.Directory(dir, tx));
    for (const std::string& id : ids) {
      std::optional<std::string> state = TRY(xs.TryRead(dir + "/" + id + "/state", tx));
      if (!state.has_value() || *state == kStateClosed) continue;
      TRY(xs.Write(dir + "/" + id + "/online", "0", tx));
      TRY(xs.Write(dir + "/" + id + "/state", kStateClosing, tx));
    }
    return {};
  });
  if (!s.has_value())
    return std::move(s.error()).With("closing " + std::string(kind) + "s of " +
                                     std::to_string(domid));
  if (ids.empty()) return true;

  // Closed = state 6 or gone (the driver removed it, or someone else cleaned up).
  auto all_closed = [&]() -> Result<bool> {
    for (const std::string& id : ids) {
      std::optional<std::string> state = TRY(xs.TryRead(dir + "/" + id + "/state"));
      if (state.has_value() && *state != kStateClosed) return false;
    }
    return true;
  };
  if (TRY(all_closed())) return true;
  if (timeout.count() <= 0) return false;
  const std::string token = "krata-" + std::string(kind) + "-close-" + std::to_string(domid);
  TRY(xs.Watch(dir, token));
  struct Unwatch {
    XsClient& xs;
    const std::string& dir;
    const std::string& token;
    ~Unwatch() { (void)xs.Unwatch(dir, token); }
  } unwatch{xs, dir, token};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (TRY(all_closed())) return true;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (!TRY(xs.WaitWatchEvent(left)).has_value()) return TRY(all_closed());
  }
}

}  // namespace krata::xen::devices
