#include "oci/digest.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

namespace krata::oci {
namespace {

constexpr std::string_view kSha256 = "sha256";
constexpr std::string_view kSha512 = "sha512";

size_t HexLength(DigestAlgorithm a) { return a == DigestAlgorithm::kSha256 ? 64 : 128; }

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

const EVP_MD* Md(DigestAlgorithm a) {
  return a == DigestAlgorithm::kSha256 ? EVP_sha256() : EVP_sha512();
}

}  // namespace

Result<Digest> Digest::Parse(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return Error::Invalid("digest", "missing ':' in \"" + std::string(text.substr(0, 200)) + "\"");
  }
  std::string_view algo = text.substr(0, colon);
  std::string_view hex = text.substr(colon + 1);
  Digest d;
  if (algo == kSha256) {
    d.algorithm_ = DigestAlgorithm::kSha256;
  } else if (algo == kSha512) {
    d.algorithm_ = DigestAlgorithm::kSha512;
  } else {
    return Error::Invalid("digest",
                          "unsupported algorithm \"" + std::string(algo.substr(0, 32)) + "\"");
  }
  if (hex.size() != HexLength(d.algorithm_) || !IsLowerHex(hex)) {
    return Error::Invalid("digest", "malformed " + std::string(algo) + " hex \"" +
                                        std::string(hex.substr(0, 200)) + "\"");
  }
  d.hex_ = hex;
  return d;
}

std::string_view Digest::algorithm_name() const {
  return algorithm_ == DigestAlgorithm::kSha256 ? kSha256 : kSha512;
}

std::string Digest::ToString() const { return std::string(algorithm_name()) + ":" + hex_; }

struct Hasher::State {
  EVP_MD_CTX* ctx = nullptr;
};

Hasher::Hasher(DigestAlgorithm algorithm) : state_(new State), algorithm_(algorithm) {
  state_->ctx = EVP_MD_CTX_new();
  // Allocation failure or a missing built-in digest is not recoverable.
  if (state_->ctx == nullptr || EVP_DigestInit_ex(state_->ctx, Md(algorithm), nullptr) != 1) {
    std::fprintf(stderr, "oci: EVP digest init failed\n");
    std::abort();
  }
}

Hasher::~Hasher() { EVP_MD_CTX_free(state_->ctx); }

void Hasher::Update(ByteSpan chunk) {
  if (chunk.empty()) return;
  if (EVP_DigestUpdate(state_->ctx, chunk.data(), chunk.size()) != 1) std::abort();
  size_ += chunk.size();
}

Digest Hasher::Finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(state_->ctx, md, &len) != 1) std::abort();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    hex.push_back(kHex[md[i] >> 4]);
    hex.push_back(kHex[md[i] & 0xf]);
  }
  return MUST(Digest::Parse(
      std::string(algorithm_ == DigestAlgorithm::kSha256 ? kSha256 : kSha512) + ":" + hex));
}

Digest ComputeDigest(std::string_view data, DigestAlgorithm algorithm) {
  Hasher h(algorithm);
  h.Update(data);
  return h.Finish();
}

Status CheckDigest(const Digest& expected, const Digest& actual, std::string_view what) {
  if (expected == actual) return {};
  return Error::Invalid("digest", "digest mismatch for " + std::string(what) + ": expected " +
                                      expected.ToString() + ", got " + actual.ToString());
}

Status VerifyDigest(const Digest& expected, std::string_view data, std::string_view what) {
  return CheckDigest(expected, ComputeDigest(data, expected.algorithm()), what);
}

}  // namespace krata::oci
