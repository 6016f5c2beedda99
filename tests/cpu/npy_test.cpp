#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "io/npy.h"
#include "kernels/common/error.h"
#include "test_support.h"

namespace mustfm {
namespace {

using testing::throws_input_error;

using namespace std::string_view_literals;
using testing::TempDir;

std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream stream(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
}

// The little-endian bytes of `values` (the test hosts are little-endian, as NPY I/O requires).
template <class T>
std::string raw_bytes(std::initializer_list<T> values) {
  std::string bytes(values.size() * sizeof(T), '\0');
  std::memcpy(bytes.data(), std::data(values), bytes.size());
  return bytes;
}

// The bytes np.save writes (numpy 1.26): magic and version, the header length, the header dict
// padded with spaces so that the data starts at byte 128, a newline, then the data. The header
// lengths below are numpy's, not recomputed here: 0x76 = 118 for version 1.0 (2-byte length),
// 0x74 = 116 for versions 2.0 and 3.0 (4-byte length).
std::string numpy_file(std::string_view preamble,
                       std::string_view dict,
                       std::size_t spaces,
                       const std::string& data) {
  std::string bytes(preamble);
  bytes += dict;
  bytes.append(spaces, ' ');
  bytes += '\n';
  EXPECT_EQ(bytes.size(), 128u) << "fixture header is not numpy's";
  return bytes + data;
}

constexpr std::string_view kVersion1 = "\x93NUMPY\x01\x00\x76\x00"sv;
constexpr std::string_view kVersion2 = "\x93NUMPY\x02\x00\x74\x00\x00\x00"sv;
constexpr std::string_view kVersion3 = "\x93NUMPY\x03\x00\x74\x00\x00\x00"sv;

TEST(NpyRoundTrip, Float64TwoAndOneDimensions) {
  TempDir dir;
  const std::vector<double> values = {0.1, -2.5, 1e300, -0.0, 4.9e-324, 7.0};
  write_npy(dir.path() / "a.npy", values.data(), {2, 3});
  const NpyArray matrix = read_npy(dir.path() / "a.npy");
  EXPECT_EQ(matrix.shape, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(matrix.stored_dtype, NpyDtype::float64);
  EXPECT_EQ(matrix.values, values);

  write_npy(dir.path() / "b.npy", values.data(), {6});
  const NpyArray vector = read_npy(dir.path() / "b.npy");
  EXPECT_EQ(vector.shape, (std::vector<std::size_t>{6}));
  EXPECT_EQ(vector.values, values);
}

TEST(NpyRoundTrip, Float32) {
  TempDir dir;
  const std::vector<float> values = {0.1f, -2.5f, 3e38f, 1e-45f};
  write_npy(dir.path() / "a.npy", values.data(), {4, 1});
  const NpyData<float> read = read_npy_float32(dir.path() / "a.npy");
  EXPECT_EQ(read.shape, (std::vector<std::size_t>{4, 1}));
  EXPECT_EQ(read.stored_dtype, NpyDtype::float32);
  EXPECT_EQ(read.values, values);
  const NpyArray widened = read_npy(dir.path() / "a.npy");
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(widened.values[i], static_cast<double>(values[i])) << i;
  }
}

TEST(NpyRoundTrip, Int64KeepsLargeValuesExact) {
  TempDir dir;
  const std::vector<std::int64_t> values = {std::numeric_limits<std::int64_t>::min(), -1, 0,
                                            (std::int64_t{1} << 53) + 1};
  write_npy(dir.path() / "a.npy", values.data(), {2, 2});
  const NpyData<std::int64_t> read = read_npy_int64(dir.path() / "a.npy");
  EXPECT_EQ(read.shape, (std::vector<std::size_t>{2, 2}));
  EXPECT_EQ(read.stored_dtype, NpyDtype::int64);
  EXPECT_EQ(read.values, values);
}

TEST(NpyRoundTrip, EmptyArray) {
  TempDir dir;
  write_npy(dir.path() / "a.npy", static_cast<const double*>(nullptr), {0, 3});
  const NpyArray read = read_npy(dir.path() / "a.npy");
  EXPECT_EQ(read.shape, (std::vector<std::size_t>{0, 3}));
  EXPECT_TRUE(read.values.empty());
}

TEST(NpyWriter, HeaderIsWhatNumpyWrites) {
  TempDir dir;
  const std::vector<double> values(6, 1.0);
  const auto path = dir.path() / "a.npy";
  write_npy(path, values.data(), {2, 3});
  const std::string bytes = file_bytes(path);

  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(bytes.substr(0, 8), "\x93NUMPY\x01\x00"sv);
  const std::size_t header_length =
      static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  const std::size_t data_offset = 10 + header_length;
  EXPECT_EQ(data_offset % 64, 0u);
  EXPECT_EQ(bytes.size(), data_offset + 6 * sizeof(double));
  const std::string header = bytes.substr(10, header_length);
  EXPECT_EQ(header.rfind("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", 0), 0u)
      << header;
  EXPECT_EQ(header.back(), '\n');
}

TEST(NpyWriter, LeavesOnlyTheTarget) {
  TempDir dir;
  const std::vector<float> values = {1.0f};
  write_npy(dir.path() / "a.npy", values.data(), {1});
  write_npy(dir.path() / "a.npy", values.data(), {1, 1});
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);
  EXPECT_EQ(read_npy(dir.path() / "a.npy").shape, (std::vector<std::size_t>{1, 1}));
}

TEST(NpyWriter, RejectsShapesOtherThanOneOrTwoDimensions) {
  TempDir dir;
  const std::vector<double> values(8, 0.0);
  EXPECT_THROW(write_npy(dir.path() / "a.npy", values.data(), {2, 2, 2}), InputError);
  EXPECT_THROW(write_npy(dir.path() / "a.npy", values.data(), {}), InputError);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "a.npy"));
}

