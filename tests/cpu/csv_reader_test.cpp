#include <gtest/gtest.h>

#include <cmath>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

#include "io/csv_reader.h"
#include "kernels/common/error.h"
#include "test_support.h"

namespace mustfm {
namespace {

using testing::throws_input_error;

CsvTable parse(std::string text) {
  return parse_csv(std::move(text), "cells.csv");
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

void expect_same_fields(const CsvTable& expected, const CsvTable& actual) {
  ASSERT_EQ(expected.header(), actual.header());
  ASSERT_EQ(expected.row_count(), actual.row_count());
  for (std::size_t row = 0; row < expected.row_count(); ++row) {
    EXPECT_EQ(expected.line(row), actual.line(row)) << "row " << row;
    for (std::size_t column = 0; column < expected.column_count(); ++column) {
      EXPECT_EQ(expected.field(row, column), actual.field(row, column))
          << "row " << row << ", column " << column;
    }
  }
}

TEST(CsvReader, ReadsHeaderFieldsAndLineNumbers) {
  const CsvTable table = parse("samples, x1 ,label\n0,1.5,a\n1, 2.5 ,b\n");
  EXPECT_EQ(table.source(), "cells.csv");
  EXPECT_EQ(table.header(), (std::vector<std::string>{"samples", "x1", "label"}));
  ASSERT_EQ(table.row_count(), 2u);
  EXPECT_EQ(table.field(0, 1), "1.5");
  EXPECT_EQ(table.field(1, 1), " 2.5 ");
  EXPECT_EQ(table.field(1, 2), "b");
  EXPECT_EQ(table.line(0), 2u);
  EXPECT_EQ(table.line(1), 3u);
}

TEST(CsvReader, LfCrlfAndMixedLineEndsGiveTheSameFields) {
  const std::string lf = "samples,x1,label\n0,1.5,\"a,b\"\n1,2.5,c\n2,,d\n";
  const CsvTable expected = parse(lf);
  expect_same_fields(expected, parse(replace_all(lf, "\n", "\r\n")));
  expect_same_fields(expected, parse("samples,x1,label\r\n0,1.5,\"a,b\"\n1,2.5,c\r\n2,,d\n"));
  EXPECT_EQ(expected.field(0, 2), "a,b");
  EXPECT_EQ(expected.field(2, 1), "");
}

TEST(CsvReader, SkipsAByteOrderMark) {
  const CsvTable table = parse("\xEF\xBB\xBFsamples,x1\r\n0,1\r\n");
  EXPECT_EQ(table.header().front(), "samples");
  EXPECT_EQ(table.field(0, 0), "0");
}

TEST(CsvReader, ToleratesAMissingFinalNewlineAndTrailingBlankLines) {
  for (const std::string& text :
       {std::string("a,b\n1,2"), std::string("a,b\r\n1,2\r"), std::string("a,b\n1,2\n\n"),
        std::string("a,b\r\n1,2\r\n\r\n  \r\n\n")}) {
    const CsvTable table = parse(text);
    ASSERT_EQ(table.row_count(), 1u) << text;
    EXPECT_EQ(table.field(0, 1), "2") << text;
  }
}

TEST(CsvReader, UnquotesFieldsAndKeepsLineNumbersAcrossQuotedLineBreaks) {
  const CsvTable table = parse(
      "name,x1\n"
      "\"a,b\",1\n"
      "\"say \"\"hi\"\"\",2\n"
      "\"two\nlines\",3\n"
      "\"\",4\n"
      "\"spaced\"  ,5\r\n"
      "plain\"quote,6\n");
  ASSERT_EQ(table.row_count(), 6u);
  EXPECT_EQ(table.field(0, 0), "a,b");
  EXPECT_EQ(table.field(1, 0), "say \"hi\"");
  EXPECT_EQ(table.field(2, 0), "two\nlines");
  EXPECT_EQ(table.field(3, 0), "");
  EXPECT_EQ(table.field(4, 0), "spaced");
  EXPECT_EQ(table.field(5, 0), "plain\"quote");
  EXPECT_EQ(table.line(2), 4u);
  EXPECT_EQ(table.line(3), 6u);
  EXPECT_EQ(table.line(5), 8u);
  EXPECT_EQ(table.field(5, 1), "6");
}

TEST(CsvReader, QuotedHeaderNames) {
  const CsvTable table = parse("\"samples\",\"x1\"\n0,1\n");
  EXPECT_EQ(table.header(), (std::vector<std::string>{"samples", "x1"}));
}

TEST(CsvReader, HeaderOnlyHasNoRows) {
  EXPECT_EQ(parse("samples,x1\r\n").row_count(), 0u);
}

TEST(CsvReader, WrongFieldCountNamesFileLineAndCounts) {
  EXPECT_TRUE(throws_input_error([] { parse("a,b,c\n1,2,3\n4,5\n"); },
                                 {"cells.csv", "line 3", "expected 3", "found 2"}));
  EXPECT_TRUE(throws_input_error([] { parse("a,b,c\r\n1,2,3\r\n4,5,6,7\r\n8,9,10\r\n"); },
                                 {"cells.csv", "line 3", "expected 3", "found 4"}));
}

TEST(CsvReader, BlankLineBeforeTheLastRowIsAnError) {
  EXPECT_TRUE(throws_input_error([] { parse("a,b\n1,2\n\n3,4\n"); },
                                 {"cells.csv", "line 3", "blank line"}));
}

TEST(CsvReader, UnclosedQuoteNamesTheLineWhereItOpens) {
  EXPECT_TRUE(throws_input_error([] { parse("a,b\n1,2\n\"open,3\n4,5\n"); },
                                 {"cells.csv", "line 3", "never closed"}));
}

TEST(CsvReader, TextAfterAClosingQuoteIsAnError) {
  EXPECT_TRUE(throws_input_error([] { parse("a,b\n1,2\n\"x\"y,2\n"); },
                                 {"cells.csv", "line 3", "closing quote"}));
}

TEST(CsvReader, EmptyTextIsAnError) {
  for (const std::string& text :
       {std::string(""), std::string("\n\r\n"), std::string("\xEF\xBB\xBF"), std::string("  \n")}) {
    EXPECT_TRUE(throws_input_error([&] { parse(text); }, {"cells.csv", "empty"})) << text;
  }
}

TEST(CsvReader, FindsColumnsAndRejectsRepeatedNames) {
  const CsvTable table = parse("samples,x1,x2,x1\n0,1,2,3\n");
  EXPECT_EQ(table.find_column("samples"), 0u);
  EXPECT_EQ(table.find_column("x2"), 2u);
  EXPECT_FALSE(table.find_column("x3").has_value());
  EXPECT_TRUE(throws_input_error([&] { table.find_column("x1"); },
                                 {"cells.csv", "line 1", "'x1'", "twice"}));
}

TEST(CsvReader, ReadsFilesAndNamesAMissingOne) {
  testing::TempDir dir;
  const CsvTable table = read_csv_file(dir.write("cells.csv", "a,b\n1,2\n"));
  EXPECT_NE(table.source().find("cells.csv"), std::string::npos);
  EXPECT_EQ(table.field(0, 0), "1");
  EXPECT_TRUE(throws_input_error([&] { read_csv_file(dir.path() / "absent.csv"); },
                                 {"absent.csv", "does not exist"}));
}

TEST(CsvTableNumber, ParsesWholeFieldsAndNamesFileLineColumnAndText) {
  const CsvTable table = parse("samples,x1\n0, 2.5 \n1,2.5x\n2,\n");
  EXPECT_EQ(table.number(0, 1), 2.5);
  EXPECT_TRUE(throws_input_error([&] { table.number(1, 1); },
                                 {"cells.csv", "line 3", "column 'x1'", "'2.5x'"}));
  EXPECT_TRUE(throws_input_error([&] { table.number(2, 1); },
                                 {"cells.csv", "line 4", "column 'x1'", "''"}));
}

TEST(TrimSpaces, RemovesSpacesAndTabsAroundOnly) {
  EXPECT_EQ(trim_spaces(" \ta b\t "), "a b");
  EXPECT_EQ(trim_spaces("   "), "");
  EXPECT_EQ(trim_spaces("x\n"), "x\n");
}

TEST(ParseDouble, AcceptsWholeNumbersWithSurroundingSpaces) {
  EXPECT_EQ(parse_double("1.5"), 1.5);
  EXPECT_EQ(parse_double("  -3e2\t"), -300.0);
  EXPECT_EQ(parse_double("+2"), 2.0);
  EXPECT_EQ(parse_double(".5"), 0.5);
  EXPECT_EQ(parse_double("7."), 7.0);
  EXPECT_EQ(parse_double("0.1"), 0.1);
  EXPECT_EQ(parse_double("2.0496714153011237"), 2.0496714153011237);
}

TEST(ParseDouble, RejectsAnythingElse) {
  for (std::string_view text :
       {"", "   ", "1.5x", "abc", "1,5", "+-1", "++1", "1 2", "0x10", "--1", "e5", "1e"}) {
    EXPECT_FALSE(parse_double(text).has_value()) << "'" << text << "'";
  }
}

TEST(ParseDouble, ReadsInfinityAndNanSpellings) {
  for (std::string_view text : {"inf", "INF", "Infinity", "+inf"}) {
    const std::optional<double> value = parse_double(text);
    ASSERT_TRUE(value.has_value()) << text;
    EXPECT_EQ(*value, std::numeric_limits<double>::infinity()) << text;
  }
  for (std::string_view text : {"-inf", "-Infinity"}) {
    EXPECT_EQ(parse_double(text), -std::numeric_limits<double>::infinity()) << text;
  }
  for (std::string_view text : {"nan", "NaN", "-nan"}) {
    const std::optional<double> value = parse_double(text);
    ASSERT_TRUE(value.has_value()) << text;
    EXPECT_TRUE(std::isnan(*value)) << text;
  }
}

TEST(ParseDouble, OverflowBecomesInfinityAndUnderflowBecomesTiny) {
  EXPECT_EQ(parse_double("1e999"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(parse_double("-1e999"), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(parse_double("1e-999"), 0.0);
  const std::optional<double> subnormal = parse_double("5e-324");
  ASSERT_TRUE(subnormal.has_value());
  EXPECT_GT(*subnormal, 0.0);
  EXPECT_LT(*subnormal, std::numeric_limits<double>::min());
}

}  // namespace
}  // namespace mustfm
