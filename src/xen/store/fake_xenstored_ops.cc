// FakeXenstored request handling: the database, transactions, watches and domain operations
// of xen docs/misc/xenstore.txt, on an in-memory tree. Runs under FakeXenstored::mu_.

#include <algorithm>

#include "xen/store/fake_xenstored.h"
#include "xen/store/payload.h"

namespace krata::xen::store {
namespace {

XsMessage Reply(const XsMessage& req, std::string payload) {
  return {req.type, req.req_id, req.tx_id, std::move(payload)};
}
XsMessage Ok(const XsMessage& req) { return Reply(req, std::string("OK", 3)); }
XsMessage Err(const XsMessage& req, const char* name) {
  return {XsType::kError, req.req_id, req.tx_id, std::string(name) + '\0'};
}

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

}  // namespace

void FakeXenstored::WriteNode(Tree& tree, const std::string& path, const std::string& value) {
  // Missing parents are created empty, top down; every new node inherits its parent's perms.
  std::vector<std::string> missing;
  for (std::string p = path; tree.count(p) == 0; p = Parent(p)) missing.push_back(p);
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    tree[*it] = Node{"", tree[Parent(*it)].perms};
  }
  tree[path].value = value;
}

XsMessage FakeXenstored::ExecuteLocked(Conn* conn, const XsMessage& req) {
  switch (req.type) {
    case XsType::kTransactionStart:
    case XsType::kTransactionEnd:
      return TransactionLocked(conn, req);
    case XsType::kWatch:
    case XsType::kUnwatch:
    case XsType::kResetWatches:
      return WatchOpLocked(conn, req);
    case XsType::kIntroduce:
    case XsType::kRelease:
    case XsType::kIsDomainIntroduced:
    case XsType::kGetDomainPath:
      return DomainOpLocked(req);
    case XsType::kRead:
    case XsType::kWrite:
    case XsType::kMkdir:
    case XsType::kRm:
    case XsType::kDirectory:
    case XsType::kGetPerms:
    case XsType::kSetPerms:
      break;
    default:
      return Err(req, "ENOSYS");
  }
  Transaction* tx = nullptr;
  if (req.tx_id != 0) {
    auto it = transactions_.find(req.tx_id);
    if (it == transactions_.end() || it->second.owner != conn) return Err(req, "ENOENT");
    tx = &it->second;
  }
  Tree& tree = tx != nullptr ? tx->tree : tree_;
  size_t nul = req.payload.find('\0');
  if (nul == std::string::npos) return Err(req, "EINVAL");
  std::string path = req.payload.substr(0, nul);
  std::string rest = req.payload.substr(nul + 1);
  if (!ValidatePath(path).has_value() || path[0] != '/') return Err(req, "EINVAL");
  auto node = tree.find(path);
  switch (req.type) {
    case XsType::kRead:
      if (node == tree.end()) return Err(req, "ENOENT");
      return Reply(req, node->second.value);
    case XsType::kWrite:
      WriteNode(tree, path, rest);
      ChangedLocked(tx, path, false);
      return Ok(req);
    case XsType::kMkdir:
      // Like C xenstored, an existing node is left alone and fires nothing.
      if (node == tree.end()) {
        WriteNode(tree, path, "");
        ChangedLocked(tx, path, false);
      }
      return Ok(req);
    case XsType::kRm: {
      if (path == "/") return Err(req, "EINVAL");
      // Not an error if the node is missing, but it is if its parent is missing too.
      if (node == tree.end()) return tree.count(Parent(path)) != 0 ? Ok(req) : Err(req, "ENOENT");
      tree.erase(node);
      // Descendants sort in ["path/", "path0"): '0' is the byte after '/'.
      tree.erase(tree.lower_bound(path + "/"), tree.lower_bound(path + "0"));
      ChangedLocked(tx, path, true);
      return Ok(req);
    }
    case XsType::kDirectory: {
      if (node == tree.end()) return Err(req, "ENOENT");
      std::string prefix = path == "/" ? "/" : path + "/";
      std::string out;
      for (auto it = tree.upper_bound(prefix); it != tree.end(); ++it) {
        const std::string& k = it->first;
        if (k.compare(0, prefix.size(), prefix) != 0) break;
        if (k.find('/', prefix.size()) == std::string::npos) {
          out.append(k, prefix.size());
          out.push_back('\0');
        }
      }
      if (out.size() > abi::kXsPayloadMax) return Err(req, "E2BIG");
      return Reply(req, out);
    }
    case XsType::kGetPerms:
      if (node == tree.end()) return Err(req, "ENOENT");
      return Reply(req, MUST(FormatPermList(node->second.perms)));
    default: {  // kSetPerms
      if (node == tree.end()) return Err(req, "ENOENT");
      Result<std::vector<Perm>> perms = ParsePermList(rest);
      if (!perms.has_value()) return Err(req, "EINVAL");
      node->second.perms = std::move(*perms);
      ChangedLocked(tx, path, false);
      return Ok(req);
    }
  }
}

