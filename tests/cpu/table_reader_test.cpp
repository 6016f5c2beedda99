#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "io/npy.h"
#include "io/table_reader.h"
#include "kernels/common/error.h"
#include "test_support.h"

namespace mustfm {
namespace {

using testing::throws_input_error;

using testing::TempDir;

CellTable read_text(const std::string& text, const TableColumns& columns = {}) {
  TempDir dir;
  return read_cell_table_csv(dir.write("cells.csv", text), columns);
}

// Passes when reading `text` as cells.csv fails with a message holding every piece.
::testing::AssertionResult rejects(const std::string& text,
                                   std::initializer_list<std::string_view> pieces,
                                   const TableColumns& columns = {}) {
  return throws_input_error([&] { read_text(text, columns); }, pieces);
}

void expect_same_cells(const CellTable& expected, const CellTable& actual) {
  EXPECT_EQ(expected.cell_count, actual.cell_count);
  EXPECT_EQ(expected.dimension, actual.dimension);
  EXPECT_EQ(expected.feature_names, actual.feature_names);
  EXPECT_EQ(expected.level_names, actual.level_names);
  EXPECT_EQ(expected.prior_names, actual.prior_names);
  EXPECT_EQ(expected.time, actual.time);
  EXPECT_EQ(expected.features, actual.features);
  EXPECT_EQ(expected.levels, actual.levels);
  EXPECT_EQ(expected.priors, actual.priors);
  EXPECT_EQ(expected.weight, actual.weight);
  EXPECT_EQ(expected.line, actual.line);
}

const char* const kFullTable =
    "samples,x1,x2,scale0,scale1,prior0,prior1,cell_weight\n"
    "0,1.5,2.5,A,a1,P,p1,2\n"
    "1,-1,0, B ,b1,Q,q1,0.5\n";

TEST(ReadCellTableCsv, FillsEveryField) {
  const CellTable cells = read_text(kFullTable);
  EXPECT_NE(cells.source.find("cells.csv"), std::string::npos);
  EXPECT_EQ(cells.cell_count, 2u);
  EXPECT_EQ(cells.dimension, 2u);
  EXPECT_EQ(cells.feature_names, (std::vector<std::string>{"x1", "x2"}));
  EXPECT_EQ(cells.level_names, (std::vector<std::string>{"scale0", "scale1"}));
  EXPECT_EQ(cells.prior_names, (std::vector<std::string>{"prior0", "prior1"}));
  EXPECT_EQ(cells.time, (std::vector<double>{0.0, 1.0}));
  EXPECT_EQ(cells.features, (std::vector<double>{1.5, 2.5, -1.0, 0.0}));
  EXPECT_EQ(cells.levels, (std::vector<std::vector<std::string>>{{"A", "B"}, {"a1", "b1"}}));
  EXPECT_EQ(cells.priors, (std::vector<std::vector<std::string>>{{"P", "Q"}, {"p1", "q1"}}));
  EXPECT_EQ(cells.weight, (std::vector<double>{2.0, 0.5}));
  EXPECT_EQ(cells.line, (std::vector<std::size_t>{2, 3}));
}

TEST(ReadCellTableCsv, WithoutOptionalColumnsWeightsAreOneAndThereAreNoLevels) {
  const CellTable cells = read_text("samples,x1\n0,1\n0,2\n1,3\n");
  EXPECT_EQ(cells.weight, (std::vector<double>{1.0, 1.0, 1.0}));
  EXPECT_TRUE(cells.levels.empty());
  EXPECT_TRUE(cells.level_names.empty());
  EXPECT_TRUE(cells.priors.empty());
  EXPECT_TRUE(cells.prior_names.empty());
}

TEST(ReadCellTableCsv, ColumnOrderDoesNotMatter) {
  const CellTable expected = read_text(kFullTable);
  const CellTable shuffled = read_text(
      "cell_weight,prior1,scale1,x2,unused,samples,prior0,x1,scale0\n"
      "2,p1,a1,2.5,zz,0,P,1.5,A\n"
      "0.5,q1,b1,0,zz,1,Q,-1,B\n");
  expect_same_cells(expected, shuffled);
}

TEST(ReadCellTableCsv, CrlfAndLfGiveIdenticalTables) {
  std::string crlf;
  for (char c : std::string(kFullTable)) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  expect_same_cells(read_text(kFullTable), read_text(crlf));
}

TEST(ReadCellTableCsv, QuotedFieldsAndByteOrderMark) {
  const CellTable cells = read_text(
      "\xEF\xBB\xBF\"samples\",x1,scale0\r\n"
      "0,\"1.25\",\"type, early\"\r\n"
      "1,2,\"say \"\"late\"\"\"\r\n");
  EXPECT_EQ(cells.time, (std::vector<double>{0.0, 1.0}));
  EXPECT_EQ(cells.features, (std::vector<double>{1.25, 2.0}));
  EXPECT_EQ(cells.levels[0], (std::vector<std::string>{"type, early", "say \"late\""}));
}

TEST(ReadCellTableCsv, FeatureColumnsFollowTheirNumbersNotTheirPlaces) {
  std::string header = "samples";
  std::string row = "0";
  for (int k : {10, 2, 1, 12, 3, 4, 5, 6, 7, 8, 9, 11}) {
    header += ",x" + std::to_string(k);
    row += "," + std::to_string(k * 10);
  }
  const CellTable cells = read_text(header + "\n" + row + "\n");
  ASSERT_EQ(cells.dimension, 12u);
  for (std::size_t k = 0; k < 12; ++k) {
    EXPECT_EQ(cells.feature_names[k], "x" + std::to_string(k + 1));
    EXPECT_EQ(cells.features[k], 10.0 * static_cast<double>(k + 1));
  }
}

TEST(ReadCellTableCsv, ExplicitColumnListsOverridePrefixes) {
  TableColumns columns;
  columns.time_column = "day";
  columns.feature_columns = {"pc2", "pc1"};
  columns.level_columns = {"lineage", "type"};
  columns.weight_column = "w";
  const CellTable cells = read_text(
      "type,pc1,x1,day,pc2,lineage,w,scale0\n"
      "t1,1,99,3,2,L,4,s\n",
      columns);
  EXPECT_EQ(cells.feature_names, (std::vector<std::string>{"pc2", "pc1"}));
  EXPECT_EQ(cells.features, (std::vector<double>{2.0, 1.0}));
  EXPECT_EQ(cells.level_names, (std::vector<std::string>{"lineage", "type"}));
  EXPECT_EQ(cells.levels, (std::vector<std::vector<std::string>>{{"L"}, {"t1"}}));
  EXPECT_EQ(cells.time, (std::vector<double>{3.0}));
  EXPECT_EQ(cells.weight, (std::vector<double>{4.0}));
}

TEST(ReadCellTableCsv, ZeroWeightIsAllowed) {
  EXPECT_EQ(read_text("samples,x1,cell_weight\n0,1,0\n").weight, (std::vector<double>{0.0}));
}

TEST(ReadCellTableCsvErrors, MissingFile) {
  TempDir dir;
  EXPECT_TRUE(
      throws_input_error([&] { read_cell_table_csv(dir.path() / "absent.csv", TableColumns{}); },
                         {"absent.csv", "does not exist"}));
}

TEST(ReadCellTableCsvErrors, EmptyFile) {
  EXPECT_TRUE(rejects("", {"cells.csv", "empty"}));
  EXPECT_TRUE(rejects("\r\n\r\n", {"cells.csv", "empty"}));
}

TEST(ReadCellTableCsvErrors, NoDataRows) {
  EXPECT_TRUE(rejects("samples,x1\r\n", {"cells.csv", "no data rows"}));
}

TEST(ReadCellTableCsvErrors, MissingTimeColumnListsTheColumnsFound) {
  EXPECT_TRUE(rejects("t,x1,scale0\n0,1,a\n",
                      {"cells.csv", "line 1", "'samples'", "columns found: t, x1, scale0"}));
}

TEST(ReadCellTableCsvErrors, NonNumericTime) {
  EXPECT_TRUE(rejects("samples,x1\n0,1\nday3,2\n", {"cells.csv", "line 3", "'samples'", "'day3'"}));
}

TEST(ReadCellTableCsvErrors, NonFiniteTime) {
  for (const char* text : {"nan", "inf", "-Infinity", "1e999"}) {
    EXPECT_TRUE(rejects(std::string("samples,x1\n0,1\n") + text + ",2\n",
                        {"cells.csv", "line 3", "'samples'", "finite", text}));
  }
}

TEST(ReadCellTableCsvErrors, NonFiniteCoordinate) {
  for (const char* text : {"NaN", "nan", "inf", "-inf", "Infinity", "1e999", "-1e999"}) {
    EXPECT_TRUE(rejects(std::string("samples,x1,x2\n0,1,2\n0,3,") + text + "\n",
                        {"cells.csv", "line 3", "'x2'", "finite", text}));
  }
}

TEST(ReadCellTableCsvErrors, NonNumericCoordinate) {
  for (const char* text : {"abc", "", "1.5.2", "1,5"}) {
    EXPECT_TRUE(rejects(std::string("samples,x1,x2\r\n0,\"") + text + "\",2\r\n",
                        {"cells.csv", "line 2", "'x1'", "expected a number"}));
  }
}

TEST(ReadCellTableCsvErrors, InconsistentRowLength) {
  EXPECT_TRUE(
      rejects("samples,x1,x2\n0,1,2\n0,1\n", {"cells.csv", "line 3", "expected 3", "found 2"}));
}

TEST(ReadCellTableCsvErrors, NoFeatureColumns) {
  EXPECT_TRUE(rejects("samples,scale0,y1\n0,a,1\n",
                      {"cells.csv", "line 1", "no feature columns", "columns found"}));
}

TEST(ReadCellTableCsvErrors, FeatureNumberingWithAGap) {
  EXPECT_TRUE(rejects("samples,x1,x2,x4\n0,1,2,4\n",
                      {"cells.csv", "line 1", "'x3' is missing", "x1, x2, x4"}));
  EXPECT_TRUE(rejects("samples,x2\n0,1\n", {"cells.csv", "'x1' is missing"}));
  EXPECT_TRUE(rejects("samples,x0,x1\n0,1,2\n", {"cells.csv", "'x0'"}));
}

TEST(ReadCellTableCsvErrors, AnnotationColumnsThatSkipALevel) {
  EXPECT_TRUE(rejects("samples,x1,scale0,scale2\n0,1,a,b\n",
                      {"cells.csv", "line 1", "skip a level", "'scale1' is missing"}));
  EXPECT_TRUE(rejects("samples,x1,scale1\n0,1,a\n",
                      {"cells.csv", "line 1", "skip a level", "'scale0' is missing"}));
}

TEST(ReadCellTableCsvErrors, PriorColumnsThatSkipALevel) {
  EXPECT_TRUE(rejects("samples,x1,scale0,scale1,prior1\n0,1,a,b,p\n",
                      {"cells.csv", "line 1", "'prior0' is missing"}));
}

TEST(ReadCellTableCsvErrors, PriorsMustMatchTheLevels) {
  EXPECT_TRUE(rejects(
      "samples,x1,scale0,scale1,prior0\n0,1,a,b,p\n",
      {"cells.csv", "line 1", "1 prior column", "prior0", "2 annotation level", "scale0, scale1"}));
  EXPECT_TRUE(
      rejects("samples,x1,prior0\n0,1,p\n", {"cells.csv", "1 prior column", "0 annotation level"}));
}

TEST(ReadCellTableCsvErrors, EmptyLabel) {
  EXPECT_TRUE(rejects("samples,x1,scale0\n0,1,a\n1,2,  \n",
                      {"cells.csv", "line 3", "'scale0'", "empty label"}));
  EXPECT_TRUE(rejects("samples,x1,scale0,prior0\n0,1,a,\n",
                      {"cells.csv", "line 2", "'prior0'", "empty label"}));
}

TEST(ReadCellTableCsvErrors, BadCellWeight) {
  for (const char* text : {"-1", "-0.5", "nan", "inf"}) {
    EXPECT_TRUE(rejects(std::string("samples,x1,cell_weight\n0,1,1\n0,2,") + text + "\n",
                        {"cells.csv", "line 3", "'cell_weight'", text}));
  }
  EXPECT_TRUE(rejects("samples,x1,cell_weight\n0,1,heavy\n",
                      {"cells.csv", "line 2", "'cell_weight'", "'heavy'"}));
}

TEST(ReadCellTableCsvErrors, NamedWeightColumnMustExist) {
  TableColumns columns;
  columns.weight_column = "mass";
  EXPECT_TRUE(rejects("samples,x1,weight\n0,1,2\n",
                      {"cells.csv", "line 1", "no weight column 'mass'", "samples, x1, weight"},
                      columns));
}

TEST(ReadCellTableCsvErrors, RepeatedAndUnknownColumns) {
  EXPECT_TRUE(rejects("samples,x1,x1\n0,1,2\n", {"cells.csv", "'x1'", "twice"}));
  TableColumns columns;
  columns.feature_columns = {"pc1"};
  EXPECT_TRUE(
      rejects("samples,x1\n0,1\n", {"cells.csv", "line 1", "'pc1'", "columns found"}, columns));
}

TEST(ReadCellTableNpy, FeaturesFromTheArrayAndTheRestFromTheCsv) {
  TempDir dir;
  const std::vector<double> embedding = {1.0, 2.0, 3.0, 4.0, 5.0, 6.0};
  const auto npy = dir.path() / "embedding.npy";
  write_npy(npy, embedding.data(), {3, 2});
  const auto labels = dir.write("labels.csv",
                                "scale0,samples,cell_weight,x1\r\n"
                                "a,0,1,9\r\nb,0,2,9\r\na,1,3,9\r\n");

  const CellTable cells = read_cell_table_npy(npy, labels, TableColumns{});
  EXPECT_EQ(cells.cell_count, 3u);
  EXPECT_EQ(cells.dimension, 2u);
  EXPECT_EQ(cells.feature_names, (std::vector<std::string>{"x1", "x2"}));
  EXPECT_EQ(cells.features, embedding);
  EXPECT_EQ(cells.time, (std::vector<double>{0.0, 0.0, 1.0}));
  EXPECT_EQ(cells.weight, (std::vector<double>{1.0, 2.0, 3.0}));
  EXPECT_EQ(cells.levels, (std::vector<std::vector<std::string>>{{"a", "b", "a"}}));
  EXPECT_EQ(cells.line, (std::vector<std::size_t>{2, 3, 4}));
}

TEST(ReadCellTableNpy, IntegerEmbeddingsAreConverted) {
  TempDir dir;
  const std::vector<std::int64_t> embedding = {1, -2};
  const auto npy = dir.path() / "embedding.npy";
  write_npy(npy, embedding.data(), {2, 1});
  const CellTable cells =
      read_cell_table_npy(npy, dir.write("labels.csv", "samples\n0\n1\n"), TableColumns{});
  EXPECT_EQ(cells.features, (std::vector<double>{1.0, -2.0}));
  EXPECT_EQ(cells.feature_names, (std::vector<std::string>{"x1"}));
}

TEST(ReadCellTableNpy, RowCountsMustAgree) {
  TempDir dir;
  const std::vector<double> embedding(6, 0.0);
  const auto npy = dir.path() / "embedding.npy";
  write_npy(npy, embedding.data(), {3, 2});
  const auto labels = dir.write("labels.csv", "samples\n0\n1\n");
  EXPECT_TRUE(throws_input_error([&] { read_cell_table_npy(npy, labels, TableColumns{}); },
                                 {"embedding.npy", "has 3 rows", "labels.csv", "has 2 data rows"}));
}

TEST(ReadCellTableNpy, NonFiniteEmbeddingValue) {
  TempDir dir;
  std::vector<double> embedding(6, 0.0);
  embedding[3] = std::numeric_limits<double>::quiet_NaN();
  const auto npy = dir.path() / "embedding.npy";
  write_npy(npy, embedding.data(), {3, 2});
  const auto labels = dir.write("labels.csv", "samples\n0\n1\n1\n");
  EXPECT_TRUE(throws_input_error([&] { read_cell_table_npy(npy, labels, TableColumns{}); },
                                 {"embedding.npy", "row 1", "column 1", "not finite"}));
}

TEST(ReadCellTableNpy, EmbeddingMustBeTwoDimensional) {
  TempDir dir;
  const std::vector<double> embedding(3, 0.0);
  const auto npy = dir.path() / "embedding.npy";
  write_npy(npy, embedding.data(), {3});
  const auto labels = dir.write("labels.csv", "samples\n0\n1\n1\n");
  EXPECT_TRUE(throws_input_error([&] { read_cell_table_npy(npy, labels, TableColumns{}); },
                                 {"embedding.npy", "2-D", "(3,)"}));
}

TEST(ReadCellTableNpy, LabelErrorsNameTheLabelsFile) {
  TempDir dir;
  const std::vector<double> embedding(2, 0.0);
  const auto npy = dir.path() / "embedding.npy";
  write_npy(npy, embedding.data(), {2, 1});
  const auto labels = dir.write("labels.csv", "time,scale0\n0,a\n1,b\n");
  EXPECT_TRUE(throws_input_error([&] { read_cell_table_npy(npy, labels, TableColumns{}); },
                                 {"labels.csv", "line 1", "'samples'", "columns found"}));
}

}  // namespace
}  // namespace mustfm
