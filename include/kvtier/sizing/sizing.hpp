#pragma once
// The sizing area: exact KV-cache bytes for every attention architecture (docs/sizing.md).
#include <kvtier/sizing/attention.hpp>
#include <kvtier/sizing/capacity_plan.hpp>
#include <kvtier/sizing/concepts.hpp>
#include <kvtier/sizing/hf_config.hpp>
#include <kvtier/sizing/kv_dtype.hpp>
#include <kvtier/sizing/kv_footprint.hpp>
#include <kvtier/sizing/model_shape.hpp>
#include <kvtier/sizing/presets.hpp>
