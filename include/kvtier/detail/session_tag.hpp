#pragma once
// A session id folded into 16 bits, as the predictive policy and the cache manager keep it beside a
// block: enough to tell whether two touches came from the same session (two sessions rarely share a
// tag), in two bytes. `no_session_tag` marks a touch without a session and is never a real tag.
#include <kvtier/trace/block_trace.hpp>

#include <cstdint>

namespace kvtier::detail {

inline constexpr std::uint16_t no_session_tag = 0xffffU;

[[nodiscard]] constexpr std::uint16_t session_tag(session_id session) noexcept {
  if (session == no_session) return no_session_tag;
  const auto tag = static_cast<std::uint16_t>(session ^ (session >> 16) ^ (session >> 32) ^ (session >> 48));
  return tag == no_session_tag ? 0 : tag;
}

}  // namespace kvtier::detail
