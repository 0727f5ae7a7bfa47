#pragma once
// Everything in kvtier::kvtier. The optional parts have their own umbrellas and targets:
// <kvtier/io.hpp> (kvtier::io) and <kvtier/trace.hpp> (kvtier::trace); CUDA is in cuda/.
#include <kvtier/copy/concepts.hpp>
#include <kvtier/copy/cpu_gather_scatter.hpp>
#include <kvtier/copy/engine_choice.hpp>
#include <kvtier/copy/launch_shape.hpp>
#include <kvtier/copy/layout.hpp>
#include <kvtier/copy/transfer_geometry.hpp>
#include <kvtier/error.hpp>
#include <kvtier/manager/projection.hpp>
#include <kvtier/sizing/sizing.hpp>
#include <kvtier/trace/block_hasher.hpp>
#include <kvtier/trace/synthetic_workload.hpp>
#include <kvtier/trace/tokenizer.hpp>
#include <kvtier/float16.hpp>
#include <kvtier/prefetch/rope.hpp>
#include <kvtier/units.hpp>
#include <kvtier/version.hpp>
#include <kvtier/trace/mooncake_writer.hpp>
#include <kvtier/policy/simulator.hpp>
#include <kvtier/policy/lru_policy.hpp>
#include <kvtier/policy/belady_policy.hpp>
#include <kvtier/policy/lfu_policy.hpp>
#include <kvtier/policy/arc_policy.hpp>
#include <kvtier/policy/s3fifo_policy.hpp>
