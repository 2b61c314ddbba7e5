// Fuzzes the launch config decoder krata-zone runs on /dev/xvdb. Invariant: an accepted config
// encodes and decodes back to the same JSON (the codec loses nothing it accepted).

#include <cstdint>
#include <cstdlib>

#include "zone/config/launch_config.h"

using namespace krata::zone;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  krata::ByteSpan bytes(reinterpret_cast<const std::byte*>(data), size);
  krata::Result<LaunchConfig> c = DecodeLaunchConfig(bytes);
  if (!c.has_value()) return 0;
  std::string again = EncodeLaunchConfig(*c);
  krata::Result<LaunchConfig> d = DecodeLaunchConfig(krata::AsBytes(again));
  if (!d.has_value() || ToJson(*d) != ToJson(*c)) std::abort();
  return 0;
}
