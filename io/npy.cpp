#include "io/npy.h"

#include <bit>
#include <charconv>
#include <cstring>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "io/atomic_file.h"
#include "kernels/common/error.h"

namespace mustfm {
namespace {

// NPY data in the supported dtypes is little-endian; reading it by memcpy needs a host that is.
static_assert(std::endian::native == std::endian::little, "NPY I/O assumes a little-endian host");

constexpr std::string_view kMagic = "\x93NUMPY";
// numpy pads headers so that the data starts on a multiple of this many bytes.
constexpr std::size_t kHeaderAlignment = 64;

struct NpyHeader {
  NpyDtype dtype = NpyDtype::float64;
  bool fortran_order = false;
  std::vector<std::size_t> shape;
  std::size_t data_offset = 0;
};

std::size_t item_size(NpyDtype dtype) {
  switch (dtype) {
    case NpyDtype::float64:
    case NpyDtype::int64:
      return 8;
    case NpyDtype::float32:
    case NpyDtype::int32:
      return 4;
    case NpyDtype::uint8:
      return 1;
  }
  MUSTFM_ASSERT(false, "unhandled NpyDtype");
}

std::optional<NpyDtype> dtype_from_descr(std::string_view descr) {
  for (NpyDtype dtype :
       {NpyDtype::float64, NpyDtype::float32, NpyDtype::int64, NpyDtype::int32, NpyDtype::uint8}) {
    if (descr == npy_descr(dtype)) return dtype;
  }
  return std::nullopt;
}

// Reads the header's Python dict literal, e.g.
//   {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
// Only the three keys numpy writes are allowed, as numpy itself requires.
class HeaderDictParser {
 public:
  HeaderDictParser(std::string_view text, std::string file) : text_(text), file_(std::move(file)) {}

  NpyHeader parse() {
    NpyHeader header;
    bool have_descr = false;
    bool have_order = false;
    bool have_shape = false;

    expect('{');
    while (true) {
      skip_spaces();
      if (peek() == '}') break;
      const std::string key = read_string();
      expect(':');
      skip_spaces();
      if (key == "descr") {
        if (peek() != '\'' && peek() != '"') {
          fail_dtype("a structured (record) dtype");
        }
        const std::string descr = read_string();
        const std::optional<NpyDtype> dtype = dtype_from_descr(descr);
        if (!dtype) fail_dtype("'" + descr + "'");
        header.dtype = *dtype;
        have_descr = true;
      } else if (key == "fortran_order") {
        header.fortran_order = read_bool();
        have_order = true;
      } else if (key == "shape") {
        header.shape = read_shape();
        have_shape = true;
      } else {
        fail(fmt::format("unexpected key '{}'", key));
      }
      skip_spaces();
      if (peek() == ',') {
        ++pos_;
      } else if (peek() != '}') {
        fail("expected ',' or '}' after a value");
      }
    }
    if (!have_descr || !have_order || !have_shape) {
      fail("the header needs the keys 'descr', 'fortran_order' and 'shape'");
    }
    return header;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    // The header is shown to help spot the problem, cut short in case the length was garbage.
    constexpr std::size_t kShown = 200;
    throw InputError(fmt::format("{}: bad NPY header ({}): {}{}", file_, what,
                                 text_.substr(0, kShown), text_.size() > kShown ? "..." : ""));
  }
  [[noreturn]] void fail_dtype(const std::string& what) const {
    throw InputError(
        fmt::format("{}: unsupported dtype {} (supported: <f8, <f4, <i8, <i4, |u1)", file_, what));
  }

  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_spaces() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n')) ++pos_;
  }
  void expect(char c) {
    skip_spaces();
    if (peek() != c) fail(fmt::format("expected '{}'", c));
    ++pos_;
  }

  std::string read_string() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a quoted string");
    const std::size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string value(text_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return value;
  }

  bool read_bool() {
    if (text_.substr(pos_).starts_with("True")) {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_).starts_with("False")) {
      pos_ += 5;
      return false;
    }
    fail("fortran_order must be True or False");
  }

