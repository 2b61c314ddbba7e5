// Watches and concurrency: events interleaved with replies, several threads on one client,
// the poll-able watch fd.

#include <poll.h>

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "xen/store/client.h"
#include "xen/store/fake_xenstored.h"
#include "xen/store/transaction.h"

namespace krata::xen::store {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kLong{10000};  // only a bound against hangs; events come at once

WatchEvent Next(XsClient& c) {
  Result<std::optional<WatchEvent>> ev = c.WaitWatchEvent(kLong);
  if (!ev.has_value()) {
    ADD_FAILURE() << ev.error().ToString();
    return {};
  }
  if (!ev->has_value()) {
    ADD_FAILURE() << "no watch event";
    return {};
  }
  return **ev;
}

TEST(XsWatchTest, FiresOnRegistrationAndOnChangesBelow) {
  FakeXenstored xs;
  XsClient c(xs.TakeClientTransport());
  ASSERT_TRUE(c.Watch("/local/domain/3", "tok").has_value());
  EXPECT_EQ(Next(c), (WatchEvent{"/local/domain/3", "tok"}));
  ASSERT_TRUE(c.Write("/local/domain/3/device/vif/0/state", "4").has_value());
  EXPECT_EQ(Next(c), (WatchEvent{"/local/domain/3/device/vif/0/state", "tok"}));
  ASSERT_TRUE(c.Write("/local/domain/30", "not below").has_value());  // sibling prefix
  ASSERT_TRUE(c.Mkdir("/local/domain/3/new").has_value());
  EXPECT_EQ(Next(c), (WatchEvent{"/local/domain/3/new", "tok"}));
  ASSERT_TRUE(c.SetPerms("/local/domain/3/new", std::vector<Perm>{{3, Access::kRead}})
                  .has_value());
  EXPECT_EQ(Next(c), (WatchEvent{"/local/domain/3/new", "tok"}));
  // Removing a parent reports the watched path itself.
  ASSERT_TRUE(c.Rm("/local/domain").has_value());
  EXPECT_EQ(Next(c), (WatchEvent{"/local/domain/3", "tok"}));
  EXPECT_FALSE(c.TryPopWatchEvent()->has_value());

  ASSERT_TRUE(c.Unwatch("/local/domain/3", "tok").has_value());
  EXPECT_EQ(xs.watch_count(), 0u);
  ASSERT_TRUE(c.Write("/local/domain/3/x", "1").has_value());
  EXPECT_FALSE(c.TryPopWatchEvent()->has_value());
  EXPECT_EQ(c.Unwatch("/local/domain/3", "tok").error().errno_value(), ENOENT);
}

TEST(XsWatchTest, EventsFromOtherConnectionsAndTransactionsOnlyOnCommit) {
  FakeXenstored xs;
  XsClient watcher(xs.TakeClientTransport());
  XsClient writer(xs.TakeClientTransport());
  ASSERT_TRUE(watcher.Watch("/backend", "b").has_value());
  EXPECT_EQ(Next(watcher).path, "/backend");
  XsTransaction tx = *XsTransaction::Start(writer);
  ASSERT_TRUE(writer.Write("/backend/vbd/1/state", "1", tx.id()).has_value());
  ASSERT_TRUE(writer.Write("/backend/vbd/1/state", "2", tx.id()).has_value());
  // A round trip on the watcher's connection: had an event been sent, it is queued by now.
  ASSERT_TRUE(watcher.Read("/").has_value());
  EXPECT_FALSE(watcher.TryPopWatchEvent()->has_value());
  ASSERT_TRUE(tx.Commit().has_value());
  EXPECT_EQ(Next(watcher), (WatchEvent{"/backend/vbd/1/state", "b"}));  // deduplicated
  ASSERT_TRUE(watcher.Read("/").has_value());
  EXPECT_FALSE(watcher.TryPopWatchEvent()->has_value());
}

TEST(XsWatchTest, SpecialWatchesForIntroduceAndRelease) {
  FakeXenstored xs;
  XsClient c(xs.TakeClientTransport());
  ASSERT_TRUE(c.Watch("@introduceDomain", "in").has_value());
  ASSERT_TRUE(c.Watch("@releaseDomain", "out").has_value());
  EXPECT_EQ(Next(c), (WatchEvent{"@introduceDomain", "in"}));
  EXPECT_EQ(Next(c), (WatchEvent{"@releaseDomain", "out"}));
  ASSERT_TRUE(c.Write("/local/domain/4/name", "z").has_value());  // fires neither
  ASSERT_TRUE(c.Introduce(4, 100, 5).has_value());
  EXPECT_EQ(Next(c), (WatchEvent{"@introduceDomain", "in"}));
  ASSERT_TRUE(c.Release(4).has_value());
  EXPECT_EQ(Next(c), (WatchEvent{"@releaseDomain", "out"}));
  EXPECT_FALSE(c.TryPopWatchEvent()->has_value());
}

TEST(XsWatchTest, DuplicateWatchAndResetWatches) {
  FakeXenstored xs;
  XsClient c(xs.TakeClientTransport());
  ASSERT_TRUE(c.Watch("/a", "t").has_value());
  EXPECT_EQ(c.Watch("/a", "t").error().errno_value(), EEXIST);
  ASSERT_TRUE(c.Watch("/a", "t2").has_value());  // same path, other token: a second watch
  TxId tx = *c.TransactionStart();
  EXPECT_EQ(xs.watch_count(), 2u);
  EXPECT_EQ(xs.open_transactions(), 1u);
  ASSERT_TRUE(c.ResetWatches().has_value());
  EXPECT_EQ(xs.watch_count(), 0u);
  EXPECT_EQ(xs.open_transactions(), 0u);
  EXPECT_EQ(c.TransactionEnd(tx, true).error().errno_value(), ENOENT);
}

TEST(XsWatchTest, WatchFdPollsReadableExactlyWhileEventsAreQueued) {
  FakeXenstored xs;
  XsClient c(xs.TakeClientTransport());
  pollfd p{c.watch_fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 0);
  ASSERT_TRUE(c.Watch("/w", "t").has_value());
  ASSERT_TRUE(c.Write("/w/1", "a").has_value());
  ASSERT_TRUE(c.Write("/w/2", "b").has_value());
  // The events precede the replies on the wire, so all three are queued by now.
  std::vector<std::string> seen;
  while (::poll(&p, 1, 0) == 1) {
    Result<std::optional<WatchEvent>> ev = c.TryPopWatchEvent();
    ASSERT_TRUE(ev.has_value() && ev->has_value());
    seen.push_back((*ev)->path);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"/w", "/w/1", "/w/2"}));
}

