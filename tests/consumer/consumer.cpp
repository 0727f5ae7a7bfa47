// What a user's program looks like: include the umbrella, use the library, link kvtier::kvtier.
#include <kvtier/kvtier.hpp>

#include <cstdio>

int main() {
  const auto hbm = kvtier::try_parse_bytes("80GB");
  if (!hbm || *hbm != 80'000'000'000u) return 1;
  std::printf("kvtier %s: %s of HBM\n", kvtier::version_string, kvtier::format_bytes(*hbm).c_str());
  return 0;
}
