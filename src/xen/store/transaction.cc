#include "xen/store/transaction.h"

#include <cerrno>
#include <utility>

namespace krata::xen::store {

Result<XsTransaction> XsTransaction::Start(XsClient& client) {
  return XsTransaction(client, TRY(client.TransactionStart()));
}

XsTransaction::XsTransaction(XsTransaction&& o) noexcept
    : client_(o.client_), id_(std::exchange(o.id_, kNoTx)) {}

XsTransaction::~XsTransaction() {
  if (id_ != kNoTx) (void)End(false);
}

Status XsTransaction::Commit() { return End(true); }
Status XsTransaction::Abort() { return End(false); }

Status XsTransaction::End(bool commit) {
  if (id_ == kNoTx) return Error::Invalid("xenstore", "transaction already ended");
  // xenstored forgets the transaction after END whatever the outcome.
  return client_->TransactionEnd(std::exchange(id_, kNoTx), commit);
}

Status RunTransaction(XsClient& client, const std::function<Status(TxId)>& fn,
                      int max_attempts) {
  if (max_attempts < 1) return Error::Invalid("xenstore", "max_attempts must be at least 1");
  Error last;
  for (int attempt = 0; attempt < max_attempts; ++attempt) {
    XsTransaction tx = TRY(XsTransaction::Start(client));
    Status body = fn(tx.id());
    Status end = body.has_value() ? tx.Commit() : tx.Abort();
    if (!body.has_value()) {
      if (body.error().errno_value() != EAGAIN) return std::move(body.error());
      last = std::move(body.error());
      continue;
    }
    if (end.has_value()) return {};
    if (end.error().errno_value() != EAGAIN) return std::move(end.error());
    last = std::move(end.error());
  }
  return std::move(last).With("transaction gave up after " + std::to_string(max_attempts) +
                              " attempts");
}

}  // namespace krata::xen::store
