#pragma once
// Loader for Hugging Face config.json files: turns a model's configuration into a model_shape,
// honouring each family's defaults and the traps found in real files (docs/sizing.md lists them):
//   - Qwen2/Qwen3 `use_sliding_window: false` beside `sliding_window: 131072`: no sliding layers;
//     when true, layers from `max_window_layers` on slide.
//   - Falcon `multi_query: true` with `new_decoder_architecture: true` means `num_kv_heads` KV heads
//     (8 for Falcon-40B), not one; `n_head`, `n_layer`, `n_head_kv` are accepted as aliases.
//   - old Llama configs omit `num_key_value_heads`: it equals `num_attention_heads`.
//   - `head_dim` wins over hidden_size / num_attention_heads (Qwen3, Gemma: they differ).
//   - `torch_dtype: float32` (or `dtype`) says how weights were saved, not how KV is served: the
//     native KV format is bf16 then (as vLLM serves float32 checkpoints in 16 bits).
//   - multimodal configs nest the language model under `text_config` (Gemma-3).
//   - Gemma-2 slides on even layers; Gemma-3 on all but every `sliding_window_pattern`-th (5:1);
//     gpt-oss follows `layer_types`; Jamba has attention where i % attn_layer_period ==
//     attn_layer_offset and Mamba elsewhere; `layer_types`, where present, wins over family rules.
// An unknown model_type with the standard fields is sized as full attention with a warning; a
// missing, contradictory or impossible field throws input_error naming the file, line and field.
#include <kvtier/detail/json_blank.hpp>
#include <kvtier/error.hpp>
#include <kvtier/sizing/attention.hpp>
#include <kvtier/sizing/kv_dtype.hpp>
#include <kvtier/sizing/model_shape.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kvtier {

struct hf_config {
  std::string name;        ///< `_name_or_path` when present, else the file name
  std::string model_type;  ///< of the language model (`text_config.model_type` when nested)
  model_shape model;
  kv_format native_format{kv_format::bf16};  ///< KV format when served in the checkpoint's 16-bit dtype
  std::vector<std::string> warnings;         ///< things the caller should show (unknown model_type, ...)
};

namespace detail {

/// Positions of values in the text of a JSON document that nlohmann::json has already accepted,
/// found by walking the text on demand (only when an error is reported).
class json_positions {
 public:
  static constexpr std::size_t npos = std::string_view::npos;

  explicit json_positions(std::string_view text) : text_(text) {}

  /// Offset of the document's top-level value (after a UTF-8 byte order mark, as nlohmann skips).
  [[nodiscard]] std::size_t root() const noexcept { return skip_space(text_.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0); }

  /// Offset of the value of `key` in the object at `object`; npos when absent. A repeated key
  /// gives its last value, the one nlohmann::json keeps.
  [[nodiscard]] std::size_t member(std::size_t object, std::string_view key) const {
    if (object >= text_.size() || text_[object] != '{') return npos;
    std::size_t found = npos;
    std::size_t at = skip_space(object + 1);
    while (at < text_.size() && text_[at] == '"') {
      const std::size_t key_end = skip_string(at);
      const bool match = key_equals(text_.substr(at, key_end - at), key);
      at = skip_space(key_end);
      at = skip_space(at + 1);  // the ':'
      if (match) found = at;
      at = skip_space(skip_value(at));
      if (at < text_.size() && text_[at] == ',') at = skip_space(at + 1);
    }
    return found;
  }

  /// Offset of element `index` of the array at `array`; npos when absent.
  [[nodiscard]] std::size_t element(std::size_t array, std::size_t index) const {
    if (array >= text_.size() || text_[array] != '[') return npos;
    std::size_t at = skip_space(array + 1);
    for (std::size_t i = 0; at < text_.size() && text_[at] != ']'; ++i) {
      if (i == index) return at;
      at = skip_space(skip_value(at));
      if (at < text_.size() && text_[at] == ',') at = skip_space(at + 1);
    }
    return npos;
  }

