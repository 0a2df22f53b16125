# Caffe's HDF5 files (.caffemodel.h5, .solverstate.h5), compiled into `core` from
# libcore/hdf5/ when HDF5 (C and HL) is found (CORTADO_HDF5=AUTO) or demanded (ON).
# With it, CORTADO_WITH_HDF5 is defined for core and its users; without it,
# libcore/hdf5/hdf5_none.cpp makes every HDF5 path an Error saying this build has no
# HDF5 support. Included after `core` is defined (CMakeLists.txt keeps libcore/hdf5/
# out of CORE_SOURCES).
set_property(CACHE CORTADO_HDF5 PROPERTY STRINGS AUTO ON OFF)
if(NOT CORTADO_HDF5 MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "CORTADO_HDF5 must be AUTO, ON or OFF, not '${CORTADO_HDF5}'")
endif()
set(_hdf5_dir ${CMAKE_SOURCE_DIR}/libcore/hdf5)
if(NOT CORTADO_HDF5 STREQUAL "OFF")
  # FindHDF5 test-compiles a C file to interrogate its compiler wrapper.
  enable_language(C)
  find_package(HDF5 COMPONENTS C HL)
endif()
if(CORTADO_HDF5 STREQUAL "OFF" OR NOT HDF5_FOUND)
  if(CORTADO_HDF5 STREQUAL "ON")
    message(FATAL_ERROR "CORTADO_HDF5=ON, but HDF5 (C and HL) was not found (apt-get install libhdf5-dev)")
  endif()
  target_sources(core PRIVATE ${_hdf5_dir}/hdf5_none.cpp)
  message(STATUS "HDF5: off (CORTADO_HDF5=${CORTADO_HDF5}, or none found): .h5 files are refused")
  return()
endif()

file(GLOB _hdf5_sources CONFIGURE_DEPENDS ${_hdf5_dir}/*.cpp)
list(REMOVE_ITEM _hdf5_sources ${_hdf5_dir}/hdf5_none.cpp)
target_sources(core PRIVATE ${_hdf5_sources})
target_include_directories(core PUBLIC ${HDF5_INCLUDE_DIRS})
target_compile_definitions(core PUBLIC CORTADO_WITH_HDF5 ${HDF5_DEFINITIONS})
target_link_libraries(core PUBLIC ${HDF5_HL_LIBRARIES} ${HDF5_C_LIBRARIES})
message(STATUS "HDF5: on (${HDF5_VERSION}, ${HDF5_INCLUDE_DIRS})")
