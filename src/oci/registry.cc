#include "oci/registry.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <thread>

#include "base/file.h"
#include "oci/json_util.h"
#include "oci/media_types.h"
#include "oci/reference.h"

namespace krata::oci {
namespace {

constexpr std::string_view kOp = "registry";
constexpr size_t kMaxErrorBody = 64 * 1024;
constexpr int kMaxRedirects = 5;
// Tokens are refreshed this long before they expire, so a long layer download that starts
// just before expiry does not fail.
constexpr auto kTokenSlack = std::chrono::seconds(10);

std::string_view StripParams(std::string_view t) {
  t = t.substr(0, t.find(';'));
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  return t;
}

bool IsRedirect(long s) { return s == 301 || s == 302 || s == 303 || s == 307 || s == 308; }
bool IsRetryableStatus(long s) { return s == 429 || s == 500 || s == 502 || s == 503 || s == 504; }

std::string UrlEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// "HTTP 404 (MANIFEST_UNKNOWN: manifest unknown)" from a distribution error body.
std::string DescribeStatus(const HttpResponse& r) {
  std::string out = "HTTP " + std::to_string(r.status);
  Result<json_util::Json> j = json_util::ParseObject(r.body, "error body");
  if (j.has_value()) {
    auto errors = j->find("errors");
    if (errors != j->end() && errors->is_array() && !errors->empty() && (*errors)[0].is_object()) {
      const json_util::Json& e = (*errors)[0];
      std::string code = json_util::OptString(e, "code", "e").value_or(std::nullopt).value_or("");
      std::string msg = json_util::OptString(e, "message", "e").value_or(std::nullopt).value_or("");
      if (!code.empty() || !msg.empty()) out += " (" + code + ": " + msg.substr(0, 200) + ")";
    }
  }
  return out;
}

// Hashes and counts bytes on their way to the caller's sink, refusing any byte past the
// descriptor's size so a hostile registry cannot fill the disk.
class VerifyingSink : public BlobSink {
 public:
  VerifyingSink(const Descriptor& desc, BlobSink& inner)
      : desc_(desc), inner_(inner), hasher_(std::make_unique<Hasher>(desc.digest.algorithm())) {}
  Status Write(std::string_view chunk) override {
    if (chunk.size() > static_cast<uint64_t>(desc_.size) - total_) {
      return Error::Invalid(kOp, "blob " + desc_.digest.ToString() + " is larger than its " +
                                     std::to_string(desc_.size) + " bytes");
    }
    total_ += chunk.size();
    hasher_->Update(chunk);
    return inner_.Write(chunk);
  }
  Status Reset() override {
    total_ = 0;
    hasher_ = std::make_unique<Hasher>(desc_.digest.algorithm());
    return inner_.Reset();
  }
  Status Finish() {
    if (total_ != static_cast<uint64_t>(desc_.size)) {
      return Error::Invalid(kOp, "blob " + desc_.digest.ToString() + " is " +
                                     std::to_string(total_) + " bytes, expected " +
                                     std::to_string(desc_.size));
    }
    return CheckDigest(desc_.digest, hasher_->Finish(), "blob " + desc_.digest.ToString());
  }

