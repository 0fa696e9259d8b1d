// The newc writer: headers and padding byte by byte, ordering, and bad input.
#include "image/cpio_writer.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

using namespace std::string_literals;

namespace kh::image {
namespace {

// The tiny tree of these tests: a directory, a file in it, a symlink to the file.
CpioWriter tiny_tree() {
  CpioWriter archive;
  EXPECT_TRUE(archive.add_directory("d", 0750).ok());
  EXPECT_TRUE(archive.add_file("d/f", 0640, "hi\n").ok());
  EXPECT_TRUE(archive.add_symlink("/l", "d/f").ok());
  return archive;
}

TEST(CpioWriterTest, TinyTreeIsByteForByteNewc) {
  // Fields: magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor,
  // rdevminor, namesize, check. Header + name is padded to 4 bytes, and so is the data.
  // clang-format off
  const std::string expected =
      // "." ino 1, dir 0755, nlink 2, namesize 2: 110 + 2 = 112, no padding
      "070701" "00000001" "000041ED" "00000000" "00000000" "00000002" "00000000" "00000000"
      "00000000" "00000000" "00000000" "00000000" "00000002" "00000000" ".\0"s +
      // "d" ino 2, dir 0750
      "070701" "00000002" "000041E8" "00000000" "00000000" "00000002" "00000000" "00000000"
      "00000000" "00000000" "00000000" "00000000" "00000002" "00000000" "d\0"s +
      // "d/f" ino 3, file 0640, nlink 1, 3 bytes; 110 + 4 = 114 -> 2 bytes of padding; data 3 -> 1
      "070701" "00000003" "000081A0" "00000000" "00000000" "00000001" "00000000" "00000003"
      "00000000" "00000000" "00000000" "00000000" "00000004" "00000000" "d/f\0" "\0\0" "hi\n" "\0"s +
      // "l" ino 4, symlink 0777, target "d/f" as its data
      "070701" "00000004" "0000A1FF" "00000000" "00000000" "00000001" "00000000" "00000003"
      "00000000" "00000000" "00000000" "00000000" "00000002" "00000000" "l\0" "d/f" "\0"s +
      // the trailer: ino 0, mode 0, nlink 1, namesize 11; 110 + 11 = 121 -> 3 bytes of padding
      "070701" "00000000" "00000000" "00000000" "00000000" "00000001" "00000000" "00000000"
      "00000000" "00000000" "00000000" "00000000" "0000000B" "00000000" "TRAILER!!!\0" "\0\0\0"s;
  // clang-format on

  auto archive = tiny_tree().to_newc();
  ASSERT_TRUE(archive.ok()) << archive.error().to_string();
  EXPECT_EQ(*archive, expected);
  EXPECT_EQ(archive->size() % 4, 0U);
}

TEST(CpioWriterTest, EveryRecordStartsFourByteAligned) {
  CpioWriter archive;
  // Names and contents of every length modulo 4.
  for (int i = 1; i <= 8; ++i) {
    ASSERT_TRUE(archive
                    .add_file(std::string(static_cast<std::size_t>(i), 'x'), 0644,
                              std::string(static_cast<std::size_t>(i), 'y'))
                    .ok());
  }
  auto bytes = archive.to_newc();
  ASSERT_TRUE(bytes.ok());
  std::size_t records = 0;
  for (std::size_t at = bytes->find("070701"); at != std::string::npos; at = bytes->find("070701", at + 1)) {
    EXPECT_EQ(at % 4, 0U) << "record at offset " << at;
    ++records;
  }
  EXPECT_EQ(records, 10U);  // ".", 8 files, the trailer
}

TEST(CpioWriterTest, InsertionOrderDoesNotMatter) {
  CpioWriter reversed;
  ASSERT_TRUE(reversed.add_symlink("l", "d/f").ok());
  ASSERT_TRUE(reversed.add_file("./d/f", 0640, "hi\n").ok());
  ASSERT_TRUE(reversed.add_directory("d/", 0750).ok());
  auto a = tiny_tree().to_newc();
  auto b = reversed.to_newc();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

// Concatenates header fields written one per element, for readable expectations.
std::string fields(std::initializer_list<std::string> parts) {
  std::string joined;
  for (const auto& part : parts) {
    joined += part;
  }
  return joined;
}

TEST(CpioWriterTest, MissingParentsBecomeDirectoriesBeforeTheirChildren) {
  CpioWriter archive;
  ASSERT_TRUE(archive.add_file("a/b/c", 0600, "").ok());
  ASSERT_TRUE(archive.add_file("a-b", 0600, "").ok());  // '-' sorts before '/'
  auto bytes = archive.to_newc();
  ASSERT_TRUE(bytes.ok());
  // mode (dir 0755), uid, gid, nlink, mtime, filesize, 4 device numbers, namesize, check, name
  const std::string implied_a =
      fields({"000041ED", "00000000", "00000000", "00000002", "00000000", "00000000", "00000000", "00000000",
              "00000000", "00000000", "00000002", "00000000", "a\0"s});
  const std::string implied_ab =
      fields({"000041ED", "00000000", "00000000", "00000002", "00000000", "00000000", "00000000", "00000000",
              "00000000", "00000000", "00000004", "00000000", "a/b\0"s});
  std::size_t a = bytes->find(implied_a);
  std::size_t a_dash_b = bytes->find("a-b\0"s);
  std::size_t ab = bytes->find(implied_ab);
  std::size_t abc = bytes->find("a/b/c\0"s);
  ASSERT_NE(a, std::string::npos);
  ASSERT_NE(a_dash_b, std::string::npos);
  ASSERT_NE(ab, std::string::npos);
  ASSERT_NE(abc, std::string::npos);
  EXPECT_LT(a, a_dash_b);
  EXPECT_LT(a_dash_b, ab);
  EXPECT_LT(ab, abc);
}

TEST(CpioWriterTest, MtimeAndRootModeAreSettable) {
  CpioWriter archive;
  archive.set_mtime(0x5F5E1000);
  ASSERT_TRUE(archive.add_directory("/", 0700).ok());
  auto bytes = archive.to_newc();
  ASSERT_TRUE(bytes.ok());
  // magic, ino, mode (dir 0700), uid, gid, nlink, mtime
  EXPECT_EQ(bytes->substr(0, 6 + 8 * 6),
            fields({"070701", "00000001", "000041C0", "00000000", "00000000", "00000002", "5F5E1000"}));
}

TEST(CpioWriterTest, NormalizesPaths) {
  struct Case {
    const char* input;
    const char* normalized;
  };
  const Case cases[] = {
      {"etc/fstab", "etc/fstab"},
      {"/etc/fstab", "etc/fstab"},
      {"./etc//fstab", "etc/fstab"},
      {"etc/./fstab/", "etc/fstab"},
      {"/", "."},
      {".", "."},
  };
  for (const auto& c : cases) {
    auto normalized = CpioWriter::normalize_path(c.input);
    ASSERT_TRUE(normalized.ok()) << c.input;
    EXPECT_EQ(*normalized, c.normalized) << c.input;
  }
}

// `count` components of `length` characters, joined by '/'.
std::string deep_path(int count, std::size_t length) {
  std::string path;
  for (int i = 0; i < count; ++i) {
    path += (i > 0 ? "/" : "") + std::string(length, 'a');
  }
  return path;
}

TEST(CpioWriterTest, RejectsBadEntriesWithClearErrors) {
  struct Case {
    const char* what;
    std::string path;
    std::uint32_t mode;
    const char* message_part;
  };
  const Case cases[] = {
      {"escape with ..", "../etc/passwd", 0644, "escapes the archive root"},
      {"escape in the middle", "etc/../../x", 0644, "escapes the archive root"},
      {"empty path", "", 0644, "empty"},
      {"NUL byte", "a\0b"s, 0644, "NUL"},
      {"name over PATH_MAX", deep_path(21, 200), 0644, "too long for a newc name"},
      {"component over NAME_MAX", std::string(256, 'a'), 0644, "component of 256 bytes"},
      {"mode with type bits", "f", 0100644, "permission bits"},
  };
  for (const auto& c : cases) {
    CpioWriter archive;
    auto added = archive.add_file(c.path, c.mode, "x");
    ASSERT_FALSE(added.ok()) << c.what;
    EXPECT_EQ(added.error().kind, ErrorKind::Config) << c.what;
    EXPECT_NE(added.error().message.find(c.message_part), std::string::npos)
        << c.what << ": " << added.error().message;
  }
}

TEST(CpioWriterTest, LongestNameThatFitsIsAccepted) {
  // namesize counts the NUL: 4095 characters plus NUL is exactly PATH_MAX.
  std::string name;
  while (name.size() + 256 < 4095) {
    name += std::string(255, 'n') + "/";
  }
  name += std::string(4095 - name.size(), 'n');
  ASSERT_EQ(name.size(), 4095U);
  CpioWriter archive;
  EXPECT_TRUE(archive.add_file(name, 0644, "").ok());
  EXPECT_FALSE(archive.add_file(name + "x", 0644, "").ok());
}

TEST(CpioWriterTest, RejectsDuplicatesAndAFileAsAParent) {
  CpioWriter archive;
  ASSERT_TRUE(archive.add_file("f", 0644, "x").ok());
  auto duplicate = archive.add_directory("/f/");
  ASSERT_FALSE(duplicate.ok());
  EXPECT_NE(duplicate.error().message.find("added twice"), std::string::npos);

  ASSERT_TRUE(archive.add_file("f/g", 0644, "y").ok());
  auto bytes = archive.to_newc();
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.error().kind, ErrorKind::Config);
  EXPECT_NE(bytes.error().message.find("not a directory"), std::string::npos) << bytes.error().message;
}

TEST(CpioWriterTest, DetectsSymlinkLoops) {
  struct Link {
    const char* path;
    const char* target;
  };
  struct Case {
    const char* what;
    std::vector<Link> links;
    bool loops;
  };
  const Case cases[] = {
      {"self", {{"x", "x"}}, true},
      {"pair", {{"etc/a", "b"}, {"etc/b", "/etc/a"}}, true},
      {"through a directory link", {{"d/up", "../d/up/x"}}, true},
      {"dangling is fine", {{"etc/mtab", "/proc/mounts"}}, false},
      {"chain that ends", {{"a", "b"}, {"b", "c"}, {"c", "/bin/busybox"}}, false},
      {"dot-dot at the root stays at the root", {{"up", "../../../bin/busybox"}}, false},
      {"a link visited twice is not a loop", {{"p", "q/q/file"}, {"q", "."}}, false},
  };
  for (const auto& c : cases) {
    CpioWriter archive;
    ASSERT_TRUE(archive.add_file("bin/busybox", 0755, "").ok());
    for (const auto& link : c.links) {
      ASSERT_TRUE(archive.add_symlink(link.path, link.target).ok()) << c.what;
    }
    auto bytes = archive.to_newc();
    EXPECT_EQ(!bytes.ok(), c.loops) << c.what;
    if (!bytes.ok()) {
      EXPECT_EQ(bytes.error().kind, ErrorKind::Config);
      EXPECT_NE(bytes.error().message.find("symlink loop"), std::string::npos) << bytes.error().message;
    }
  }
}

TEST(CpioWriterTest, ContainsSeesNormalizedPaths) {
  auto archive = tiny_tree();
  EXPECT_TRUE(archive.contains("/d/f"));
  EXPECT_TRUE(archive.contains("./l"));
  EXPECT_TRUE(archive.contains("/"));
  EXPECT_FALSE(archive.contains("d/g"));
  EXPECT_FALSE(archive.contains("../d"));
  EXPECT_EQ(archive.size(), 3U);
}

}  // namespace
}  // namespace kh::image
