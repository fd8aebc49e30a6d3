# Warning sets of style.md 4.10, as errors, for gcc 12 and clang 14.
if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
  set(OI_WARNINGS
    -Wall -Wextra -Wpedantic -Werror -Wconversion -Wsign-conversion -Wshadow
    -Wstrict-prototypes -Wmissing-prototypes -Wold-style-definition -Wmissing-declarations
    -Wcast-qual -Wcast-align=strict -Wwrite-strings -Wundef -Wswitch-enum -Wswitch-default
    -Wfloat-equal -Wdouble-promotion -Wvla -Walloca -Wformat=2 -Wformat-overflow=2
    -Wformat-truncation=2 -Wformat-signedness -Wnull-dereference -Wimplicit-fallthrough=5
    -Wduplicated-cond -Wduplicated-branches -Wlogical-op -Wjump-misses-init -Wredundant-decls
    -Wbad-function-cast -Wstrict-overflow=2 -Wunused-macros -Wnested-externs -Wpointer-arith
    -Winit-self -Wuninitialized -Wstringop-overflow=4 -Warray-bounds=2 -Wshift-overflow=2
    -Wtrampolines -fno-common)
  set(OI_CORE_WARNINGS -Wstack-usage=1024 -Wframe-larger-than=1024)
elseif(CMAKE_C_COMPILER_ID MATCHES "Clang")
  set(OI_WARNINGS
    -Wall -Wextra -Wpedantic -Werror -Wconversion -Wsign-conversion -Wshadow-all
    -Wstrict-prototypes -Wmissing-prototypes -Wmissing-variable-declarations
    -Wold-style-definition -Wcast-qual -Wcast-align -Wwrite-strings -Wundef -Wswitch-enum
    -Wfloat-equal -Wdouble-promotion -Wvla -Wformat=2 -Wnull-dereference
    -Wimplicit-fallthrough -Wcomma -Wconditional-uninitialized -Wunreachable-code-aggressive
    -Wassign-enum -Wbad-function-cast -Wshorten-64-to-32 -Wextra-semi-stmt -Wnewline-eof
    -Wdocumentation -Wtautological-compare -Wloop-analysis)
  set(OI_CORE_WARNINGS -Wframe-larger-than=1024)
else()
  message(FATAL_ERROR "gcc or clang required, not ${CMAKE_C_COMPILER_ID}")
endif()

# The freestanding core: no hosted headers at all, so <stdio.h> or <stdlib.h> cannot even be
# included (style.md 4.6, gate 1).
execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=include
                OUTPUT_VARIABLE OI_CC_INCLUDE OUTPUT_STRIP_TRAILING_WHITESPACE)
if(CMAKE_C_COMPILER_ID MATCHES "Clang")
  execute_process(COMMAND ${CMAKE_C_COMPILER} -print-resource-dir
                  OUTPUT_VARIABLE OI_CC_RESOURCE OUTPUT_STRIP_TRAILING_WHITESPACE)
  set(OI_CC_INCLUDE "${OI_CC_RESOURCE}/include")
endif()
set(OI_FREESTANDING -ffreestanding -nostdinc -isystem ${OI_CC_INCLUDE})
