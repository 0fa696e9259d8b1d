#include "vm/unix_listener.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include <gtest/gtest.h>

#include "common/temp_dir.h"
#include "common/unique_fd.h"

namespace kh::vm {
namespace {

constexpr std::string_view kTable =
    "Num       RefCount Protocol Flags    Type St Inode Path\n"
    "0000000098d56c29: 00000003 00000000 00000000 0001 03  1393\n"
    "00000000aaaa0001: 00000002 00000000 00010000 0001 01 20001 /tmp/kh-abc123/gdb.sock\n"
    "00000000aaaa0002: 00000002 00000000 00000000 0001 01 20002 /tmp/kh-bound/gdb.sock\n"
    "00000000aaaa0003: 00000003 00000000 00000000 0001 03 20003 /tmp/kh-abc123/gdb.sock\n"
    "00000000aaaa0004: 00000002 00000000 00010000 0001 01 20004 /tmp/with space/gdb.sock\n"
    "00000000aaaa0005: 00000002 00000000 00010000 0001 01 20005 @abstract\n";

struct ListenerCase {
  std::string_view path;
  bool listening;
};

TEST(UnixListenerTest, ReadsTheListenFlagOfTheMatchingPath) {
  const ListenerCase cases[] = {
      {"/tmp/kh-abc123/gdb.sock", true},   // listener plus an accepted connection on the same path
      {"/tmp/kh-bound/gdb.sock", false},   // bound, listen() not called yet
      {"/tmp/with space/gdb.sock", true},
      {"/tmp/kh-abc123/gdb.soc", false},
      {"/tmp/kh-missing/gdb.sock", false},
      {"@abstract", true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(unix_table_has_listener(kTable, c.path), c.listening) << c.path;
  }
  EXPECT_FALSE(unix_table_has_listener("", "/tmp/x"));
  EXPECT_FALSE(unix_table_has_listener("garbage\n: 1 2\n", "/tmp/x"));
}

UniqueFd bound_socket(const std::filesystem::path& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0)
      << std::strerror(errno);
  return fd;
}

TEST(UnixListenerTest, SeesARealSocketStartListening) {
  auto dir = TempDir::create("kh-listen-");
  ASSERT_TRUE(dir.ok());
  const auto path = dir->path() / "s.sock";
  UniqueFd fd = bound_socket(path);
  auto before = is_unix_socket_listening(path);
  ASSERT_TRUE(before.ok()) << before.error().to_string();
  EXPECT_FALSE(*before);
  ASSERT_EQ(::listen(fd.get(), 1), 0);
  auto after = is_unix_socket_listening(path);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(*after);
  fd.reset();
  auto closed = is_unix_socket_listening(path);
  ASSERT_TRUE(closed.ok());
  EXPECT_FALSE(*closed);
}

}  // namespace
}  // namespace kh::vm
