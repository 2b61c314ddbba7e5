#include "xen/devices/domain.h"

#include <cerrno>
#include <vector>

#include "xen/store/transaction.h"

namespace krata::xen::devices {
namespace {

using store::Access;
using store::Perm;
using store::TxId;
using store::XsClient;

std::string Hex2(uint8_t b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  return {kDigits[b >> 4], kDigits[b & 15]};
}

// Writes path=value and sets its perms, inside tx.
class Writer {
 public:
  Writer(XsClient& xs, TxId tx, DomId domid) : xs_(xs), tx_(tx), domid_(domid) {}
  // dom0-owned, readable by the guest.
  Status Ro(const std::string& path, std::string_view value = "") {
    TRY(xs_.Write(path, value, tx_));
    std::vector<Perm> perms{{0, Access::kNone}, {domid_, Access::kRead}};
    return xs_.SetPerms(path, perms, tx_);
  }
  // Owned by the guest (which may then write it); dom0 is privileged anyway.
  Status Rw(const std::string& path, std::string_view value = "") {
    TRY(xs_.Write(path, value, tx_));
    std::vector<Perm> perms{{domid_, Access::kNone}};
    return xs_.SetPerms(path, perms, tx_);
  }
  // dom0 only.
  Status Private(const std::string& path, std::string_view value = "") {
    TRY(xs_.Write(path, value, tx_));
    std::vector<Perm> perms{{0, Access::kNone}};
    return xs_.SetPerms(path, perms, tx_);
  }

 private:
  XsClient& xs_;
  TxId tx_;
  DomId domid_;
};

Status Declare(XsClient& xs, TxId tx, const DomainDeclaration& d) {
  const std::string dom = DomainPath(d.domid);
  const std::string vm = "/vm/" + UuidString(d.uuid);
  // Start from a clean slate: a recycled domid may have left nodes behind.
  for (const std::string& p : {dom, vm}) {
    Status s = xs.Rm(p, tx);
    if (!s.has_value() && s.error().errno_value() != ENOENT) return s;
  }
  Writer w(xs, tx, d.domid);
  TRY(w.Ro(dom));
  TRY(w.Private(vm));
  TRY(w.Private(vm + "/uuid", UuidString(d.uuid)));
  TRY(w.Private(vm + "/name", d.name));
  TRY(w.Private(vm + "/image/os_type", "linux"));
  TRY(w.Private(vm + "/image/cmdline", d.cmdline));
  TRY(w.Ro(dom + "/vm", vm));
  TRY(w.Ro(dom + "/name", d.name));
  TRY(w.Ro(dom + "/domid", std::to_string(d.domid)));
  TRY(w.Ro(dom + "/cpu"));
  for (uint32_t i = 0; i < d.vcpus; ++i) {
    TRY(w.Ro(dom + "/cpu/" + std::to_string(i) + "/availability", "online"));
  }
  TRY(w.Ro(dom + "/memory"));
  TRY(w.Ro(dom + "/memory/static-max", std::to_string(d.max_kib)));
  TRY(w.Ro(dom + "/memory/target", std::to_string(d.target_kib)));
  TRY(w.Ro(dom + "/memory/videoram", "0"));
  TRY(w.Ro(dom + "/store"));
  TRY(w.Ro(dom + "/store/port", std::to_string(d.store_evtchn)));
  TRY(w.Ro(dom + "/store/ring-ref", std::to_string(d.store_mfn)));
  // The primary console: the guest finds its ring in start_info; these keys describe it
  // for backends. type "krata" keeps xenconsoled (if one runs) away from it.
  TRY(w.Ro(dom + "/console"));
  TRY(w.Ro(dom + "/console/port", std::to_string(d.console_evtchn)));
  TRY(w.Ro(dom + "/console/ring-ref", std::to_string(d.console_mfn)));
  TRY(w.Ro(dom + "/console/type", "krata"));
  TRY(w.Ro(dom + "/console/limit", "1048576"));
  TRY(w.Ro(dom + "/control"));
  for (const char* k :
       {"shutdown", "sysrq", "feature-poweroff", "feature-reboot", "feature-suspend"}) {
    TRY(w.Rw(dom + "/control/" + k));
  }
  TRY(w.Ro(dom + "/control/platform-feature-multiprocessor-suspend", "1"));
  TRY(w.Ro(dom + "/control/platform-feature-xs_reset_watches", "1"));
  for (const char* k : {"data", "drivers", "feature", "attr", "error", "device"}) {
    TRY(w.Rw(dom + "/" + k));
  }
  for (const auto& [k, v] : d.extra) TRY(w.Ro(dom + "/" + k, v));
  for (const std::string& k : d.guest_writable) TRY(w.Rw(dom + "/" + k));
  return {};
}

}  // namespace

std::string UuidString(const std::array<uint8_t, 16>& u) {
  std::string s;
  for (size_t i = 0; i < u.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    s += Hex2(u[i]);
  }
  return s;
}

std::string DomainPath(DomId domid) { return "/local/domain/" + std::to_string(domid); }

Status DeclareDomain(XsClient& xs, const DomainDeclaration& d) {
  Status s = store::RunTransaction(xs, [&](TxId tx) { return Declare(xs, tx, d); });
  if (!s.has_value())
    return std::move(s.error()).With("declaring domain " + std::to_string(d.domid));
  return {};
}

Status IntroduceDomain(XsClient& xs, const DomainDeclaration& d) {
  return xs.Introduce(d.domid, d.store_mfn, d.store_evtchn);
}

Status RemoveDomain(XsClient& xs, DomId domid) {
  const std::string dom = DomainPath(domid);
  auto rm_if = [&](const std::string& path, TxId tx) -> Status {
    Status s = xs.Rm(path, tx);
    if (!s.has_value() && s.error().errno_value() != ENOENT) return s;
    return {};
  };
  Status s = store::RunTransaction(xs, [&](TxId tx) -> Status {
    Result<std::optional<std::string>> vm = xs.TryRead(dom + "/vm", tx);
    if (!vm.has_value()) return std::move(vm.error());
    // Only our own /vm/<uuid> form: the value is guest-readable but dom0-owned.
    if (vm->has_value() && (*vm)->rfind("/vm/", 0) == 0 && (*vm)->size() == 4 + 36) {
      TRY(rm_if(**vm, tx));
    }
    Result<std::optional<std::string>> unused = xs.TryRead("/local/domain/0/backend", tx);
    if (!unused.has_value()) return std::move(unused.error());
    if (unused->has_value()) {
      Result<std::vector<std::string>> kinds = xs.Directory("/local/domain/0/backend", tx);
      if (!kinds.has_value()) return std::move(kinds.error());
      for (const std::string& kind : *kinds) {
        TRY(rm_if("/local/domain/0/backend/" + kind + "/" + std::to_string(domid), tx));
      }
    }
    return rm_if(dom, tx);
  });
  if (!s.has_value()) return std::move(s.error()).With("removing domain " + std::to_string(domid));
  // xenstored keeps the connection until released; ENOENT/EINVAL: it never knew the domain.
  Status r = xs.Release(domid);
  if (!r.has_value() && r.error().errno_value() != ENOENT && r.error().errno_value() != EINVAL) {
    return std::move(r.error()).With("releasing domain " + std::to_string(domid));
  }
  return {};
}

}  // namespace krata::xen::devices
