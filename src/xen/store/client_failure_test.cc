// Hostile or broken xenstored: malformed replies, unknown req_ids, closed connections. Every
// call must fail cleanly; none may hang.

#include <poll.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <future>
#include <thread>

#include "xen/store/client.h"
#include "xen/store/fake_xenstored.h"

namespace krata::xen::store {
namespace {

using namespace std::string_literals;

std::string Raw(XsType type, uint32_t req_id, std::string payload) {
  return *Encode({type, req_id, 0, std::move(payload)});
}

bool Contains(const Error& e, std::string_view needle) {
  return e.ToString().find(needle) != std::string::npos;
}

TEST(XsFailureTest, ErrorRepliesCarryTheErrno) {
  FakeXenstored xs;
  XsClient c(xs.TakeClientTransport());
  xs.ReplaceNextReply(
      [](const XsMessage& req) { return Raw(XsType::kError, req.req_id, "EACCES\0"s); });
  Result<std::string> r = c.Read("/secret");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().errno_value(), EACCES);
  EXPECT_TRUE(c.Write("/fine", "1").has_value());
}

TEST(XsFailureTest, WrongReplyTypeFailsOnlyThatCall) {
  FakeXenstored xs;
  xs.Set("/k", "v");
  XsClient c(xs.TakeClientTransport());
  xs.ReplaceNextReply(
      [](const XsMessage& req) { return Raw(XsType::kWrite, req.req_id, "OK\0"s); });
  Result<std::string> r = c.Read("/k");
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(Contains(r.error(), "reply type 11 to request type 2")) << r.error().ToString();
  EXPECT_EQ(*c.Read("/k"), "v");
}

TEST(XsFailureTest, MalformedPayloadsAreErrors) {
  FakeXenstored xs;
  XsClient c(xs.TakeClientTransport());
  xs.ReplaceNextReply([](const XsMessage& req) {
    return Raw(XsType::kGetPerms, req.req_id, "r1\0x9\0"s);
  });
  EXPECT_FALSE(c.GetPerms("/").has_value());
  xs.ReplaceNextReply([](const XsMessage& req) {
    return Raw(XsType::kDirectory, req.req_id, "a\0\0b\0"s);
  });
  EXPECT_FALSE(c.Directory("/").has_value());
  xs.ReplaceNextReply([](const XsMessage& req) {
    return Raw(XsType::kTransactionStart, req.req_id, "0\0"s);
  });
  EXPECT_FALSE(c.TransactionStart().has_value());
  xs.ReplaceNextReply([](const XsMessage& req) {
    return Raw(XsType::kIsDomainIntroduced, req.req_id, "maybe\0"s);
  });
  EXPECT_FALSE(c.IsDomainIntroduced(1).has_value());
  xs.ReplaceNextReply([](const XsMessage& req) {
    return Raw(XsType::kGetDomainPath, req.req_id, "/local\0/domain\0"s);
  });
  EXPECT_FALSE(c.GetDomainPath(1).has_value());
  EXPECT_TRUE(c.Write("/still", "ok").has_value());  // payload errors keep the stream
}

TEST(XsFailureTest, OversizedLengthFailsTheConnectionForGood) {
  FakeXenstored xs;
  XsClient c(xs.TakeClientTransport());
  xs.ReplaceNextReply([](const XsMessage& req) {
    abi::XsMsgHeader h{static_cast<uint32_t>(XsType::kRead), req.req_id, 0, 5000};
    return std::string(reinterpret_cast<const char*>(&h), sizeof h) + std::string(5000, 'x');
  });
  Result<std::string> r = c.Read("/");
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(Contains(r.error(), "exceeds")) << r.error().ToString();
  EXPECT_FALSE(c.Read("/").has_value());
  EXPECT_TRUE(c.connection().failure().has_value());
  Result<std::optional<WatchEvent>> ev = c.WaitWatchEvent();  // no timeout: must not hang
  EXPECT_FALSE(ev.has_value());
}

TEST(XsFailureTest, ReplyToUnknownRequestFailsTheConnection) {
  FakeXenstored xs;
  XsClient c(xs.TakeClientTransport());
  xs.ReplaceNextReply(
      [](const XsMessage& req) { return Raw(XsType::kRead, req.req_id + 1000, "v"); });
  Result<std::string> r = c.Read("/");
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(Contains(r.error(), "reply for unknown request")) << r.error().ToString();
  EXPECT_FALSE(c.Write("/x", "1").has_value());
}

TEST(XsFailureTest, InjectedStrayReplyFailsTheNextCall) {
  FakeXenstored xs;
  XsClient c(xs.TakeClientTransport());
  xs.InjectRaw(Raw(XsType::kRead, 999, "bogus"));
  Result<std::string> r = c.Read("/");
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(Contains(r.error(), "reply for unknown request 999")) << r.error().ToString();
}

TEST(XsFailureTest, MalformedWatchEventFailsTheConnection) {
  FakeXenstored xs;
  XsClient c(xs.TakeClientTransport());
  xs.InjectRaw(Raw(XsType::kWatchEvent, 0, "no-nul-at-all"));
  Result<std::string> r = c.Read("/");
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(Contains(r.error(), "malformed watch event")) << r.error().ToString();
  pollfd p{c.watch_fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 1);  // a poll loop wakes up and sees the failure
  EXPECT_FALSE(c.TryPopWatchEvent().has_value());
}

TEST(XsFailureTest, QueuedEventsSurviveTheFailure) {
  FakeXenstored xs;
  XsClient c(xs.TakeClientTransport());
  ASSERT_TRUE(c.Watch("/w", "t").has_value());
  pollfd p{c.watch_fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 10000), 1);  // the initial event is queued
  xs.CloseConnections();
  EXPECT_FALSE(c.Read("/w").has_value());
  Result<std::optional<WatchEvent>> ev = c.TryPopWatchEvent();
  ASSERT_TRUE(ev.has_value() && ev->has_value());
  EXPECT_EQ((*ev)->path, "/w");
  EXPECT_FALSE(c.TryPopWatchEvent().has_value());
}

TEST(XsFailureTest, XenstoredClosingWakesPendingCalls) {
  FakeXenstored xs;
  XsClient c(xs.TakeClientTransport());
  std::promise<void> received;
  xs.ReplaceNextReply([&](const XsMessage&) {
    received.set_value();
    return std::string();  // swallow the reply: the caller stays blocked
  });
  std::future<Result<std::string>> call =
      std::async(std::launch::async, [&] { return c.Read("/"); });
  received.get_future().wait();
  xs.CloseConnections();
  Result<std::string> r = call.get();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().errno_value(), ECONNRESET) << r.error().ToString();
  EXPECT_FALSE(c.Write("/x", "1").has_value());
}

TEST(XsFailureTest, TruncatedReplyThenCloseIsAnError) {
  FakeXenstored xs;
  XsClient c(xs.TakeClientTransport());
  std::promise<void> sent;
  xs.ReplaceNextReply([&](const XsMessage& req) {
    sent.set_value();
    return Raw(XsType::kRead, req.req_id, "value").substr(0, 9);  // half a header
  });
  std::future<Result<std::string>> call =
      std::async(std::launch::async, [&] { return c.Read("/"); });
  sent.get_future().wait();
  xs.CloseConnections();
  Result<std::string> r = call.get();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().errno_value(), ECONNRESET) << r.error().ToString();
}

}  // namespace
}  // namespace krata::xen::store