TEST(XsWatchTest, ConcurrentCallersWithInterleavedEvents) {
  FakeXenstored xs;
  XsClient c(xs.TakeClientTransport());
  ASSERT_TRUE(c.Watch("/t", "all").has_value());
  EXPECT_EQ(Next(c).path, "/t");
  constexpr int kThreads = 6;
  constexpr int kOps = 60;
  // A consumer thread drains events while the writers run.
  std::set<std::string> events;
  std::thread consumer([&] {
    for (int i = 0; i < kThreads * kOps; ++i) {
      Result<std::optional<WatchEvent>> ev = c.WaitWatchEvent(kLong);
      if (!ev.has_value() || !ev->has_value()) return;
      events.insert((*ev)->path);
    }
  });
  std::vector<std::thread> writers;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kOps; ++i) {
        std::string path = "/t/" + std::to_string(t) + "/" + std::to_string(i);
        std::string value = std::to_string(t * 1000 + i);
        if (!c.Write(path, value).has_value()) ++failures[t];
        Result<std::string> back = c.Read(path);
        if (!back.has_value() || *back != value) ++failures[t];
      }
    });
  }
  for (auto& w : writers) w.join();
  consumer.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
  EXPECT_EQ(events.size(), static_cast<size_t>(kThreads * kOps));
  EXPECT_EQ(c.connection().dropped_watch_events(), 0u);
}

}  // namespace
}  // namespace krata::xen::store
