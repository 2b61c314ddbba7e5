#include "xen/devices/vif.h"

#include <cerrno>
#include <cstdio>
#include <vector>

#include "xen/devices/backend_close.h"
#include "xen/devices/device_tree.h"
#include "xen/devices/domain.h"
#include "xen/store/transaction.h"

namespace krata::xen::devices {
namespace {

using store::Access;
using store::Perm;
using store::TxId;
using store::XsClient;

Status Declare(XsClient& xs, TxId tx, const VifDeclaration& d) {
  if ((d.mac[0] & 1) != 0) {
    return Error::Invalid("declaring vif", "multicast MAC " + VifMacString(d.mac));
  }
  const std::string fe = VifFrontendPath(d.domid, d.handle);
  const std::string be = VifBackendPath(d.backend_domid, d.domid, d.handle);
  const std::string mac = VifMacString(d.mac);
  const std::vector<Perm> fe_perms{{d.domid, Access::kNone}, {d.backend_domid, Access::kRead}};
  const std::vector<Perm> be_perms{{d.backend_domid, Access::kNone}, {d.domid, Access::kRead}};
  for (const std::string& p : {fe, be}) {  // a recycled domid may have left one behind
    Status s = xs.Rm(p, tx);
    if (!s.has_value() && s.error().errno_value() != ENOENT) return s;
  }
  TRY(PutNode(xs, tx, DomainPath(d.domid) + "/device/vif", "", fe_perms));
  TRY(PutNode(xs, tx, DomainPath(d.backend_domid) + "/backend/vif/" + std::to_string(d.domid), "",
              be_perms));
  TRY(PutNode(xs, tx, fe, "", fe_perms));
  for (const auto& [k, v] : std::initializer_list<std::pair<const char*, std::string>>{
           {"backend", be},
           {"backend-id", std::to_string(d.backend_domid)},
           {"handle", std::to_string(d.handle)},
           {"mac", mac},
           {"state", "1"}}) {
    TRY(PutNode(xs, tx, fe + "/" + k, v, fe_perms));
  }
  TRY(PutNode(xs, tx, be, "", be_perms));
  // Linux xen-netback's probe (drivers/net/xen-netback/xenbus.c, netback_probe) fails with
  // "reading script" when the node is missing; we run no hotplug script, so it is empty and
  // hotplug-status says "connected" up front (netback defers Connected until it does).
  for (const auto& [k, v] : std::initializer_list<std::pair<const char*, std::string>>{
           {"frontend", fe},
           {"frontend-id", std::to_string(d.domid)},
           {"handle", std::to_string(d.handle)},
           {"mac", mac},
           {"type", "vif"},
           {"online", "1"},
           {"state", "1"},
           {"script", ""},
           {"hotplug-status", "connected"}}) {
    TRY(PutNode(xs, tx, be + "/" + k, v, be_perms));
  }
  return {};
}

}  // namespace

std::string VifMacString(const std::array<uint8_t, 6>& m) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
                m[5]);
  return buf;
}

std::string VifFrontendPath(DomId domid, uint32_t handle) {
  return DomainPath(domid) + "/device/vif/" + std::to_string(handle);
}

std::string VifBackendPath(DomId backend, DomId domid, uint32_t handle) {
  return DomainPath(backend) + "/backend/vif/" + std::to_string(domid) + "/" +
         std::to_string(handle);
}

std::string VifBackendIfName(DomId domid, uint32_t handle) {
  return "vif" + std::to_string(domid) + "." + std::to_string(handle);
}

Status DeclareVifs(XsClient& xs, std::span<const VifDeclaration> vifs) {
  return DeclareAll<VifDeclaration>(
      xs, vifs, "vif", [&xs](TxId tx, const VifDeclaration& d) { return Declare(xs, tx, d); });
}

Result<bool> CloseVifs(XsClient& xs, DomId domid, std::chrono::milliseconds timeout,
                       DomId backend) {
  return CloseBackends(xs, "vif", domid, timeout, backend);
}

}  // namespace krata::xen::devices
