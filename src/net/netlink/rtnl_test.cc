#include "net/netlink/rtnl.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "base/unique_handle.h"
#include "gtest/gtest.h"

namespace krata::net::rtnl {
namespace {

using nlohmann::json;

// Runs body on a thread that first moves into a fresh network namespace (CLONE_NEWNET
// applies to the calling thread only), so the test touches no real link. Commands run with
// popen from that thread inherit its namespace. The namespace dies with the thread.
void InFreshNetns(const std::function<void()>& body) {
  std::thread t([&] {
    if (unshare(CLONE_NEWNET) != 0) {
      ADD_FAILURE() << "unshare(CLONE_NEWNET): " << std::strerror(errno) << " (needs root)";
      return;
    }
    body();
  });
  t.join();
}

std::string Run(const std::string& cmd) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  EXPECT_EQ(pclose(f), 0) << cmd;
  return out;
}

json RunJson(const std::string& cmd) {
  json j = json::parse(Run(cmd), nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << cmd;
  return j;
}

IpAddr V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddr ip;
  ip.b[0] = a;
  ip.b[1] = b;
  ip.b[2] = c;
  ip.b[3] = d;
  return ip;
}

// fdd4:1476:6c7e::<last>
IpAddr V6(uint8_t last) {
  IpAddr ip;
  ip.v6 = true;
  const uint8_t prefix[6] = {0xfd, 0xd4, 0x14, 0x76, 0x6c, 0x7e};
  std::memcpy(ip.b.data(), prefix, sizeof(prefix));
  ip.b[15] = last;
  return ip;
}

void MakeVeth() { Run("ip link add kv0 type veth peer name kv1 && ip link set kv1 up"); }

bool HasFlag(const json& link, const std::string& flag) {
  if (!link.contains("flags") || !link["flags"].is_array()) return false;
  for (const auto& f : link["flags"]) {
    if (f == flag) return true;
  }
  return false;
}

TEST(Rtnl, LinkIndexOfLoopbackAndMissingLink) {
  InFreshNetns([] {
    Result<int> lo = LinkIndex("lo");
    ASSERT_TRUE(lo.has_value()) << lo.error().ToString();
    EXPECT_EQ(*lo, 1);
    Result<int> missing = LinkIndex("nope0");
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().errno_value(), ENODEV);
    EXPECT_NE(missing.error().ToString().find("nope0"), std::string::npos);
    EXPECT_FALSE(LinkIndex("a-name-much-too-long-for-ifnamsiz").has_value());
    EXPECT_FALSE(LinkIndex("").has_value());
  });
}

TEST(Rtnl, WaitForLink) {
  InFreshNetns([] {
    EXPECT_TRUE(WaitForLink("lo", std::chrono::milliseconds(0)).has_value());
    Status missing = WaitForLink("kv0", std::chrono::milliseconds(50));
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().errno_value(), ETIMEDOUT);
    EXPECT_NE(missing.error().ToString().find("kv0"), std::string::npos);
    // The link appears while we wait (as eth0 does after xen-netfront's probe); the delay
    // is the producer's, the wait itself is woken by the RTM_NEWLINK notification.
    FILE* later = popen("sleep 0.2; ip link add kv0 type veth peer name kv1", "r");
    ASSERT_NE(later, nullptr);
    Status s = WaitForLink("kv0", std::chrono::seconds(10));
    EXPECT_TRUE(s.has_value()) << s.error().ToString();
    EXPECT_EQ(pclose(later), 0);
  });
}

TEST(Rtnl, SetLinkUpWithMtuAndMac) {
  InFreshNetns([] {
    MakeVeth();
    Mac mac = {0x02, 0xab, 0xcd, 0xef, 0x01, 0x23};
    Status s = SetLinkUp("kv0", 1400, mac);
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    json links = RunJson("ip -j link show dev kv0");
    ASSERT_TRUE(links.is_array() && links.size() == 1);
    EXPECT_TRUE(HasFlag(links[0], "UP")) << links.dump();
    EXPECT_EQ(links[0].value("mtu", 0), 1400);
    EXPECT_EQ(links[0].value("address", ""), "02:ab:cd:ef:01:23");

    Status lo = SetLinkUp("lo");
    ASSERT_TRUE(lo.has_value()) << lo.error().ToString();
    EXPECT_TRUE(HasFlag(RunJson("ip -j link show dev lo")[0], "UP"));
  });
}

TEST(Rtnl, SetLinkUpReportsKernelError) {
  InFreshNetns([] {
    MakeVeth();
    // An MTU below the IPv4 minimum of 68 is refused by the kernel with EINVAL; the ack
    // carries it back.
    Status s = SetLinkUp("kv0", 10);
    ASSERT_FALSE(s.has_value());
    EXPECT_EQ(s.error().errno_value(), EINVAL);
    EXPECT_NE(s.error().ToString().find("RTM_NEWLINK"), std::string::npos);
    EXPECT_NE(s.error().ToString().find("kv0"), std::string::npos);
    EXPECT_EQ(SetLinkUp("nope0").error().errno_value(), ENODEV);
  });
}

