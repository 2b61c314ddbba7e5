#pragma once
// FakeXenstored: an in-memory xenstored for client unit tests. It serves one connection
// (a socketpair end) on its own thread, speaking the real wire protocol through the codec.
// Supports READ, WRITE, MKDIR, RM and DIRECTORY with xenstored's parent-creation rules.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "xen/store/transport.h"
#include "xen/store/wire.h"

namespace krata::xen::store {

class FakeXenstored {
 public:
  FakeXenstored();
  ~FakeXenstored();
  FakeXenstored(const FakeXenstored&) = delete;
  FakeXenstored& operator=(const FakeXenstored&) = delete;

  // The client's end of the connection (call once).
  std::unique_ptr<Transport> TakeClientTransport();
  // Direct access to the tree (thread-safe).
  void Set(const std::string& path, const std::string& value);
  bool Has(const std::string& path);
  // Sends raw bytes to the client, for malformed-reply tests.
  void InjectRaw(const std::string& bytes);

 private:
  void Serve();
  XsMessage Handle(const XsMessage& req);
  void SetLocked(const std::string& path, const std::string& value);

  UniqueFd server_;
  UniqueFd client_;
  std::mutex mu_;
  std::map<std::string, std::string> tree_;
  std::thread thread_;
};

}  // namespace krata::xen::store
