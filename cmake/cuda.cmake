# The GPU backend, cuda/ (mirroring libcore/), compiled into `core` when nvcc is
# found (CORTADO_CUDA=AUTO) or demanded (ON). Included after `core` is defined.
# With it: CORTADO_WITH_CUDA is defined for core and its users, cudart and cuBLAS
# are linked, and cuDNN too when found (then CORTADO_WITH_CUDNN is defined).
set_property(CACHE CORTADO_CUDA PROPERTY STRINGS AUTO ON OFF EMU)
if(NOT CORTADO_CUDA MATCHES "^(AUTO|ON|OFF|EMU)$")
  message(FATAL_ERROR "CORTADO_CUDA must be AUTO, ON, OFF or EMU, not '${CORTADO_CUDA}'")
endif()
if(CORTADO_CUDA STREQUAL "EMU")
  include(cmake/cuda_emu.cmake)
  return()
endif()
if(CORTADO_CUDA STREQUAL "OFF")
  message(STATUS "CUDA backend: off (CORTADO_CUDA=OFF)")
  return()
endif()

file(GLOB_RECURSE CUDA_SOURCES CONFIGURE_DEPENDS
     ${CMAKE_SOURCE_DIR}/cuda/*.cu ${CMAKE_SOURCE_DIR}/cuda/*.cpp)

# nvcc is rarely on PATH: look where NVIDIA's installers put it.
if(NOT DEFINED CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX}
   AND EXISTS /usr/local/cuda/bin/nvcc)
  set(ENV{CUDACXX} /usr/local/cuda/bin/nvcc)
endif()
include(CheckLanguage)
check_language(CUDA)
if(NOT CMAKE_CUDA_COMPILER OR NOT CUDA_SOURCES)
  if(CORTADO_CUDA STREQUAL "ON")
    message(FATAL_ERROR "CORTADO_CUDA=ON, but no working nvcc (set CUDACXX) or no cuda/ sources")
  endif()
  message(STATUS "CUDA backend: off (no nvcc found, or no cuda/ sources)")
  return()
endif()

# sm_90 machine code (H100/H200) plus compute_90 PTX that newer cards JIT-compile.
# Must be known before enable_language, whose default architecture CUDA 13 refuses.
set(CMAKE_CUDA_ARCHITECTURES "90-real;90-virtual" CACHE STRING "GPU architectures to build for")
# One CUDA runtime in the process: the shared libcudart that CUDA::cudart names.
set(CMAKE_CUDA_RUNTIME_LIBRARY Shared)
enable_language(CUDA)
find_package(CUDAToolkit REQUIRED)

target_sources(core PRIVATE ${CUDA_SOURCES})
# `core` existed before CUDA was enabled, so its CUDA properties are set here.
set_target_properties(core PROPERTIES
  CUDA_ARCHITECTURES "${CMAKE_CUDA_ARCHITECTURES}"
  CUDA_STANDARD 17 CUDA_STANDARD_REQUIRED ON
  CUDA_RUNTIME_LIBRARY Shared)
# The precompiled header and the host -march flags are for g++, not nvcc.
set(_cu_sources ${CUDA_SOURCES})
list(FILTER _cu_sources INCLUDE REGEX "\\.cu$")
set_source_files_properties(${_cu_sources} PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
get_target_property(_core_opts core COMPILE_OPTIONS)
if(_core_opts)
  set(_guarded)
  foreach(opt IN LISTS _core_opts)
    list(APPEND _guarded "$<$<COMPILE_LANGUAGE:CXX>:${opt}>")
  endforeach()
  set_property(TARGET core PROPERTY COMPILE_OPTIONS ${_guarded})
endif()

# cuda/ headers are included as "cuda/layers/relu.hpp", from the repository root.
target_include_directories(core PUBLIC ${CMAKE_SOURCE_DIR})
target_compile_definitions(core PUBLIC CORTADO_WITH_CUDA)
target_link_libraries(core PUBLIC CUDA::cudart CUDA::cublas)

# cuDNN: NVIDIA's tarball or package puts it beside CUDA or in the system; pip's
# nvidia-cudnn wheel has no libcudnn.so link, hence libcudnn.so.9 (give CUDNN_ROOT).
set(CUDNN_ROOT "" CACHE PATH "where cuDNN is installed (include/cudnn.h, lib/libcudnn.so)")
find_path(CUDNN_INCLUDE_DIR cudnn.h
  HINTS ${CUDNN_ROOT} ${CUDAToolkit_INCLUDE_DIRS} PATH_SUFFIXES include)
find_library(CUDNN_LIBRARY NAMES cudnn libcudnn.so.9
  HINTS ${CUDNN_ROOT} ${CUDAToolkit_LIBRARY_DIR} PATH_SUFFIXES lib lib64)
if(CUDNN_INCLUDE_DIR AND CUDNN_LIBRARY)
  target_include_directories(core PUBLIC ${CUDNN_INCLUDE_DIR})
  target_link_libraries(core PUBLIC ${CUDNN_LIBRARY})
  target_compile_definitions(core PUBLIC CORTADO_WITH_CUDNN)
  set(_cudnn_status "cuDNN ${CUDNN_LIBRARY}")
else()
  set(_cudnn_status "NO cuDNN (none found; set CUDNN_ROOT): building without it")
endif()
message(STATUS "CUDA backend: on (nvcc ${CMAKE_CUDA_COMPILER_VERSION}, "
               "archs ${CMAKE_CUDA_ARCHITECTURES}, ${_cudnn_status})")
