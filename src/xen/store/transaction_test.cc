// Transactions against FakeXenstored: isolation, abort, EAGAIN on conflict and the retry
// helper.

#include "xen/store/transaction.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "xen/store/fake_xenstored.h"

namespace krata::xen::store {
namespace {

TEST(XsTransactionTest, WritesAreIsolatedUntilCommit) {
  FakeXenstored xs;
  xs.Set("/d/a", "old");
  XsClient c(xs.TakeClientTransport());
  XsTransaction tx = *XsTransaction::Start(c);
  EXPECT_NE(tx.id(), kNoTx);
  ASSERT_TRUE(c.Write("/d/a", "new", tx.id()).has_value());
  ASSERT_TRUE(c.Write("/d/b", "added", tx.id()).has_value());
  EXPECT_EQ(*c.Read("/d/a", tx.id()), "new");
  EXPECT_EQ(*c.Read("/d/a"), "old");  // outside: the committed tree
  EXPECT_FALSE(c.TryRead("/d/b")->has_value());
  EXPECT_EQ(xs.open_transactions(), 1u);
  ASSERT_TRUE(tx.Commit().has_value());
  EXPECT_EQ(xs.open_transactions(), 0u);
  EXPECT_EQ(*c.Read("/d/a"), "new");
  EXPECT_EQ(*c.Read("/d/b"), "added");
  EXPECT_FALSE(tx.Commit().has_value());  // already ended
}

TEST(XsTransactionTest, DestructorAborts) {
  FakeXenstored xs;
  XsClient c(xs.TakeClientTransport());
  {
    XsTransaction tx = *XsTransaction::Start(c);
    ASSERT_TRUE(c.Write("/x", "1", tx.id()).has_value());
    ASSERT_TRUE(c.Rm("/x", tx.id()).has_value());
    ASSERT_TRUE(c.Mkdir("/y", tx.id()).has_value());
  }
  EXPECT_EQ(xs.open_transactions(), 0u);
  EXPECT_FALSE(xs.Has("/x"));
  EXPECT_FALSE(xs.Has("/y"));
}

TEST(XsTransactionTest, ConflictingCommitGetsEagain) {
  FakeXenstored xs;
  XsClient c(xs.TakeClientTransport());
  XsClient other(xs.TakeClientTransport());
  XsTransaction tx = *XsTransaction::Start(c);
  ASSERT_TRUE(c.Write("/conf", "mine", tx.id()).has_value());
  ASSERT_TRUE(other.Write("/elsewhere", "theirs").has_value());
  Result<void> commit = tx.Commit();
  ASSERT_FALSE(commit.has_value());
  EXPECT_EQ(commit.error().errno_value(), EAGAIN);
  EXPECT_FALSE(xs.Has("/conf"));
  EXPECT_EQ(xs.open_transactions(), 0u);
}

TEST(XsTransactionTest, UnknownTransactionIdIsEnoent) {
  FakeXenstored xs;
  XsClient c(xs.TakeClientTransport());
  EXPECT_EQ(c.Write("/a", "1", 4242).error().errno_value(), ENOENT);
  EXPECT_EQ(c.TransactionEnd(4242, true).error().errno_value(), ENOENT);
  EXPECT_FALSE(c.TransactionEnd(kNoTx, true).has_value());
}

TEST(XsTransactionTest, RunTransactionRetriesTheWholeFunctionOnEagain) {
  FakeXenstored xs;
  xs.Set("/counter", "0");
  XsClient c(xs.TakeClientTransport());
  int attempts = 0;
  Status st = RunTransaction(c, [&](TxId tx) -> Status {
    ++attempts;
    int v = std::stoi(TRY(c.Read("/counter", tx)));
    // Another writer sneaks in during the first two attempts.
    if (attempts <= 2) xs.Set("/counter", std::to_string(v + 10));
    return c.Write("/counter", std::to_string(v + 1), tx);
  });
  ASSERT_TRUE(st.has_value()) << st.error().ToString();
  EXPECT_EQ(attempts, 3);
  // The winning attempt read the value the intruder left: 0 -> 10 -> 20, then +1.
  EXPECT_EQ(*xs.Get("/counter"), "21");
  EXPECT_EQ(xs.open_transactions(), 0u);
}

TEST(XsTransactionTest, RunTransactionGivesUpAfterMaxAttempts) {
  FakeXenstored xs;
  XsClient c(xs.TakeClientTransport());
  int attempts = 0;
  Status st = RunTransaction(
      c,
      [&](TxId tx) -> Status {
        ++attempts;
        xs.Set("/noise", std::to_string(attempts));
        return c.Write("/mine", "x", tx);
      },
      4);
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().errno_value(), EAGAIN);
  EXPECT_EQ(attempts, 4);
  EXPECT_FALSE(xs.Has("/mine"));
  EXPECT_EQ(xs.open_transactions(), 0u);
}

TEST(XsTransactionTest, RunTransactionAbortsOnOtherErrors) {
  FakeXenstored xs;
  XsClient c(xs.TakeClientTransport());
  int attempts = 0;
  Status st = RunTransaction(c, [&](TxId tx) -> Status {
    ++attempts;
    TRY(c.Write("/partial", "x", tx));
    TRY(c.Read("/missing", tx));
    return {};
  });
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().errno_value(), ENOENT);
  EXPECT_EQ(attempts, 1);
  EXPECT_FALSE(xs.Has("/partial"));
  EXPECT_EQ(xs.open_transactions(), 0u);
}

}  // namespace
}  // namespace krata::xen::store
