#include "xen/store/client.h"

#include <cerrno>

namespace krata::xen::store {

XsClient::XsClient(std::unique_ptr<Transport> transport)
    : conn_(std::make_unique<XsConnection>(std::move(transport))) {}

Result<XsClient> XsClient::ConnectDefault() { return XsClient(TRY(store::ConnectDefault())); }

Result<std::string> XsClient::Call(XsType type, std::string_view payload, TxId tx) {
  return conn_->Call(type, payload, tx);
}

Result<std::string> XsClient::PathCall(XsType type, std::string_view path,
                                       std::string_view extra, TxId tx) {
  Status valid = ValidatePath(path);
  if (!valid.has_value()) return std::move(valid.error()).With(std::string(path.substr(0, 128)));
  std::string payload = PathPayload(path);
  payload += extra;
  Result<std::string> r = conn_->Call(type, payload, tx);
  if (!r.has_value()) return std::move(r.error()).With(std::string(path));
  return r;
}

Result<std::string> XsClient::Read(std::string_view path, TxId tx) {
  return PathCall(XsType::kRead, path, {}, tx);
}

Result<std::optional<std::string>> XsClient::TryRead(std::string_view path, TxId tx) {
  Result<std::string> r = Read(path, tx);
  if (r.has_value()) return std::optional<std::string>(std::move(*r));
  if (r.error().errno_value() == ENOENT) return std::optional<std::string>();
  return std::move(r.error());
}

Status XsClient::Write(std::string_view path, std::string_view value, TxId tx) {
  // The value follows the path's NUL and is not NUL-terminated itself.
  TRY(PathCall(XsType::kWrite, path, value, tx));
  return {};
}

Status XsClient::Mkdir(std::string_view path, TxId tx) {
  TRY(PathCall(XsType::kMkdir, path, {}, tx));
  return {};
}

Status XsClient::Rm(std::string_view path, TxId tx) {
  TRY(PathCall(XsType::kRm, path, {}, tx));
  return {};
}

Result<std::vector<std::string>> XsClient::Directory(std::string_view path, TxId tx) {
  std::string reply = TRY(PathCall(XsType::kDirectory, path, {}, tx));
  Result<std::vector<std::string>> names = ParseDirectory(reply);
  if (!names.has_value()) return std::move(names.error()).With(std::string(path));
  return names;
}

Result<std::vector<Perm>> XsClient::GetPerms(std::string_view path, TxId tx) {
  std::string reply = TRY(PathCall(XsType::kGetPerms, path, {}, tx));
  Result<std::vector<Perm>> perms = ParsePermList(reply);
  if (!perms.has_value()) return std::move(perms.error()).With(std::string(path));
  return perms;
}

Status XsClient::SetPerms(std::string_view path, std::span<const Perm> perms, TxId tx) {
  std::string list = TRY(FormatPermList(perms));
  TRY(PathCall(XsType::kSetPerms, path, list, tx));
  return {};
}

Result<TxId> XsClient::TransactionStart() {
  // "It is not legal to send non-0 tx_id in TRANSACTION_START" (xenstore.txt).
  std::string reply = TRY(conn_->Call(XsType::kTransactionStart, std::string_view("\0", 1), 0));
  return ParseTransactionId(reply);
}

Status XsClient::TransactionEnd(TxId tx, bool commit) {
  if (tx == kNoTx) return Error::Invalid("xenstore", "TRANSACTION_END without a transaction");
  std::string_view payload = commit ? std::string_view("T\0", 2) : std::string_view("F\0", 2);
  return ParseOk(TRY(conn_->Call(XsType::kTransactionEnd, payload, tx)));
}

Status XsClient::Watch(std::string_view path, std::string_view token) {
  TRY(ValidateToken(token));
  TRY(PathCall(XsType::kWatch, path, std::string(token) + '\0', kNoTx));
  return {};
}

Status XsClient::Unwatch(std::string_view path, std::string_view token) {
  TRY(ValidateToken(token));
  TRY(PathCall(XsType::kUnwatch, path, std::string(token) + '\0', kNoTx));
  return {};
}

Status XsClient::ResetWatches() {
  return ParseOk(TRY(conn_->Call(XsType::kResetWatches, std::string_view("\0", 1), kNoTx)));
}

Result<std::optional<WatchEvent>> XsClient::WaitWatchEvent(
    std::optional<std::chrono::milliseconds> timeout) {
  return conn_->WaitWatchEvent(timeout);
}

Result<std::optional<WatchEvent>> XsClient::TryPopWatchEvent() {
  return conn_->TryPopWatchEvent();
}

int XsClient::watch_fd() const { return conn_->watch_fd(); }

Status XsClient::Introduce(uint16_t domid, uint64_t mfn, uint32_t port) {
  Result<std::string> r = conn_->Call(XsType::kIntroduce, IntroducePayload(domid, mfn, port));
  if (!r.has_value()) return std::move(r.error()).With("introduce domain " + std::to_string(domid));
  return ParseOk(*r);
}

Status XsClient::Release(uint16_t domid) {
  Result<std::string> r = conn_->Call(XsType::kRelease, DomidPayload(domid));
  if (!r.has_value()) return std::move(r.error()).With("release domain " + std::to_string(domid));
  return ParseOk(*r);
}

Result<bool> XsClient::IsDomainIntroduced(uint16_t domid) {
  return ParseBool(TRY(conn_->Call(XsType::kIsDomainIntroduced, DomidPayload(domid))));
}

Result<std::string> XsClient::GetDomainPath(uint16_t domid) {
  std::string reply = TRY(conn_->Call(XsType::kGetDomainPath, DomidPayload(domid)));
  std::string path = TRY(ParseSingleString(reply));
  TRY(ValidatePath(path));
  return path;
}

}  // namespace krata::xen::store
