#pragma once
// Everything in kvtier::io: the tiers that need liburing or libnuma. Link kvtier::io.
#include <kvtier/kvtier.hpp>
#include <kvtier/tier/file_tier.hpp>
#include <kvtier/tier/file_tier_io.hpp>
#include <kvtier/tier/host_memory_tier.hpp>
#include <kvtier/tier/numa_topology.hpp>
