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
#include <kvtier/float16.hpp>
#include <kvtier/prefetch/rope.hpp>
#include <kvtier/units.hpp>
#include <kvtier/version.hpp>
