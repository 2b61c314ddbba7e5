#include "xen/devices/vbd.h"

#include <cerrno>
#include <cstdio>
#include <vector>

#include "xen/devices/domain.h"
#include "xen/store/transaction.h"

namespace krata::xen::devices {
namespace {

using store::Access;
using store::Perm;
using store::TxId;
using store::XsClient;

// xen/include/public/io/xenbus.h
constexpr const char* kStateClosing = "5";
constexpr const char* kStateClosed = "6";

std::string Hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%x", v);
  return buf;
}

Status Put(XsClient& xs, TxId tx, const std::string& path, std::string_view value,
           const std::vector<Perm>& perms) {
  TRY(xs.Write(path, value, tx));
  return xs.SetPerms(path, perms, tx);
}

Status Declare(XsClient& xs, TxId tx, const VbdDeclaration& d) {
  if (d.index > kMaxVbdIndex) {
    return Error::Invalid("declaring vbd", "index " + std::to_string(d.index) + " > 15");
  }
  const uint32_t id = VbdDeviceId(d.index);
  const std::string fe = VbdFrontendPath(d.domid, id);
  const std::string be = VbdBackendPath(d.backend_domid, d.domid, id);
  // Frontend: the guest owns it, the backend reads it. Backend: dom0's, the guest reads it.
  const std::vector<Perm> fe_perms{{d.domid, Access::kNone}, {d.backend_domid, Access::kRead}};
  const std::vector<Perm> be_perms{{d.backend_domid, Access::kNone}, {d.domid, Access::kRead}};
  for (const std::string& p : {fe, be}) {  // a recycled domid may have left one behind
    Status s = xs.Rm(p, tx);
    if (!s.has_value() && s.error().errno_value() != ENOENT) return s;
  }
  TRY(Put(xs, tx, DomainPath(d.domid) + "/device/vbd", "", fe_perms));
  TRY(Put(xs, tx, VbdBackendDomainPath(d.backend_domid, d.domid), "", be_perms));
  TRY(Put(xs, tx, fe, "", fe_perms));
  for (const auto& [k, v] : std::initializer_list<std::pair<const char*, std::string>>{
           {"backend", be},
           {"backend-id", std::to_string(d.backend_domid)},
           {"state", "1"},
           {"virtual-device", std::to_string(id)},
           {"device-type", "disk"},
           {"trusted", "1"},
           {"protocol", "x86_64-abi"}}) {
    TRY(Put(xs, tx, fe + "/" + k, v, fe_perms));
  }
  TRY(Put(xs, tx, be, "", be_perms));
  for (const auto& [k, v] : std::initializer_list<std::pair<const char*, std::string>>{
           {"frontend", fe},
           {"frontend-id", std::to_string(d.domid)},
           {"online", "1"},
           {"removable", "0"},
           {"bootable", "1"},
           {"state", "1"},
           {"dev", VbdDiskName(d.index)},
           {"type", "phy"},
           {"mode", d.writable ? "w" : "r"},
           {"device-type", "disk"},
           {"discard-enable", "0"},
           {"specification", "xen"},
           {"physical-device-path", d.device_path},
           {"physical-device", Hex(d.major) + ":" + Hex(d.minor)}}) {
    TRY(Put(xs, tx, be + "/" + k, v, be_perms));
  }
  return {};
}

}  // namespace

uint32_t VbdDeviceId(uint32_t index) { return (202u << 8) | (index << 4); }

std::string VbdDiskName(uint32_t index) {
  return std::string("xvd") + static_cast<char>('a' + index);
}

std::string VbdFrontendPath(DomId domid, uint32_t id) {
  return DomainPath(domid) + "/device/vbd/" + std::to_string(id);
}

std::string VbdBackendDomainPath(DomId backend, DomId domid) {
  return DomainPath(backend) + "/backend/vbd/" + std::to_string(domid);
}

std::string VbdBackendPath(DomId backend, DomId domid, uint32_t id) {
  return VbdBackendDomainPath(backend, domid) + "/" + std::to_string(id);
}

Status DeclareVbds(XsClient& xs, std::span<const VbdDeclaration> disks) {
  if (disks.empty()) return {};
  Status s = store::RunTransaction(xs, [&](TxId tx) -> Status {
    for (const VbdDeclaration& d : disks) TRY(Declare(xs, tx, d));
    return {};
  });
  if (!s.has_value()) {
    return std::move(s.error()).With("declaring vbds of domain " + std::to_string(disks[0].domid));
  }
  return {};
}

Result<bool> CloseVbds(XsClient& xs, DomId domid, std::chrono::milliseconds timeout,
                       DomId backend) {
  const std::string dir = VbdBackendDomainPath(backend, domid);
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
  if (!s.has_value()) return std::move(s.error()).With("closing vbds of " + std::to_string(domid));
  if (ids.empty()) return true;

  // Closed = state 6 or gone (blkback removed, or someone else cleaned up).
  auto all_closed = [&]() -> Result<bool> {
    for (const std::string& id : ids) {
      std::optional<std::string> state = TRY(xs.TryRead(dir + "/" + id + "/state"));
      if (state.has_value() && *state != kStateClosed) return false;
    }
    return true;
  };
  if (TRY(all_closed())) return true;
  if (timeout.count() <= 0) return false;
  const std::string token = "krata-vbd-close-" + std::to_string(domid);
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
