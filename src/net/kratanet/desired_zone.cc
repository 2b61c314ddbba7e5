#include "net/kratanet/desired_zone.h"

#include <net/if.h>

#include <charconv>

namespace krata::net::kratanet {
namespace {

constexpr std::string_view kOp = "parse zone";

Result<uint16_t> ParsePortNumber(std::string_view text) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v == 0 ||
      v > 65535) {
    return Error::Invalid("parse port forward", "bad port \"" + std::string(text) + "\"");
  }
  return static_cast<uint16_t>(v);
}

// An address with an optional /prefix (ignored).
Result<IpAddr> ParseHostAddress(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return ParseIp(text);
  auto [ip, prefix] = TRY(ParseCidr(text));
  (void)prefix;
  return ip;
}

}  // namespace

bool SameAttachment(const DesiredZone& a, const DesiredZone& b) {
  if (a.id != b.id || a.ifname != b.ifname || a.addrs.mac != b.addrs.mac ||
      a.addrs.ip4 != b.addrs.ip4 || a.addrs.ip6 != b.addrs.ip6 ||
      a.forwards.size() != b.forwards.size()) {
    return false;
  }
  for (size_t i = 0; i < a.forwards.size(); ++i) {
    const PortForward& x = a.forwards[i];
    const PortForward& y = b.forwards[i];
    if (x.host_port != y.host_port || x.zone_port != y.zone_port || x.udp != y.udp) return false;
  }
  return true;
}

Result<PortForward> ParsePortForward(std::string_view text) {
  PortForward f;
  size_t slash = text.find('/');
  if (slash != std::string_view::npos) {
    std::string_view proto = text.substr(slash + 1);
    if (proto == "udp") {
      f.udp = true;
    } else if (proto != "tcp") {
      return Error::Invalid("parse port forward", "protocol must be tcp or udp");
    }
    text = text.substr(0, slash);
  }
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return Error::Invalid("parse port forward", "expected HOSTPORT:ZONEPORT[/udp]");
  }
  f.host_port = TRY(ParsePortNumber(text.substr(0, colon)));
  f.zone_port = TRY(ParsePortNumber(text.substr(colon + 1)));
  return f;
}

std::string ToString(const PortForward& f) {
  return std::to_string(f.host_port) + ":" + std::to_string(f.zone_port) +
         (f.udp ? "/udp" : "/tcp");
}

Result<DesiredZone> ParseZoneSpec(std::string_view text) {
  std::vector<std::string_view> fields;
  size_t pos = 0;
  for (;;) {
    size_t comma = text.find(',', pos);
    fields.push_back(text.substr(pos, comma - pos));
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  if (fields.size() < 4) {
    return Error::Invalid(kOp, "expected IFNAME,MAC,IP4,IP6[,HOSTPORT:ZONEPORT[/udp]...]");
  }
  DesiredZone z;
  if (fields[0].empty() || fields[0].size() >= IFNAMSIZ ||
      fields[0].find_first_of("/ \t:") != std::string_view::npos) {
    return Error::Invalid(kOp, "bad interface name \"" + std::string(fields[0]) + "\"");
  }
  z.id = z.label = z.ifname = z.addrs.name = std::string(fields[0]);
  z.addrs.mac = TRY(ParseMac(fields[1]));
  z.addrs.ip4 = TRY(ParseHostAddress(fields[2]));
  z.addrs.ip6 = TRY(ParseHostAddress(fields[3]));
  if (z.addrs.ip4.v6 || !z.addrs.ip6.v6) {
    return Error::Invalid(kOp, "the third field is the IPv4 address, the fourth the IPv6 one");
  }
  for (size_t i = 4; i < fields.size(); ++i) z.forwards.push_back(TRY(ParsePortForward(fields[i])));
  return z;
}

Result<std::pair<IpAddr, Subnet>> ParseAddressInSubnet(std::string_view text) {
  auto [ip, prefix] = TRY(ParseCidr(text));
  Subnet s{ip, prefix};
  for (size_t i = 0; i < ip.size(); ++i) {
    size_t bit = i * 8;
    if (bit >= prefix) {
      s.base.b[i] = 0;
    } else if (prefix - bit < 8) {
      s.base.b[i] &= static_cast<uint8_t>(0xff << (8 - (prefix - bit)));
    }
  }
  return std::pair<IpAddr, Subnet>(ip, s);
}

}  // namespace krata::net::kratanet
