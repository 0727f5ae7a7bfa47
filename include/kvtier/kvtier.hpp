#pragma once
// Everything in kvtier::kvtier. The optional parts have their own umbrellas and targets:
// <kvtier/io.hpp> (kvtier::io) and <kvtier/trace.hpp> (kvtier::trace); CUDA is in cuda/.
#include <kvtier/error.hpp>
#include <kvtier/sizing/sizing.hpp>
#include <kvtier/units.hpp>
#include <kvtier/version.hpp>
