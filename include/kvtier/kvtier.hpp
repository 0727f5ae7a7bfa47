#pragma once
// Everything in kvtier::kvtier. The optional parts have their own umbrellas and targets:
// <kvtier/io.hpp> (kvtier::io) and <kvtier/trace.hpp> (kvtier::trace); CUDA is in cuda/.
#include <kvtier/error.hpp>
#include <kvtier/units.hpp>
#include <kvtier/version.hpp>
#include <kvtier/policy/predictive_policy.hpp>
#include <kvtier/predict/beta_bernoulli.hpp>
#include <kvtier/predict/beta_bernoulli_predictor.hpp>
#include <kvtier/predict/context_classifier.hpp>
#include <kvtier/prefetch/layer_pipeline.hpp>
#include <kvtier/prefetch/position_priority.hpp>
#include <kvtier/score/ema_scorer.hpp>
#include <kvtier/trace/mooncake_writer.hpp>
#include <kvtier/policy/simulator.hpp>
#include <kvtier/policy/lru_policy.hpp>
#include <kvtier/policy/belady_policy.hpp>
#include <kvtier/policy/lfu_policy.hpp>
#include <kvtier/policy/arc_policy.hpp>
#include <kvtier/policy/s3fifo_policy.hpp>
