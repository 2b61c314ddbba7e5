#pragma once
// XsClient: the typed xenstore operations of xen docs/misc/xenstore.txt over one
// XsConnection (unix socket or /dev/xen/xenbus).
//
// Thread-safety: every method may be called from several threads at once; requests are
// multiplexed by req_id on one connection and watch events are queued (see connection.h for
// the full contract). Moving or destroying the client must not race with calls.
//
// Errors: XS_ERROR replies become Errors with the errno xenstored named (ENOENT, EACCES,
// EAGAIN...); a bad argument (path with characters xenstore forbids, oversized payload) is
// an Error::Invalid (no errno) before anything is sent; path-taking calls add the path as
// context. All reply payloads are untrusted and parsed with bounds checks.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "xen/store/connection.h"
#include "xen/store/payload.h"
#include "xen/store/perms.h"
#include "xen/store/transport.h"
#include "xen/store/wire.h"

namespace krata::xen::store {

// A transaction id as carried in the header's tx_id; 0 means "outside any transaction".
using TxId = uint32_t;
inline constexpr TxId kNoTx = 0;

class XsClient {
 public:
  explicit XsClient(std::unique_ptr<Transport> transport);
  // $XENSTORED_PATH, else /var/run/xenstored/socket, else /dev/xen/xenbus.
  static Result<XsClient> ConnectDefault();

  // Database (READ, WRITE, MKDIR, RM, DIRECTORY). Values are bytes and may hold NULs.
  Result<std::string> Read(std::string_view path, TxId tx = kNoTx);
  // Read, but a missing node is nullopt instead of an ENOENT error.
  Result<std::optional<std::string>> TryRead(std::string_view path, TxId tx = kNoTx);
  Status Write(std::string_view path, std::string_view value, TxId tx = kNoTx);
  Status Mkdir(std::string_view path, TxId tx = kNoTx);
  Status Rm(std::string_view path, TxId tx = kNoTx);
  // Child leaf names. Directories whose listing exceeds XENSTORE_PAYLOAD_MAX fail with E2BIG
  // (DIRECTORY_PART is not implemented).
  Result<std::vector<std::string>> Directory(std::string_view path, TxId tx = kNoTx);

  // Permissions (GET_PERMS, SET_PERMS); perms[0] is the owner and the default access.
  Result<std::vector<Perm>> GetPerms(std::string_view path, TxId tx = kNoTx);
  Status SetPerms(std::string_view path, std::span<const Perm> perms, TxId tx = kNoTx);

  // Transactions (TRANSACTION_START/END). Prefer XsTransaction / RunTransaction
  // (transaction.h). A commit that conflicts with an intervening write fails with EAGAIN.
  Result<TxId> TransactionStart();
  Status TransactionEnd(TxId tx, bool commit);

  // Watches. xenstored fires each new watch once straight away with path == the watched
  // path, then on every change at or below it; "@introduceDomain" and "@releaseDomain"
  // are the special watches. Events are queued per client, whoever set the watch.
  Status Watch(std::string_view path, std::string_view token);
  Status Unwatch(std::string_view path, std::string_view token);
  // RESET_WATCHES: drops all watches and transactions of this connection.
  Status ResetWatches();
  // The next event; nullopt on timeout; an Error once the connection has failed and the
  // queue is empty. No timeout means wait forever.
  Result<std::optional<WatchEvent>> WaitWatchEvent(
      std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  Result<std::optional<WatchEvent>> TryPopWatchEvent();
  // Readable while an event is queued or the connection has failed (see connection.h).
  int watch_fd() const;

  // Domain management (dom0 only): INTRODUCE "<domid>|<mfn>|<port>|" tells xenstored to
  // map the guest's store ring (mfn) and bind its unbound event channel (port).
  Status Introduce(uint16_t domid, uint64_t mfn, uint32_t port);
  Status Release(uint16_t domid);
  Result<bool> IsDomainIntroduced(uint16_t domid);
  Result<std::string> GetDomainPath(uint16_t domid);

  // One raw request; returns the (untrusted) reply payload.
  Result<std::string> Call(XsType type, std::string_view payload, TxId tx = kNoTx);
  XsConnection& connection() { return *conn_; }

 private:
  // Validates path, sends "<path>|<extra>", adds the path to any error.
  Result<std::string> PathCall(XsType type, std::string_view path, std::string_view extra,
                               TxId tx);

  std::unique_ptr<XsConnection> conn_;
};

}  // namespace krata::xen::store