TEST(NpyWriter, MissingFolderIsARuntimeFailure) {
  TempDir dir;
  const std::vector<double> values(1, 0.0);
  EXPECT_THROW(write_npy(dir.path() / "missing" / "a.npy", values.data(), {1}), RuntimeFailure);
}

TEST(NpyReader, NumpyFloat64COrder) {
  TempDir dir;
  const auto path = dir.write(
      "f8.npy", numpy_file(kVersion1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
                           58, raw_bytes<double>({0.0, 1.0, 2.0, 3.0, 4.0, 5.0})));
  const NpyArray array = read_npy(path);
  EXPECT_EQ(array.shape, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(array.values, (std::vector<double>{0.0, 1.0, 2.0, 3.0, 4.0, 5.0}));
}

TEST(NpyReader, NumpyFloat32FortranOrderComesBackRowMajor) {
  TempDir dir;
  // np.asfortranarray(np.arange(6, dtype='<f4').reshape(2, 3)): stored column after column.
  const auto path = dir.write(
      "f4.npy", numpy_file(kVersion1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
                           59, raw_bytes<float>({0.0f, 3.0f, 1.0f, 4.0f, 2.0f, 5.0f})));
  const NpyArray array = read_npy(path);
  EXPECT_EQ(array.shape, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(array.stored_dtype, NpyDtype::float32);
  EXPECT_EQ(array.values, (std::vector<double>{0.0, 1.0, 2.0, 3.0, 4.0, 5.0}));
}

TEST(NpyReader, NumpyIntegerDtypes) {
  TempDir dir;
  const auto i8 = dir.write(
      "i8.npy", numpy_file(kVersion1, "{'descr': '<i8', 'fortran_order': False, 'shape': (4,), }",
                           60, raw_bytes<std::int64_t>({-1, 0, 1, std::int64_t{1} << 40})));
  EXPECT_EQ(read_npy_int64(i8).values,
            (std::vector<std::int64_t>{-1, 0, 1, std::int64_t{1} << 40}));

  const auto i4 = dir.write(
      "i4.npy", numpy_file(kVersion1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }",
                           58, raw_bytes<std::int32_t>({-7, 2147483647, 3, 4})));
  const NpyArray from_i4 = read_npy(i4);
  EXPECT_EQ(from_i4.stored_dtype, NpyDtype::int32);
  EXPECT_EQ(from_i4.values, (std::vector<double>{-7.0, 2147483647.0, 3.0, 4.0}));

  const auto u1 = dir.write(
      "u1.npy", numpy_file(kVersion1, "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }",
                           60, raw_bytes<std::uint8_t>({0, 7, 255})));
  EXPECT_EQ(read_npy_int64(u1).values, (std::vector<std::int64_t>{0, 7, 255}));
}

TEST(NpyReader, NumpyFormatVersionsTwoAndThree) {
  TempDir dir;
  for (std::string_view preamble : {kVersion2, kVersion3}) {
    const auto path = dir.write(
        "v.npy", numpy_file(preamble, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
                            56, raw_bytes<double>({6.0, 5.0, 4.0, 3.0, 2.0, 1.0})));
    const NpyArray array = read_npy(path);
    EXPECT_EQ(array.shape, (std::vector<std::size_t>{2, 3}));
    EXPECT_EQ(array.values, (std::vector<double>{6.0, 5.0, 4.0, 3.0, 2.0, 1.0}));
  }
}

TEST(NpyReader, Python2LongIntegersInTheShape) {
  TempDir dir;
  std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1L, 2L), }";
  header.append(128 - 10 - header.size() - 1, ' ');
  header += '\n';
  const std::string bytes =
      std::string("\x93NUMPY\x01\x00\x76\x00"sv) + header + raw_bytes<double>({1.5, 2.5});
  const NpyArray array = read_npy(dir.write("py2.npy", bytes));
  EXPECT_EQ(array.shape, (std::vector<std::size_t>{1, 2}));
  EXPECT_EQ(array.values, (std::vector<double>{1.5, 2.5}));
}

