#pragma once
// Everything in kvtier::trace (trace readers; needs simdjson). Link kvtier::trace to use it.
#include <kvtier/kvtier.hpp>
#include <kvtier/trace/mooncake_reader.hpp>
