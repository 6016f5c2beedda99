// NumPy .npy files: the format Python users load with numpy.load, for embeddings going in and
// large arrays coming out.
//
// Reading accepts format versions 1.0, 2.0 and 3.0, dtypes <f8, <f4, <i8, <i4 and |u1, C or
// Fortran order, 1 or 2 dimensions; values come back in C (row-major) order whatever the file's
// order. Writing produces version 1.0 (2.0 when the header needs it), C order, through
// AtomicFileWriter so that a half-written array never appears under the target name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace mustfm {

enum class NpyDtype { float64, float32, int64, int32, uint8 };

// The dtype text as written in NPY headers: "<f8", "<f4", "<i8", "<i4", "|u1".
std::string_view npy_descr(NpyDtype dtype);

template <class T>
struct NpyData {
  // One or two dimensions: (n,) or (rows, columns).
  std::vector<std::size_t> shape;
  // Row-major, shape[0] * shape[1] values (shape[0] for 1-D).
  std::vector<T> values;
  // What the file held, before conversion to T.
  NpyDtype stored_dtype = NpyDtype::float64;
};

using NpyArray = NpyData<double>;

// Any supported dtype, converted to double (exact except for int64 magnitudes above 2^53).
NpyArray read_npy(const std::filesystem::path& path);
// Any supported dtype, converted to float (rounds <f8 and large integers).
NpyData<float> read_npy_float32(const std::filesystem::path& path);
// Integer dtypes only (<i8, <i4, |u1), exact; a floating dtype is an InputError.
NpyData<std::int64_t> read_npy_int64(const std::filesystem::path& path);

// `data` holds the product of `shape` values in row-major order; shape has 1 or 2 dimensions.
// Failures to write throw RuntimeFailure naming the path.
void write_npy(const std::filesystem::path& path,
               const double* data,
               std::vector<std::size_t> shape);
void write_npy(const std::filesystem::path& path,
               const float* data,
               std::vector<std::size_t> shape);
void write_npy(const std::filesystem::path& path,
               const std::int64_t* data,
               std::vector<std::size_t> shape);

// Python's way of writing a shape, for messages and headers: "(3,)", "(3, 4)".
std::string format_shape(const std::vector<std::size_t>& shape);

}  // namespace mustfm
