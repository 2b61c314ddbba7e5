#pragma once
// The real Runtime (runtime.h) over src/xen/launch. OpenLinuxRuntime opens /dev/xen/* and
// three xenstored connections; MakeLinuxRuntime takes them ready-made, so unit tests run it
// over FakePrivcmd, FakeXenstored and the fake event channels and grants.
//
// Launch: zone dir + config.img -> read-only loops (image = xvda, config = xvdb) -> kernel
// (kernel cache) and initrd -> build, xenstore declaration (domain, vbds, krata/*), introduce,
// console -> unpause -> the console hub takes the console. Destroy: console released ->
// vbd close handshake -> xenstore nodes removed -> domain destroyed -> loops detached -> zone
// dir removed. See README.md.

#include <memory>

#include "runtime/runtime.h"
#include "xen/launch/launch.h"
#include "xen/store/client.h"

namespace krata::runtime {

struct LinuxRuntimeParts {
  xen::launch::XenHost host;
  // A connection for WaitForChange's @releaseDomain watch only, and one for the watches of
  // the vbd close handshake (watch events are per connection).
  std::unique_ptr<xen::store::XsClient> change_xs;
  std::unique_ptr<xen::store::XsClient> destroy_xs;
  std::string kernel_cache_dir;  // empty: <store>/cache/kernel
};

Result<std::unique_ptr<Runtime>> MakeLinuxRuntime(LinuxRuntimeParts parts,
                                                  const RuntimeOptions& options);

}  // namespace krata::runtime
