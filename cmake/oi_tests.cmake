# Helpers shared by the test folders, so every part registers its tests the same way.

# oi_unit_tests(DIR LIBS...) - every DIR/test_*.c is one cmocka binary and one CTest test,
# linked with LIBS. Tests get OI_SOURCE_DIR and OI_SHARED_DIR to find fixtures and may include
# internals (core/*.h and the part's own private headers).
function(oi_unit_tests dir)
  file(GLOB srcs CONFIGURE_DEPENDS ${dir}/test_*.c)
  foreach(src IN LISTS srcs)
    get_filename_component(name ${src} NAME_WE)
    add_executable(${name} ${src})
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/core
                               ${dir})
    target_compile_definitions(${name} PRIVATE
      OI_SOURCE_DIR="${PROJECT_SOURCE_DIR}" OI_SHARED_DIR="${OI_SHARED_DIR}")
    # cmocka's macros trip a few of the strict warnings; tests keep the rest as errors.
    target_compile_options(${name} PRIVATE ${OI_WARNINGS} -Wno-missing-prototypes
      -Wno-missing-declarations -Wno-unused-macros -Wno-missing-variable-declarations)
    target_link_libraries(${name} PRIVATE ${ARGN} PkgConfig::CMOCKA)
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES LABELS unit TIMEOUT 600)
  endforeach()
endfunction()

# oi_fuzz_target(NAME CORPUS LIBS...) - a libFuzzer target tests/fuzz/NAME.c with seeds in
# tests/fuzz/corpus/CORPUS. CTest replays the seeds, then fuzzes for OI_FUZZ_SMOKE_SECONDS.
# New inputs go to a scratch directory (libFuzzer writes into its first corpus argument), so the
# committed seeds change only by hand.
function(oi_fuzz_target name corpus_name)
  add_executable(${name} ${CMAKE_CURRENT_SOURCE_DIR}/${name}.c)
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer ${OI_WARNINGS}
    -Wno-missing-prototypes -Wno-missing-variable-declarations)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/core)
  target_compile_definitions(${name} PRIVATE OI_SHARED_DIR="${OI_SHARED_DIR}")
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(${name} PRIVATE ${ARGN})
  set(corpus ${CMAKE_CURRENT_SOURCE_DIR}/corpus/${corpus_name})
  add_test(NAME ${name}_replay COMMAND ${name} -runs=0 ${corpus})
  set(scratch ${CMAKE_CURRENT_BINARY_DIR}/scratch_${corpus_name})
  file(MAKE_DIRECTORY ${scratch})
  add_test(NAME ${name}_smoke
           COMMAND ${name} -max_total_time=${OI_FUZZ_SMOKE_SECONDS} -max_len=4096
                   -rss_limit_mb=2048 -print_final_stats=1
                   -artifact_prefix=${CMAKE_CURRENT_BINARY_DIR}/ ${scratch} ${corpus})
  set_tests_properties(${name}_replay ${name}_smoke PROPERTIES LABELS fuzz TIMEOUT 600)
endfunction()
