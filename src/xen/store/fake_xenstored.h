#pragma once
// FakeXenstored: an in-memory xenstored for client unit tests. Each TakeClientTransport()
// opens one more connection (a socketpair) served on its own thread with the real wire
// protocol through the codec. Behaviour follows xen docs/misc/xenstore.txt and C xenstored:
//  * READ, WRITE, MKDIR, RM, DIRECTORY with parent creation (WRITE/MKDIR) and recursive RM;
//  * GET_PERMS/SET_PERMS: stored and returned (new nodes inherit their parent's), not
//    enforced;
//  * transactions with snapshot isolation: a transaction works on a copy of the tree taken at
//    START; its commit fails with EAGAIN if any other change was committed meanwhile
//    (including Set()); watches fire only when it commits;
//  * WATCH/UNWATCH/RESET_WATCHES: a new watch fires once straight away (after its OK reply);
//    any change at or below a watched path fires it with the token echoed, and the RM of a
//    parent fires it with the watched path. The event for a change made by a connection is
//    sent before that request's reply, as C xenstored does, so events interleave with replies;
//  * INTRODUCE/RELEASE (recorded; they fire @introduceDomain / @releaseDomain),
//    IS_DOMAIN_INTRODUCED, GET_DOMAIN_PATH.
// Test hooks inject raw bytes, replace a reply, or close every connection.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "xen/store/perms.h"
#include "xen/store/transport.h"
#include "xen/store/wire.h"

namespace krata::xen::store {

class FakeXenstored {
 public:
  FakeXenstored();
  ~FakeXenstored();
  FakeXenstored(const FakeXenstored&) = delete;
  FakeXenstored& operator=(const FakeXenstored&) = delete;

  // The client end of a new connection.
  std::unique_ptr<Transport> TakeClientTransport();

  // Direct access to the tree (thread-safe). Set behaves like a write by another client:
  // it fires watches and makes open transactions conflict.
  void Set(const std::string& path, const std::string& value);
  bool Has(const std::string& path);
  std::optional<std::string> Get(const std::string& path);
  std::vector<Perm> GetPerms(const std::string& path);

  struct IntroducedDomain {
    uint64_t mfn = 0;
    uint32_t port = 0;
    friend bool operator==(const IntroducedDomain&, const IntroducedDomain&) = default;
  };
  std::optional<IntroducedDomain> Introduced(uint16_t domid);
  size_t open_transactions();
  size_t watch_count();

  // Sends raw bytes to the newest connection's client, for malformed-reply tests.
  void InjectRaw(const std::string& bytes);
  // The reply to the next request (on any connection) is replaced by make(request): raw
  // bytes, sent as they are. The request itself is still carried out.
  void ReplaceNextReply(std::function<std::string(const XsMessage& request)> make);
  // Shuts down the server side of every connection: clients see EOF, like xenstored dying.
  void CloseConnections();

 private:
  struct Node {
    std::string value;
    std::vector<Perm> perms;
  };
  using Tree = std::map<std::string, Node>;
  struct Conn;
  struct Transaction {
    Conn* owner;
    Tree tree;
    uint64_t base_generation;
    std::vector<std::string> changed;  // paths to fire on commit (recursive rm: marked "!")
  };
  struct WatchReg {
    std::string path;
    std::string token;
  };
  struct Conn {
    UniqueFd server;
    std::vector<WatchReg> watches;
    std::thread thread;
  };

  void Serve(Conn* conn);
  // All below run under mu_.
  void HandleLocked(Conn* conn, const XsMessage& req);
  XsMessage ExecuteLocked(Conn* conn, const XsMessage& req);
  XsMessage TransactionLocked(Conn* conn, const XsMessage& req);
  XsMessage DomainOpLocked(const XsMessage& req);
  XsMessage WatchOpLocked(Conn* conn, const XsMessage& req);
  void SendLocked(Conn* conn, const XsMessage& msg);
  // Records a change: fired now (no transaction) or on commit.
  void ChangedLocked(Transaction* tx, const std::string& path, bool removed);
  void FireLocked(const std::string& path, bool removed);
  static void WriteNode(Tree& tree, const std::string& path, const std::string& value);

  std::mutex mu_;
  Tree tree_;
  uint64_t generation_ = 0;  // bumped by every committed change
  std::map<uint32_t, Transaction> transactions_;
  uint32_t next_tx_id_ = 1;
  std::map<uint16_t, IntroducedDomain> introduced_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::function<std::string(const XsMessage&)> replace_next_;
};

}  // namespace krata::xen::store
