#include "oci/http.h"

#include <curl/curl.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>

namespace krata::oci {
namespace {

constexpr std::string_view kOp = "http";

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      std::fprintf(stderr, "curl_global_init failed\n");
      std::abort();
    }
  });
}

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

struct Transfer {
  HttpResponse* response;
  const BodySink* sink;
  size_t max_body;
  Error error;  // set when a callback aborted the transfer
  bool failed = false;
};

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  std::string_view line(data, len);
  // A new status line (after a 100 Continue) starts a fresh header set.
  if (line.substr(0, 5) == "HTTP/") {
    t->response->headers.clear();
    t->response->www_authenticate.clear();
    return len;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return len;
  std::string name = Lower(Trim(line.substr(0, colon)));
  std::string value(Trim(line.substr(colon + 1)));
  if (name == "www-authenticate") t->response->www_authenticate.push_back(value);
  auto [it, inserted] = t->response->headers.emplace(name, value);
  if (!inserted) it->second += ", " + value;
  return len;
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  std::string_view chunk(data, len);
  if (t->sink != nullptr) {
    Status s = (*t->sink)(chunk);
    if (!s.has_value()) {
      t->error = std::move(s.error());
      t->failed = true;
      return 0;  // CURLE_WRITE_ERROR
    }
    return len;
  }
  if (t->response->body.size() + len > t->max_body) {
    t->error =
        Error::Invalid(kOp, "response body larger than " + std::to_string(t->max_body) + " bytes");
    t->failed = true;
    return 0;
  }
  t->response->body.append(chunk);
  return len;
}

bool IsTransient(CURLcode c) {
  switch (c) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string HttpResponse::Header(std::string_view lower_name) const {
  auto it = headers.find(std::string(lower_name));
  return it == headers.end() ? std::string() : it->second;
}

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) { GlobalInit(); }

Result<HttpResponse> HttpClient::Perform(const HttpRequest& request, const BodySink* sink,
                                         size_t max_body) const {
  std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
  if (!easy) return Error::Invalid(kOp, "curl_easy_init failed");
  CURL* c = easy.get();
  HttpResponse response;
  Transfer t{&response, nullptr, max_body, {}, false};
  // The sink only receives successful bodies; error bodies are collected (capped) for the
  // message. The status is known once headers are done, so decide in a wrapper.
  BodySink gated;
  if (sink != nullptr) {
    gated = [&](std::string_view chunk) -> Status {
      long status = 0;
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
      if (status >= 200 && status < 300) return (*sink)(chunk);
      if (response.body.size() + chunk.size() > 64 * 1024) return {};  // keep a prefix only
      response.body.append(chunk);
      return {};
    };
    t.sink = &gated;
  }
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  for (const std::string& h : request.headers) {
    curl_slist* next = curl_slist_append(headers.get(), h.c_str());
    if (next == nullptr) return Error::Invalid(kOp, "curl_slist_append failed");
    (void)headers.release();
    headers.reset(next);
  }
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, options_.tls_verify ? "https" : "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, options_.connect_timeout_s);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, options_.low_speed_time_s);
  curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, options_.tls_verify ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, options_.tls_verify ? 2L : 0L);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  if (request.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    return Error::Invalid(kOp, "unsupported method " + request.method);
  }
  CURLcode rc = curl_easy_perform(c);
  if (t.failed) return std::move(t.error);
  if (rc == CURLE_UNSUPPORTED_PROTOCOL) {
    return Error::Invalid(kOp, "refusing URL \"" + request.url.substr(0, 200) +
                                   "\" (plain http needs --tls-verify=false)");
  }
  if (rc != CURLE_OK) {
    HttpResponse failed;
    failed.transport_error = std::string(curl_easy_strerror(rc)) + " (" + request.url + ")";
    failed.transient = IsTransient(rc);
    return failed;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

Result<std::string> ResolveUrl(std::string_view base, std::string_view location) {
  std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
  if (!u) return Error::Invalid(kOp, "curl_url failed");
  std::string b(base), l(location);
  if (curl_url_set(u.get(), CURLUPART_URL, b.c_str(), 0) != CURLUE_OK ||
      curl_url_set(u.get(), CURLUPART_URL, l.c_str(), 0) != CURLUE_OK) {
    return Error::Invalid(kOp, "bad redirect location \"" + l.substr(0, 200) + "\"");
  }
  char* out = nullptr;
  if (curl_url_get(u.get(), CURLUPART_URL, &out, 0) != CURLUE_OK) {
    return Error::Invalid(kOp, "bad redirect location");
  }
  std::string result(out);
  curl_free(out);
  return result;
}

Result<std::string> UrlOrigin(std::string_view url) {
  std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
  if (!u) return Error::Invalid(kOp, "curl_url failed");
  std::string s(url);
  if (curl_url_set(u.get(), CURLUPART_URL, s.c_str(), 0) != CURLUE_OK) {
    return Error::Invalid(kOp, "bad URL \"" + s.substr(0, 200) + "\"");
  }
  auto part = [&](CURLUPart p, CURLUcode* rc) {
    char* v = nullptr;
    *rc = curl_url_get(u.get(), p, &v, p == CURLUPART_PORT ? CURLU_DEFAULT_PORT : 0);
    std::string out = v != nullptr ? v : "";
    curl_free(v);
    return out;
  };
  CURLUcode a, b, c;
  std::string scheme = part(CURLUPART_SCHEME, &a);
  std::string host = part(CURLUPART_HOST, &b);
  std::string port = part(CURLUPART_PORT, &c);
  if (a != CURLUE_OK || b != CURLUE_OK || c != CURLUE_OK) {
    return Error::Invalid(kOp, "URL without scheme, host or port");
  }
  return Lower(scheme) + "://" + Lower(host) + ":" + port;
}

}  // namespace krata::oci
