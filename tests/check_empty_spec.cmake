# A test binary asked for a case that does not exist, with -w NoTests as every discovered test
# gets it, must fail; without the flag Catch2 v2 reports success, which this also checks so the
# test shows why the flag is there.
execute_process(COMMAND ${EXECUTABLE} "no test case has this name" -w NoTests
  RESULT_VARIABLE with_flag OUTPUT_QUIET ERROR_QUIET)
execute_process(COMMAND ${EXECUTABLE} "no test case has this name"
  RESULT_VARIABLE without_flag OUTPUT_QUIET ERROR_QUIET)
if(with_flag EQUAL 0)
  message(FATAL_ERROR "an empty test spec with -w NoTests exited 0: a test that ran nothing would pass")
endif()
if(NOT without_flag EQUAL 0)
  message(FATAL_ERROR "expected Catch2 to accept an empty spec without -w NoTests (exit ${without_flag}); "
    "if it now fails by itself, this check can go")
endif()
message(STATUS "empty spec: exit ${with_flag} with -w NoTests, ${without_flag} without")
