include(GoogleTest)

# kvtier_add_test(<name> SOURCES <files...> [LIBS <targets...>] [LABELS <labels...>])
# One GoogleTest executable; every TEST becomes a CTest test carrying the labels.
function(kvtier_add_test name)
  cmake_parse_arguments(arg "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE kvtier::kvtier ${arg_LIBS} GTest::gtest_main kvtier_warnings)
  target_include_directories(${name} PRIVATE "${PROJECT_SOURCE_DIR}/tests")
  target_compile_definitions(${name} PRIVATE KVTIER_SHARED_DIR="${KVTIER_SHARED_DIR}"
                                             KVTIER_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  # gtest_discover_tests passes properties through a generated script: escape the list separator
  # so that every label survives.
  string(REPLACE ";" "\\;" labels "${arg_LABELS}")
  gtest_discover_tests(${name} PROPERTIES LABELS "${labels}" DISCOVERY_TIMEOUT 60)
endfunction()

# kvtier_add_tool_test(<name> SOURCES ... [LABELS ...]): a test of the kvtier executable's contract;
# tests/support/run_tool.hpp runs it through KVTIER_CLI_PATH.
function(kvtier_add_tool_test name)
  if(NOT TARGET kvtier_cli)
    return()
  endif()
  cmake_parse_arguments(arg "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  kvtier_add_test(${name} SOURCES ${arg_SOURCES} LIBS ${arg_LIBS} LABELS tool ${arg_LABELS})
  target_compile_definitions(${name} PRIVATE KVTIER_CLI_PATH="$<TARGET_FILE:kvtier_cli>")
  add_dependencies(${name} kvtier_cli)
endfunction()
