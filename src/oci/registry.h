#pragma once
// Docker Registry HTTP API v2 / OCI distribution-spec client for pulling: manifests and
// blobs, every byte verified against its digest. Auth: anonymous, Basic, and the Bearer
// token flow (distribution docs, token.md): a 401 carries WWW-Authenticate, we GET a token
// from its realm (with Basic credentials if we have them) and cache it per scope.
// Retries transport failures, 429 and 5xx with exponential backoff. Plain http only with
// tls_verify=false. Redirects are followed by hand so that Authorization is sent only to
// the registry's own origin, never to a storage backend on another host.
// Thread-safe: layers may be fetched from several threads at once.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "oci/auth_challenge.h"
#include "oci/credentials.h"
#include "oci/digest.h"
#include "oci/http.h"
#include "oci/manifest.h"

namespace krata::oci {

// Where blob bytes go. Reset() restarts the output when a download is retried.
class BlobSink {
 public:
  virtual ~BlobSink() = default;
  virtual Status Write(std::string_view chunk) = 0;
  virtual Status Reset() = 0;
};

struct RegistryOptions {
  bool tls_verify = true;
  std::optional<Credentials> credentials;
  int max_attempts = 4;                            // per request, transient failures only
  std::chrono::milliseconds initial_backoff{250};  // doubled per retry
  long connect_timeout_s = 30;
};

struct FetchedManifest {
  std::string bytes;
  std::string content_type;  // from the response, parameters stripped
  Digest digest;             // verified digest of bytes
};

class RegistryClient {
 public:
  // host: the API host, e.g. "registry-1.docker.io" or "127.0.0.1:5000" (see
  // DockerReference::ApiHost()).
  RegistryClient(std::string host, RegistryOptions options);

  // GET /v2/<repo>/manifests/<reference> with all four manifest media types accepted.
  // The bytes are capped at kMaxManifestBytes and verified against the reference when it
  // is a digest, and against Docker-Content-Digest when the registry sends one.
  Result<FetchedManifest> GetManifest(std::string_view repository, std::string_view reference);

  // GET /v2/<repo>/blobs/<digest> streamed into sink. Hashes while streaming; more bytes
  // than desc.size abort at once; a short blob or a digest mismatch is an error (the sink
  // has then received unverified bytes: the caller must discard them).
  Status GetBlob(std::string_view repository, const Descriptor& desc, BlobSink& sink);

  // A small blob (the config) into memory, capped at max_bytes, verified.
  Result<std::string> GetBlobBytes(std::string_view repository, const Descriptor& desc,
                                   size_t max_bytes);

  const std::string& host() const { return host_; }

 private:
  struct Reply {
    HttpResponse response;
    std::string final_url;
  };
  // Sends GET path (relative to /v2/) with auth, retries and redirects. The sink, when
  // given, receives 2xx bodies.
  Result<Reply> Get(std::string_view path, std::string_view scope, std::vector<std::string> headers,
                    BlobSink* sink, size_t max_body);
  // One attempt sequence (redirects followed) for one Authorization value.
  Result<Reply> SendFollowingRedirects(const std::string& url,
                                       const std::vector<std::string>& headers,
                                       const std::string& authorization, BlobSink* sink,
                                       size_t max_body);
  Result<HttpResponse> SendWithRetries(const HttpRequest& request, BlobSink* sink, size_t max_body);
  // Ensures the scheme (https, or http fallback with tls_verify=false) is known.
  Status EnsureBase();
  // The Authorization header for scope, fetching a token if the challenge says Bearer.
  Result<std::string> Authorization(std::string_view scope, bool force_refresh);
  Status AdoptChallenges(const HttpResponse& response);
  Result<std::string> FetchToken(const AuthChallenge& bearer, std::string_view scope);

  std::string host_;
  RegistryOptions options_;
  HttpClient http_;

  std::mutex mu_;         // guards everything below
  std::string base_url_;  // "https://host" once known
  std::optional<AuthChallenge> challenge_;
  struct CachedToken {
    std::string token;
    std::chrono::steady_clock::time_point expiry;
  };
  std::map<std::string, CachedToken> tokens_;  // by scope
};

// A BlobSink writing to a file: Reset truncates.
class FileBlobSink : public BlobSink {
 public:
  explicit FileBlobSink(int fd) : fd_(fd) {}
  Status Write(std::string_view chunk) override;
  Status Reset() override;

 private:
  int fd_;
};

// A BlobSink collecting bytes in memory.
class StringBlobSink : public BlobSink {
 public:
  Status Write(std::string_view chunk) override {
    data_.append(chunk);
    return {};
  }
  Status Reset() override {
    data_.clear();
    return {};
  }
  std::string& data() { return data_; }

 private:
  std::string data_;
};

}  // namespace krata::oci
