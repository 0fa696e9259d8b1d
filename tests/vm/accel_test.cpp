// resolve_accel and the KVM probe against fake hosts: a fake /dev/kvm, boot id, cache and qemu.
#include "vm/accel.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fake_qemu.h"

namespace kh::vm {
namespace {

using std::chrono::milliseconds;
using testing::FakeQemu;

constexpr std::string_view kBootsToPanic =
    "printf 'SeaBIOS (fake)\\r\\n' >> \"$serial\"\n"
    "printf 'Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\\r\\n' >> \"$serial\"\n"
    "exit 0";

// A fake host around a fake qemu: /dev/kvm, boot id and cache file all live in the test's dir.
struct FakeHost {
  explicit FakeHost(std::string_view qemu_body, std::string_view boot_id = "boot-1") : fake(qemu_body) {
    std::ofstream(fake.dir() / "kvm") << "";
    set_boot_id(boot_id);
    settings.kvm_device = fake.dir() / "kvm";
    settings.boot_id_file = fake.dir() / "boot_id";
    settings.cache_file = fake.dir() / "cache" / "accel-probe.json";
    settings.qemu = fake.qemu();
    settings.probe_timeout = milliseconds(3000);
  }

  void set_boot_id(std::string_view boot_id) const { std::ofstream(fake.dir() / "boot_id") << boot_id << "\n"; }

  void write_cache(std::string_view text) const {
    std::filesystem::create_directories(settings.cache_file.parent_path());
    std::ofstream(settings.cache_file) << text;
  }

  nlohmann::json read_cache() const {
    std::ifstream in(settings.cache_file);
    std::ostringstream text;
    text << in.rdbuf();
    return nlohmann::json::parse(text.str(), nullptr, false);
  }

  std::size_t probes() const { return FakeQemu::lines_of(fake.invocations()).size(); }