// A valid file with a replaced header dict, for the error tests below.
std::string file_with_dict(std::string_view dict, const std::string& data) {
  std::string header(dict);
  header.append(128 - 10 - header.size() - 1, ' ');
  header += '\n';
  return std::string(kVersion1) + header + data;
}

TEST(NpyReaderErrors, BadMagic) {
  TempDir dir;
  const auto path = dir.write("bad.npy", "PK\x03\x04 this is a zip file, not an array");
  EXPECT_TRUE(throws_input_error([&] { read_npy(path); }, {"bad.npy", "magic"}));
  const auto tiny = dir.write("tiny.npy", "\x93NU");
  EXPECT_TRUE(throws_input_error([&] { read_npy(tiny); }, {"tiny.npy", "magic"}));
}

TEST(NpyReaderErrors, UnsupportedVersion) {
  TempDir dir;
  const auto path = dir.write("v4.npy", std::string("\x93NUMPY\x04\x00\x76\x00"sv));
  EXPECT_TRUE(throws_input_error([&] { read_npy(path); }, {"v4.npy", "version 4.0"}));
}

TEST(NpyReaderErrors, UnsupportedDtype) {
  TempDir dir;
  for (std::string_view descr : {"'>f8'", "'<c16'", "'|b1'", "'<f2'"}) {
    const std::string dict =
        "{'descr': " + std::string(descr) + ", 'fortran_order': False, 'shape': (1,), }";
    const auto path = dir.write("dtype.npy", file_with_dict(dict, std::string(16, '\0')));
    EXPECT_TRUE(
        throws_input_error([&] { read_npy(path); }, {"dtype.npy", "unsupported dtype", descr}));
  }
  const auto structured =
      dir.write("record.npy",
                file_with_dict("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }",
                               std::string(8, '\0')));
  EXPECT_TRUE(throws_input_error([&] { read_npy(structured); },
                                 {"record.npy", "unsupported dtype", "structured"}));
}

TEST(NpyReaderErrors, TruncatedOrOversizedData) {
  TempDir dir;
  const std::string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";
  const std::string full = file_with_dict(dict, std::string(48, '\0'));
  const auto truncated = dir.write("cut.npy", full.substr(0, full.size() - 3));
  EXPECT_TRUE(throws_input_error([&] { read_npy(truncated); },
                                 {"cut.npy", "truncated", "(2, 3)", "48 bytes", "45"}));
  const auto header_cut = dir.write("head.npy", full.substr(0, 40));
  EXPECT_TRUE(throws_input_error([&] { read_npy(header_cut); }, {"head.npy", "truncated"}));
  const auto oversized = dir.write("long.npy", full + "xx");
  EXPECT_TRUE(throws_input_error([&] { read_npy(oversized); }, {"long.npy", "extra", "50"}));
}

TEST(NpyReaderErrors, ShapesOtherThanOneOrTwoDimensions) {
  TempDir dir;
  const auto cube = dir.write(
      "cube.npy", file_with_dict("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1), }",
                                 std::string(8, '\0')));
  EXPECT_TRUE(throws_input_error([&] { read_npy(cube); }, {"cube.npy", "3 dimensions"}));
  const auto scalar = dir.write(
      "scalar.npy", file_with_dict("{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
                                   std::string(8, '\0')));
  EXPECT_TRUE(throws_input_error([&] { read_npy(scalar); }, {"scalar.npy", "0 dimensions"}));
}

TEST(NpyReaderErrors, MalformedHeader) {
  TempDir dir;
  for (std::string_view dict :
       {"{'descr': '<f8', 'fortran_order': False}",
        "{'descr': '<f8', 'fortran_order': Maybe, 'shape': (1,), }",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (a,), }",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1}", "['descr', '<f8']"}) {
    const auto path = dir.write("header.npy", file_with_dict(dict, std::string(8, '\0')));
    EXPECT_TRUE(throws_input_error([&] { read_npy(path); }, {"header.npy", "bad NPY header"}))
        << dict;
  }
}

TEST(NpyReaderErrors, FloatFileReadAsIntegers) {
  TempDir dir;
  const std::vector<double> values = {1.5};
  write_npy(dir.path() / "f.npy", values.data(), {1});
  EXPECT_TRUE(throws_input_error([&] { read_npy_int64(dir.path() / "f.npy"); },
                                 {"f.npy", "<f8", "integer dtype"}));
}

TEST(NpyReaderErrors, MissingFile) {
  TempDir dir;
  EXPECT_TRUE(throws_input_error([&] { read_npy(dir.path() / "absent.npy"); },
                                 {"absent.npy", "does not exist"}));
}

}  // namespace
}  // namespace mustfm
