#pragma once
// LruTable: NAT state entries (flows, forward peer mappings) kept in least-recently-used
// order, bounded in number (inserting into a full table evicts the oldest) and expiring
// after an idle timeout. Each entry has one loop timer, re-armed lazily: Touch() only stores
// the time, and the timer, when it fires, either erases the entry or re-arms itself at
// last_used + idle. That keeps the per-packet cost at a list splice.
//
// Entries live in a std::list, so references stay valid until the entry is erased. Values
// release their own resources in their destructors (LoopFd below removes its fd from the
// loop); on_erase sees each entry just before it goes, for side indexes.

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <unordered_map>
#include <utility>

#include "base/unique_handle.h"
#include "net/loop/event_loop.h"

namespace krata::net {

// A socket watched by the loop; closing it first removes the watch.
class LoopFd {
 public:
  LoopFd() = default;
  LoopFd(EventLoop& loop, UniqueFd fd) : loop_(&loop), fd_(std::move(fd)) {}
  LoopFd(LoopFd&& o) noexcept = default;
  LoopFd& operator=(LoopFd&& o) noexcept {
    if (this != &o) {
      Reset();
      loop_ = o.loop_;
      fd_ = std::move(o.fd_);
    }
    return *this;
  }
  ~LoopFd() { Reset(); }
  int get() const { return fd_.get(); }
  explicit operator bool() const { return static_cast<bool>(fd_); }
  void Reset() {
    if (fd_ && loop_ != nullptr) loop_->Remove(fd_.get());
    fd_.reset();
  }

 private:
  EventLoop* loop_ = nullptr;
  UniqueFd fd_;
};

template <typename Key, typename Value, typename Hash = std::hash<Key>>
class LruTable {
 public:
  using Clock = EventLoop::Clock;
  struct Entry {
    Key key;
    Value value;
    Clock::time_point last_used;
    EventLoop::TimerId timer = 0;
  };

  LruTable(EventLoop& loop, std::chrono::milliseconds idle_timeout, size_t max_entries,
           std::function<void(Entry&)> on_erase = {})
      : loop_(loop),
        idle_(idle_timeout),
        max_(max_entries == 0 ? 1 : max_entries),
        on_erase_(std::move(on_erase)) {}
  ~LruTable() { Clear(); }
  LruTable(const LruTable&) = delete;
  LruTable& operator=(const LruTable&) = delete;

  size_t size() const { return index_.size(); }
  bool full() const { return index_.size() >= max_; }

  // The entry for key, or nullptr. Does not count as use.
  Entry* Find(const Key& key) {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &*it->second;
  }

  // Adds an entry for an absent key, evicting the least recently used one if the table is
  // full. The new entry is the most recently used.
  Entry& Insert(Key key, Value value) {
    while (full()) EvictOldest();
    lru_.push_front(Entry{key, std::move(value), loop_.Now(), 0});
    auto it = lru_.begin();
    index_.emplace(std::move(key), it);
    Arm(it, it->last_used + idle_);
    return *it;
  }

  // Marks the entry used now: most recent in LRU order, idle timer restarted (lazily).
  void Touch(Entry& e) {
    e.last_used = loop_.Now();
    auto it = index_.find(e.key);
    if (it != index_.end()) lru_.splice(lru_.begin(), lru_, it->second);
  }

  void Erase(const Key& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return;
    EraseAt(it->second);
  }

  void EvictOldest() {
    if (!lru_.empty()) EraseAt(std::prev(lru_.end()));
  }

  void Clear() {
    while (!lru_.empty()) EraseAt(lru_.begin());
  }

 private:
  using Iter = typename std::list<Entry>::iterator;

  void Arm(Iter it, Clock::time_point when) {
    it->timer = loop_.AddTimer(when, [this, key = it->key] { Expire(key); });
  }

  void Expire(const Key& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return;
    Iter e = it->second;
    e->timer = 0;  // this timer has fired
    Clock::time_point deadline = e->last_used + idle_;
    if (loop_.Now() >= deadline) {
      EraseAt(e);
    } else {
      Arm(e, deadline);
    }
  }

  void EraseAt(Iter it) {
    if (it->timer != 0) loop_.CancelTimer(it->timer);
    if (on_erase_) on_erase_(*it);
    index_.erase(it->key);
    lru_.erase(it);  // the value's destructor closes its sockets
  }

  EventLoop& loop_;
  std::chrono::milliseconds idle_;
  size_t max_;
  std::function<void(Entry&)> on_erase_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<Key, Iter, Hash> index_;
};

}  // namespace krata::net
