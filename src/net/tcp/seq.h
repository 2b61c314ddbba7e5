#pragma once
// TCP sequence-number comparisons modulo 2^32 (RFC 9293 section 3.4: "all arithmetic dealing
// with sequence numbers must be performed modulo 2**32").

#include <cstdint>

namespace krata::net::tcp {

inline bool SeqLt(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }
inline bool SeqLeq(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) <= 0; }
inline bool SeqGt(uint32_t a, uint32_t b) { return SeqLt(b, a); }
inline bool SeqGeq(uint32_t a, uint32_t b) { return SeqLeq(b, a); }
inline uint32_t SeqMax(uint32_t a, uint32_t b) { return SeqLt(a, b) ? b : a; }
// a <= x < b
inline bool SeqInRange(uint32_t x, uint32_t a, uint32_t b) { return SeqLeq(a, x) && SeqLt(x, b); }

}  // namespace krata::net::tcp
