#pragma once
// Everything in kvtier::kvtier. The optional parts have their own umbrellas and targets:
// <kvtier/io.hpp> (kvtier::io) and <kvtier/trace.hpp> (kvtier::trace); CUDA is in cuda/.
#include <kvtier/error.hpp>
#include <kvtier/tier/any_tier.hpp>
#include <kvtier/tier/concepts.hpp>
#include <kvtier/tier/placement.hpp>
#include <kvtier/tier/presets.hpp>
#include <kvtier/tier/simulated_tier.hpp>
#include <kvtier/tier/stack_spec.hpp>
#include <kvtier/tier/tier_stack.hpp>
#include <kvtier/units.hpp>
#include <kvtier/version.hpp>
