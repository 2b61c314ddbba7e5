#pragma once
// A minimal HTTP/1.1 client on libcurl for the registry client: one request per call, no
// redirects followed (the caller decides where credentials may go), bodies either collected
// up to a cap or streamed to a sink. Thread-safe: every call uses its own easy handle.

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace krata::oci {

struct HttpRequest {
  std::string method = "GET";  // GET or HEAD
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
};

struct HttpResponse {
  long status = 0;                             // 0 when the transfer failed (see transport_error)
  std::map<std::string, std::string> headers;  // lower-case names; repeated headers joined ", "
  std::vector<std::string> www_authenticate;   // every WWW-Authenticate header, in order
  std::string body;                            // collected when no sink took it
  std::string transport_error;                 // curl's message when status == 0
  bool transient = false;  // a transport failure worth retrying (reset, timeout, refused)

  std::string Header(std::string_view lower_name) const;
};

// Receives 2xx bodies chunk by chunk; an error aborts the transfer and is returned as is.
using BodySink = std::function<Status(std::string_view chunk)>;

struct HttpOptions {
  bool tls_verify = true;  // false: skip certificate checks and allow http:// URLs
  long connect_timeout_s = 30;
  long low_speed_time_s = 60;  // abort when below 1 byte/s for this long
  std::string user_agent = "krata-oci/0.1";
};

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options);

  // Performs one request. A transport failure is a response with status 0, not an Error, so
  // the caller can retry; Errors are local failures (bad URL, disallowed scheme, sink
  // errors, a non-sink body over max_body bytes).
  Result<HttpResponse> Perform(const HttpRequest& request, const BodySink* sink,
                               size_t max_body) const;

  const HttpOptions& options() const { return options_; }

 private:
  HttpOptions options_;
};

// Resolves a Location header against the URL it came from (RFC 3986 reference resolution).
Result<std::string> ResolveUrl(std::string_view base, std::string_view location);

// scheme://host[:port] of a URL (lower-case host), for same-origin checks.
Result<std::string> UrlOrigin(std::string_view url);

}  // namespace krata::oci
