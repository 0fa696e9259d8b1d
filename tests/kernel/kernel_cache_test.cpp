// Cache entries are checked at every use: fingerprints recorded at build time, or for older
// entries the ELF and boot headers. A broken entry is never used as if it were fine.
#include "kernel/kernel_cache.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "common/temp_dir.h"
#include "kernel/test_files.h"

namespace kh::kernel {
namespace {

using testing::fake_bzimage;
using testing::fake_vmlinux;
using testing::read_file;
using testing::write_file;

// A 3 MiB vmlinux: bigger than the two ends its fingerprint reads.
constexpr std::size_t kVmlinuxPayload = 3 << 20;

class EntryCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("kh-entry-check-test-");
    ASSERT_TRUE(dir.ok());
    root_.emplace(std::move(*dir));
    ::setenv("KHARNESS_CACHE_DIR", root_->path().c_str(), 1);
    ASSERT_TRUE(cache().create_dirs().ok());
  }
  void TearDown() override { ::unsetenv("KHARNESS_CACHE_DIR"); }

  KernelCache cache() const { return KernelCache(root_->path()); }

  // Publishes an entry whose vmlinux and bzImage have the shapes of real ones.
  KernelBuild publish(const std::string& key, const std::string& release = "6.1.192", bool indexed = true) {
    const std::filesystem::path staged =
        cache().kernels_dir() / (KernelCache::temp_prefix(key) + "t") / "entry";
    write_file(staged / "vmlinux", fake_vmlinux(kVmlinuxPayload, indexed));
    write_file(staged / "bzImage", fake_bzimage(4096));
    write_file(staged / "config", "CONFIG_64BIT=y\n");
    write_file(staged / "build.log", "log\n");
    KernelBuild build;
    build.key = key;
    build.dir = staged;
    build.vmlinux = staged / "vmlinux";
    build.bzimage = staged / "bzImage";
    build.config = staged / "config";
    build.build_log = staged / "build.log";
    build.release = release;
    build.version = *KernelVersion::parse(release);
    build.source = "test";
    build.built_at = "2025-01-02T03:04:05Z";
    auto published = cache().publish(staged, build, {{"test", true}});
    EXPECT_TRUE(published.ok()) << published.error().to_string();
    std::filesystem::remove_all(staged.parent_path());
    return published.ok() ? *published : build;
  }

  // Makes the entry look like one built before fingerprints were kept.
  void forget_fingerprints(const KernelBuild& build) {
    auto meta = nlohmann::json::parse(read_file(build.dir / "meta.json"));
    meta.erase("fingerprints");
    write_file(build.dir / "meta.json", meta.dump(2));
  }

  std::optional<TempDir> root_;
};

void truncate_to(const std::filesystem::path& file, std::uintmax_t size) {
  std::filesystem::resize_file(file, size);
}

