#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "xen/console/backend.h"
#include "xen/console/ring.h"
#include "xen/evtchn/fake_evtchn.h"
#include "xen/gnttab/fake_gnttab.h"

namespace krata::xen::console {
namespace {

// The guest's side of a console ring, as Linux's hvc_xen does it.
struct GuestSide {
  std::span<std::byte> page;
  uint32_t Get(size_t off) {
    uint32_t v;
    std::memcpy(&v, page.data() + off, 4);
    return v;
  }
  void Put(size_t off, uint32_t v) { std::memcpy(page.data() + off, &v, 4); }
  void Emit(std::string_view s) {
    uint32_t prod = Get(kOutProdOffset);
    for (char c : s) reinterpret_cast<char*>(page.data() + kInSize)[prod++ % kOutSize] = c;
    Put(kOutProdOffset, prod);
  }
  std::string TakeInput() {
    std::string s;
    uint32_t cons = Get(kInConsOffset), prod = Get(kInProdOffset);
    while (cons != prod) s.push_back(reinterpret_cast<char*>(page.data())[cons++ % kInSize]);
    Put(kInConsOffset, cons);
    return s;
  }
};

TEST(ConsoleRingTest, ReadsAcrossTheWrapAndConsumes) {
  std::vector<std::byte> page(4096);
  GuestSide g{page};
  g.Put(kOutConsOffset, 0xfffffff0u);  // indexes near 2^32: free-running arithmetic
  g.Put(kOutProdOffset, 0xfffffff0u);
  ConsoleRing ring(page);
  std::string big(2000, 'x');
  g.Emit(big);
  std::string out;
  ASSERT_EQ(*ring.ReadOutput(out), 2000u);
  EXPECT_EQ(out, big);
  EXPECT_EQ(g.Get(kOutConsOffset), g.Get(kOutProdOffset));
  EXPECT_EQ(*ring.ReadOutput(out), 0u);
}

TEST(ConsoleRingTest, RefusesImpossibleGuestIndexes) {
  std::vector<std::byte> page(4096);
  GuestSide g{page};
  g.Put(kOutProdOffset, 5000);  // more than the ring holds
  ConsoleRing ring(page);
  std::string out;
  EXPECT_FALSE(ring.ReadOutput(out).has_value());
  EXPECT_TRUE(out.empty());
  g.Put(kInConsOffset, 10);  // consumed input we never produced
  EXPECT_FALSE(ring.WriteInput("a").has_value());
}

TEST(ConsoleRingTest, InputStopsWhenFull) {
  std::vector<std::byte> page(4096);
  GuestSide g{page};
  ConsoleRing ring(page);
  EXPECT_EQ(*ring.WriteInput(std::string(1500, 'i')), kInSize);
  EXPECT_EQ(g.TakeInput().size(), kInSize);
  EXPECT_EQ(*ring.WriteInput("abc"), 3u);
  EXPECT_EQ(g.TakeInput(), "abc");
}

TEST(ConsoleBackendTest, ServesOutputHistoryInputAndEvents) {
  constexpr uint16_t kGuest = 5;
  gnttab::FakeGrantTable grants;
  evtchn::FakeEventChannelHub hub;
  std::unique_ptr<evtchn::EventChannels> dom0 = hub.Open(0);
  std::span<std::byte> page = *grants.AddGrant(kGuest, gnttab::GrantRef{0},
                                               gnttab::Access::kReadWrite);
  evtchn::Port guest_port = *hub.AllocUnbound(kGuest, 0);
  auto backend = ConsoleBackend::Attach(grants, *dom0, kGuest, guest_port.value, 16);
  ASSERT_TRUE(backend.has_value()) << backend.error().ToString();
  GuestSide g{page};
  g.Emit("hello from the guest\n");
  ASSERT_TRUE(hub.Send(kGuest, guest_port).has_value());
  std::vector<evtchn::Port> fired = *dom0->ReadPending();
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0], (*backend)->port());
  Result<std::string> out = (*backend)->Service();
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(*out, "hello from the guest\n");
  EXPECT_EQ((*backend)->history(), std::string("hello from the guest\n").substr(5));  // last 16
  EXPECT_EQ((*backend)->total_output(), 21u);
  EXPECT_GE(hub.TakeGuestEvents(kGuest, guest_port), 1);  // acknowledged

  EXPECT_EQ(*(*backend)->Write("ls\n"), "");
  EXPECT_EQ(g.TakeInput(), "ls\n");
  // Detaching unmaps the ring and closes our port.
  backend->reset();
  EXPECT_EQ(grants.live_mappings(), 0u);
}

TEST(ConsoleBackendTest, AttachFailsClearlyWithoutTheGrant) {
  gnttab::FakeGrantTable grants;
  evtchn::FakeEventChannelHub hub;
  std::unique_ptr<evtchn::EventChannels> dom0 = hub.Open(0);
  auto backend = ConsoleBackend::Attach(grants, *dom0, 9, 3);
  ASSERT_FALSE(backend.has_value());
  EXPECT_NE(backend.error().ToString().find("console of domain 9"), std::string::npos);
}

}  // namespace
}  // namespace krata::xen::console