  /// 1-based line of `offset`; 0 for npos.
  [[nodiscard]] std::uint64_t line(std::size_t offset) const {
    if (offset >= text_.size()) return 0;
    return 1 + static_cast<std::uint64_t>(
                   std::count(text_.begin(), text_.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
  }

 private:
  [[nodiscard]] std::size_t skip_space(std::size_t at) const noexcept {
    while (at < text_.size() && detail::json_blank(text_[at])) ++at;
    return at;
  }

  /// From an opening quote to just past the closing one.
  [[nodiscard]] std::size_t skip_string(std::size_t at) const noexcept {
    for (++at; at < text_.size() && text_[at] != '"'; ++at) {
      if (text_[at] == '\\') ++at;
    }
    return std::min(at + 1, text_.size());
  }

  /// From the first character of a value to just past its last.
  [[nodiscard]] std::size_t skip_value(std::size_t at) const noexcept {
    if (at >= text_.size()) return at;
    if (text_[at] == '"') return skip_string(at);
    if (text_[at] != '{' && text_[at] != '[') {
      while (at < text_.size() && std::string_view(",]} \n\r\t").find(text_[at]) == std::string_view::npos) ++at;
      return at;
    }
    std::size_t depth = 0;
    while (at < text_.size()) {
      const char c = text_[at];
      if (c == '"') {
        at = skip_string(at);
        continue;
      }
      ++at;
      if (c == '{' || c == '[') ++depth;
      if ((c == '}' || c == ']') && --depth == 0) break;
    }
    return at;
  }

  /// Whether the quoted key text `quoted` names `key`, unescaping it when it holds escapes.
  [[nodiscard]] static bool key_equals(std::string_view quoted, std::string_view key) {
    if (quoted.find('\\') == std::string_view::npos) return quoted.substr(1, quoted.size() - 2) == key;
    return nlohmann::json::parse(quoted).get<std::string>() == key;
  }

  std::string_view text_;
};

/// Reads fields of one JSON object of a config file and reports problems with file, line and field.
class config_reader {
 public:
  /// `object` is the JSON object whose text starts at `offset` of the text `positions` walks.
  config_reader(const nlohmann::json& object, const json_positions& positions, std::size_t offset, std::string file,
                std::string prefix)
      : object_(object), positions_(positions), offset_(offset), file_(std::move(file)), prefix_(std::move(prefix)) {}

  [[nodiscard]] bool has(std::string_view key) const {
    const auto it = object_.find(key);
    return it != object_.end() && !it->is_null();
  }

  /// Fails naming `key` and the line of its value (0 when the key is absent).
  [[noreturn]] void fail(std::string_view key, std::string_view what) const {
    report_input_error({file_, positions_.line(value_offset(key)), prefix_ + std::string(key)}, what);
  }

  /// Fails naming element `index` of the array `key` and the line of that element.
  [[noreturn]] void fail(std::string_view key, std::size_t index, std::string_view what) const {
    const auto at = positions_.element(value_offset(key), index);
    report_input_error({file_, positions_.line(at), prefix_ + std::string(key) + "[" + std::to_string(index) + "]"},
                       what);
  }

  /// Offset of the value of `key` in the text; json_positions::npos when absent.
  [[nodiscard]] std::size_t value_offset(std::string_view key) const { return positions_.member(offset_, key); }

  /// A positive integer field; `aliases` are tried in order after `key`.
  [[nodiscard]] std::optional<std::uint64_t> positive(std::string_view key,
                                                      std::initializer_list<std::string_view> aliases = {}) const {
    return integer(key, aliases, false);
  }

  /// A field that may be 0 (an offset, a count of optional parts), or `fallback` when absent.
  [[nodiscard]] std::uint64_t count(std::string_view key, std::uint64_t fallback) const {
    return integer(key, {}, true).value_or(fallback);
  }

  [[nodiscard]] std::optional<std::uint64_t> integer(std::string_view key,
                                                     std::initializer_list<std::string_view> aliases,
                                                     bool zero_allowed) const {
    std::string_view found = key;
    if (!has(key)) {
      const auto alias = std::find_if(aliases.begin(), aliases.end(), [&](std::string_view a) { return has(a); });
      if (alias == aliases.end()) return std::nullopt;
      found = *alias;
    }
    const auto& value = object_.at(std::string(found));
    if (value.is_number_unsigned()) {
      const auto number = value.get<std::uint64_t>();
      if (number == 0 && !zero_allowed) fail(found, "must be positive, got 0");
      if (number > 0xffff'ffffULL && found != "max_position_embeddings") fail(found, "is implausibly large");
      return number;
    }
    const std::string expected =
        zero_allowed ? "must be a non-negative integer, got " : "must be a positive integer, got ";
    if (value.is_number_integer())
      fail(found, (zero_allowed ? "must not be negative, got " : "must be positive, got ") + value.dump());
    if (value.is_number_float()) fail(found, expected + value.dump());
    fail(found, expected + std::string(value.type_name()));
  }

  [[nodiscard]] std::uint64_t required(std::string_view key,
                                       std::initializer_list<std::string_view> aliases = {}) const {
    if (auto value = positive(key, aliases)) return *value;
    fail(key, "is missing");
  }

  [[nodiscard]] std::uint64_t optional(std::string_view key, std::uint64_t fallback,
                                       std::initializer_list<std::string_view> aliases = {}) const {
    return positive(key, aliases).value_or(fallback);
  }

  [[nodiscard]] std::optional<bool> flag(std::string_view key) const {
    if (!has(key)) return std::nullopt;
    const auto& value = object_.at(std::string(key));
    if (!value.is_boolean()) fail(key, "must be true or false, got " + value.dump());
    return value.get<bool>();
  }

  [[nodiscard]] std::optional<std::string> string(std::string_view key) const {
    if (!has(key)) return std::nullopt;
    const auto& value = object_.at(std::string(key));
    if (!value.is_string()) fail(key, "must be a string, got " + value.dump());
    return value.get<std::string>();
  }

  [[nodiscard]] const nlohmann::json& json() const { return object_; }

 private:
  const nlohmann::json& object_;
  const json_positions& positions_;
  std::size_t offset_;
  std::string file_;
  std::string prefix_;
};

inline std::uint32_t narrow(std::uint64_t value) { return static_cast<std::uint32_t>(value); }

/// Sliding flags per layer from `layer_types`, or nullopt when the config has none.
inline std::optional<std::vector<bool>> read_layer_types(const config_reader& config, std::uint64_t layers) {
  if (!config.has("layer_types")) return std::nullopt;
  const auto& types = config.json().at("layer_types");
  if (!types.is_array()) config.fail("layer_types", "must be an array of layer type names");
  if (types.size() != layers) {
    config.fail("layer_types",
                "has " + std::to_string(types.size()) + " entries but num_hidden_layers is " + std::to_string(layers));
  }
  std::vector<bool> sliding;
  for (const auto& type : types) {
    if (type == "sliding_attention") {
      sliding.push_back(true);
    } else if (type == "full_attention") {
      sliding.push_back(false);
    } else {
      config.fail("layer_types", sliding.size(),
                  "unsupported layer type " + type.dump() + " (expected \"full_attention\" or \"sliding_attention\")");
    }
  }
  return sliding;
}

struct attention_fields {
  std::uint32_t heads{};
  std::uint32_t kv_heads{};
  std::uint32_t head_dim{};
};

inline attention_fields read_attention(const config_reader& config, std::uint64_t kv_heads) {
  const auto heads = config.required("num_attention_heads", {"n_head"});
  if (kv_heads > heads)
    config.fail("num_key_value_heads", "exceeds num_attention_heads (" + std::to_string(heads) + ")");
  if (heads % kv_heads != 0) {
    config.fail("num_key_value_heads", "num_attention_heads (" + std::to_string(heads) + ") is not a multiple of it (" +
                                           std::to_string(kv_heads) + ")");
  }
  std::uint64_t head_dim = 0;
  if (auto given = config.positive("head_dim")) {
    head_dim = *given;
  } else {
    const auto hidden = config.required("hidden_size", {"n_embed", "d_model"});
    if (hidden % heads != 0) {
      config.fail("hidden_size",
                  "is not a multiple of num_attention_heads (" + std::to_string(heads) + ") and no head_dim is given");
    }
    head_dim = hidden / heads;
  }
  return {narrow(heads), narrow(kv_heads), narrow(head_dim)};
}

inline layer_spec full_layer(const attention_fields& a) {
  if (a.kv_heads == 1 && a.heads > 1) return mqa_attention{a.heads, a.head_dim};
  if (a.kv_heads == a.heads) return mha_attention{a.heads, a.head_dim};
  return gqa_attention{a.heads, a.kv_heads, a.head_dim};
}

inline layer_spec sliding_layer(const attention_fields& a, std::uint64_t window) {
  if (a.kv_heads == 1 && a.heads > 1) return sliding_window<mqa_attention>{{a.heads, a.head_dim}, window};
  if (a.kv_heads == a.heads) return sliding_window<mha_attention>{{a.heads, a.head_dim}, window};
  return sliding_window<gqa_attention>{{a.heads, a.kv_heads, a.head_dim}, window};
}

/// Layers from per-layer sliding flags.
inline std::vector<layer_spec> attention_stack(const attention_fields& a, const std::vector<bool>& sliding,
                                               std::uint64_t window) {
  std::vector<layer_spec> layers;
  layers.reserve(sliding.size());
  for (const bool slides : sliding) layers.push_back(slides ? sliding_layer(a, window) : full_layer(a));
  return layers;
}

inline std::uint64_t window_for(const config_reader& config, const std::vector<bool>& sliding,
                                std::uint64_t fallback = 0) {
  const bool any = std::find(sliding.begin(), sliding.end(), true) != sliding.end();
  if (!any) return 0;
  const auto window = config.optional("sliding_window", fallback);
  if (window == 0) config.fail("sliding_window", "is missing but some layers are sliding_attention");
  return window;
}

/// A rough parameter count from the usual fields (embeddings, attention with H*d taken as
/// hidden_size, dense or MoE MLP of `mlp_matrices` matrices, Mamba as 3*hidden*d_inner); the tool
/// uses it only when no --weights-bytes is given, and says so.
inline std::uint64_t estimate_parameters(const config_reader& config, const model_shape& model,
                                         std::uint64_t mlp_matrices) {
  const auto hidden = config.optional("hidden_size", 0, {"n_embed", "d_model"});
  const auto vocab = config.optional("vocab_size", 0);
  const bool tied = config.flag("tie_word_embeddings").value_or(false);
  std::uint64_t total = vocab * hidden * (tied ? 1 : 2);
  const auto intermediate = config.optional("intermediate_size", 4 * hidden, {"ffn_hidden_size"});
  const auto experts = config.optional("n_routed_experts", 0, {"num_local_experts", "num_experts"});
  const auto expert_intermediate = config.optional("moe_intermediate_size", intermediate);
  const auto shared =
      config.count("n_shared_experts", 0) * expert_intermediate + config.count("shared_expert_intermediate_size", 0);
  const auto dense_layers = config.count("first_k_dense_replace", 0);
  const auto expert_period = config.optional("expert_layer_period", 1);
  const auto expert_offset = config.count("expert_layer_offset", 0);
  for (std::size_t i = 0; i < model.layers.size(); ++i) {
    total += std::visit(
        [&](const auto& l) -> std::uint64_t {
          using L = std::decay_t<decltype(l)>;
          if constexpr (std::is_same_v<L, mamba1_state> || std::is_same_v<L, mamba2_state>) {
            return 3 * hidden * l.d_inner;
          } else if constexpr (std::is_same_v<L, mla_attention>) {
            const mla_attention& m = l;
            const std::uint64_t q = config.count("q_lora_rank", 0);
            const std::uint64_t qk = std::uint64_t{m.qk_nope_head_dim} + m.qk_rope_head_dim;
            return (q == 0 ? hidden * m.heads * qk : hidden * q + q * m.heads * qk) + hidden * m.latent_elements() +
                   std::uint64_t{m.kv_lora_rank} * m.heads * (m.qk_nope_head_dim + m.v_head_dim) +
                   std::uint64_t{m.heads} * m.v_head_dim * hidden;
          } else {
            // Q and O as hidden x hidden, K and V as hidden x (H_kv * d): 2 * H_kv * d is the
            // layer's fp8 bytes per token.
            return 2 * hidden * hidden + hidden * l.kv_bytes_per_token(kv_format::fp8_e4m3);
          }
        },
        model.layers[i]);
    const bool moe = experts != 0 && i >= dense_layers && i % expert_period == expert_offset;
    total += moe ? mlp_matrices * hidden * (experts * expert_intermediate + shared) + hidden * experts
                 : mlp_matrices * hidden * intermediate;
  }
  return total;
}

}  // namespace detail

/// Parses the text of a config.json; `file` names it in errors.
[[nodiscard]] inline hf_config parse_hf_config(std::string_view text, const std::string& file) {
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& error) {
    const auto byte = std::min<std::size_t>(error.byte, text.size());
    const auto line = 1 + static_cast<std::uint64_t>(std::count(
                              text.begin(), text.begin() + static_cast<std::ptrdiff_t>(byte > 0 ? byte - 1 : 0), '\n'));
    std::string what = error.what();
    if (const auto colon = what.rfind(": "); colon != std::string::npos) what = what.substr(colon + 2);
    report_input_error({file, line, ""}, "malformed JSON: " + what);
  }
  if (!root.is_object()) report_input_error({file, 1, ""}, "a config.json must be a JSON object");

  hf_config result;
  const detail::json_positions positions(text);
  const detail::config_reader top(root, positions, positions.root(), file, "");
  const nlohmann::json* language = &root;
  std::string prefix;
  std::size_t language_offset = positions.root();
  if (top.has("text_config")) {
    if (!root.at("text_config").is_object()) top.fail("text_config", "must be an object");
    language = &root.at("text_config");
    prefix = "text_config.";
    language_offset = top.value_offset("text_config");
  }
  const detail::config_reader config(*language, positions, language_offset, file, prefix);
  const auto type = config.string("model_type").value_or(top.string("model_type").value_or(""));
  if (type.empty()) top.fail("model_type", "is missing");
  result.model_type = type;
  result.name = top.string("_name_or_path").value_or(file);

  for (const auto* reader : {&config, &top}) {
    const auto dtype = reader->has("torch_dtype") ? reader->string("torch_dtype") : reader->string("dtype");
    if (!dtype) continue;
    if (*dtype == "float16") result.native_format = kv_format::fp16;
    if (*dtype == "bfloat16" || *dtype == "float32") result.native_format = kv_format::bf16;
    break;
  }

  model_shape& model = result.model;
  model.context_tokens =
      config.optional("max_position_embeddings", 0, {"max_sequence_length", "n_positions", "seq_length"});
  const auto layer_count = config.required("num_hidden_layers", {"n_layer", "num_layers"});
  const auto one_of = [&](std::initializer_list<std::string_view> names) {
    return std::find(names.begin(), names.end(), type) != names.end();
  };

  if (one_of({"deepseek_v2", "deepseek_v3", "deepseek_v32", "kimi_k2"})) {
    const mla_attention mla{detail::narrow(config.required("num_attention_heads")),
                            detail::narrow(config.required("kv_lora_rank")),
                            detail::narrow(config.required("qk_rope_head_dim")),
                            detail::narrow(config.required("qk_nope_head_dim")),
                            detail::narrow(config.required("v_head_dim")),
                            detail::narrow(type == "deepseek_v32" ? config.required("index_head_dim")
                                                                  : config.optional("index_head_dim", 0))};
    append_layers(model.layers, layer_count, mla);
  } else if (one_of({"jamba"})) {
    const auto attention =
        detail::read_attention(config, config.optional("num_key_value_heads", config.required("num_attention_heads")));
    const auto period = config.optional("attn_layer_period", 8);
    const auto offset = config.count("attn_layer_offset", 4);
    if (offset >= period)
      config.fail("attn_layer_offset", "must be smaller than attn_layer_period (" + std::to_string(period) + ")");
    const auto hidden = config.required("hidden_size");
    const mamba1_state mamba{detail::narrow(config.optional("mamba_expand", 2) * hidden),
                             detail::narrow(config.optional("mamba_d_state", 16)),
                             detail::narrow(config.optional("mamba_d_conv", 4)), 0};
    model.layers = periodic_layers(layer_count, period, offset, detail::full_layer(attention), mamba);
  } else if (one_of({"mamba"})) {
    const auto hidden = config.required("hidden_size");
    const mamba1_state mamba{
        detail::narrow(config.optional("intermediate_size", config.optional("expand", 2) * hidden)),
        detail::narrow(config.optional("state_size", 16)), detail::narrow(config.optional("conv_kernel", 4)), 0};
    append_layers(model.layers, layer_count, mamba);
  } else if (one_of({"mamba2"})) {
    const auto hidden = config.required("hidden_size");
    const auto head_dim = config.optional("head_dim", 64);
    const auto heads = config.optional("num_heads", config.optional("expand", 2) * hidden / head_dim);
    const mamba2_state mamba{detail::narrow(heads * head_dim),
                             detail::narrow(config.optional("state_size", 128)),
                             detail::narrow(config.optional("conv_kernel", 4)),
                             detail::narrow(config.optional("n_groups", 1)),
                             detail::narrow(head_dim),
                             0};
    append_layers(model.layers, layer_count, mamba);
  } else {
    const auto heads = config.required("num_attention_heads", {"n_head"});
    std::uint64_t kv_heads = config.optional("num_key_value_heads", heads);
    if (type == "falcon") {
      // HF FalconConfig: multi_query defaults to true; new_decoder_architecture uses num_kv_heads.
      if (config.flag("new_decoder_architecture").value_or(false)) {
        kv_heads = config.optional("num_kv_heads", heads, {"n_head_kv"});
      } else {
        kv_heads = config.flag("multi_query").value_or(true) ? 1 : heads;
      }
      if (model.context_tokens == 0) model.context_tokens = 2048;
    }
    const auto attention = detail::read_attention(config, kv_heads);
    std::vector<bool> sliding(layer_count, false);
    std::uint64_t default_window = 0;
    if (auto types = detail::read_layer_types(config, layer_count)) {
      sliding = *types;
    } else if (one_of({"mistral", "mixtral"})) {
      if (config.has("sliding_window")) sliding.assign(layer_count, true);
    } else if (one_of({"qwen2", "qwen2_moe", "qwen3", "qwen3_moe"})) {
      if (config.flag("use_sliding_window").value_or(false)) {
        const auto from = config.optional("max_window_layers", layer_count);
        for (std::uint64_t i = from; i < layer_count; ++i) sliding[i] = true;
      }
    } else if (one_of({"gemma2"})) {
      for (std::uint64_t i = 0; i < layer_count; i += 2) sliding[i] = true;
      default_window = 4096;
    } else if (one_of({"gemma3", "gemma3_text"})) {
      const auto pattern = config.optional("sliding_window_pattern", 6);
      for (std::uint64_t i = 0; i < layer_count; ++i) sliding[i] = (i + 1) % pattern != 0;
      default_window = 4096;
    } else if (one_of({"gpt_oss"})) {
      for (std::uint64_t i = 0; i < layer_count; i += 2) sliding[i] = true;
      default_window = 128;
    } else if (!one_of({"llama", "falcon"})) {
      result.warnings.push_back("unknown model_type '" + type +
                                "': sized as full attention on every layer from num_hidden_layers, "
                                "num_attention_heads, num_key_value_heads and head_dim or hidden_size");
    }
    model.layers = detail::attention_stack(attention, sliding, detail::window_for(config, sliding, default_window));
  }

  for (const auto& layer : model.layers) {
    if (const auto reason = invalid_reason(layer); !reason.empty())
      (config.has("model_type") ? config : top).fail("model_type", reason);
  }
  // Gated MLPs (SwiGLU/GeGLU) have three matrices; Falcon's GELU MLP has two.
  model.parameters = detail::estimate_parameters(config, model, type == "falcon" ? 2 : 3);
  return result;
}

/// Reads and parses a config.json file.
[[nodiscard]] inline hf_config load_hf_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) report_input_error({path, 0, ""}, "cannot open the file");
  std::ostringstream content;
  content << in.rdbuf();
  return parse_hf_config(content.str(), path);
}

}  // namespace kvtier
