// EventChannels contract and BoundPort, exercised on the fake hub.

#include "xen/evtchn/evtchn.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <cerrno>
#include <ostream>
#include <thread>

#include "xen/evtchn/fake_evtchn.h"

namespace krata::xen::evtchn {

void PrintTo(Port p, std::ostream* os) { *os << "port " << p.value; }

namespace {

constexpr DomId kDom0 = 0;
constexpr DomId kGuest = 5;

bool Readable(const EventChannels& ec, int timeout_ms = 0) {
  pollfd p{.fd = ec.fd(), .events = POLLIN, .revents = 0};
  return ::poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN) != 0;
}

std::vector<Port> Ports(std::initializer_list<uint32_t> v) {
  std::vector<Port> out;
  for (uint32_t p : v) out.push_back(Port{p});
  return out;
}

class EvtchnTest : public ::testing::Test {
 protected:
  // The console case: the guest allocated an unbound port for dom0; we bind to it and drain
  // the conservative first event Xen leaves on the new local port.
  Port BindToGuest(EventChannels& ec, Port* guest_port) {
    *guest_port = MUST(hub_.AllocUnbound(kGuest, kDom0));
    Port local = MUST(ec.BindInterdomain(kGuest, *guest_port));
    EXPECT_EQ(MUST(ec.ReadPending()), std::vector<Port>{local});
    MUST(ec.Unmask(local));
    return local;
  }

  FakeEventChannelHub hub_;
  std::unique_ptr<EventChannels> ec_ = hub_.Open(kDom0);
};

TEST_F(EvtchnTest, BindInterdomainToGuestPortLeavesLocalPortPending) {
  Port guest = MUST(hub_.AllocUnbound(kGuest, kDom0));
  EXPECT_FALSE(Readable(*ec_));
  Result<Port> local = ec_->BindInterdomain(kGuest, guest);
  ASSERT_TRUE(local.has_value()) << local.error().ToString();
  EXPECT_NE(local->value, 0u);  // port 0 is reserved
  auto peer = hub_.PeerOf(kGuest, guest);
  ASSERT_TRUE(peer.has_value());
  EXPECT_EQ(peer->domid, kDom0);
  EXPECT_EQ(peer->port, *local);
  EXPECT_TRUE(Readable(*ec_));
  EXPECT_EQ(MUST(ec_->ReadPending()), std::vector<Port>{*local});
  EXPECT_FALSE(Readable(*ec_));
}

TEST_F(EvtchnTest, NotifyReachesGuestAndGuestSendWakesUs) {
  Port guest;
  Port local = BindToGuest(*ec_, &guest);
  ASSERT_TRUE(ec_->Notify(local).has_value());
  ASSERT_TRUE(ec_->Notify(local).has_value());
  EXPECT_EQ(hub_.TakeGuestEvents(kGuest, guest), 2);
  EXPECT_EQ(hub_.TakeGuestEvents(kGuest, guest), 0);

  ASSERT_TRUE(hub_.Send(kGuest, guest).has_value());
  EXPECT_TRUE(Readable(*ec_));
  EXPECT_EQ(MUST(ec_->ReadPending()), std::vector<Port>{local});
  EXPECT_TRUE(MUST(ec_->ReadPending()).empty());
}

TEST_F(EvtchnTest, FiredPortStaysDisabledUntilUnmasked) {
  Port guest;
  Port local = BindToGuest(*ec_, &guest);
  MUST(hub_.Send(kGuest, guest));
  EXPECT_EQ(MUST(ec_->ReadPending()), std::vector<Port>{local});
  // Held pending by "Xen" while disabled, and coalesced.
  MUST(hub_.Send(kGuest, guest));
  MUST(hub_.Send(kGuest, guest));
  EXPECT_FALSE(Readable(*ec_));
  EXPECT_TRUE(MUST(ec_->ReadPending()).empty());
  ASSERT_TRUE(ec_->Unmask(local).has_value());
  EXPECT_TRUE(Readable(*ec_));
  EXPECT_EQ(MUST(ec_->ReadPending()), std::vector<Port>{local});
  MUST(ec_->Unmask(local));
  EXPECT_FALSE(Readable(*ec_));  // nothing new arrived
}

TEST_F(EvtchnTest, ReadPendingKeepsFiringOrder) {
  Port ga, gb;
  Port a = BindToGuest(*ec_, &ga);
  Port b = BindToGuest(*ec_, &gb);
  MUST(hub_.Send(kGuest, gb));
  MUST(hub_.Send(kGuest, ga));
  EXPECT_EQ(MUST(ec_->ReadPending()), (std::vector<Port>{b, a}));
}

TEST_F(EvtchnTest, UnboundPortForGuestToBind) {
  Port local = MUST(ec_->BindUnbound(kGuest));
  EXPECT_TRUE(hub_.IsOpen(kDom0, local));
  // Sending on a port nobody bound yet is dropped, as Xen does.
  EXPECT_TRUE(ec_->Notify(local).has_value());
  Port guest = MUST(hub_.BindInterdomain(kGuest, kDom0, local));
  EXPECT_EQ(hub_.TakeGuestEvents(kGuest, guest), 1);  // Xen's conservative pending bit
  MUST(hub_.Send(kGuest, guest));
  EXPECT_EQ(MUST(ec_->ReadPending()), std::vector<Port>{local});
  // Another domain cannot bind a port meant for kGuest.
  Port other = MUST(ec_->BindUnbound(kGuest));
  Result<Port> wrong = hub_.BindInterdomain(7, kDom0, other);
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().errno_value(), EINVAL);
}

