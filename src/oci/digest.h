#pragma once
// Content digests ("algo:hex") as the OCI image spec defines them (image-spec descriptor.md,
// "Digests"): only sha256 and sha512 are accepted, with lower-case hex of the exact length.
// Hasher computes a digest over a stream fed in chunks (OpenSSL EVP), so blobs are verified
// while they are downloaded, never after trusting them.

#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace krata::oci {

enum class DigestAlgorithm { kSha256, kSha512 };

class Digest {
 public:
  Digest() = default;
  // Strict: "sha256:<64 lower-case hex>" or "sha512:<128 lower-case hex>". Anything else
  // (upper case, other algorithms, wrong length, missing colon) is an error.
  static Result<Digest> Parse(std::string_view text);

  DigestAlgorithm algorithm() const { return algorithm_; }
  std::string_view algorithm_name() const;
  const std::string& hex() const { return hex_; }
  std::string ToString() const;  // "sha256:..."
  bool empty() const { return hex_.empty(); }

  friend bool operator==(const Digest&, const Digest&) = default;

 private:
  DigestAlgorithm algorithm_ = DigestAlgorithm::kSha256;
  std::string hex_;
};

// Streaming hash. Not copyable; one Hasher per stream.
class Hasher {
 public:
  explicit Hasher(DigestAlgorithm algorithm = DigestAlgorithm::kSha256);
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void Update(ByteSpan chunk);
  void Update(std::string_view chunk) { Update(AsBytes(chunk)); }
  // Total bytes fed so far.
  uint64_t size() const { return size_; }
  // Ends the stream; the Hasher must not be fed afterwards.
  Digest Finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
  DigestAlgorithm algorithm_;
  uint64_t size_ = 0;
};

// Digest of a whole buffer.
Digest ComputeDigest(std::string_view data, DigestAlgorithm algorithm = DigestAlgorithm::kSha256);

// An error naming both digests unless `actual` equals `expected`. `what` names the object
// (e.g. "manifest", "layer 2") for the message.
Status CheckDigest(const Digest& expected, const Digest& actual, std::string_view what);

// Hashes `data` with expected's algorithm and compares.
Status VerifyDigest(const Digest& expected, std::string_view data, std::string_view what);

}  // namespace krata::oci
