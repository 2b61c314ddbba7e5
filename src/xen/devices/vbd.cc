#include "xen/devices/vbd.h"

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

std::string Hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%x", v);
  return buf;
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
  TRY(PutNode(xs, tx, DomainPath(d.domid) + "/device/vbd", "", fe_perms));
  TRY(PutNode(xs, tx, VbdBackendDomainPath(d.backend_domid, d.domid), "", be_perms));
  TRY(PutNode(xs, tx, fe, "", fe_perms));
  for (const auto& [k, v] : std::initializer_list<std::pair<const char*, std::string>>{
           {"backend", be},
           {"backend-id", std::to_string(d.backend_domid)},
           {"state", "1"},
           {"virtual-device", std::to_string(id)},
           {"device-type", "disk"},
           {"trusted", "1"},
           {"protocol", "x86_64-abi"}}) {
    TRY(PutNode(xs, tx, fe + "/" + k, v, fe_perms));
  }
  TRY(PutNode(xs, tx, be, "", be_perms));
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
    TRY(PutNode(xs, tx, be + "/" + k, v, be_perms));
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
  return DeclareAll<VbdDeclaration>(
      xs, disks, "vbd", [&xs](TxId tx, const VbdDeclaration& d) { return Declare(xs, tx, d); });
}

Result<bool> CloseVbds(XsClient& xs, DomId domid, std::chrono::milliseconds timeout,
                       DomId backend) {
  return CloseBackends(xs, "vbd", domid, timeout, backend);
}

}  // namespace krata::xen::devices
