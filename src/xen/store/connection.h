#pragma once
// XsConnection: one connection to xenstored shared by any number of threads.
//
// xenstored answers each request with a reply carrying the request's req_id, and sends
// WATCH_EVENT messages (req_id 0) at any moment, interleaved with replies
// (xen docs/misc/xenstore.txt, "WATCH_EVENT"; replies may come in any order). So one reader
// thread owns the read side: it routes each reply to the caller waiting for that req_id and
// queues each watch event. Callers serialise only their writes.
//
// Threading contract:
//  * Call, WaitWatchEvent, TryPopWatchEvent and the accessors are safe from any thread,
//    concurrently. Each watch event is handed to exactly one consumer.
//  * The destructor must not race with other calls (the owner outlives its users). It stops
//    and joins the reader thread.
//  * watch_fd() polls readable while a watch event is queued or the connection has failed,
//    so a poll loop can wait on it and then drain with TryPopWatchEvent.
//
// Failure: EOF, a read error, an undecodable stream (len over XENSTORE_PAYLOAD_MAX), a
// malformed watch event or a reply to no outstanding request all mean the stream can no
// longer be trusted. The connection then fails for good: every waiting and later Call
// returns that error, no call hangs. Queued watch events stay poppable.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/result.h"
#include "base/unique_handle.h"
#include "xen/store/payload.h"
#include "xen/store/transport.h"
#include "xen/store/wire.h"

namespace krata::xen::store {

class XsConnection {
 public:
  // Watch events beyond this many unconsumed ones are dropped (and counted): guests can
  // cause events under the nodes we watch, and must not make us grow without bound.
  static constexpr size_t kMaxQueuedWatchEvents = 8192;

  // Starts the reader thread. Aborts only if eventfd/thread creation fails (resource
  // exhaustion).
  explicit XsConnection(std::unique_ptr<Transport> transport);
  ~XsConnection();
  XsConnection(const XsConnection&) = delete;
  XsConnection& operator=(const XsConnection&) = delete;

  // Sends one request and waits for its reply. XS_ERROR replies become Errors carrying the
  // errno named in the reply; a reply of another type than the request is an Error too.
  // Returns the reply payload (untrusted).
  Result<std::string> Call(XsType type, std::string_view payload, uint32_t tx_id = 0);

  // The next watch event; nullopt when timeout passes first (no timeout: wait forever).
  // After a failure the queued events are still returned, then the failure.
  Result<std::optional<WatchEvent>> WaitWatchEvent(
      std::optional<std::chrono::milliseconds> timeout);
  Result<std::optional<WatchEvent>> TryPopWatchEvent() {
    return WaitWatchEvent(std::chrono::milliseconds(0));
  }
  int watch_fd() const { return watch_fd_.get(); }
  uint64_t dropped_watch_events() const;
  // The error the connection failed with, if it has.
  std::optional<Error> failure() const;

 private:
  void ReaderLoop();
  // Both run under mu_. Dispatch returns false after failing the connection.
  bool Dispatch(XsMessage msg);
  void FailLocked(Error e);
  uint32_t AllocReqIdLocked();

  std::unique_ptr<Transport> transport_;
  UniqueFd stop_fd_;   // eventfd: the destructor wakes the reader with it
  UniqueFd watch_fd_;  // eventfd (semaphore mode): its count == queued events (+1 on failure)
  std::mutex write_mu_;  // one writer at a time on the transport

  mutable std::mutex mu_;
  std::condition_variable replies_cv_;
  std::condition_variable events_cv_;
  uint32_t next_req_id_ = 1;
  // req_id -> reply, nullopt while outstanding.
  std::map<uint32_t, std::optional<XsMessage>> pending_;
  std::deque<WatchEvent> events_;
  uint64_t dropped_events_ = 0;
  std::optional<Error> error_;

  std::thread reader_;
};

}  // namespace krata::xen::store