 private:
  const Descriptor& desc_;
  BlobSink& inner_;
  std::unique_ptr<Hasher> hasher_;
  uint64_t total_ = 0;
};

}  // namespace

Status FileBlobSink::Write(std::string_view chunk) { return WriteAll(fd_, chunk); }

Status FileBlobSink::Reset() {
  if (::ftruncate(fd_, 0) != 0) return Error::FromErrno("ftruncate", errno);
  if (::lseek(fd_, 0, SEEK_SET) != 0) return Error::FromErrno("lseek", errno);
  return {};
}

RegistryClient::RegistryClient(std::string host, RegistryOptions options)
    : host_(std::move(host)),
      options_(std::move(options)),
      http_(HttpOptions{.tls_verify = options_.tls_verify,
                        .connect_timeout_s = options_.connect_timeout_s}) {}

Result<HttpResponse> RegistryClient::SendWithRetries(const HttpRequest& request, BlobSink* sink,
                                                     size_t max_body) {
  BodySink body_sink;
  if (sink != nullptr) body_sink = [sink](std::string_view chunk) { return sink->Write(chunk); };
  auto backoff = options_.initial_backoff;
  int attempts = std::max(1, options_.max_attempts);
  for (int attempt = 1;; ++attempt) {
    if (attempt > 1 && sink != nullptr) TRY(sink->Reset());
    HttpResponse r = TRY(http_.Perform(request, sink != nullptr ? &body_sink : nullptr, max_body));
    bool retry = (r.status == 0 && r.transient) || IsRetryableStatus(r.status);
    if (!retry || attempt >= attempts) {
      if (r.status == 0) {
        return Error::Invalid(
            kOp, r.transport_error +
                     (attempt > 1 ? " after " + std::to_string(attempt) + " attempts" : ""));
      }
      return r;
    }
    // Honour a short Retry-After (seconds form); the backoff is a deliberate delay.
    auto delay = backoff;
    std::string retry_after = r.Header("retry-after");
    if (!retry_after.empty() && retry_after.size() <= 2 &&
        std::all_of(retry_after.begin(), retry_after.end(), ::isdigit)) {
      delay = std::max(delay, std::chrono::milliseconds(std::stoi(retry_after) * 1000));
    }
    std::this_thread::sleep_for(delay);
    backoff *= 2;
  }
}

Status RegistryClient::AdoptChallenges(const HttpResponse& response) {
  std::optional<AuthChallenge> basic, bearer;
  for (const std::string& h : response.www_authenticate) {
    Result<std::vector<AuthChallenge>> parsed = ParseAuthChallenges(h);
    if (!parsed.has_value()) return std::move(parsed.error()).With(host_);
    for (AuthChallenge& c : *parsed) {
      if (c.scheme == "bearer" && !bearer) bearer = std::move(c);
      if (c.scheme == "basic" && !basic) basic = std::move(c);
    }
  }
  if (bearer) {
    challenge_ = std::move(bearer);
  } else if (basic) {
    challenge_ = std::move(basic);
  } else {
    return Error::Invalid(kOp, host_ + " answered 401 without a Basic or Bearer challenge");
  }
  return {};
}

Status RegistryClient::EnsureBase() {
  std::lock_guard lock(mu_);
  if (!base_url_.empty()) return {};
  std::vector<std::string> schemes = {"https"};
  if (!options_.tls_verify) schemes.push_back("http");  // skopeo's insecure fallback
  std::string last_error;
  for (const std::string& scheme : schemes) {
    std::string base = scheme + "://" + host_;
    Result<HttpResponse> r =
        SendWithRetries(HttpRequest{"GET", base + "/v2/", {}}, nullptr, kMaxErrorBody);
    if (!r.has_value()) {
      last_error = r.error().ToString();
      continue;
    }
    if (r->status == 401) TRY(AdoptChallenges(*r));
    base_url_ = base;
    return {};
  }
  return Error::Invalid(kOp, "cannot reach " + host_ + ": " + last_error);
}

Result<std::string> RegistryClient::FetchToken(const AuthChallenge& bearer,
                                               std::string_view scope) {
  std::string realm = bearer.Param("realm");
  if (realm.empty()) return Error::Invalid(kOp, "Bearer challenge without realm");
  std::string url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
  std::string service = bearer.Param("service");
  bool first = true;
  if (!service.empty()) {
    url += "service=" + UrlEscape(service);
    first = false;
  }
  if (!scope.empty()) url += std::string(first ? "" : "&") + "scope=" + UrlEscape(scope);
  HttpRequest req{"GET", url, {}};
  if (options_.credentials) {
    req.headers.push_back(
        "Authorization: Basic " +
        EncodeBase64(options_.credentials->username + ":" + options_.credentials->password));
  }
  HttpResponse r = TRY(SendWithRetries(req, nullptr, 1 << 20));
  if (r.status == 401 || r.status == 403) {
    return Error::Invalid(kOp, "token service " + realm.substr(0, 200) + " refused " +
                                   (options_.credentials ? "the credentials for user \"" +
                                                               options_.credentials->username + "\""
                                                         : std::string("anonymous access")) +
                                   " (" + DescribeStatus(r) + ")");
  }
  if (r.status != 200) {
    return Error::Invalid(kOp, "token service " + realm.substr(0, 200) + ": " + DescribeStatus(r));
  }
  BearerToken t = TRY(ParseTokenResponse(r.body));
  auto lifetime = std::chrono::seconds(std::min<int64_t>(t.expires_in_s, 24 * 3600));
  tokens_[std::string(scope)] = {t.token,
                                 std::chrono::steady_clock::now() + lifetime - kTokenSlack};
  return t.token;
}

Result<std::string> RegistryClient::Authorization(std::string_view scope, bool force_refresh) {
  std::lock_guard lock(mu_);
  if (!challenge_) return std::string();
  if (challenge_->scheme == "basic") {
    if (!options_.credentials) return std::string();
    return "Authorization: Basic " +
           EncodeBase64(options_.credentials->username + ":" + options_.credentials->password);
  }
  auto it = tokens_.find(std::string(scope));
  if (!force_refresh && it != tokens_.end() &&
      std::chrono::steady_clock::now() < it->second.expiry) {
    return "Authorization: Bearer " + it->second.token;
  }
  // Use the scope from the challenge if the registry named one for this request.
  std::string token = TRY(FetchToken(*challenge_, scope));
  return "Authorization: Bearer " + token;
}

Result<RegistryClient::Reply> RegistryClient::SendFollowingRedirects(
    const std::string& url, const std::vector<std::string>& headers,
    const std::string& authorization, BlobSink* sink, size_t max_body) {
  std::string origin = TRY(UrlOrigin(url));
  std::string current = url;
  for (int hop = 0; hop <= kMaxRedirects; ++hop) {
    HttpRequest req{"GET", current, headers};
    // Credentials go only to the registry's own origin (scheme, host and port); a redirect
    // to blob storage elsewhere gets a plain request, as docker and containerd do.
    if (!authorization.empty() && TRY(UrlOrigin(current)) == origin) {
      req.headers.push_back(authorization);
    }
    HttpResponse r = TRY(SendWithRetries(req, sink, max_body));
    if (!IsRedirect(r.status)) return Reply{std::move(r), current};
    std::string location = r.Header("location");
    if (location.empty()) return Error::Invalid(kOp, "redirect without Location");
    current = TRY(ResolveUrl(current, location));
  }
  return Error::Invalid(kOp, "too many redirects from " + url.substr(0, 200));
}

Result<RegistryClient::Reply> RegistryClient::Get(std::string_view path, std::string_view scope,
                                                  std::vector<std::string> headers, BlobSink* sink,
                                                  size_t max_body) {
  TRY(EnsureBase());
  std::string url;
  {
    std::lock_guard lock(mu_);
    url = base_url_ + "/v2/" + std::string(path);
  }
  std::string auth = TRY(Authorization(scope, false));
  Reply reply = TRY(SendFollowingRedirects(url, headers, auth, sink, max_body));
  if (reply.response.status == 401) {
    bool had_challenge;
    {
      std::lock_guard lock(mu_);
      had_challenge = challenge_.has_value();
      TRY(AdoptChallenges(reply.response));
    }
    // Retry once: a first challenge, or an expired/insufficient token.
    std::string again = TRY(Authorization(scope, true));
    if (!again.empty() && (again != auth || !had_challenge)) {
      reply = TRY(SendFollowingRedirects(url, headers, again, sink, max_body));
    }
  }
  if (reply.response.status == 401) {
    if (options_.credentials) {
      return Error::Invalid(
          kOp, "authentication failed: " + host_ + " rejected the credentials for user \"" +
                   options_.credentials->username + "\" (" + DescribeStatus(reply.response) + ")");
    }
    return Error::Invalid(
        kOp, "authentication required by " + host_ + " (pass --creds or add it to the auth file)");
  }
  if (reply.response.status == 403) {
    return Error::Invalid(kOp, "access denied by " + host_ + " to " + std::string(path) + " (" +
                                   DescribeStatus(reply.response) + ")");
  }
  return reply;
}

Result<FetchedManifest> RegistryClient::GetManifest(std::string_view repository,
                                                    std::string_view reference) {
  if (!IsValidRepository(repository)) return Error::Invalid(kOp, "invalid repository name");
  std::optional<Digest> pinned;
  if (reference.find(':') != std::string_view::npos) {
    pinned = TRY(Digest::Parse(reference));
  } else if (!IsValidTag(reference)) {
    return Error::Invalid(kOp, "invalid tag \"" + std::string(reference.substr(0, 200)) + "\"");
  }
  std::string what =
      host_ + "/" + std::string(repository) + (pinned ? "@" : ":") + std::string(reference);
  Reply reply =
      TRY(Get(std::string(repository) + "/manifests/" + std::string(reference),
              "repository:" + std::string(repository) + ":pull",
              {"Accept: " + std::string(media::kManifestAccept)}, nullptr, kMaxManifestBytes));
  const HttpResponse& r = reply.response;
  if (r.status == 404) {
    return Error::Invalid(kOp, "manifest " + what + " not found (" + DescribeStatus(r) + ")");
  }
  if (r.status != 200) return Error::Invalid(kOp, "manifest " + what + ": " + DescribeStatus(r));
  FetchedManifest m;
  m.bytes = r.body;
  m.content_type = StripParams(r.Header("content-type"));
  if (pinned) TRY(VerifyDigest(*pinned, m.bytes, "manifest " + what));
  std::string header = r.Header("docker-content-digest");
  std::optional<Digest> advertised;
  if (!header.empty()) {
    Result<Digest> d = Digest::Parse(header);
    if (!d.has_value()) return std::move(d.error()).With("Docker-Content-Digest of " + what);
    TRY(VerifyDigest(*d, m.bytes, "manifest " + what + " (Docker-Content-Digest)"));
    advertised = std::move(*d);
  }
  m.digest = pinned ? *pinned : advertised ? *advertised : ComputeDigest(m.bytes);
  return m;
}

Status RegistryClient::GetBlob(std::string_view repository, const Descriptor& desc,
                               BlobSink& sink) {
  if (!IsValidRepository(repository)) return Error::Invalid(kOp, "invalid repository name");
  if (desc.digest.empty()) return Error::Invalid(kOp, "descriptor without digest");
  VerifyingSink verify(desc, sink);
  Reply reply =
      TRY(Get(std::string(repository) + "/blobs/" + desc.digest.ToString(),
              "repository:" + std::string(repository) + ":pull", {}, &verify, kMaxErrorBody));
  const HttpResponse& r = reply.response;
  if (r.status != 200) {
    return Error::Invalid(kOp, "blob " + desc.digest.ToString() + " of " + host_ + "/" +
                                   std::string(repository) + ": " + DescribeStatus(r));
  }
  return verify.Finish();
}

Result<std::string> RegistryClient::GetBlobBytes(std::string_view repository,
                                                 const Descriptor& desc, size_t max_bytes) {
  if (desc.size < 0 || static_cast<uint64_t>(desc.size) > max_bytes) {
    return Error::Invalid(kOp, "blob " + desc.digest.ToString() + " of " +
                                   std::to_string(desc.size) + " bytes exceeds the cap of " +
                                   std::to_string(max_bytes));
  }
  StringBlobSink sink;
  TRY(GetBlob(repository, desc, sink));
  return std::move(sink.data());
}

}  // namespace krata::oci
