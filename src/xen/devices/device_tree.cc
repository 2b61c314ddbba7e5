#include "xen/devices/device_tree.h"

namespace krata::xen::devices {

Status PutNode(store::XsClient& xs, store::TxId tx, const std::string& path, std::string_view value,
               const std::vector<store::Perm>& perms) {
  TRY(xs.Write(path, value, tx));
  return xs.SetPerms(path, perms, tx);
}

}  // namespace krata::xen::devices
