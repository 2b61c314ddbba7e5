// Registry client behaviour a real registry does not show on demand, against an in-process
// fake: the Bearer token flow, retries, redirects to another origin, lying digests and
// oversized answers.

#include <gtest/gtest.h>

#include <atomic>

#include "oci/credentials.h"
#include "oci/fake_http_server.h"
#include "oci/media_types.h"
#include "oci/registry.h"

namespace krata::oci {
namespace {

const std::string kManifest =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:)" +
    std::string(64, 'a') + R"(","size":2},"layers":[]})";
const std::string kBlob = "layer bytes";

RegistryOptions Insecure(std::optional<Credentials> c = std::nullopt) {
  RegistryOptions o;
  o.tls_verify = false;
  o.credentials = std::move(c);
  o.initial_backoff = std::chrono::milliseconds(1);
  return o;
}

Descriptor BlobDesc(const std::string& data) {
  Descriptor d;
  d.media_type = std::string(media::kOciLayerGzip);
  d.digest = ComputeDigest(data);
  d.size = static_cast<int64_t>(data.size());
  return d;
}

FakeResponse Ok(std::string body, std::string content_type = "application/octet-stream") {
  return FakeResponse{200, {{"Content-Type", std::move(content_type)}}, std::move(body)};
}

TEST(RegistryFakeTest, BearerTokenFlowWithCachingAndBasicToTokenService) {
  std::atomic<int> token_requests{0};
  std::string realm;
  FakeHttpServer server([&](const FakeRequest& r) -> FakeResponse {
    if (r.target.rfind("/token?", 0) == 0) {
      ++token_requests;
      if (r.Header("authorization") != "Basic " + EncodeBase64("bob:pw")) return {401, {}, ""};
      return Ok(R"({"token":"T-)" + std::to_string(token_requests.load()) +
                R"(","expires_in":300})");
    }
    if (r.Header("authorization") != "Bearer T-1") {
      return {
          401,
          {{"WWW-Authenticate", "Bearer realm=\"" + realm + "\",service=\"fake reg\",scope=\"x\""}},
          R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})"};
    }
    if (r.target == "/v2/") return Ok("{}");
    if (r.target == "/v2/org/app/manifests/v1") {
      return Ok(kManifest, std::string(media::kOciManifest));
    }
    if (r.target == "/v2/org/app/blobs/" + ComputeDigest(kBlob).ToString()) return Ok(kBlob);
    return {404, {}, ""};
  });
  realm = server.origin() + "/token";
  RegistryClient client(server.host(), Insecure(Credentials{"bob", "pw"}));
  FetchedManifest m = MUST(client.GetManifest("org/app", "v1"));
  EXPECT_EQ(m.bytes, kManifest);
  EXPECT_EQ(m.content_type, media::kOciManifest);
  EXPECT_EQ(m.digest, ComputeDigest(kManifest));
  EXPECT_EQ(MUST(client.GetBlobBytes("org/app", BlobDesc(kBlob), 100)), kBlob);
  EXPECT_EQ(token_requests.load(), 1);  // cached for the second request of the same scope

  bool saw_scope = false;
  for (const FakeRequest& r : server.requests()) {
    if (r.target.rfind("/token?", 0) == 0) {
      EXPECT_EQ(r.target, "/token?service=fake%20reg&scope=repository%3Aorg%2Fapp%3Apull");
      saw_scope = true;
    }
    // The manifest request carried the Accept list of all four types.
    if (r.target == "/v2/org/app/manifests/v1" && r.Header("authorization") == "Bearer T-1") {
      EXPECT_EQ(r.Header("accept"), media::kManifestAccept);
    }
  }
  EXPECT_TRUE(saw_scope);

  // Wrong password: the token service refuses and the error says so.
  RegistryClient wrong(server.host(), Insecure(Credentials{"bob", "nope"}));
  Result<FetchedManifest> r = wrong.GetManifest("org/app", "v1");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("refused the credentials for user \"bob\""), std::string::npos)
      << r.error().ToString();
}

TEST(RegistryFakeTest, RetriesTransientStatusesThenSucceeds) {
  std::atomic<int> blob_hits{0};
  const std::string path = "/v2/r/blobs/" + ComputeDigest(kBlob).ToString();
  FakeHttpServer server([&](const FakeRequest& r) -> FakeResponse {
    if (r.target == "/v2/") return Ok("{}");
    if (r.target == path) {
      int n = ++blob_hits;
      if (n == 1) return {503, {}, "busy"};
      if (n == 2) return {429, {{"Retry-After", "0"}}, "slow down"};
      return Ok(kBlob);
    }
    return {500, {}, ""};
  });
  RegistryClient client(server.host(), Insecure());
  EXPECT_EQ(MUST(client.GetBlobBytes("r", BlobDesc(kBlob), 100)), kBlob);
  EXPECT_EQ(blob_hits.load(), 3);

  // A persistent 500 gives up after max_attempts requests.
  Result<FetchedManifest> m = client.GetManifest("r", "v1");
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().message().find("HTTP 500"), std::string::npos) << m.error().ToString();
  int manifest_hits = 0;
  for (const FakeRequest& req : server.requests())
    manifest_hits += req.target == "/v2/r/manifests/v1";
  EXPECT_EQ(manifest_hits, 4);
}

