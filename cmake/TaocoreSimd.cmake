# SPDX-License-Identifier: MIT
# Runtime dispatch: the library is built for the platform baseline; only translation units named
# *_avx2.cpp / *_avx512.cpp get ISA flags, each in its own OBJECT library. Never a global -m flag.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64|x64)$" AND CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  set(TAOCORE_X86_64 ON)
else()
  set(TAOCORE_X86_64 OFF)
endif()

set(TAOCORE_AVX2_FLAGS -mavx2 -mfma -mbmi -mbmi2)
set(TAOCORE_AVX512_FLAGS -mavx2 -mfma -mbmi -mbmi2 -mavx512f -mavx512vl -mavx512bw -mavx512dq -mavx512ifma)

# taocore_add_isa_objects(<core-target> <isa> <flags-var> <sources...>)
function(taocore_add_isa_objects core isa flags_var)
  set(sources ${ARGN})
  if(NOT sources)
    return()
  endif()
  set(obj ${core}_${isa})
  add_library(${obj} OBJECT ${sources})
  target_compile_options(${obj} PRIVATE ${${flags_var}})
  target_include_directories(${obj} PRIVATE $<TARGET_PROPERTY:${core},INCLUDE_DIRECTORIES>)
  target_compile_definitions(${obj} PRIVATE $<TARGET_PROPERTY:${core},COMPILE_DEFINITIONS>)
  set_target_properties(${obj} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  taocore_set_warnings(${obj})
  target_sources(${core} PRIVATE $<TARGET_OBJECTS:${obj}>)
endfunction()
