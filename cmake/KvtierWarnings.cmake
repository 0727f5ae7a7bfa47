# Warnings for the project's own tests, tools, examples and benchmarks; never imposed on users.
add_library(kvtier_warnings INTERFACE)
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(kvtier_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                                   -Wold-style-cast -Wcast-align -Woverloaded-virtual)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # g++ 12 at -O3 reports -Wrestrict inside libstdc++'s std::string operator+ (GCC bug 105329).
    target_compile_options(kvtier_warnings INTERFACE -Wno-restrict)
  endif()
  if(KVTIER_WARNINGS_AS_ERRORS)
    target_compile_options(kvtier_warnings INTERFACE -Werror)
  endif()
endif()
