#pragma once
// What the vbd and vif declarations share: writing a node with its permissions, and declaring
// a list of devices in one xenstore transaction (all or nothing).

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "xen/store/client.h"
#include "xen/store/transaction.h"

namespace krata::xen::devices {

Status PutNode(store::XsClient& xs, store::TxId tx, const std::string& path, std::string_view value,
               const std::vector<store::Perm>& perms);

// Runs declare(tx, d) for every device in one transaction; errors say "declaring <what>s of
// domain <domid>".
template <typename Decl>
Status DeclareAll(store::XsClient& xs, std::span<const Decl> devices, std::string_view what,
                  const std::function<Status(store::TxId, const Decl&)>& declare) {
  if (devices.empty()) return {};
  Status s = store::RunTransaction(xs, [&](store::TxId tx) -> Status {
    for (const Decl& d : devices) TRY(declare(tx, d));
    return {};
  });
  if (!s.has_value()) {
    return std::move(s.error()).With("declaring " + std::string(what) + "s of domain " +
                                     std::to_string(devices[0].domid));
  }
  return {};
}

}  // namespace krata::xen::devices
