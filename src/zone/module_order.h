#pragma once
// /lib/modules/krata-load-order: the kernel modules krata-zone loads at boot, in dependency
// order, written by src/zone/build-initrd from modules.dep. One path per line, relative to
// /lib/modules/<uname -r>/; a leading "?" marks a module whose failure only warns; "#" starts
// a comment line.
//
//   kernel/drivers/block/xen-blkfront.ko
//   ?kernel/lib/libcrc32c.ko

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace krata::zone {

inline constexpr std::string_view kModuleOrderFile = "/lib/modules/krata-load-order";
inline constexpr size_t kMaxModules = 256;

struct ModuleEntry {
  std::string path;  // relative, no "..", ends in ".ko"
  bool optional = false;
};

// Errors name the line; duplicates are dropped (first wins).
Result<std::vector<ModuleEntry>> ParseModuleOrder(std::string_view text);

}  // namespace krata::zone
