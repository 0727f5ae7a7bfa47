#pragma once
// Everything in kvtier::trace (trace readers; simdjson, zlib). Core trace facilities
// (block_trace, block hashing, tokenizers, the synthetic workload) are in <kvtier/kvtier.hpp>.
#include <kvtier/kvtier.hpp>
#include <kvtier/trace/chat_reader.hpp>
#include <kvtier/trace/mooncake_reader.hpp>
#include <kvtier/trace/trace_reader.hpp>
