#pragma once
// Everything in kvtier::kvtier. The optional parts have their own umbrellas and targets:
// <kvtier/io.hpp> (kvtier::io) and <kvtier/trace.hpp> (kvtier::trace); CUDA is in cuda/.
#include <kvtier/error.hpp>
#include <kvtier/manager/projection.hpp>
#include <kvtier/sizing/sizing.hpp>
#include <kvtier/trace/block_hasher.hpp>
#include <kvtier/trace/synthetic_workload.hpp>
#include <kvtier/trace/tokenizer.hpp>
#include <kvtier/units.hpp>
#include <kvtier/version.hpp>
#include <kvtier/trace/mooncake_writer.hpp>
#include <kvtier/policy/simulator.hpp>
#include <kvtier/policy/lru_policy.hpp>
#include <kvtier/policy/belady_policy.hpp>
#include <kvtier/policy/lfu_policy.hpp>
#include <kvtier/policy/arc_policy.hpp>
#include <kvtier/policy/s3fifo_policy.hpp>