XsMessage FakeXenstored::TransactionLocked(Conn* conn, const XsMessage& req) {
  if (req.type == XsType::kTransactionStart) {
    if (req.tx_id != 0) return Err(req, "EINVAL");
    uint32_t id;
    do {
      id = next_tx_id_++;
    } while (id == 0 || transactions_.count(id) != 0);
    transactions_.emplace(id, Transaction{conn, tree_, generation_, {}});
    return Reply(req, std::to_string(id) + '\0');
  }
  auto it = transactions_.find(req.tx_id);
  if (it == transactions_.end() || it->second.owner != conn) return Err(req, "ENOENT");
  Result<std::string> arg = ParseSingleString(req.payload);
  if (!arg.has_value() || (*arg != "T" && *arg != "F")) return Err(req, "EINVAL");
  Transaction tx = std::move(it->second);
  transactions_.erase(it);  // over, whatever the outcome
  if (*arg == "F") return Ok(req);
  if (tx.base_generation != generation_) return Err(req, "EAGAIN");
  tree_ = std::move(tx.tree);
  ++generation_;
  std::vector<std::string> fired;
  for (const std::string& c : tx.changed) {
    if (std::find(fired.begin(), fired.end(), c) != fired.end()) continue;
    fired.push_back(c);
    bool removed = c[0] == '!';
    FireLocked(removed ? c.substr(1) : c, removed);
  }
  return Ok(req);
}

XsMessage FakeXenstored::WatchOpLocked(Conn* conn, const XsMessage& req) {
  if (req.type == XsType::kResetWatches) {
    conn->watches.clear();
    std::erase_if(transactions_, [&](const auto& kv) { return kv.second.owner == conn; });
    return Ok(req);
  }
  // "<wpath>|<token>|": the same shape as a watch event.
  Result<WatchEvent> w = ParseWatchEvent(req.payload);
  if (!w.has_value() || !ValidatePath(w->path).has_value() ||
      (w->path[0] != '/' && w->path[0] != '@')) {
    return Err(req, "EINVAL");
  }
  auto it = std::find_if(conn->watches.begin(), conn->watches.end(), [&](const WatchReg& r) {
    return r.path == w->path && r.token == w->token;
  });
  if (req.type == XsType::kWatch) {
    if (it != conn->watches.end()) return Err(req, "EEXIST");
    conn->watches.push_back({w->path, w->token});
    return Ok(req);  // HandleLocked fires the new watch after this reply
  }
  if (it == conn->watches.end()) return Err(req, "ENOENT");
  conn->watches.erase(it);
  return Ok(req);
}

XsMessage FakeXenstored::DomainOpLocked(const XsMessage& req) {
  std::vector<std::string> f = SplitNul(req.payload);
  size_t want = req.type == XsType::kIntroduce ? 3 : 1;
  if (f.size() != want) return Err(req, "EINVAL");
  Result<uint64_t> domid = ParseDecimal(f[0], UINT16_MAX);
  if (!domid.has_value()) return Err(req, "EINVAL");
  auto d = static_cast<uint16_t>(*domid);
  switch (req.type) {
    case XsType::kIntroduce: {
      Result<uint64_t> mfn = ParseDecimal(f[1], UINT64_MAX);
      Result<uint64_t> port = ParseDecimal(f[2], UINT32_MAX);
      if (d == 0 || !mfn.has_value() || !port.has_value()) return Err(req, "EINVAL");
      introduced_[d] = IntroducedDomain{*mfn, static_cast<uint32_t>(*port)};
      FireLocked("@introduceDomain", false);
      return Ok(req);
    }
    case XsType::kRelease:
      if (introduced_.erase(d) == 0) return Err(req, "ENOENT");
      FireLocked("@releaseDomain", false);
      return Ok(req);
    case XsType::kIsDomainIntroduced:
      return Reply(req, introduced_.count(d) != 0 ? std::string("T", 2) : std::string("F", 2));
    default:  // kGetDomainPath
      return Reply(req, "/local/domain/" + std::to_string(d) + '\0');
  }
}

}  // namespace krata::xen::store
