# tests.cmake — registers every test with CTest, by file pattern, so adding a
# test is adding a file:
#   tests/test_<module>.c   cmocka unit tests for ledger/<layer>/<module>.c
#   tests/tools/<name>.c    helper programs for CLI tests (e.g. raw LMDB tamper)
#   tests/cli/<name>.sh     tests of the built command, run with bash
#   tests/data/bad/<case>/  the bad-input corpus, one test per case
pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)

# Fixtures shared by the unit tests (tests/support/support.h).
file(GLOB PB_TEST_SUPPORT CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/support/*.c)
add_library(pb_test_support STATIC ${PB_TEST_SUPPORT})
target_link_libraries(pb_test_support PUBLIC poolbook_lib PkgConfig::CMOCKA)

file(GLOB PB_UNIT_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/test_*.c)
foreach(src ${PB_UNIT_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE pb_test_support)
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/ledger
                             ${CMAKE_SOURCE_DIR}/tests/support)
  target_link_libraries(${name} PRIVATE poolbook_lib PkgConfig::CMOCKA)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES
    ENVIRONMENT "PB_SRC=${CMAKE_SOURCE_DIR};PB_BUILD=${CMAKE_BINARY_DIR};PB_SANITIZE=${PB_SANITIZE}")
endforeach()

file(GLOB PB_TEST_TOOLS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/tools/*.c)
foreach(src ${PB_TEST_TOOLS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/ledger)
  target_link_libraries(${name} PRIVATE poolbook_lib)
endforeach()

# No one's own defaults (docs/config.md) reach the tests: no config file, no key.
set(PB_TEST_ENV
  "POOLBOOK=$<TARGET_FILE:poolbook>;PB_SRC=${CMAKE_SOURCE_DIR};PB_BUILD=${CMAKE_BINARY_DIR};PB_SANITIZE=${PB_SANITIZE};XDG_CONFIG_HOME=${CMAKE_BINARY_DIR}/no-config;POOLBOOK_KEY=")

file(GLOB PB_CLI_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/cli/*.sh)
foreach(script ${PB_CLI_TESTS})
  get_filename_component(name ${script} NAME_WE)
  add_test(NAME cli_${name} COMMAND bash ${script})
  set_tests_properties(cli_${name} PROPERTIES ENVIRONMENT "${PB_TEST_ENV}" TIMEOUT 1200)
endforeach()

file(GLOB PB_BAD_CASES CONFIGURE_DEPENDS LIST_DIRECTORIES true ${CMAKE_SOURCE_DIR}/tests/data/bad/*)
foreach(dir ${PB_BAD_CASES})
  if(IS_DIRECTORY ${dir})
    get_filename_component(name ${dir} NAME)
    add_test(NAME bad_${name} COMMAND bash ${CMAKE_SOURCE_DIR}/tests/run_bad_case.sh ${dir})
    set_tests_properties(bad_${name} PROPERTIES ENVIRONMENT "${PB_TEST_ENV}")
  endif()
endforeach()

# LD_PRELOAD shims for CLI tests (tests/shims/<name>.c -> libpb_<name>.so),
# e.g. a full disk where no tmpfs can be mounted (faults.sh).
file(GLOB PB_TEST_SHIMS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/shims/*.c)
foreach(src ${PB_TEST_SHIMS})
  get_filename_component(name ${src} NAME_WE)
  add_library(pb_${name} MODULE ${src})
  target_link_libraries(pb_${name} PRIVATE ${CMAKE_DL_LIBS})
endforeach()
