// kh::vm::QmpClient::connect against a fake monitor on a unix socket: the greeting, an event that
// QEMU writes before it, and a peer that is no QMP monitor.
#include "vm/qmp_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <thread>

#include "common/temp_dir.h"

namespace kh::vm {
namespace {

constexpr const char* kGreeting =
    "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}}, \"capabilities\": "
    "[]}}\r\n";
constexpr const char* kMigrationEvent =
    "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"MIGRATION\", \"data\": {\"status\": "
    "\"setup\"}}\r\n";

// A monitor that writes `first` on connection, then answers one command with an empty return.
class FakeMonitor {
 public:
  FakeMonitor(const std::filesystem::path& path, std::string first) : path_(path) {
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    bound_ = ::bind(listener_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 &&
             ::listen(listener_, 1) == 0;
    thread_ = std::thread([this, first = std::move(first)] {
      const int peer = ::accept(listener_, nullptr, nullptr);
      if (peer < 0) {
        return;
      }
      (void)!::write(peer, first.data(), first.size());
      char command[512];
      if (::read(peer, command, sizeof command) > 0) {
        const std::string answer = "{\"return\": {}}\r\n";
        (void)!::write(peer, answer.data(), answer.size());
      }
      ::close(peer);
    });
  }
  ~FakeMonitor() {
    thread_.join();
    ::close(listener_);
  }
  bool bound() const { return bound_; }

 private:
  std::filesystem::path path_;
  int listener_ = -1;
  bool bound_ = false;
  std::thread thread_;
};

TEST(QmpClient, ConnectsAfterTheGreeting) {
  auto dir = TempDir::create("kh-qmp-test-");
  ASSERT_TRUE(dir.ok());
  FakeMonitor monitor(dir->path() / "qmp.sock", kGreeting);
  ASSERT_TRUE(monitor.bound());
  auto client = QmpClient::connect(dir->path() / "qmp.sock", Deadline::in(std::chrono::seconds(10)));
  EXPECT_TRUE(client.ok()) << client.error().to_string();
}

TEST(QmpClient, AnEventBeforeTheGreetingIsSkipped) {
  auto dir = TempDir::create("kh-qmp-test-");
  ASSERT_TRUE(dir.ok());
  FakeMonitor monitor(dir->path() / "qmp.sock", std::string(kMigrationEvent) + kGreeting);
  ASSERT_TRUE(monitor.bound());
  auto client = QmpClient::connect(dir->path() / "qmp.sock", Deadline::in(std::chrono::seconds(10)));
  EXPECT_TRUE(client.ok()) << client.error().to_string();
}

TEST(QmpClient, APeerThatIsNoMonitorIsAClearError) {
  auto dir = TempDir::create("kh-qmp-test-");
  ASSERT_TRUE(dir.ok());
  FakeMonitor monitor(dir->path() / "qmp.sock", "{\"return\": {}}\r\n");
  ASSERT_TRUE(monitor.bound());
  auto client = QmpClient::connect(dir->path() / "qmp.sock", Deadline::in(std::chrono::seconds(10)));
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().kind, ErrorKind::Process);
  EXPECT_NE(client.error().message.find("did not greet with QMP: {\"return\": {}}"), std::string::npos)
      << client.error().message;
}

}  // namespace
}  // namespace kh::vm
