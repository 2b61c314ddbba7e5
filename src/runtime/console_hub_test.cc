#include "runtime/console_hub.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstring>
#include <mutex>

#include "xen/console/ring.h"
#include "xen/evtchn/fake_evtchn.h"
#include "xen/gnttab/fake_gnttab.h"

namespace krata::runtime {
namespace {

using namespace std::chrono_literals;
namespace console = xen::console;
namespace evtchn = xen::evtchn;
namespace gnttab = xen::gnttab;

// A guest's console: the page it granted, its port, and hvc_xen's side of the ring.
struct Guest {
  uint16_t domid;
  std::span<std::byte> page;
  evtchn::Port port;
  uint32_t Get(size_t off) {
    uint32_t v;
    std::memcpy(&v, page.data() + off, 4);
    return v;
  }
  void Put(size_t off, uint32_t v) { std::memcpy(page.data() + off, &v, 4); }
  void Emit(std::string_view s) {
    uint32_t prod = Get(console::kOutProdOffset);
    for (char c : s) {
      reinterpret_cast<char*>(page.data() + console::kInSize)[prod++ % console::kOutSize] = c;
    }
    Put(console::kOutProdOffset, prod);
  }
  std::string TakeInput() {
    std::string s;
    uint32_t cons = Get(console::kInConsOffset), prod = Get(console::kInProdOffset);
    while (cons != prod)
      s.push_back(reinterpret_cast<char*>(page.data())[cons++ % console::kInSize]);
    Put(console::kInConsOffset, cons);
    return s;
  }
};

// Collects what the hub delivers; waits on a condition variable, never sleeps.
struct Sink {
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, std::string> got;
  ConsoleOutputFn Fn() {
    return [this](const std::string& id, std::string_view bytes) {
      std::lock_guard lock(mu);
      got[id].append(bytes);
      cv.notify_all();
    };
  }
  bool WaitFor(const std::string& id, const std::string& want) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, 10s, [&] { return got[id] == want; });
  }
};

class ConsoleHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dom0_ = events_.Open(0);
    Result<std::unique_ptr<ConsoleHub>> hub = ConsoleHub::Start(*dom0_);
    ASSERT_TRUE(hub.has_value());
    hub_ = std::move(*hub);
    hub_->SetHandler(sink_.Fn());
  }
  Guest NewGuest(uint16_t domid) {
    Guest g{domid, *grants_.AddGrant(domid, gnttab::GrantRef{0}, gnttab::Access::kReadWrite),
            *events_.AllocUnbound(domid, 0)};
    return g;
  }
  std::unique_ptr<console::ConsoleBackend> Attach(const Guest& g) {
    auto b = console::ConsoleBackend::Attach(grants_, *dom0_, g.domid, g.port.value);
    EXPECT_TRUE(b.has_value());
    return b.has_value() ? std::move(*b) : nullptr;
  }

  gnttab::FakeGrantTable grants_;
  evtchn::FakeEventChannelHub events_;
  std::unique_ptr<evtchn::EventChannels> dom0_;
  Sink sink_;
  std::unique_ptr<ConsoleHub> hub_;
};

TEST_F(ConsoleHubTest, DeliversOutputOfSeveralZonesAndWhatWasThereBeforeAdoption) {
  Guest a = NewGuest(5), b = NewGuest(6);
  auto ba = Attach(a);
  a.Emit("early boot\n");  // before the hub serves it, and the event fired unserved
  ASSERT_TRUE(events_.Send(a.domid, a.port).has_value());
  ASSERT_TRUE(hub_->Adopt("zone-a", std::move(ba)).has_value());
  ASSERT_TRUE(hub_->Adopt("zone-b", Attach(b)).has_value());
  EXPECT_TRUE(sink_.WaitFor("zone-a", "early boot\n"));
  a.Emit("more\n");
  ASSERT_TRUE(events_.Send(a.domid, a.port).has_value());
  b.Emit("hello from b\n");
  ASSERT_TRUE(events_.Send(b.domid, b.port).has_value());
  EXPECT_TRUE(sink_.WaitFor("zone-a", "early boot\nmore\n"));
  EXPECT_TRUE(sink_.WaitFor("zone-b", "hello from b\n"));
  // The port fired before adoption was unmasked: later events keep flowing (checked above).
  EXPECT_EQ(hub_->History("zone-a"), "early boot\nmore\n");
  EXPECT_FALSE(hub_->Adopt("zone-a", Attach(NewGuest(7))).has_value());
}

TEST_F(ConsoleHubTest, InputGoesIntoTheRingAndOverflowWaitsForTheGuest) {
  Guest a = NewGuest(5);
  ASSERT_TRUE(hub_->Adopt("zone-a", Attach(a)).has_value());
  ASSERT_TRUE(hub_->Write("zone-a", "ls\n").has_value());
  EXPECT_EQ(a.TakeInput(), "ls\n");
  // More than the ring holds: the rest is queued until the guest consumes and notifies.
  std::string big(console::kInSize + 100, 'x');
  ASSERT_TRUE(hub_->Write("zone-a", big).has_value());
  EXPECT_EQ(a.TakeInput().size(), console::kInSize);
  a.Emit("ack\n");  // the hub services on the event, then retries the queued input
  ASSERT_TRUE(events_.Send(a.domid, a.port).has_value());
  EXPECT_TRUE(sink_.WaitFor("zone-a", "ack\n"));
  EXPECT_EQ(a.TakeInput(), std::string(100, 'x'));
  EXPECT_FALSE(
      hub_->Write("zone-a", std::string(ConsoleHub::kMaxPendingInput + 1, 'y')).has_value());
  EXPECT_FALSE(hub_->Write("nope", "x").has_value());
}

TEST_F(ConsoleHubTest, ReleaseGivesTheBackendBackAndStopsServing) {
  Guest a = NewGuest(5);
  ASSERT_TRUE(hub_->Adopt("zone-a", Attach(a)).has_value());
  std::unique_ptr<console::ConsoleBackend> b = hub_->Release("zone-a");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(hub_->Release("zone-a"), nullptr);
  b.reset();
  EXPECT_EQ(grants_.live_mappings(), 0u);
  EXPECT_FALSE(hub_->Write("zone-a", "x").has_value());
}

}  // namespace
}  // namespace krata::runtime
