#include "net/packet/addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace krata::net {

IpAddr IpAddr::V4(uint8_t a, uint8_t b1, uint8_t c, uint8_t d) {
  IpAddr r;
  r.b[0] = a;
  r.b[1] = b1;
  r.b[2] = c;
  r.b[3] = d;
  return r;
}

IpAddr IpAddr::V4Bytes(const uint8_t* p) {
  IpAddr r;
  std::memcpy(r.b.data(), p, 4);
  return r;
}

IpAddr IpAddr::V6Bytes(const uint8_t* p) {
  IpAddr r;
  r.v6 = true;
  std::memcpy(r.b.data(), p, 16);
  return r;
}

bool IpAddr::IsUnspecified() const {
  for (size_t i = 0; i < size(); ++i) {
    if (b[i] != 0) return false;
  }
  return true;
}

bool IpAddr::IsMulticast() const {
  if (v6) return b[0] == 0xff;
  if ((b[0] & 0xf0) == 0xe0) return true;
  return b[0] == 0xff && b[1] == 0xff && b[2] == 0xff && b[3] == 0xff;
}

bool Subnet::Contains(const IpAddr& a) const {
  if (a.v6 != base.v6) return false;
  size_t bits = std::min<size_t>(prefix, a.size() * 8);
  size_t whole = bits / 8;
  if (std::memcmp(a.b.data(), base.b.data(), whole) != 0) return false;
  if (bits % 8 == 0) return true;
  auto mask = static_cast<uint8_t>(0xff << (8 - bits % 8));
  return (a.b[whole] & mask) == (base.b[whole] & mask);
}

namespace {

constexpr std::string_view kOp = "parse address";

// Decimal prefix length, at most `max`.
Result<uint8_t> ParsePrefix(std::string_view text, size_t max) {
  if (text.empty() || text.size() > 3) return Error::Invalid(kOp, "bad prefix length");
  size_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return Error::Invalid(kOp, "bad prefix length");
    v = v * 10 + static_cast<size_t>(c - '0');
  }
  if (v > max) return Error::Invalid(kOp, "prefix length too large");
  return static_cast<uint8_t>(v);
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<IpAddr> ParseIp(std::string_view text) {
  // inet_pton needs a NUL-terminated string; longer inputs cannot be addresses anyway.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN ||
      text.find('\0') != std::string_view::npos) {
    return Error::Invalid(kOp, "bad IP address");
  }
  std::string s(text);
  IpAddr r;
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), r.b.data()) == 1) return r;
  } else if (inet_pton(AF_INET6, s.c_str(), r.b.data()) == 1) {
    r.v6 = true;
    return r;
  }
  return Error::Invalid(kOp, "bad IP address: " + s);
}

Result<std::pair<IpAddr, uint8_t>> ParseCidr(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return Error::Invalid(kOp, "missing /prefix");
  IpAddr ip = TRY(ParseIp(text.substr(0, slash)));
  uint8_t prefix = TRY(ParsePrefix(text.substr(slash + 1), ip.size() * 8));
  return std::pair<IpAddr, uint8_t>(ip, prefix);
}

Result<Subnet> ParseSubnet(std::string_view text) {
  auto [ip, prefix] = TRY(ParseCidr(text));
  Subnet s{ip, prefix};
  // Host bits must be zero: the masked base equals the address itself.
  IpAddr masked = ip;
  for (size_t i = 0; i < ip.size(); ++i) {
    size_t bit = i * 8;
    if (bit >= prefix) {
      masked.b[i] = 0;
    } else if (prefix - bit < 8) {
      masked.b[i] &= static_cast<uint8_t>(0xff << (8 - (prefix - bit)));
    }
  }
  if (masked != ip) return Error::Invalid(kOp, "subnet has host bits set");
  return s;
}

Result<Mac> ParseMac(std::string_view text) {
  if (text.size() != 17) return Error::Invalid(kOp, "bad MAC address");
  Mac m{};
  for (size_t i = 0; i < 6; ++i) {
    int hi = HexDigit(text[i * 3]);
    int lo = HexDigit(text[i * 3 + 1]);
    if (hi < 0 || lo < 0 || (i < 5 && text[i * 3 + 2] != ':')) {
      return Error::Invalid(kOp, "bad MAC address");
    }
    m[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return m;
}

std::string ToString(const IpAddr& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(a.v6 ? AF_INET6 : AF_INET, a.b.data(), buf, sizeof(buf));
  return buf;
}

std::string ToString(const Endpoint& e) {
  std::string port = std::to_string(e.port);
  if (e.ip.v6) return "[" + ToString(e.ip) + "]:" + port;
  return ToString(e.ip) + ":" + port;
}

std::string ToString(const Subnet& s) { return ToString(s.base) + "/" + std::to_string(s.prefix); }

std::string ToString(const Mac& m) {
  char buf[18];
  (void)std::snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
                      m[4], m[5]);
  return buf;
}

socklen_t ToSockaddr(const Endpoint& e, sockaddr_storage* out) {
  std::memset(out, 0, sizeof(*out));
  if (e.ip.v6) {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(e.port);
    std::memcpy(&sin6.sin6_addr, e.ip.b.data(), 16);
    std::memcpy(out, &sin6, sizeof(sin6));
    return sizeof(sin6);
  }
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(e.port);
  std::memcpy(&sin.sin_addr, e.ip.b.data(), 4);
  std::memcpy(out, &sin, sizeof(sin));
  return sizeof(sin);
}

Result<Endpoint> FromSockaddr(const sockaddr* sa, socklen_t len) {
  constexpr std::string_view kSockOp = "sockaddr";
  if (sa == nullptr || len < static_cast<socklen_t>(sizeof(sa_family_t))) {
    return Error::Invalid(kSockOp, "too short");
  }
  Endpoint e;
  if (sa->sa_family == AF_INET) {
    if (len < static_cast<socklen_t>(sizeof(sockaddr_in)))
      return Error::Invalid(kSockOp, "too short");
    sockaddr_in sin;
    std::memcpy(&sin, sa, sizeof(sin));
    e.ip = IpAddr::V4Bytes(reinterpret_cast<const uint8_t*>(&sin.sin_addr));
    e.port = ntohs(sin.sin_port);
    return e;
  }
  if (sa->sa_family == AF_INET6) {
    if (len < static_cast<socklen_t>(sizeof(sockaddr_in6)))
      return Error::Invalid(kSockOp, "too short");
    sockaddr_in6 sin6;
    std::memcpy(&sin6, sa, sizeof(sin6));
    const auto* p = reinterpret_cast<const uint8_t*>(&sin6.sin6_addr);
    // ::ffff:a.b.c.d (RFC 4291 2.5.5.2), as dual-stack sockets report IPv4 peers.
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    e.ip = std::memcmp(p, kMapped, 12) == 0 ? IpAddr::V4Bytes(p + 12) : IpAddr::V6Bytes(p);
    e.port = ntohs(sin6.sin6_port);
    return e;
  }
  return Error::Invalid(kSockOp, "unsupported address family");
}

size_t EndpointHash::operator()(const Endpoint& e) const {
  // FNV-1a over family, address and port: cheap and spreads the low bits well enough for
  // unordered_map buckets.
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](uint8_t v) {
    h ^= v;
    h *= 1099511628211ULL;
  };
  mix(e.ip.v6 ? 6 : 4);
  for (size_t i = 0; i < e.ip.size(); ++i) mix(e.ip.b[i]);
  mix(static_cast<uint8_t>(e.port >> 8));
  mix(static_cast<uint8_t>(e.port));
  return static_cast<size_t>(h);
}

}  // namespace krata::net
