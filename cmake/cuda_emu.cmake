# CORTADO_CUDA=EMU: the GPU backend built by g++ against cuda_emu, the CPU emulator in
# test/support/cuda_emu/ (see its device.hpp), so that test_gpu runs the backend's own
# code where there is no GPU. Not for users: it is slow, and speed means nothing there.
set(_emu ${CMAKE_SOURCE_DIR}/test/support/cuda_emu)
set(_emu_src ${CMAKE_BINARY_DIR}/cuda_emu_src)
find_program(PERL_EXECUTABLE perl REQUIRED)

# Kernel sources are copied with their <<<launches>>> rewritten, headers under their
# own names (so that #include "cuda/layers/x.cuh" finds the copy first).
file(GLOB_RECURSE _emu_kernels CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/cuda/*.cu
     ${CMAKE_SOURCE_DIR}/cuda/*.cuh)
file(GLOB_RECURSE _emu_host CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/cuda/*.cpp)
set(_emu_generated)
foreach(f ${_emu_kernels})
  file(RELATIVE_PATH rel ${CMAKE_SOURCE_DIR} ${f})
  string(REGEX REPLACE "\\.cu$" ".cu.cpp" out ${_emu_src}/${rel})
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_emu_src}
    COMMAND ${PERL_EXECUTABLE} ${_emu}/launches.pl ${f} ${out}
    DEPENDS ${f} ${_emu}/launches.pl VERBATIM)
  list(APPEND _emu_generated ${out})
  get_filename_component(_dir ${out} DIRECTORY)
  file(MAKE_DIRECTORY ${_dir})
endforeach()

target_sources(core PRIVATE ${_emu_generated} ${_emu_host} ${_emu}/fibers.cpp
  ${_emu}/memory.cpp ${_emu}/runtime.cpp ${_emu}/errors.cpp ${_emu}/cublas.cpp ${_emu}/cudnn.cpp)
set_source_files_properties(${_emu_generated} ${_emu_host} PROPERTIES
  COMPILE_OPTIONS "-include;${_emu}/device.hpp" SKIP_PRECOMPILE_HEADERS ON)
target_include_directories(core BEFORE PUBLIC ${_emu}/include)
target_include_directories(core BEFORE PRIVATE ${_emu_src})
target_include_directories(core PUBLIC ${CMAKE_SOURCE_DIR})
target_compile_definitions(core PUBLIC CORTADO_WITH_CUDA CORTADO_WITH_CUDNN CORTADO_CUDA_EMU)
message(STATUS "CUDA backend: EMULATED on the CPU (test/support/cuda_emu; for tests only)")