TEST(Rtnl, AddressesAndDefaultRoutes) {
  InFreshNetns([] {
    MakeVeth();
    ASSERT_TRUE(SetLinkUp("kv0", 1500).has_value());
    Status a4 = AddAddress("kv0", V4(10, 75, 0, 3), 16);
    ASSERT_TRUE(a4.has_value()) << a4.error().ToString();
    Status a6 = AddAddress("kv0", V6(3), 48);
    ASSERT_TRUE(a6.has_value()) << a6.error().ToString();
    // Adding the same address again is success (EEXIST).
    ASSERT_TRUE(AddAddress("kv0", V4(10, 75, 0, 3), 16).has_value());
    ASSERT_TRUE(AddAddress("kv0", V6(3), 48).has_value());

    json addrs = RunJson("ip -j addr show dev kv0");
    ASSERT_TRUE(addrs.is_array() && addrs.size() == 1);
    bool saw4 = false, saw6 = false;
    for (const auto& ai : addrs[0]["addr_info"]) {
      if (ai.value("local", "") == "10.75.0.3") {
        saw4 = true;
        EXPECT_EQ(ai.value("prefixlen", 0), 16);
      }
      if (ai.value("local", "") == "fdd4:1476:6c7e::3") {
        saw6 = true;
        EXPECT_EQ(ai.value("prefixlen", 0), 48);
        // NODAD: usable at once, never "tentative".
        EXPECT_FALSE(ai.contains("tentative")) << ai.dump();
      }
    }
    EXPECT_TRUE(saw4) << addrs.dump();
    EXPECT_TRUE(saw6) << addrs.dump();

    Status r4 = AddDefaultRoute("kv0", V4(10, 75, 0, 1));
    ASSERT_TRUE(r4.has_value()) << r4.error().ToString();
    Status r6 = AddDefaultRoute("kv0", V6(1));
    ASSERT_TRUE(r6.has_value()) << r6.error().ToString();
    ASSERT_TRUE(AddDefaultRoute("kv0", V4(10, 75, 0, 1)).has_value());  // EEXIST

    json routes4 = RunJson("ip -j -4 route show default");
    ASSERT_TRUE(routes4.is_array() && routes4.size() == 1) << routes4.dump();
    EXPECT_EQ(routes4[0].value("gateway", ""), "10.75.0.1");
    EXPECT_EQ(routes4[0].value("dev", ""), "kv0");
    json routes6 = RunJson("ip -j -6 route show default");
    ASSERT_TRUE(routes6.is_array() && routes6.size() == 1) << routes6.dump();
    EXPECT_EQ(routes6[0].value("gateway", ""), "fdd4:1476:6c7e::1");
    EXPECT_EQ(routes6[0].value("dev", ""), "kv0");
  });
}

TEST(Rtnl, UnreachableGatewayIsAnError) {
  InFreshNetns([] {
    MakeVeth();
    ASSERT_TRUE(SetLinkUp("kv0").has_value());
    // No address on kv0, so 192.0.2.1 is not on-link: the kernel says ENETUNREACH.
    Status s = AddDefaultRoute("kv0", V4(192, 0, 2, 1));
    ASSERT_FALSE(s.has_value());
    EXPECT_EQ(s.error().errno_value(), ENETUNREACH);
    EXPECT_NE(s.error().ToString().find("RTM_NEWROUTE"), std::string::npos);
    EXPECT_FALSE(AddAddress("kv0", V4(10, 0, 0, 1), 33).has_value());
  });
}

uint32_t GetFeature(int fd, const char* ifname, uint32_t cmd) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
  ethtool_value v{};
  v.cmd = cmd;
  ifr.ifr_data = reinterpret_cast<char*>(&v);
  EXPECT_EQ(ioctl(fd, SIOCETHTOOL, &ifr), 0) << std::strerror(errno);
  return v.data;
}

TEST(Rtnl, DisableSegmentationOffload) {
  InFreshNetns([] {
    MakeVeth();
    UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ASSERT_TRUE(fd);
    // veth offers TSO and GSO by default, so the test sees the change.
    EXPECT_EQ(GetFeature(fd.get(), "kv0", ETHTOOL_GGSO), 1u);
    Status s = DisableSegmentationOffload("kv0");
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    EXPECT_EQ(GetFeature(fd.get(), "kv0", ETHTOOL_GTSO), 0u);
    EXPECT_EQ(GetFeature(fd.get(), "kv0", ETHTOOL_GGSO), 0u);
    EXPECT_EQ(GetFeature(fd.get(), "kv0", ETHTOOL_GGRO), 0u);
    // Loopback: whatever it cannot change is EOPNOTSUPP and ignored.
    Status lo = DisableSegmentationOffload("lo");
    EXPECT_TRUE(lo.has_value()) << lo.error().ToString();
    EXPECT_EQ(DisableSegmentationOffload("nope0").error().errno_value(), ENODEV);
  });
}

}  // namespace
}  // namespace krata::net::rtnl
