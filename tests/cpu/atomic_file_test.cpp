#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "io/atomic_file.h"
#include "kernels/common/error.h"
#include "test_support.h"

namespace mustfm {
namespace {

using testing::TempDir;

std::string file_text(const std::filesystem::path& path) {
  std::ifstream stream(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
}

std::size_t entries_in(const std::filesystem::path& folder) {
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(folder),
                                                std::filesystem::directory_iterator()));
}

TEST(AtomicFileWriter, TargetChangesOnlyAtCommit) {
  TempDir dir;
  const std::filesystem::path target = dir.write("out.txt", "old");
  {
    AtomicFileWriter writer(target);
    EXPECT_EQ(writer.temporary().parent_path(), target.parent_path());
    EXPECT_NE(writer.temporary(), target);
    writer.stream() << "new contents";
    writer.stream().flush();
    EXPECT_EQ(file_text(target), "old");
    EXPECT_TRUE(std::filesystem::exists(writer.temporary()));
    writer.commit();
    EXPECT_FALSE(std::filesystem::exists(writer.temporary()));
  }
  EXPECT_EQ(file_text(target), "new contents");
  EXPECT_EQ(entries_in(dir.path()), 1u);
}

TEST(AtomicFileWriter, CreatesAMissingTarget) {
  TempDir dir;
  const std::filesystem::path target = dir.path() / "fresh.bin";
  AtomicFileWriter writer(target);
  writer.stream().write("a\0b\n", 4);
  writer.commit();
  EXPECT_EQ(file_text(target), std::string("a\0b\n", 4));
}

TEST(AtomicFileWriter, WithoutCommitTheTemporaryGoesAndTheTargetStays) {
  TempDir dir;
  const std::filesystem::path target = dir.write("out.txt", "old");
  std::filesystem::path temporary;
  try {
    AtomicFileWriter writer(target);
    temporary = writer.temporary();
    writer.stream() << "half written";
    throw std::runtime_error("failure while writing");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(temporary.empty());
  EXPECT_FALSE(std::filesystem::exists(temporary));
  EXPECT_EQ(file_text(target), "old");
  EXPECT_EQ(entries_in(dir.path()), 1u);
}

TEST(AtomicFileWriter, WritersOfOneTargetUseDistinctTemporaries) {
  TempDir dir;
  const std::filesystem::path target = dir.path() / "out.txt";
  AtomicFileWriter first(target);
  AtomicFileWriter second(target);
  EXPECT_NE(first.temporary(), second.temporary());
  first.stream() << "first";
  second.stream() << "second";
  first.commit();
  second.commit();
  EXPECT_EQ(file_text(target), "second");
  EXPECT_EQ(entries_in(dir.path()), 1u);
}

TEST(AtomicFileWriter, MissingFolderIsARuntimeFailureNamingThePath) {
  TempDir dir;
  const std::filesystem::path target = dir.path() / "no-such-folder" / "out.txt";
  try {
    AtomicFileWriter writer(target);
    FAIL() << "expected RuntimeFailure";
  } catch (const RuntimeFailure& error) {
    EXPECT_NE(std::string(error.what()).find(target.string()), std::string::npos) << error.what();
  }
}

TEST(AtomicFileWriter, FailedRenameIsARuntimeFailureAndLeavesNoTemporary) {
  TempDir dir;
  // A non-empty folder cannot be replaced by a file.
  const std::filesystem::path target = dir.path() / "occupied";
  std::filesystem::create_directory(target);
  dir.write("occupied/inside.txt", "x");
  {
    AtomicFileWriter writer(target);
    writer.stream() << "data";
    try {
      writer.commit();
      FAIL() << "expected RuntimeFailure";
    } catch (const RuntimeFailure& error) {
      EXPECT_NE(std::string(error.what()).find(target.string()), std::string::npos) << error.what();
    }
  }
  EXPECT_EQ(entries_in(dir.path()), 1u);
  EXPECT_TRUE(std::filesystem::is_directory(target));
}

TEST(WriteTextFileAtomic, WritesAndReplaces) {
  TempDir dir;
  const std::filesystem::path target = dir.path() / "job.json";
  write_text_file_atomic(target, "{\"a\": 1}\n");
  EXPECT_EQ(file_text(target), "{\"a\": 1}\n");
  write_text_file_atomic(target, "");
  EXPECT_EQ(file_text(target), "");
  EXPECT_EQ(entries_in(dir.path()), 1u);
}

TEST(ReadFileBytes, ReturnsEveryByte) {
  TempDir dir;
  std::string bytes(200000, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 % 256);
  const std::filesystem::path path = dir.write("data.bin", bytes);
  EXPECT_EQ(read_file_bytes(path), bytes);
  EXPECT_EQ(read_file_bytes(dir.write("empty.bin", "")), "");
}

TEST(ReadFileBytes, MissingFileOrFolderIsAnInputErrorNamingThePath) {
  TempDir dir;
  const std::filesystem::path missing = dir.path() / "absent.csv";
  try {
    read_file_bytes(missing);
    FAIL() << "expected InputError";
  } catch (const InputError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(missing.string()), std::string::npos) << message;
    EXPECT_NE(message.find("does not exist"), std::string::npos) << message;
  }
  try {
    read_file_bytes(dir.path());
    FAIL() << "expected InputError";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("folder"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace mustfm