  FakeQemu fake;
  AccelProbeSettings settings;
};

TEST(ResolveAccelTest, TcgNeverProbes) {
  FakeHost host(kBootsToPanic);
  auto accel = resolve_accel(Accel::Tcg, host.fake.kernel(), host.settings);
  ASSERT_TRUE(accel.ok());
  EXPECT_EQ(*accel, Accel::Tcg);
  EXPECT_EQ(host.probes(), 0u);
}

TEST(ResolveAccelTest, MissingDevKvmMeansTcgWithoutProbing) {
  FakeHost host(kBootsToPanic);
  host.settings.kvm_device = host.fake.dir() / "no-such-kvm";
  auto accel = resolve_accel(Accel::Auto, host.fake.kernel(), host.settings);
  ASSERT_TRUE(accel.ok()) << accel.error().to_string();
  EXPECT_EQ(*accel, Accel::Tcg);
  EXPECT_EQ(host.probes(), 0u);
  EXPECT_FALSE(std::filesystem::exists(host.settings.cache_file));

  auto explicit_kvm = resolve_accel(Accel::Kvm, host.fake.kernel(), host.settings);
  ASSERT_FALSE(explicit_kvm.ok());
  EXPECT_EQ(explicit_kvm.error().kind, ErrorKind::Config);
  EXPECT_NE(explicit_kvm.error().message.find("no-such-kvm does not exist"), std::string::npos)
      << explicit_kvm.error().message;
}

TEST(ResolveAccelTest, ProbeThatBootsMeansKvmAndIsCachedForThisBoot) {
  FakeHost host(kBootsToPanic);
  auto accel = resolve_accel(Accel::Auto, host.fake.kernel(), host.settings);
  ASSERT_TRUE(accel.ok()) << accel.error().to_string();
  EXPECT_EQ(*accel, Accel::Kvm);
  ASSERT_EQ(host.probes(), 1u);
  // The probe runs the kernel under KVM, without gdb, not stopped.
  const std::string argv = FakeQemu::lines_of(host.fake.invocations())[0];
  EXPECT_NE(argv.find("-accel kvm -cpu host"), std::string::npos) << argv;
  EXPECT_EQ(argv.find(" -S"), std::string::npos) << argv;
  EXPECT_EQ(argv.find("-gdb"), std::string::npos) << argv;
  EXPECT_NE(argv.find("-kernel " + host.fake.kernel().string()), std::string::npos) << argv;

  const nlohmann::json cache = host.read_cache();
  EXPECT_EQ(cache.value("boot_id", ""), "boot-1");
  EXPECT_EQ(cache.value("kvm_works", false), true);
  EXPECT_NE(cache.value("detail", "").find("booted under KVM"), std::string::npos);

  auto again = resolve_accel(Accel::Kvm, host.fake.kernel(), host.settings);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, Accel::Kvm);
  EXPECT_EQ(host.probes(), 1u) << "the cache must answer within one boot";
}

TEST(ResolveAccelTest, CachedFailureAnswersWithoutProbing) {
  FakeHost host(kBootsToPanic);
  host.write_cache(R"({"boot_id": "boot-1", "kvm_works": false, "detail": "guest hung at the MSR write"})");
  auto accel = resolve_accel(Accel::Auto, host.fake.kernel(), host.settings);
  ASSERT_TRUE(accel.ok());
  EXPECT_EQ(*accel, Accel::Tcg);
  auto explicit_kvm = resolve_accel(Accel::Kvm, host.fake.kernel(), host.settings);
  ASSERT_FALSE(explicit_kvm.ok());
  EXPECT_EQ(explicit_kvm.error().kind, ErrorKind::Config);
  EXPECT_NE(explicit_kvm.error().message.find("guest hung at the MSR write"), std::string::npos);
  EXPECT_NE(explicit_kvm.error().message.find("--accel tcg"), std::string::npos);
  EXPECT_EQ(host.probes(), 0u);
}

TEST(ResolveAccelTest, ChangedBootIdProbesAgain) {
  FakeHost host(kBootsToPanic, "boot-2");
  host.write_cache(R"({"boot_id": "boot-1", "kvm_works": false, "detail": "old boot"})");
  auto accel = resolve_accel(Accel::Auto, host.fake.kernel(), host.settings);
  ASSERT_TRUE(accel.ok()) << accel.error().to_string();
  EXPECT_EQ(*accel, Accel::Kvm);
  EXPECT_EQ(host.probes(), 1u);
  EXPECT_EQ(host.read_cache().value("boot_id", ""), "boot-2");
}

TEST(ResolveAccelTest, MalformedCacheProbesAgain) {
  for (std::string_view garbage : {"", "{", "[]", R"({"boot_id": "boot-1"})",
                                   R"({"boot_id": 7, "kvm_works": true, "detail": ""})"}) {
    FakeHost host(kBootsToPanic);
    host.write_cache(garbage);
    auto accel = resolve_accel(Accel::Auto, host.fake.kernel(), host.settings);
    ASSERT_TRUE(accel.ok()) << garbage;
    EXPECT_EQ(*accel, Accel::Kvm) << garbage;
    EXPECT_EQ(host.probes(), 1u) << garbage;
  }
}

TEST(ResolveAccelTest, UnreadableBootIdProbesEveryTime) {
  FakeHost host(kBootsToPanic);
  host.settings.boot_id_file = host.fake.dir() / "no-boot-id";
  ASSERT_TRUE(resolve_accel(Accel::Auto, host.fake.kernel(), host.settings).ok());
  ASSERT_TRUE(resolve_accel(Accel::Auto, host.fake.kernel(), host.settings).ok());
  EXPECT_EQ(host.probes(), 2u);
  EXPECT_FALSE(std::filesystem::exists(host.settings.cache_file));
}

struct BrokenKvmCase {
  std::string_view what;
  std::string_view qemu_body;
  std::string_view detail_part;
};

TEST(ResolveAccelTest, BrokenKvmFallsBackToTcgAndExplicitKvmFails) {
  const BrokenKvmCase cases[] = {
      {"guest hangs",
       "printf 'SeaBIOS (fake)\\r\\nBooting from ROM..\\r\\n' >> \"$serial\"\n"
       "exec sleep 600",
       "did not finish booting under KVM within 0.5 s (last serial line: Booting from ROM..)"},
      {"qemu aborts on an MSR",
       "printf 'SeaBIOS (fake)\\r\\n' >> \"$serial\"\n"
       "echo 'qemu-system-x86_64: error: failed to set MSR 0x48f to 0x7fffff00036dfb' >&2\n"
       "ulimit -c 0\n"
       "kill -ABRT $$",
       "failed to set MSR 0x48f"},
      {"qemu refuses KVM at once",
       "echo 'qemu-system-x86_64: -accel kvm: failed to initialize kvm: Permission denied' >&2\n"
       "exit 1",
       "failed to initialize kvm"},
      {"kernel oopses",
       "printf 'BUG: kernel NULL pointer dereference, address: 0000000000000000\\r\\n' >> \"$serial\"\n"
       "printf 'Kernel panic - not syncing: Fatal exception\\r\\n' >> \"$serial\"\n"
       "exit 0",
       "crashed under KVM: BUG: kernel NULL pointer dereference"},
  };
  for (const auto& c : cases) {
    FakeHost host(c.qemu_body);
    host.settings.probe_timeout = milliseconds(500);
    auto accel = resolve_accel(Accel::Auto, host.fake.kernel(), host.settings);
    ASSERT_TRUE(accel.ok()) << c.what << ": " << accel.error().to_string();
    EXPECT_EQ(*accel, Accel::Tcg) << c.what;
    const nlohmann::json cache = host.read_cache();
    EXPECT_EQ(cache.value("kvm_works", true), false) << c.what;
    EXPECT_NE(cache.value("detail", "").find(c.detail_part), std::string::npos)
        << c.what << ": " << cache.value("detail", "");

    auto explicit_kvm = resolve_accel(Accel::Kvm, host.fake.kernel(), host.settings);
    ASSERT_FALSE(explicit_kvm.ok()) << c.what;
    EXPECT_EQ(explicit_kvm.error().kind, ErrorKind::Config);
    EXPECT_NE(explicit_kvm.error().message.find(c.detail_part), std::string::npos)
        << c.what << ": " << explicit_kvm.error().message;
    EXPECT_EQ(host.probes(), 1u) << c.what;
  }
}

TEST(ResolveAccelTest, MissingProbeKernelIsBadInputNotABrokenKvm) {
  FakeHost host(kBootsToPanic);
  auto accel = resolve_accel(Accel::Auto, host.fake.dir() / "no-bzImage", host.settings);
  ASSERT_FALSE(accel.ok());
  EXPECT_EQ(accel.error().kind, ErrorKind::Config);
  EXPECT_EQ(host.probes(), 0u);
  EXPECT_FALSE(std::filesystem::exists(host.settings.cache_file)) << "bad input must not be cached";
}

}  // namespace
}  // namespace kh::vm
