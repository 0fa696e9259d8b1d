// kh::Sha256 against the FIPS 180-2 test vectors, piecewise and whole, and over a file.
#include "common/sha256.h"

#include <gtest/gtest.h>

#include <string>

#include "common/file_io.h"
#include "common/temp_dir.h"

namespace kh {
namespace {

constexpr const char* kEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr const char* kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
// "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", FIPS 180-2 appendix B.2.
constexpr const char* kTwoBlocks = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), kEmpty);
  EXPECT_EQ(sha256_hex("abc"), kAbc);
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"), kTwoBlocks);
}

TEST(Sha256, PiecesGiveTheDigestOfTheWholeAndTheObjectStartsOver) {
  Sha256 digest;
  const std::string text = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  for (char c : text) {
    digest.update(std::string_view(&c, 1));
  }
  EXPECT_EQ(digest.hex_digest(), kTwoBlocks);
  digest.update("abc");
  EXPECT_EQ(digest.hex_digest(), kAbc);
  EXPECT_EQ(digest.hex_digest(), kEmpty);
}

TEST(Sha256, FileDigestAndAMissingFile) {
  auto dir = TempDir::create("kh-sha256-test-");
  ASSERT_TRUE(dir.ok());
  const auto path = dir->path() / "abc";
  ASSERT_TRUE(write_file_atomically(path, "abc").ok());
  auto digest = sha256_file(path);
  ASSERT_TRUE(digest.ok()) << digest.error().to_string();
  EXPECT_EQ(*digest, kAbc);
  auto missing = sha256_file(dir->path() / "missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::Io);
}

}  // namespace
}  // namespace kh
