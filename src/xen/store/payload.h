#pragma once
// Request and reply payloads of the xenstore operations (xen docs/misc/xenstore.txt): pure
// builders and parsers, no I/O, shared by the client, the fake xenstored and the fuzzers.
// Notation in the comments follows xenstore.txt: "|" is a NUL byte.
//
// Every parser takes bytes from xenstored, and so indirectly from guests (paths and tokens
// of watch events, values): they check bounds and refuse anything malformed with an Error.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace krata::xen::store {

// A path or special watch name the client may put in a request: non-empty, at most
// XENSTORE_ABS_PATH_MAX bytes, characters [A-Za-z0-9-/_@] only (so never a NUL that would
// split the payload), no "//" and no trailing "/" except for the root itself.
Status ValidatePath(std::string_view path);
// A watch token: printable ASCII without NUL, at most 512 bytes (it shares the payload
// with the path).
Status ValidateToken(std::string_view token);

// WATCH_EVENT payload "<epath>|<token>|": exactly two NUL-terminated strings, a non-empty
// path. Guests control the path below the watched node and nothing else, but the whole
// message is still treated as untrusted.
struct WatchEvent {
  std::string path;
  std::string token;
  friend bool operator==(const WatchEvent&, const WatchEvent&) = default;
};
Result<WatchEvent> ParseWatchEvent(std::string_view payload);
std::string FormatWatchEvent(const WatchEvent& ev);

// DIRECTORY reply "<child-leaf-name>|*": every name NUL-terminated and non-empty.
Result<std::vector<std::string>> ParseDirectory(std::string_view payload);

// "<a>|<b>|": WATCH and UNWATCH requests.
std::string TwoStrings(std::string_view a, std::string_view b);

// TRANSACTION_START reply "<transid>|": unsigned decimal, non-zero (0 means "no
// transaction" in the header's tx_id).
Result<uint32_t> ParseTransactionId(std::string_view payload);
// Replies "OK|" (most writes) and "T|"/"F|" (IS_DOMAIN_INTRODUCED).
Status ParseOk(std::string_view payload);
Result<bool> ParseBool(std::string_view payload);
// A reply that is one string, NUL-terminated or not (GET_DOMAIN_PATH): the string, refused
// if it holds an inner NUL.
Result<std::string> ParseSingleString(std::string_view payload);

// "<domid>|" and INTRODUCE's "<domid>|<mfn>|<evtchn>|".
std::string DomidPayload(uint16_t domid);
std::string IntroducePayload(uint16_t domid, uint64_t mfn, uint32_t port);
// Decimal parser for fields of requests the fake xenstored receives: digits only, no sign,
// value <= max.
Result<uint64_t> ParseDecimal(std::string_view s, uint64_t max);

}  // namespace krata::xen::store
