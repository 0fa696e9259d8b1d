// Only static x86-64 programs go into the guest.
#include "image/static_elf.h"

#include <gtest/gtest.h>

#include "common/file_io.h"

namespace kh::image {
namespace {

TEST(StaticElfTest, AcceptsBusyboxStatic) {
  auto bytes = read_file("/bin/busybox");
  ASSERT_TRUE(bytes.ok()) << bytes.error().to_string();
  EXPECT_TRUE(check_static_x86_64_elf("/bin/busybox", *bytes).ok());
}

TEST(StaticElfTest, RejectsWhatCannotRunInTheGuest) {
  auto ls = read_file("/bin/ls");  // dynamically linked on Debian
  ASSERT_TRUE(ls.ok());
  auto busybox = read_file("/bin/busybox");
  ASSERT_TRUE(busybox.ok());
  struct Case {
    const char* what;
    std::string bytes;
    const char* message_part;
  };
  const Case cases[] = {
      {"dynamic", *ls, "dynamically linked (interpreter /lib64/ld-linux-x86-64.so.2)"},
      {"text", "#!/bin/sh\necho hi\n", "not an ELF program"},
      {"empty", "", "not an ELF program"},
      {"truncated header", busybox->substr(0, 20), "truncated"},
      {"truncated program headers", busybox->substr(0, 80), "truncated"},
  };
  for (const auto& c : cases) {
    auto checked = check_static_x86_64_elf(c.what, c.bytes);
    ASSERT_FALSE(checked.ok()) << c.what;
    EXPECT_EQ(checked.error().kind, ErrorKind::Config);
    EXPECT_NE(checked.error().message.find(c.message_part), std::string::npos)
        << c.what << ": " << checked.error().message;
  }
}

TEST(StaticElfTest, RejectsAnotherMachine) {
  auto busybox = read_file("/bin/busybox");
  ASSERT_TRUE(busybox.ok());
  std::string arm = *busybox;
  arm[18] = static_cast<char>(183);  // e_machine = EM_AARCH64
  arm[19] = 0;
  auto checked = check_static_x86_64_elf("arm", arm);
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.error().message.find("not an x86-64 program"), std::string::npos);
}

}  // namespace
}  // namespace kh::image