  std::vector<std::size_t> read_shape() {
    std::vector<std::size_t> shape;
    expect('(');
    while (true) {
      skip_spaces();
      if (peek() == ')') break;
      std::size_t extent = 0;
      const char* begin = text_.data() + pos_;
      const std::from_chars_result result =
          std::from_chars(begin, text_.data() + text_.size(), extent);
      if (result.ec != std::errc() || result.ptr == begin) fail("shape must hold whole numbers");
      pos_ += static_cast<std::size_t>(result.ptr - begin);
      // Files written by Python 2 mark long integers: (3L, 4L).
      if (peek() == 'L') ++pos_;
      shape.push_back(extent);
      skip_spaces();
      if (peek() == ',') {
        ++pos_;
      } else if (peek() != ')') {
        fail("expected ',' or ')' in the shape");
      }
    }
    ++pos_;
    return shape;
  }

  std::string_view text_;
  std::string file_;
  std::size_t pos_ = 0;
};

NpyHeader parse_header(const std::string& bytes, const std::string& file) {
  if (bytes.size() < kMagic.size() + 2 || !std::string_view(bytes).starts_with(kMagic)) {
    throw InputError(fmt::format("{}: not an NPY file (bad magic bytes)", file));
  }
  const auto major = static_cast<unsigned char>(bytes[6]);
  const auto minor = static_cast<unsigned char>(bytes[7]);

  // Version 1.0 stores the header length in 2 bytes; 2.0 and 3.0 (UTF-8 header) use 4.
  std::size_t length_bytes = 0;
  if (major == 1) {
    length_bytes = 2;
  } else if (major == 2 || major == 3) {
    length_bytes = 4;
  } else {
    throw InputError(fmt::format("{}: unsupported NPY format version {}.{}", file, major, minor));
  }
  const std::size_t length_offset = kMagic.size() + 2;
  if (bytes.size() < length_offset + length_bytes) {
    throw InputError(fmt::format("{}: truncated NPY header", file));
  }
  std::size_t header_length = 0;
  for (std::size_t i = 0; i < length_bytes; ++i) {
    header_length |= std::size_t{static_cast<unsigned char>(bytes[length_offset + i])} << (8 * i);
  }
  const std::size_t header_offset = length_offset + length_bytes;
  if (bytes.size() - header_offset < header_length) {
    throw InputError(fmt::format("{}: truncated NPY header ({} bytes announced, {} present)", file,
                                 header_length, bytes.size() - header_offset));
  }

  NpyHeader header =
      HeaderDictParser(std::string_view(bytes).substr(header_offset, header_length), file).parse();
  header.data_offset = header_offset + header_length;
  if (header.shape.empty() || header.shape.size() > 2) {
    throw InputError(fmt::format("{}: shape {} has {} dimensions; only 1 or 2 are supported", file,
                                 format_shape(header.shape), header.shape.size()));
  }
  return header;
}

template <class Source, class Target>
void convert(const char* data,
             bool fortran_order,
             const std::vector<std::size_t>& shape,
             std::vector<Target>& out) {
  const std::size_t count = out.size();
  auto load = [data](std::size_t index) {
    Source value;
    std::memcpy(&value, data + index * sizeof(Source), sizeof(Source));
    return static_cast<Target>(value);
  };
  if (!fortran_order || shape.size() == 1) {
    for (std::size_t i = 0; i < count; ++i) out[i] = load(i);
    return;
  }
  // Fortran order stores column after column: element (i, j) sits at j * rows + i.
  const std::size_t rows = shape[0];
  const std::size_t columns = shape[1];
  for (std::size_t j = 0; j < columns; ++j) {
    for (std::size_t i = 0; i < rows; ++i) out[i * columns + j] = load(j * rows + i);
  }
}

bool is_floating(NpyDtype dtype) {
  return dtype == NpyDtype::float64 || dtype == NpyDtype::float32;
}