TEST_F(EvtchnTest, BindInterdomainRejectsPortsNotMeantForUs) {
  Port for_someone_else = MUST(hub_.AllocUnbound(kGuest, 7));
  Result<Port> r = ec_->BindInterdomain(kGuest, for_someone_else);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().errno_value(), EINVAL);
  r = ec_->BindInterdomain(kGuest, Port{99});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().errno_value(), EINVAL);
  // An already connected port cannot be bound twice.
  Port guest;
  BindToGuest(*ec_, &guest);
  r = ec_->BindInterdomain(kGuest, guest);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().errno_value(), EINVAL);
}

TEST_F(EvtchnTest, PortsOfOtherHandlesAreNotOurs) {
  auto other = hub_.Open(kDom0);
  Port theirs = MUST(other->BindUnbound(kGuest));
  Result<void> n = ec_->Notify(theirs);
  ASSERT_FALSE(n.has_value());
  EXPECT_EQ(n.error().errno_value(), ENOTCONN);
  Result<void> u = ec_->Unbind(theirs);
  ASSERT_FALSE(u.has_value());
  EXPECT_EQ(u.error().errno_value(), ENOTCONN);
  EXPECT_TRUE(hub_.IsOpen(kDom0, theirs));
}

TEST_F(EvtchnTest, UnbindMakesGuestPortBindableAgain) {
  Port guest;
  Port local = BindToGuest(*ec_, &guest);
  ASSERT_TRUE(ec_->Unbind(local).has_value());
  EXPECT_FALSE(hub_.IsOpen(kDom0, local));
  EXPECT_TRUE(hub_.IsOpen(kGuest, guest));
  EXPECT_FALSE(hub_.PeerOf(kGuest, guest).has_value());
  EXPECT_TRUE(ec_->BindInterdomain(kGuest, guest).has_value());
}

TEST_F(EvtchnTest, ClosingTheHandleUnbindsItsPorts) {
  Port guest;
  Port local = BindToGuest(*ec_, &guest);
  ec_.reset();
  EXPECT_FALSE(hub_.IsOpen(kDom0, local));
  EXPECT_FALSE(hub_.PeerOf(kGuest, guest).has_value());
}

TEST_F(EvtchnTest, ResetEmptiesTheQueueAndLeavesPortsDisabled) {
  Port guest;
  Port local = BindToGuest(*ec_, &guest);
  MUST(hub_.Send(kGuest, guest));
  ASSERT_TRUE(Readable(*ec_));
  ASSERT_TRUE(ec_->Reset().has_value());
  EXPECT_FALSE(Readable(*ec_));
  EXPECT_TRUE(MUST(ec_->ReadPending()).empty());
  // The port that was queued is still disabled: after a reset the caller unmasks everything.
  MUST(hub_.Send(kGuest, guest));
  EXPECT_FALSE(Readable(*ec_));
  MUST(ec_->Unmask(local));
  EXPECT_EQ(MUST(ec_->ReadPending()), std::vector<Port>{local});
}

TEST_F(EvtchnTest, UnmaskIgnoresPortsThatAreNotOurs) {
  EXPECT_TRUE(ec_->UnmaskAll(Ports({1, 2, 3000})).has_value());
  EXPECT_FALSE(Readable(*ec_));
}

TEST_F(EvtchnTest, VirqFiresBoundPort) {
  Port virq = MUST(ec_->BindVirq(3));  // VIRQ_DOM_EXC
  hub_.RaiseVirq(kDom0, 3);
  EXPECT_EQ(MUST(ec_->ReadPending()), std::vector<Port>{virq});
  Result<Port> again = ec_->BindVirq(3);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().errno_value(), EEXIST);
  Result<Port> bad = ec_->BindVirq(99);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().errno_value(), EINVAL);
}

TEST_F(EvtchnTest, RestrictedHandleOnlyBindsItsDomain) {
  ASSERT_TRUE(ec_->RestrictToDomain(kGuest).has_value());
  EXPECT_EQ(ec_->BindUnbound(kGuest).error().errno_value(), EACCES);
  EXPECT_EQ(ec_->BindVirq(3).error().errno_value(), EACCES);
  Port other = MUST(hub_.AllocUnbound(6, kDom0));
  EXPECT_EQ(ec_->BindInterdomain(6, other).error().errno_value(), EACCES);
  Port mine = MUST(hub_.AllocUnbound(kGuest, kDom0));
  EXPECT_TRUE(ec_->BindInterdomain(kGuest, mine).has_value());
  EXPECT_EQ(ec_->RestrictToDomain(6).error().errno_value(), EACCES);

  auto fresh = hub_.Open(kDom0);
  EXPECT_EQ(fresh->RestrictToDomain(0).error().errno_value(), EINVAL);
  EXPECT_EQ(fresh->RestrictToDomain(0x7FF0).error().errno_value(), EINVAL);
}

