#pragma once
// any_tier: the one type-erased tier, for stacks chosen at run time (the command line, a config
// file). One virtual call per verb; compile-time stacks (tier_stack) have none.
#include <kvtier/tier/concepts.hpp>

#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace kvtier {

class any_tier {
 public:
  /// Does not store bytes as far as the type can promise; holds_bytes() says what the model does.
  static constexpr bool stores_bytes = false;
  static constexpr bool thread_safe = false;

  template <evicting_tier T>
  requires(!std::same_as<std::remove_cvref_t<T>, any_tier>) explicit any_tier(std::unique_ptr<T> model)
      : self_(std::make_unique<holder<T>>(std::move(model))) {}

  template <evicting_tier T, class... Args>
  [[nodiscard]] static any_tier make(Args&&... args) {
    return any_tier(std::make_unique<T>(std::forward<Args>(args)...));
  }

  [[nodiscard]] bool contains(const block_key& key) const { return self_->contains(key); }
  [[nodiscard]] std::optional<std::size_t> find(const block_key& key, std::span<std::byte> out) {
    return self_->find(key, out);
  }
  [[nodiscard]] bool can_admit(std::uint64_t bytes) const { return self_->can_admit(bytes); }
  [[nodiscard]] bool try_insert(const block_key& key, std::span<const std::byte> bytes) {
    return self_->try_insert(key, bytes);
  }
  bool insert(const block_key& key, std::span<const std::byte> bytes, std::vector<block_key>& evicted) {
    return self_->insert(key, bytes, evicted);
  }
  bool erase(const block_key& key) { return self_->erase(key); }
  [[nodiscard]] std::optional<block_key> to_evict() const { return self_->to_evict(); }
  std::optional<block_key> evict() { return self_->evict(); }
  [[nodiscard]] std::uint64_t used_bytes() const { return self_->used_bytes(); }
  [[nodiscard]] std::uint64_t capacity_bytes() const { return self_->capacity_bytes(); }
  [[nodiscard]] tier_spec spec() const { return self_->spec(); }
  [[nodiscard]] tier_stats stats() const { return self_->stats(); }
  [[nodiscard]] bool holds_bytes() const { return self_->holds_bytes(); }

 private:
  struct interface {
    virtual ~interface() = default;
    [[nodiscard]] virtual bool contains(const block_key&) const = 0;
    [[nodiscard]] virtual std::optional<std::size_t> find(const block_key&, std::span<std::byte>) = 0;
    [[nodiscard]] virtual bool can_admit(std::uint64_t) const = 0;
    [[nodiscard]] virtual bool try_insert(const block_key&, std::span<const std::byte>) = 0;
    virtual bool insert(const block_key&, std::span<const std::byte>, std::vector<block_key>&) = 0;
    virtual bool erase(const block_key&) = 0;
    [[nodiscard]] virtual std::optional<block_key> to_evict() const = 0;
    virtual std::optional<block_key> evict() = 0;
    [[nodiscard]] virtual std::uint64_t used_bytes() const = 0;
    [[nodiscard]] virtual std::uint64_t capacity_bytes() const = 0;
    [[nodiscard]] virtual tier_spec spec() const = 0;
    [[nodiscard]] virtual tier_stats stats() const = 0;
    [[nodiscard]] virtual bool holds_bytes() const = 0;
  };

  template <class T>
  struct holder final : interface {
    explicit holder(std::unique_ptr<T> model) : tier(std::move(model)) {}
    bool contains(const block_key& key) const override { return tier->contains(key); }
    std::optional<std::size_t> find(const block_key& key, std::span<std::byte> out) override {
      return tier->find(key, out);
    }
    bool can_admit(std::uint64_t bytes) const override { return tier->can_admit(bytes); }
    bool try_insert(const block_key& key, std::span<const std::byte> bytes) override {
      return tier->try_insert(key, bytes);
    }
    bool insert(const block_key& key, std::span<const std::byte> bytes, std::vector<block_key>& evicted) override {
      return tier->insert(key, bytes, evicted);
    }
    bool erase(const block_key& key) override { return tier->erase(key); }
    std::optional<block_key> to_evict() const override { return tier->to_evict(); }
    std::optional<block_key> evict() override { return tier->evict(); }
    std::uint64_t used_bytes() const override { return tier->used_bytes(); }
    std::uint64_t capacity_bytes() const override { return tier->capacity_bytes(); }
    tier_spec spec() const override { return tier->spec(); }
    tier_stats stats() const override { return tier->stats(); }
    bool holds_bytes() const override { return T::stores_bytes; }
    std::unique_ptr<T> tier;
  };

  std::unique_ptr<interface> self_;
};

static_assert(evicting_tier<any_tier>);

}  // namespace kvtier