template <class T>
NpyData<T> read_npy_as(const std::filesystem::path& path) {
  const std::string file = path.string();
  const std::string bytes = read_file_bytes(path);
  const NpyHeader header = parse_header(bytes, file);
  // Checked before converting: a float file must never be silently truncated to integers.
  if (std::is_integral_v<T> && is_floating(header.dtype)) {
    throw InputError(fmt::format("{}: holds {}, expected an integer dtype (<i8, <i4, |u1)", file,
                                 npy_descr(header.dtype)));
  }

  std::size_t count = 1;
  for (std::size_t extent : header.shape) {
    if (extent != 0 && count > std::numeric_limits<std::size_t>::max() / extent) {
      throw InputError(fmt::format("{}: shape {} is too large", file, format_shape(header.shape)));
    }
    count *= extent;
  }
  const std::size_t expected_bytes = count * item_size(header.dtype);
  const std::size_t present_bytes = bytes.size() - header.data_offset;
  if (present_bytes != expected_bytes) {
    throw InputError(fmt::format(
        "{}: {} data: shape {} of {} needs {} bytes, the file has {}", file,
        present_bytes < expected_bytes ? "truncated" : "unexpected extra",
        format_shape(header.shape), npy_descr(header.dtype), expected_bytes, present_bytes));
  }

  NpyData<T> array;
  array.shape = header.shape;
  array.stored_dtype = header.dtype;
  array.values.resize(count);
  const char* data = bytes.data() + header.data_offset;
  switch (header.dtype) {
    case NpyDtype::float64:
      convert<double>(data, header.fortran_order, header.shape, array.values);
      break;
    case NpyDtype::float32:
      convert<float>(data, header.fortran_order, header.shape, array.values);
      break;
    case NpyDtype::int64:
      convert<std::int64_t>(data, header.fortran_order, header.shape, array.values);
      break;
    case NpyDtype::int32:
      convert<std::int32_t>(data, header.fortran_order, header.shape, array.values);
      break;
    case NpyDtype::uint8:
      convert<std::uint8_t>(data, header.fortran_order, header.shape, array.values);
      break;
  }
  return array;
}

template <class T>
void write_npy_as(const std::filesystem::path& path,
                  const T* data,
                  const std::vector<std::size_t>& shape,
                  NpyDtype dtype) {
  MUSTFM_EXPECTS(shape.size() == 1 || shape.size() == 2,
                 fmt::format("writing {}: shape {} must have 1 or 2 dimensions", path.string(),
                             format_shape(shape)));
  std::size_t count = 1;
  for (std::size_t extent : shape) count *= extent;
  MUSTFM_EXPECTS(data != nullptr || count == 0, fmt::format("writing {}: no data for shape {}",
                                                            path.string(), format_shape(shape)));

  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                                   npy_descr(dtype), format_shape(shape));
  // Version 1.0 stores the header length in 2 bytes; a longer header needs 2.0.
  const bool version_one = header.size() + 1 + kHeaderAlignment < 65536;
  const std::size_t preamble = kMagic.size() + 2 + (version_one ? 2 : 4);
  const std::size_t unpadded = preamble + header.size() + 1;
  header.append((kHeaderAlignment - unpadded % kHeaderAlignment) % kHeaderAlignment, ' ');
  header.push_back('\n');

  std::string prefix(kMagic);
  prefix.push_back(static_cast<char>(version_one ? 1 : 2));
  prefix.push_back(0);
  for (std::size_t i = 0; i < (version_one ? 2u : 4u); ++i) {
    prefix.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xFF));
  }

  AtomicFileWriter writer(path);
  writer.stream().write(prefix.data(), static_cast<std::streamsize>(prefix.size()));
  writer.stream().write(header.data(), static_cast<std::streamsize>(header.size()));
  if (count > 0) {
    writer.stream().write(reinterpret_cast<const char*>(data),
                          static_cast<std::streamsize>(count * sizeof(T)));
  }
  writer.commit();
}

}  // namespace

std::string_view npy_descr(NpyDtype dtype) {
  switch (dtype) {
    case NpyDtype::float64:
      return "<f8";
    case NpyDtype::float32:
      return "<f4";
    case NpyDtype::int64:
      return "<i8";
    case NpyDtype::int32:
      return "<i4";
    case NpyDtype::uint8:
      return "|u1";
  }
  MUSTFM_ASSERT(false, "unhandled NpyDtype");
}

NpyArray read_npy(const std::filesystem::path& path) {
  return read_npy_as<double>(path);
}

NpyData<float> read_npy_float32(const std::filesystem::path& path) {
  return read_npy_as<float>(path);
}

NpyData<std::int64_t> read_npy_int64(const std::filesystem::path& path) {
  return read_npy_as<std::int64_t>(path);
}

void write_npy(const std::filesystem::path& path,
               const double* data,
               std::vector<std::size_t> shape) {
  write_npy_as(path, data, shape, NpyDtype::float64);
}

void write_npy(const std::filesystem::path& path,
               const float* data,
               std::vector<std::size_t> shape) {
  write_npy_as(path, data, shape, NpyDtype::float32);
}

void write_npy(const std::filesystem::path& path,
               const std::int64_t* data,
               std::vector<std::size_t> shape) {
  write_npy_as(path, data, shape, NpyDtype::int64);
}

std::string format_shape(const std::vector<std::size_t>& shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

}  // namespace mustfm
