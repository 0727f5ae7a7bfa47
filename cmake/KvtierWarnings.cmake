# Warnings for the project's own tests, tools, examples and benchmarks; never imposed on users.
add_library(kvtier_warnings INTERFACE)
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(kvtier_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                                   -Wold-style-cast -Wcast-align -Woverloaded-virtual)
  if(KVTIER_WARNINGS_AS_ERRORS)
    target_compile_options(kvtier_warnings INTERFACE -Werror)
  endif()
endif()
