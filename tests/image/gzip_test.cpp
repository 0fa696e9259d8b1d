// gzip: reproducible headers, round trips, and what GNU gzip thinks of the output.
#include "image/gzip.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "common/child_process.h"
#include "common/temp_dir.h"
#include "common/file_io.h"

namespace kh::image {
namespace {

std::string sample_data() {
  std::string data;
  for (int i = 0; i < 20000; ++i) {
    data += "line " + std::to_string(i * 7919 % 1000) + " of the sample\n";
  }
  return data;
}

TEST(GzipTest, HeaderHasNoNameNoMtimeAndUnixOs) {
  auto compressed = gzip_compress("hello");
  ASSERT_TRUE(compressed.ok());
  ASSERT_GE(compressed->size(), 18U);
  const unsigned char expected[10] = {0x1f, 0x8b, 8 /*deflate*/, 0 /*no flags*/, 0,
                                      0,    0,    0 /*mtime*/,   2 /*level 9*/,  3 /*Unix*/};
  for (std::size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(static_cast<unsigned char>((*compressed)[i]), expected[i]) << "header byte " << i;
  }
}

TEST(GzipTest, RoundTripsAndIsDeterministic) {
  for (const std::string& data :
       {std::string(), std::string("x"), sample_data(), std::string(1 << 20, '\0')}) {
    auto a = gzip_compress(data);
    auto b = gzip_compress(data);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(*a, *b);
    auto back = gzip_decompress(*a);
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    EXPECT_EQ(*back, data);
  }
}

TEST(GzipTest, CorruptOrTruncatedInputIsAParseError) {
  auto compressed = gzip_compress(sample_data());
  ASSERT_TRUE(compressed.ok());
  for (const std::string& bad :
       {compressed->substr(0, compressed->size() / 2), std::string("not gzip at all"), std::string()}) {
    auto back = gzip_decompress(bad);
    ASSERT_FALSE(back.ok());
    EXPECT_EQ(back.error().kind, ErrorKind::Parse);
  }
}

TEST(GzipTest, GnuGzipAcceptsTheOutput) {
  auto dir = TempDir::create("kh-gzip-test-");
  ASSERT_TRUE(dir.ok());
  const std::string data = sample_data();
  auto compressed = gzip_compress(data);
  ASSERT_TRUE(compressed.ok());
  auto file = dir->path() / "sample.gz";
  ASSERT_TRUE(write_file_atomically(file, *compressed).ok());

  ChildSpec test;
  test.argv = {"gzip", "--test", file.string()};
  auto tested = run_command(test, Deadline::in(std::chrono::seconds(30)));
  ASSERT_TRUE(tested.ok()) << tested.error().to_string();
  EXPECT_EQ(tested->exit_code, 0) << tested->output;

  ChildSpec decompress;
  decompress.argv = {"gzip", "--decompress", "--stdout", file.string()};
  auto decompressed = run_command(decompress, Deadline::in(std::chrono::seconds(30)));
  ASSERT_TRUE(decompressed.ok());
  EXPECT_EQ(decompressed->exit_code, 0);
  EXPECT_EQ(decompressed->output, data);
}

}  // namespace
}  // namespace kh::image