TEST(RegistryFakeTest, RedirectToAnotherOriginDropsCredentials) {
  FakeHttpServer storage([&](const FakeRequest& r) -> FakeResponse {
    if (r.target == "/bucket/blob") return Ok(kBlob);
    return {404, {}, ""};
  });
  const std::string digest = ComputeDigest(kBlob).ToString();
  FakeHttpServer server([&](const FakeRequest& r) -> FakeResponse {
    if (r.Header("authorization") != "Basic " + EncodeBase64("u:p")) {
      return {401, {{"WWW-Authenticate", "Basic realm=\"fake\""}}, ""};
    }
    if (r.target == "/v2/") return Ok("{}");
    if (r.target == "/v2/r/blobs/" + digest) {
      return {307, {{"Location", storage.origin() + "/bucket/blob"}}, ""};
    }
    if (r.target == "/v2/r/manifests/v1") return {307, {{"Location", "/v2/r/manifests/v1b"}}, ""};
    if (r.target == "/v2/r/manifests/v1b") return Ok(kManifest, std::string(media::kOciManifest));
    return {404, {}, ""};
  });
  RegistryClient client(server.host(), Insecure(Credentials{"u", "p"}));
  EXPECT_EQ(MUST(client.GetBlobBytes("r", BlobDesc(kBlob), 100)), kBlob);
  std::vector<FakeRequest> at_storage = storage.requests();
  ASSERT_EQ(at_storage.size(), 1u);
  EXPECT_EQ(at_storage[0].Header("authorization"), "");  // never leaked to another host
  // A same-origin redirect keeps the credentials (the fake refuses requests without them).
  EXPECT_EQ(MUST(client.GetManifest("r", "v1")).bytes, kManifest);
}

TEST(RegistryFakeTest, HostileAnswersAreRejected) {
  const std::string big_blob(1000, 'x');
  const Descriptor small = BlobDesc("tiny");
  FakeHttpServer server([&](const FakeRequest& r) -> FakeResponse {
    if (r.target == "/v2/") return Ok("{}");
    if (r.target == "/v2/r/manifests/lying") {
      FakeResponse resp = Ok(kManifest, std::string(media::kOciManifest));
      resp.headers.emplace_back("Docker-Content-Digest", ComputeDigest("other").ToString());
      return resp;
    }
    if (r.target == "/v2/r/manifests/huge") {
      return Ok(std::string(kMaxManifestBytes + 1, ' '), std::string(media::kOciManifest));
    }
    if (r.target == "/v2/r/manifests/" + ComputeDigest("other").ToString()) {
      return Ok(kManifest, std::string(media::kOciManifest));
    }
    if (r.target == "/v2/r/blobs/" + small.digest.ToString()) return Ok(big_blob);
    return {404, {}, ""};
  });
  RegistryClient client(server.host(), Insecure());
  Result<FetchedManifest> m = client.GetManifest("r", "lying");
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().message().find("digest mismatch"), std::string::npos);
  m = client.GetManifest("r", "huge");
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().message().find("larger than"), std::string::npos) << m.error().ToString();
  m = client.GetManifest("r", ComputeDigest("other").ToString());  // bytes do not match the pin
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().message().find("digest mismatch"), std::string::npos);
  StringBlobSink sink;
  Status s = client.GetBlob("r", small, sink);
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message().find("larger than its 4 bytes"), std::string::npos)
      << s.error().ToString();
  EXPECT_LE(sink.data().size(), 4u);  // nothing past the descriptor size reached the sink
  // Invalid names never reach the network.
  EXPECT_FALSE(client.GetManifest("../etc", "v1").has_value());
  EXPECT_FALSE(client.GetManifest("r", "v1/../x").has_value());
}

}  // namespace
}  // namespace krata::oci

namespace krata::oci {
namespace {

TEST(HttpTest, PlainHttpOnlyWithTlsVerifyOff) {
  FakeHttpServer server([](const FakeRequest&) { return Ok("hi"); });
  HttpClient strict(HttpOptions{});
  Result<HttpResponse> r = strict.Perform({"GET", server.origin() + "/x", {}}, nullptr, 100);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("--tls-verify=false"), std::string::npos);
  EXPECT_TRUE(server.requests().empty());
  HttpClient insecure(HttpOptions{.tls_verify = false});
  HttpResponse ok = MUST(insecure.Perform({"GET", server.origin() + "/x", {}}, nullptr, 100));
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "hi");
  EXPECT_EQ(ok.Header("content-type"), "application/octet-stream");
  // Bodies over the cap are refused.
  EXPECT_FALSE(insecure.Perform({"GET", server.origin() + "/x", {}}, nullptr, 1).has_value());
}

TEST(HttpTest, RedirectResolutionAndOrigins) {
  EXPECT_EQ(MUST(ResolveUrl("https://r.io/v2/a/blobs/x", "/storage/y?sig=1")),
            "https://r.io/storage/y?sig=1");
  EXPECT_EQ(MUST(ResolveUrl("https://r.io/v2/a", "https://s3.example.com/b")),
            "https://s3.example.com/b");
  EXPECT_EQ(MUST(ResolveUrl("https://r.io/v2/a", "//cdn.r.io/b")), "https://cdn.r.io/b");
  EXPECT_EQ(MUST(UrlOrigin("https://R.io/v2/")), "https://r.io:443");
  EXPECT_EQ(MUST(UrlOrigin("http://127.0.0.1:5000/v2/")), "http://127.0.0.1:5000");
  EXPECT_NE(MUST(UrlOrigin("https://r.io/")), MUST(UrlOrigin("https://r.io:8443/")));
  EXPECT_NE(MUST(UrlOrigin("https://r.io/")), MUST(UrlOrigin("http://r.io/")));
}

}  // namespace
}  // namespace krata::oci
