// ParseResolvConf and ParseDnsServer on arbitrary bytes: no crash, at most kMaxNameservers
// servers, every one on port 53, and each --dns form that parses prints back to one that
// parses to the same endpoint.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "net/kratanet/resolv_conf.h"

using namespace krata::net;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<Endpoint> servers = kratanet::ParseResolvConf(text);
  if (servers.size() > kratanet::kMaxNameservers) std::abort();
  for (const Endpoint& e : servers) {
    if (e.port != 53) std::abort();
  }
  krata::Result<Endpoint> e = kratanet::ParseDnsServer(text.substr(0, 64));
  if (e.has_value()) {
    krata::Result<Endpoint> again = kratanet::ParseDnsServer(ToString(*e));
    if (!again.has_value() || *again != *e) std::abort();
  }
  return 0;
}
