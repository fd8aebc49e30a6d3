# ASan + UBSan for every target (style.md 4.12). Set before targets are defined.
if(OI_SANITIZE)
  set(OI_SAN_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all
                   -fno-omit-frame-pointer -g -O1)
  add_compile_options(${OI_SAN_FLAGS})
  add_link_options(-fsanitize=address,undefined)
endif()
if(OI_FUZZ AND NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "OI_FUZZ needs clang (libFuzzer)")
endif()
