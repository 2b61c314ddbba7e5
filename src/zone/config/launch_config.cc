#include "zone/config/launch_config.h"

#include <cstring>

#include "base/json_util.h"
#include "net/packet/addr.h"

namespace krata::zone {

namespace {

using json_util::Json;
constexpr std::string_view kWhat = "launch config";

Json ProcessJson(const ImageProcess& p) {
  return Json{{"entrypoint", p.entrypoint},
              {"cmd", p.cmd},
              {"env", p.env},
              {"working_dir", p.working_dir},
              {"user", p.user}};
}

Result<ImageProcess> ParseImage(const Json& j) {
  ImageProcess p;
  p.entrypoint =
      TRY(json_util::OptStringArray(j, "entrypoint", kWhat)).value_or(std::vector<std::string>{});
  p.cmd = TRY(json_util::OptStringArray(j, "cmd", kWhat)).value_or(std::vector<std::string>{});
  p.env = TRY(json_util::OptStringArray(j, "env", kWhat)).value_or(std::vector<std::string>{});
  p.working_dir = TRY(json_util::OptString(j, "working_dir", kWhat)).value_or("");
  p.user = TRY(json_util::OptString(j, "user", kWhat)).value_or("");
  return p;
}

Result<ProcessOverride> ParseOverride(const Json& j) {
  ProcessOverride p;
  p.args = TRY(json_util::OptStringArray(j, "args", kWhat));
  p.env = TRY(json_util::OptStringArray(j, "env", kWhat)).value_or(std::vector<std::string>{});
  p.working_dir = TRY(json_util::OptString(j, "working_dir", kWhat));
  p.user = TRY(json_util::OptString(j, "user", kWhat));
  return p;
}

Json NetworkJson(const NetworkConfig& n) {
  return Json{{"mac", n.mac},   {"ipv4", n.ipv4},         {"gateway4", n.gateway4},
              {"ipv6", n.ipv6}, {"gateway6", n.gateway6}, {"mtu", n.mtu}};
}

// One family: the address must be a CIDR of that family, the gateway an address of it
// inside the subnet, not the address itself. Both empty means "no such family".
Status CheckFamily(std::string_view cidr, std::string_view gateway, bool v6,
                   std::string_view name) {
  std::string what = "network." + std::string(name);
  if (cidr.empty() && gateway.empty()) return {};
  if (cidr.empty() || gateway.empty()) {
    return Error::Invalid(kWhat, what + " and its gateway must be given together");
  }
  Result<std::pair<net::IpAddr, uint8_t>> addr = net::ParseCidr(cidr);
  if (!addr.has_value()) return std::move(addr.error()).With(what);
  Result<net::IpAddr> gw = net::ParseIp(gateway);
  if (!gw.has_value()) return std::move(gw.error()).With(what + " gateway");
  if (addr->first.v6 != v6 || gw->v6 != v6) {
    return Error::Invalid(kWhat, what + ": wrong address family");
  }
  if (addr->first.IsUnspecified() || addr->first.IsMulticast()) {
    return Error::Invalid(kWhat, what + ": not a host address");
  }
  if (!net::Subnet{addr->first, addr->second}.Contains(*gw) || *gw == addr->first) {
    return Error::Invalid(kWhat, what + ": gateway " + std::string(gateway) +
                                     " is not another address of " + std::string(cidr));
  }
  return {};
}

Result<NetworkConfig> ParseNetwork(const Json& j) {
  NetworkConfig n;
  n.mac = TRY(json_util::ReqString(j, "mac", kWhat));
  Result<net::Mac> mac = net::ParseMac(n.mac);
  if (!mac.has_value()) return std::move(mac.error()).With("network.mac");
  if (((*mac)[0] & 1) != 0) return Error::Invalid(kWhat, "network.mac is a multicast address");
  n.ipv4 = TRY(json_util::OptString(j, "ipv4", kWhat)).value_or("");
  n.gateway4 = TRY(json_util::OptString(j, "gateway4", kWhat)).value_or("");
  n.ipv6 = TRY(json_util::OptString(j, "ipv6", kWhat)).value_or("");
  n.gateway6 = TRY(json_util::OptString(j, "gateway6", kWhat)).value_or("");
  TRY(CheckFamily(n.ipv4, n.gateway4, false, "ipv4"));
  TRY(CheckFamily(n.ipv6, n.gateway6, true, "ipv6"));
  if (n.ipv4.empty() && n.ipv6.empty()) {
    return Error::Invalid(kWhat, "network has neither ipv4 nor ipv6");
  }
  std::optional<int64_t> mtu = TRY(json_util::OptNonNegInt(j, "mtu", kWhat));
  if (mtu) {
    if (*mtu < 1280 || *mtu > 65535) {
      return Error::Invalid(kWhat, "network.mtu outside 1280..65535");
    }
    n.mtu = static_cast<uint32_t>(*mtu);
  }
  return n;
}

}  // namespace

std::string_view RootFormatName(RootFormat f) {
  return f == RootFormat::kErofs ? "erofs" : "squashfs";
}

Result<RootFormat> ParseRootFormat(std::string_view name) {
  if (name == "squashfs") return RootFormat::kSquashfs;
  if (name == "erofs") return RootFormat::kErofs;
  return Error::Invalid(kWhat, "unknown root format \"" + std::string(name) + "\"");
}

std::string ToJson(const LaunchConfig& c) {
  Json process = Json::object();
  if (c.process.args) process["args"] = *c.process.args;
  process["env"] = c.process.env;
  if (c.process.working_dir) process["working_dir"] = *c.process.working_dir;
  if (c.process.user) process["user"] = *c.process.user;
  Json j{{"version", c.version},
         {"zone_id", c.zone_id},
         {"hostname", c.hostname},
         {"root_format", RootFormatName(c.root_format)},
         {"image", ProcessJson(c.image)},
         {"process", process},
         {"overlay_bytes", c.overlay_bytes},
         {"shutdown_grace_ms", c.shutdown_grace_ms},
         {"nameservers", c.nameservers}};
  if (c.network) j["network"] = NetworkJson(*c.network);
  // Replace invalid UTF-8 rather than throw: names come from users and images.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<LaunchConfig> FromJson(std::string_view text) {
  if (text.size() > kMaxConfigJson) return Error::Invalid(kWhat, "too large");
  Json j = TRY(json_util::ParseObject(text, kWhat));
  LaunchConfig c;
  std::optional<int64_t> version = TRY(json_util::OptNonNegInt(j, "version", kWhat));
  if (version.value_or(0) != 1) return Error::Invalid(kWhat, "unsupported version");
  c.zone_id = TRY(json_util::OptString(j, "zone_id", kWhat)).value_or("");
  c.hostname = TRY(json_util::OptString(j, "hostname", kWhat)).value_or("");
  std::string root = TRY(json_util::OptString(j, "root_format", kWhat)).value_or("squashfs");
  c.root_format = TRY(ParseRootFormat(root));
  if (const Json* image = TRY(json_util::OptObject(j, "image", kWhat)))
    c.image = TRY(ParseImage(*image));
  if (const Json* p = TRY(json_util::OptObject(j, "process", kWhat)))
    c.process = TRY(ParseOverride(*p));
  c.overlay_bytes =
      static_cast<uint64_t>(TRY(json_util::OptNonNegInt(j, "overlay_bytes", kWhat)).value_or(0));
  std::optional<int64_t> grace = TRY(json_util::OptNonNegInt(j, "shutdown_grace_ms", kWhat));
  if (grace) {
    if (*grace > 3600 * 1000) return Error::Invalid(kWhat, "shutdown_grace_ms above one hour");
    c.shutdown_grace_ms = static_cast<uint32_t>(*grace);
  }
  c.nameservers =
      TRY(json_util::OptStringArray(j, "nameservers", kWhat)).value_or(std::vector<std::string>{});
  if (const Json* n = TRY(json_util::OptObject(j, "network", kWhat)))
    c.network = TRY(ParseNetwork(*n));
  return c;
}

std::string EncodeLaunchConfig(const LaunchConfig& config) {
  std::string json = ToJson(config);
  std::string out(kConfigMagic);
  uint32_t n = static_cast<uint32_t>(json.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out += json;
  out.resize((out.size() + kConfigAlign - 1) / kConfigAlign * kConfigAlign, '\0');
  return out;
}

Result<LaunchConfig> DecodeLaunchConfig(ByteSpan bytes) {
  if (bytes.size() < kConfigHeaderBytes ||
      std::memcmp(bytes.data(), kConfigMagic.data(), kConfigMagic.size()) != 0) {
    return Error::Invalid(kWhat, "no KRATACF1 header (is xvdb a launch config?)");
  }
  uint32_t n = LoadLe<uint32_t>(bytes, kConfigMagic.size()).value();
  if (n > kMaxConfigJson || n > bytes.size() - kConfigHeaderBytes) {
    return Error::Invalid(kWhat, "length " + std::to_string(n) + " exceeds the data");
  }
  return FromJson(AsChars(bytes.subspan(kConfigHeaderBytes, n)));
}

}  // namespace krata::zone
