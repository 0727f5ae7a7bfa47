#pragma once

#define KVTIER_VERSION_MAJOR 0
#define KVTIER_VERSION_MINOR 1
#define KVTIER_VERSION_PATCH 0

namespace kvtier {
inline constexpr const char* version_string = "0.1.0";
}  // namespace kvtier
