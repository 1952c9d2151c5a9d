# ctest's list of Catch2 tests (every name "<executable>:<case>") has exactly one entry for each
# TEST_CASE in the test sources, read now (not at configure time, so a new case counts at once).
file(READ ${SOURCES_FILE} sources)
set(defined 0)
foreach(source IN LISTS sources)
  file(STRINGS ${source} cases REGEX "^[ \t]*TEST_CASE[ \t]*\\(")
  list(LENGTH cases n)
  math(EXPR defined "${defined} + ${n}")
endforeach()
execute_process(COMMAND ${CTEST} -N WORKING_DIRECTORY ${BUILD_DIR}
  OUTPUT_VARIABLE listing RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "ctest -N failed (${result})")
endif()
string(REGEX MATCHALL "\n *Test +#[0-9]+: test_[a-z0-9_]+: ?[^\n]*" listed "${listing}")
list(LENGTH listed n_listed)
if(NOT n_listed EQUAL defined)
  message(FATAL_ERROR "ctest lists ${n_listed} Catch2 tests, the sources define ${defined} TEST_CASEs")
endif()
message(STATUS "ctest lists ${n_listed} Catch2 tests, one for each of the ${defined} TEST_CASEs")

# README.md states the count (scripts/gen-docs rewrites it): the suite's own two tests included.
# README is empty in a build of the unit tests only, which holds part of the suite.
if(NOT README)
  return()
endif()
math(EXPR total "${defined} + 2")
file(READ ${README} readme)
set(stated "([0-9]+) tests in `ctest -N`: one for each of the ([0-9]+) `TEST_CASE`s")
if(NOT readme MATCHES "${stated}")
  message(FATAL_ERROR "${README}: no sentence \"N tests in `ctest -N`: one for each of the M `TEST_CASE`s\"")
endif()
if(NOT CMAKE_MATCH_1 EQUAL total OR NOT CMAKE_MATCH_2 EQUAL defined)
  message(FATAL_ERROR "${README} says ${CMAKE_MATCH_1} tests and ${CMAKE_MATCH_2} TEST_CASEs; "
    "there are ${total} and ${defined}: run scripts/gen-docs")
endif()
