#include "oci/auth_challenge.h"

#include <cctype>

#include "oci/json_util.h"

namespace krata::oci {
namespace {

constexpr std::string_view kOp = "WWW-Authenticate";
constexpr size_t kMaxHeader = 16 * 1024;
constexpr size_t kMaxTokenBody = 1 << 20;

bool IsTokenChar(char c) {
  // RFC 7230 tchar.
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  void SkipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  bool AtEnd() const { return i_ >= s_.size(); }
  char Peek() const { return s_[i_]; }
  bool Consume(char c) {
    if (AtEnd() || s_[i_] != c) return false;
    ++i_;
    return true;
  }
  std::string_view Token() {
    size_t start = i_;
    while (i_ < s_.size() && IsTokenChar(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }
  // An unquoted value; lenient like docker: anything up to ',' or whitespace.
  std::string_view Bare() {
    size_t start = i_;
    while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != ' ' && s_[i_] != '\t' && s_[i_] != '"') {
      ++i_;
    }
    return s_.substr(start, i_ - start);
  }
  // token68: token chars plus '/', then '=' padding.
  std::string_view Token68() {
    size_t start = i_;
    while (i_ < s_.size() && (IsTokenChar(s_[i_]) || s_[i_] == '/')) ++i_;
    while (i_ < s_.size() && s_[i_] == '=') ++i_;
    return s_.substr(start, i_ - start);
  }
  Result<std::string> Quoted() {
    std::string out;
    if (!Consume('"')) return Error::Invalid(kOp, "expected '\"'");
    while (!AtEnd()) {
      char c = s_[i_++];
      if (c == '"') return out;
      if (c == '\\') {
        if (AtEnd()) break;
        c = s_[i_++];
      }
      out.push_back(c);
    }
    return Error::Invalid(kOp, "unterminated quoted string");
  }
  size_t pos() const { return i_; }
  void set_pos(size_t p) { i_ = p; }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

std::string AuthChallenge::Param(std::string_view name) const {
  auto it = params.find(std::string(name));
  return it == params.end() ? std::string() : it->second;
}

Result<std::vector<AuthChallenge>> ParseAuthChallenges(std::string_view header) {
  if (header.size() > kMaxHeader) return Error::Invalid(kOp, "header too long");
  std::vector<AuthChallenge> out;
  Cursor c(header);
  for (;;) {
    c.SkipSpace();
    while (c.Consume(',')) c.SkipSpace();  // empty list elements are allowed
    if (c.AtEnd()) break;
    std::string_view scheme = c.Token();
    if (scheme.empty()) return Error::Invalid(kOp, "expected an auth scheme");
    AuthChallenge ch;
    ch.scheme = Lower(scheme);
    // Parameters: name=value pairs separated by commas, until the next "scheme " token.
    bool first = true;
    for (;;) {
      c.SkipSpace();
      if (c.AtEnd()) break;
      size_t save = c.pos();
      if (!first && !c.Consume(',')) return Error::Invalid(kOp, "expected ','");
      c.SkipSpace();
      size_t name_pos = c.pos();
      std::string_view name = c.Token();
      c.SkipSpace();
      if (name.empty() || !c.Consume('=')) {
        if (first && !name.empty()) {
          // A token68 credential ("Negotiate abc=="): not used by registries; skip it.
          c.set_pos(name_pos);
          (void)c.Token68();
          first = false;
          continue;
        }
        if (!first && !name.empty()) {
          c.set_pos(save);  // "..., Bearer realm=..." starts the next challenge
          break;
        }
        if (c.AtEnd() && !first) break;
        return Error::Invalid(kOp, "expected name=value");
      }
      c.SkipSpace();
      std::string value;
      if (!c.AtEnd() && c.Peek() == '"') {
        value = TRY(c.Quoted());
      } else {
        value = c.Bare();
      }
      ch.params[Lower(name)] = std::move(value);
      first = false;
    }
    out.push_back(std::move(ch));
    if (out.size() > 16) return Error::Invalid(kOp, "too many challenges");
  }
  return out;
}

Result<BearerToken> ParseTokenResponse(std::string_view body) {
  if (body.size() > kMaxTokenBody) return Error::Invalid("token", "response too large");
  json_util::Json j = TRY(json_util::ParseObject(body, "token response"));
  BearerToken t;
  std::optional<std::string> token = TRY(json_util::OptString(j, "token", "token response"));
  std::optional<std::string> access =
      TRY(json_util::OptString(j, "access_token", "token response"));
  if (token.has_value() && !token->empty()) {
    t.token = std::move(*token);
  } else if (access.has_value() && !access->empty()) {
    t.token = std::move(*access);
  } else {
    return Error::Invalid("token", "response has no token");
  }
  for (char ch : t.token) {
    // The token goes into a header: refuse anything that could split it.
    if (ch == '\r' || ch == '\n' || ch == '\0') return Error::Invalid("token", "bad character");
  }
  std::optional<int64_t> exp = TRY(json_util::OptNonNegInt(j, "expires_in", "token response"));
  if (exp.has_value() && *exp > 0) t.expires_in_s = *exp;
  return t;
}

}  // namespace krata::oci