TEST(FileFingerprint, CoversSizeAndBothEnds) {
  auto dir = TempDir::create("kh-fingerprint-test-");
  ASSERT_TRUE(dir.ok());
  const auto file = dir->path() / "f";
  std::string text(kVmlinuxPayload, 'a');
  write_file(file, text);
  auto first = fingerprint_file(file);
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_EQ(first->size, text.size());
  EXPECT_EQ(first->sha256.size(), 64u);
  EXPECT_EQ(*fingerprint_file(file), *first);
  for (std::size_t at : {std::size_t{0}, text.size() - 1}) {
    std::string changed = text;
    changed[at] = 'b';
    write_file(file, changed);
    EXPECT_NE(fingerprint_file(file)->sha256, first->sha256) << "byte " << at;
  }
  write_file(file, text + "a");
  EXPECT_NE(fingerprint_file(file)->sha256, first->sha256);
  write_file(file, "");
  EXPECT_TRUE(fingerprint_file(file).ok());
  auto missing = fingerprint_file(dir->path() / "missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::Io);
}

struct HeaderCase {
  std::string what;
  std::string contents;
  std::string problem;  // empty: sound
};

TEST(EntryHeaders, VmlinuxMustBeAWholeElfFile) {
  const std::string good = fake_vmlinux(8192);
  std::string elf32 = good;
  elf32[EI_CLASS] = ELFCLASS32;
  // .text claims more bytes than the file has, section headers intact.
  std::string long_section = good;
  // Copied in and out: the string's bytes are not aligned for the ELF structs (UBSan).
  Elf64_Ehdr header{};
  std::memcpy(&header, good.data(), sizeof header);
  Elf64_Shdr text{};
  char* text_bytes = long_section.data() + header.e_shoff + sizeof(Elf64_Shdr);
  std::memcpy(&text, text_bytes, sizeof text);
  text.sh_size = good.size() * 2;
  std::memcpy(text_bytes, &text, sizeof text);
  const std::vector<HeaderCase> cases = {
      {"sound", good, ""},
      {"empty", "", "not a 64-bit ELF file"},
      {"text", "#!/bin/sh\n", "not a 64-bit ELF file"},
      {"32-bit", elf32, "not a 64-bit ELF file"},
      {"section headers cut off", good.substr(0, good.size() - 10), "truncated"},
      {"only the ELF header", good.substr(0, sizeof(Elf64_Ehdr)), "truncated"},
      {"section past the end", long_section, "its sections need"},
  };
  auto dir = TempDir::create("kh-headers-test-");
  ASSERT_TRUE(dir.ok());
  for (const auto& c : cases) {
    write_file(dir->path() / "vmlinux", c.contents);
    Status status = check_vmlinux_file(dir->path() / "vmlinux");
    if (c.problem.empty()) {
      EXPECT_TRUE(status.ok()) << c.what << ": " << status.error().message;
      continue;
    }
    ASSERT_FALSE(status.ok()) << c.what;
    EXPECT_EQ(status.error().kind, ErrorKind::Io) << c.what;
    EXPECT_NE(status.error().message.find(c.problem), std::string::npos)
        << c.what << ": " << status.error().message;
    EXPECT_NE(status.error().message.find("vmlinux"), std::string::npos) << c.what;
  }
}

TEST(EntryHeaders, BzImageMustHaveItsBootHeaderAndDeclaredSize) {
  const std::string good = fake_bzimage(1000);
  std::string no_magic = good;
  no_magic[0x202] = 'X';
  std::string zero_setup_sects = fake_bzimage(10);
  zero_setup_sects[0x1f1] = 0;  // means 4 setup sectors: the file is too short for that
  const std::vector<HeaderCase> cases = {
      {"sound", good, ""},
      {"padded", good + std::string(100, '\0'), ""},
      {"empty", "", "no boot protocol header"},
      {"no magic", no_magic, "no boot protocol header"},
      {"one byte short", good.substr(0, good.size() - 1), "truncated"},
      {"setup only", good.substr(0, 1024), "truncated"},
      {"zero setup_sects", zero_setup_sects, "truncated"},
  };
  auto dir = TempDir::create("kh-headers-test-");
  ASSERT_TRUE(dir.ok());
  for (const auto& c : cases) {
    write_file(dir->path() / "bzImage", c.contents);
    Status status = check_bzimage_file(dir->path() / "bzImage");
    if (c.problem.empty()) {
      EXPECT_TRUE(status.ok()) << c.what << ": " << status.error().message;
      continue;
    }
    ASSERT_FALSE(status.ok()) << c.what;
    EXPECT_NE(status.error().message.find(c.problem), std::string::npos)
        << c.what << ": " << status.error().message;
    EXPECT_NE(status.error().message.find("bzImage"), std::string::npos) << c.what;
  }
}

TEST_F(EntryCheckTest, APublishedEntryIsCheckedAgainstItsFingerprints) {
  KernelBuild build = publish("0123456789abcdef");
  auto meta = nlohmann::json::parse(read_file(build.dir / "meta.json"));
  ASSERT_TRUE(meta.contains("fingerprints"));
  EXPECT_EQ(meta["fingerprints"]["bzimage"]["size"], std::filesystem::file_size(build.bzimage));
  auto check = KernelCache::verify_entry(build);
  ASSERT_TRUE(check.ok()) << check.error().to_string();
  EXPECT_EQ(*check, EntryCheck::Fingerprints);
  EXPECT_TRUE(check_kernel(build).ok());
}

TEST_F(EntryCheckTest, ATruncatedOrOverwrittenFileMakesTheEntryBroken) {
  KernelBuild build = publish("1123456789abcdef");
  const std::string vmlinux = read_file(build.vmlinux);
  const std::string bzimage = read_file(build.bzimage);
  struct Damage {
    std::string what;
    std::function<void()> apply;
    std::string problem;
  };
  const std::vector<Damage> damages = {
      {"truncated vmlinux", [&] { truncate_to(build.vmlinux, vmlinux.size() / 2); },
       fmt::format("vmlinux is {} bytes, {} when it was built", vmlinux.size() / 2, vmlinux.size())},
      {"truncated bzImage", [&] { truncate_to(build.bzimage, 4096); },
       fmt::format("bzImage is 4096 bytes, {} when it was built", bzimage.size())},
      {"overwritten vmlinux end",
       [&] { write_file(build.vmlinux, vmlinux.substr(0, vmlinux.size() - 1) + "x"); },
       "vmlinux has other contents than when it was built"},
      {"zeroed bzImage", [&] { write_file(build.bzimage, std::string(bzimage.size(), '\0')); },
       "bzImage has other contents"},
      {"missing vmlinux", [&] { std::filesystem::remove(build.vmlinux); }, "cannot read"},
  };
  for (const auto& damage : damages) {
    damage.apply();
    auto check = KernelCache::verify_entry(build);
    ASSERT_FALSE(check.ok()) << damage.what;
    EXPECT_EQ(check.error().kind, ErrorKind::Io) << damage.what;
    EXPECT_NE(check.error().message.find(damage.problem), std::string::npos)
        << damage.what << ": " << check.error().message;
    EXPECT_FALSE(check_kernel(build).ok()) << damage.what;
    write_file(build.vmlinux, vmlinux);
    write_file(build.bzimage, bzimage);
    ASSERT_TRUE(KernelCache::verify_entry(build).ok()) << damage.what;
  }
}

TEST_F(EntryCheckTest, AnOlderEntryIsCheckedByItsHeadersAndFingerprintedOnce) {
  KernelBuild build = publish("2123456789abcdef");
  forget_fingerprints(build);
  auto check = KernelCache::verify_entry(build);
  ASSERT_TRUE(check.ok()) << check.error().to_string();
  EXPECT_EQ(*check, EntryCheck::HeadersOnly);
  ASSERT_TRUE(check_kernel(build).ok());
  check = KernelCache::verify_entry(build);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(*check, EntryCheck::Fingerprints) << "the record is written once";
  // The rewritten meta.json still describes the same ready entry.
  auto again = cache().load_entry(build.dir);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->release, build.release);
}