TEST_F(EvtchnTest, SendWakesPollerOnAnotherThread) {
  Port guest;
  Port local = BindToGuest(*ec_, &guest);
  bool woke = false;
  std::thread poller([&] { woke = Readable(*ec_, 10000); });
  MUST(hub_.Send(kGuest, guest));
  poller.join();
  EXPECT_TRUE(woke);
  EXPECT_EQ(MUST(ec_->ReadPending()), std::vector<Port>{local});
}

TEST_F(EvtchnTest, InjectedFailuresSurfaceWithTheirErrno) {
  hub_.FailNextCall(ENOSPC);
  Result<Port> r = ec_->BindUnbound(kGuest);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().errno_value(), ENOSPC);
  EXPECT_TRUE(ec_->BindUnbound(kGuest).has_value());  // one shot
}

// ---- BoundPort ----

TEST_F(EvtchnTest, BoundPortUnbindsOnDestruction) {
  Port guest = MUST(hub_.AllocUnbound(kGuest, kDom0));
  Port local;
  {
    BoundPort bound = MUST(BoundPort::Interdomain(*ec_, kGuest, guest));
    ASSERT_TRUE(static_cast<bool>(bound));
    local = bound.port();
    EXPECT_TRUE(hub_.IsOpen(kDom0, local));
    EXPECT_TRUE(bound.Notify().has_value());
    EXPECT_EQ(hub_.TakeGuestEvents(kGuest, guest), 1);
  }
  EXPECT_FALSE(hub_.IsOpen(kDom0, local));
  EXPECT_FALSE(hub_.PeerOf(kGuest, guest).has_value());
}

TEST_F(EvtchnTest, BoundPortMoveTransfersOwnership) {
  BoundPort a = MUST(BoundPort::Unbound(*ec_, kGuest));
  BoundPort b = MUST(BoundPort::Unbound(*ec_, kGuest));
  Port pa = a.port(), pb = b.port();
  b = std::move(a);                    // unbinds b's old port, takes a's
  EXPECT_FALSE(static_cast<bool>(a));  // NOLINT(bugprone-use-after-move): checking the state
  EXPECT_EQ(b.port(), pa);
  EXPECT_FALSE(hub_.IsOpen(kDom0, pb));
  EXPECT_TRUE(hub_.IsOpen(kDom0, pa));
  BoundPort c(std::move(b));
  EXPECT_EQ(c.port(), pa);
  EXPECT_TRUE(hub_.IsOpen(kDom0, pa));
}

TEST_F(EvtchnTest, BoundPortReleaseKeepsThePortBound) {
  Port p;
  {
    BoundPort bound = MUST(BoundPort::Virq(*ec_, 3));
    p = bound.release();
    EXPECT_FALSE(static_cast<bool>(bound));
  }
  EXPECT_TRUE(hub_.IsOpen(kDom0, p));
}

TEST_F(EvtchnTest, BoundPortCloseReportsTheUnbindError) {
  BoundPort bound = MUST(BoundPort::Unbound(*ec_, kGuest));
  Port p = bound.port();
  hub_.FailNextCall(EIO);
  Result<void> s = bound.Close();
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().errno_value(), EIO);
  EXPECT_FALSE(static_cast<bool>(bound));
  EXPECT_TRUE(hub_.IsOpen(kDom0, p));      // the failed unbind left it bound
  EXPECT_TRUE(bound.Close().has_value());  // empty: nothing to do
  EXPECT_FALSE(bound.Notify().has_value());
}

TEST_F(EvtchnTest, BoundPortFactoriesPropagateBindErrors) {
  hub_.FailNextCall(ENOSPC);
  Result<BoundPort> r = BoundPort::Unbound(*ec_, kGuest);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().errno_value(), ENOSPC);
  Result<BoundPort> bad = BoundPort::Interdomain(*ec_, kGuest, Port{42});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().errno_value(), EINVAL);
}

TEST_F(EvtchnTest, BoundPortUnmaskReenablesDelivery) {
  Port guest = MUST(hub_.AllocUnbound(kGuest, kDom0));
  BoundPort bound = MUST(BoundPort::Interdomain(*ec_, kGuest, guest));
  EXPECT_EQ(MUST(ec_->ReadPending()), std::vector<Port>{bound.port()});
  MUST(hub_.Send(kGuest, guest));
  EXPECT_FALSE(Readable(*ec_));
  ASSERT_TRUE(bound.Unmask().has_value());
  EXPECT_EQ(MUST(ec_->ReadPending()), std::vector<Port>{bound.port()});
}

}  // namespace
}  // namespace krata::xen::evtchn
