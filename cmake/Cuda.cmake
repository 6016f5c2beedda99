# CUDA is optional: enabled when a CUDA compiler is found, otherwise the CPU backend alone is
# built. Architectures default to Ampere and Hopper; never "native", so CI without a GPU compiles
# exactly what a GPU machine runs.
set(MUSTFM_WITH_CUDA OFF)
if(MUSTFM_ENABLE_CUDA)
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 80 90)
    endif()
    enable_language(CUDA)
    # CMake 3.25 knows no CUDA 20 dialect for nvcc; headers shared with .cu files stay C++17.
    set(CMAKE_CUDA_STANDARD 17)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    find_package(CUDAToolkit REQUIRED)
    set(MUSTFM_WITH_CUDA ON)
    message(STATUS "mustfm: CUDA backend on (architectures ${CMAKE_CUDA_ARCHITECTURES})")
  else()
    message(STATUS "mustfm: no CUDA compiler found, building the CPU backend only")
  endif()
else()
  message(STATUS "mustfm: CUDA backend disabled by MUSTFM_ENABLE_CUDA=OFF")
endif()
