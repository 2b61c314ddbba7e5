#pragma once
// xenstore transactions: an RAII handle that aborts unless committed, and a helper that
// reruns a whole function when the commit loses a race.
//
// xenstored snapshots the store at TRANSACTION_START; reads and writes in the transaction see
// the snapshot; TRANSACTION_END "T" fails with EAGAIN if other writes intervened
// (xen docs/misc/xenstore.txt, "Transactions"). Watches fire only on a successful commit.

#include <functional>

#include "base/result.h"
#include "xen/store/client.h"

namespace krata::xen::store {

class XsTransaction {
 public:
  static Result<XsTransaction> Start(XsClient& client);
  // Aborts the transaction if it is still open (errors ignored: xenstored drops it with the
  // connection anyway).
  ~XsTransaction();
  XsTransaction(XsTransaction&& o) noexcept;
  XsTransaction& operator=(XsTransaction&&) = delete;
  XsTransaction(const XsTransaction&) = delete;
  XsTransaction& operator=(const XsTransaction&) = delete;

  TxId id() const { return id_; }
  // Ends the transaction (either way it is over afterwards). Commit fails with EAGAIN on a
  // conflict.
  Status Commit();
  Status Abort();

 private:
  XsTransaction(XsClient& client, TxId id) : client_(&client), id_(id) {}
  Status End(bool commit);

  XsClient* client_;
  TxId id_;
};

inline constexpr int kDefaultTransactionAttempts = 16;

// Runs fn(tx) in a new transaction and commits it. When the commit fails with EAGAIN (or fn
// itself returns EAGAIN), the transaction is discarded and fn runs again from scratch in a
// new one, at most max_attempts times in all; then the last EAGAIN error is returned. Any
// other error from fn aborts the transaction and is returned. fn must therefore compute
// everything from what it reads inside the transaction and keep no other side effects.
Status RunTransaction(XsClient& client, const std::function<Status(TxId)>& fn,
                      int max_attempts = kDefaultTransactionAttempts);

}  // namespace krata::xen::store