TEST_F(EntryCheckTest, AnOlderUnindexedEntryIsFingerprintedOnlyAfterIndexing) {
  KernelBuild build = publish("3123456789abcdef", "6.1.192", /*indexed=*/false);
  forget_fingerprints(build);
  ASSERT_TRUE(check_kernel(build).ok());
  auto check = KernelCache::verify_entry(build);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(*check, EntryCheck::HeadersOnly) << "gdb-add-index will still change vmlinux";
}

TEST_F(EntryCheckTest, AnOlderTruncatedEntryIsBroken) {
  KernelBuild build = publish("4123456789abcdef");
  forget_fingerprints(build);
  truncate_to(build.vmlinux, kVmlinuxPayload / 2);
  auto check = KernelCache::verify_entry(build);
  ASSERT_FALSE(check.ok());
  EXPECT_NE(check.error().message.find("vmlinux is truncated"), std::string::npos) << check.error().message;
  build = publish("5123456789abcdef");
  forget_fingerprints(build);
  truncate_to(build.bzimage, 2048);
  check = KernelCache::verify_entry(build);
  ASSERT_FALSE(check.ok());
  EXPECT_NE(check.error().message.find("bzImage is truncated"), std::string::npos) << check.error().message;
}

TEST_F(EntryCheckTest, FindingACachedKernelSkipsABrokenOne) {
  publish("6123456789abcde1", "6.1.100");
  KernelBuild newest = publish("6123456789abcde2", "6.1.192");
  truncate_to(newest.bzimage, 100);
  auto range = KernelVersionRange::parse(">=6.1");
  ASSERT_TRUE(range.ok());
  ::testing::internal::CaptureStderr();
  auto found = find_cached_kernel(*range);
  const std::string said = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(found.ok()) << found.error().to_string();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->key, "6123456789abcde1");
  EXPECT_NE(said.find("cached kernel 6123456789abcde2"), std::string::npos) << said;
  EXPECT_NE(said.find("is broken: bzImage is 100 bytes"), std::string::npos) << said;
  EXPECT_NE(said.find("kharness kernel clean 6123456789abcde2"), std::string::npos) << said;
  // Still listed, so that `kharness kernel list` can show it as broken.
  EXPECT_EQ(list_kernels().size(), 2u);
}

}  // namespace
}  // namespace kh::kernel
