# SPDX-License-Identifier: MIT
# One place for the warning set and the floating-point rules every taocore target uses.
function(taocore_set_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wnon-virtual-dtor)
    # Bit-identical results across backends and machines: no fused multiply-add contraction and
    # no fast-math anywhere.
    target_compile_options(${target} PRIVATE -ffp-contract=off -fno-fast-math)
    if(TAOCORE_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  elseif(MSVC)
    target_compile_options(${target} PRIVATE /W4 /fp:precise)
    if(TAOCORE_WERROR)
      target_compile_options(${target} PRIVATE /WX)
    endif()
  endif()
endfunction()
