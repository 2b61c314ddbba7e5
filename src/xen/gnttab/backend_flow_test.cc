// The flow the console backend will follow, on the fakes: map the guest's ring page, bind its
// event channel, exchange data and events, and leave a trace for the guest when we go away.

#include <gtest/gtest.h>
#include <poll.h>

#include <cstring>

#include "xen/evtchn/fake_evtchn.h"
#include "xen/gnttab/fake_gnttab.h"

namespace krata::xen::gnttab {
namespace {

TEST(BackendFlowTest, RingPageAndEventChannelWorkTogether) {
  constexpr DomId kGuest = 9;
  evtchn::FakeEventChannelHub hub;
  FakeGrantTable table;
  std::unique_ptr<evtchn::EventChannels> ec = hub.Open(0);

  // Guest side: share a ring page and offer a port to dom0 (what it writes to xenstore).
  std::span<std::byte> guest_ring = MUST(table.AddGrant(kGuest, GrantRef{8}, Access::kReadWrite));
  evtchn::Port guest_port = MUST(hub.AllocUnbound(kGuest, 0));

  // Backend side.
  GrantMapping ring = MUST(table.MapOne(kGuest, GrantRef{8}, Access::kReadWrite));
  evtchn::BoundPort port = MUST(evtchn::BoundPort::Interdomain(*ec, kGuest, guest_port));
  for (evtchn::Port p : MUST(ec->ReadPending())) MUST(ec->Unmask(p));  // Xen's first event

  std::memcpy(guest_ring.data(), "hello", 5);
  MUST(hub.Send(kGuest, guest_port));
  pollfd pfd{.fd = ec->fd(), .events = POLLIN, .revents = 0};
  ASSERT_EQ(::poll(&pfd, 1, 10000), 1);
  std::vector<evtchn::Port> fired = MUST(ec->ReadPending());
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0], port.port());
  EXPECT_EQ(std::memcmp(ring.data(), "hello", 5), 0);
  std::memcpy(ring.data() + 2048, "world", 5);
  ASSERT_TRUE(port.Notify().has_value());
  ASSERT_TRUE(port.Unmask().has_value());
  EXPECT_EQ(hub.TakeGuestEvents(kGuest, guest_port), 1);
  EXPECT_EQ(std::memcmp(guest_ring.data() + 2048, "world", 5), 0);

  // On our way out the kernel clears the "connected" byte and kicks the guest.
  guest_ring[4095] = std::byte{1};
  ASSERT_TRUE(ring.SetUnmapNotify({.clear_byte = 4095, .event_port = port.port()}).has_value());
  ring.reset();
  EXPECT_EQ(guest_ring[4095], std::byte{0});
  std::vector<evtchn::Port> notified = table.TakeUnmapEvents();
  ASSERT_EQ(notified.size(), 1u);
  EXPECT_EQ(notified[0], port.port());
  port.reset();
  EXPECT_FALSE(hub.PeerOf(kGuest, guest_port).has_value());
}

}  // namespace
}  // namespace krata::xen::gnttab
