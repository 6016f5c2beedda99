# Every dependency comes from a Debian package; tools/setup installs the ones that are missing.
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(HDF5 REQUIRED COMPONENTS C)
find_package(Threads REQUIRED)

set(BLA_VENDOR OpenBLAS)
find_package(BLAS REQUIRED)

# LEMON ships a CMake config under /usr/lib/cmake or /usr/share; fall back to the header search.
find_path(LEMON_INCLUDE_DIR lemon/network_simplex.h REQUIRED)
find_library(LEMON_LIBRARY NAMES lemon REQUIRED)
add_library(mustfm_lemon INTERFACE)
target_include_directories(mustfm_lemon SYSTEM INTERFACE ${LEMON_INCLUDE_DIR})
target_link_libraries(mustfm_lemon INTERFACE ${LEMON_LIBRARY})

# Random123 is header-only.
find_path(RANDOM123_INCLUDE_DIR Random123/philox.h REQUIRED)
add_library(mustfm_random123 INTERFACE)
target_include_directories(mustfm_random123 SYSTEM INTERFACE ${RANDOM123_INCLUDE_DIR})

if(MUSTFM_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(MUSTFM_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED)
endif()
