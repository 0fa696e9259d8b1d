#include "kernel/kernel_cache.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "common/file_lock.h"
#include "common/temp_dir.h"
#include "kernel/test_files.h"

namespace kh::kernel {
namespace {

using testing::write_file;

CacheKeyInputs base_inputs() {
  return CacheKeyInputs{"tarball:" + std::string(64, 'a'),
                        {"CONFIG_A=y\n", "dwarf-choice.config\nCONFIG_B=y\n"},
                        "gcc (Debian 12.2.0-14+deb12u1) 12.2.0",
                        "x86_64"};
}

TEST(CacheKey, SameInputsGiveTheSameShortHexKey) {
  std::string key = compute_cache_key(base_inputs());
  EXPECT_EQ(key, compute_cache_key(base_inputs()));
  EXPECT_EQ(key.size(), kKeyLength);
  EXPECT_EQ(key.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(CacheKey, EveryInputChangesTheKey) {
  const std::string key = compute_cache_key(base_inputs());
  std::vector<std::pair<std::string, CacheKeyInputs>> variants;
  auto add = [&](std::string what, auto change) {
    CacheKeyInputs inputs = base_inputs();
    change(inputs);
    variants.emplace_back(std::move(what), inputs);
  };
  add("fragment text", [](CacheKeyInputs& in) { in.fragment_texts[0] = "CONFIG_A=m\n"; });
  add("fragment added", [](CacheKeyInputs& in) { in.fragment_texts.push_back("CONFIG_KASAN=y\n"); });
  add("fragment order", [](CacheKeyInputs& in) { std::swap(in.fragment_texts[0], in.fragment_texts[1]); });
  add("source", [](CacheKeyInputs& in) { in.source_identity = "tarball:" + std::string(64, 'b'); });
  add("compiler", [](CacheKeyInputs& in) { in.compiler = "gcc (Debian 13.2.0) 13.2.0"; });
  add("arch", [](CacheKeyInputs& in) { in.arch = "x86"; });
  add("framing", [](CacheKeyInputs& in) {
    in.fragment_texts = {"CONFIG_A=y\ndwarf-choice.config\n", "CONFIG_B=y\n"};
  });
  for (const auto& [what, inputs] : variants) {
    EXPECT_NE(compute_cache_key(inputs), key) << what;
  }
}

// A staged entry with the files a ready entry needs.
KernelBuild stage_entry(const std::filesystem::path& staged, const std::string& key,
                        const std::string& release, const std::string& built_at) {
  write_file(staged / "vmlinux", testing::fake_vmlinux(4096));
  write_file(staged / "bzImage", testing::fake_bzimage(64));
  write_file(staged / "config", "CONFIG_64BIT=y\n");
  write_file(staged / "vmlinux-gdb.py", "# gdb\n");
  write_file(staged / "build.log", "log\n");
  KernelBuild build;
  build.key = key;
  build.dir = staged;
  build.vmlinux = staged / "vmlinux";
  build.bzimage = staged / "bzImage";
  build.config = staged / "config";
  build.gdb_scripts = staged / "vmlinux-gdb.py";
  build.build_log = staged / "build.log";
  build.release = release;
  build.version = *KernelVersion::parse(release);
  build.source = "test";
  build.built_at = built_at;
  return build;
}

class KernelCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("kh-cache-test-");
    ASSERT_TRUE(dir.ok());
    root_.emplace(std::move(*dir));
    ::setenv("KHARNESS_CACHE_DIR", root_->path().c_str(), 1);
    ASSERT_TRUE(cache().create_dirs().ok());
  }
  void TearDown() override { ::unsetenv("KHARNESS_CACHE_DIR"); }

  KernelCache cache() const { return KernelCache(root_->path()); }

  Result<KernelBuild> publish(const std::string& key, const std::string& release,
                              const std::string& built_at) {
    std::filesystem::path staged = cache().kernels_dir() / (KernelCache::temp_prefix(key) + "test") / "entry";
    return cache().publish(staged, stage_entry(staged, key, release, built_at), {{"test", true}});
  }

  std::optional<TempDir> root_;
};

TEST_F(KernelCacheTest, PublishedEntriesAreReadyWithAbsolutePaths) {
  auto published = publish("00112233aabbccdd", "6.1.192", "2025-01-02T03:04:05Z");
  ASSERT_TRUE(published.ok()) << published.error().to_string();
  EXPECT_EQ(published->dir, cache().entry_dir("00112233aabbccdd"));
  EXPECT_EQ(published->vmlinux, published->dir / "vmlinux");
  EXPECT_EQ(published->gdb_scripts, published->dir / "vmlinux-gdb.py");
  EXPECT_EQ(published->release, "6.1.192");
  EXPECT_EQ(published->version, (KernelVersion{6, 1, 192, {}}));
  EXPECT_TRUE(std::filesystem::exists(published->dir / "meta.json"));
  auto listed = list_kernels();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].key, "00112233aabbccdd");
}

TEST_F(KernelCacheTest, OnlyCompleteEntriesAreListed) {
  ASSERT_TRUE(publish("1111111111111111", "6.1.192", "2025-01-02T03:04:05Z").ok());
  // A build in progress or killed, an entry without meta.json, one of another format, a broken one.
  write_file(cache().kernels_dir() / ".tmp-2222222222222222-abc" / "entry" / "vmlinux", "x");
  write_file(cache().kernels_dir() / "3333333333333333" / "vmlinux", "x");
  auto other = publish("4444444444444444", "6.1.192", "2025-01-02T03:04:05Z");
  ASSERT_TRUE(other.ok());
  write_file(other->dir / "meta.json", R"({"format": 999, "key": "4444444444444444"})");
  auto truncated = publish("5555555555555555", "6.1.192", "2025-01-02T03:04:05Z");
  ASSERT_TRUE(truncated.ok());
  std::string meta = testing::read_file(truncated->dir / "meta.json");
  write_file(truncated->dir / "meta.json", meta.substr(0, meta.size() / 2));
  auto missing_file = publish("6666666666666666", "6.1.192", "2025-01-02T03:04:05Z");
  ASSERT_TRUE(missing_file.ok());
  std::filesystem::remove(missing_file->bzimage);

  auto listed = list_kernels();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].key, "1111111111111111");
}

TEST_F(KernelCacheTest, FindsTheNewestVersionInARange) {
  ASSERT_TRUE(publish("aaaaaaaaaaaaaaa1", "4.19.304", "2025-01-01T00:00:00Z").ok());
  ASSERT_TRUE(publish("aaaaaaaaaaaaaaa2", "6.1.192", "2025-01-02T00:00:00Z").ok());
  ASSERT_TRUE(publish("aaaaaaaaaaaaaaa3", "6.12.117", "2025-01-03T00:00:00Z").ok());
  ASSERT_TRUE(publish("aaaaaaaaaaaaaaa4", "4.19.256", "2025-01-04T00:00:00Z").ok());
  ASSERT_TRUE(publish("aaaaaaaaaaaaaaa5", "6.1.192", "2025-01-05T00:00:00Z").ok());
  struct Case {
    std::string range;
    std::string key;  // empty: none
  };
  for (const auto& c : std::vector<Case>{{"<5.0", "aaaaaaaaaaaaaaa1"},
                                         {"4.19", "aaaaaaaaaaaaaaa1"},
                                         {"=4.19.256", "aaaaaaaaaaaaaaa4"},
                                         {">=6.1", "aaaaaaaaaaaaaaa3"},
                                         {"6.1", "aaaaaaaaaaaaaaa5"},
                                         {"<4.0", ""}}) {
    auto range = KernelVersionRange::parse(c.range);
    ASSERT_TRUE(range.ok()) << c.range;
    auto found = find_cached_kernel(*range);
    ASSERT_TRUE(found.ok()) << c.range;
    EXPECT_EQ(found->has_value() ? (*found)->key : std::string(), c.key) << c.range;
  }
}

TEST_F(KernelCacheTest, ListsNewestFirst) {
  ASSERT_TRUE(publish("bbbbbbbbbbbbbbb1", "6.1.192", "2025-01-01T00:00:00Z").ok());
  ASSERT_TRUE(publish("bbbbbbbbbbbbbbb2", "4.19.304", "2025-03-01T00:00:00Z").ok());
  auto listed = list_kernels();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].key, "bbbbbbbbbbbbbbb2");
}

TEST_F(KernelCacheTest, RemovesAnEntryByUniquePrefix) {
  ASSERT_TRUE(publish("cccc111111111111", "6.1.192", "2025-01-01T00:00:00Z").ok());
  ASSERT_TRUE(publish("cccc222222222222", "6.1.192", "2025-01-01T00:00:00Z").ok());
  auto ambiguous = remove_kernel("cccc");
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_EQ(ambiguous.error().kind, ErrorKind::Config);
  auto unknown = remove_kernel("dddd");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, ErrorKind::Config);
  auto removed = remove_kernel("cccc1");
  ASSERT_TRUE(removed.ok()) << removed.error().to_string();
  EXPECT_EQ(removed->key, "cccc111111111111");
  EXPECT_FALSE(std::filesystem::exists(cache().entry_dir("cccc111111111111")));
  EXPECT_EQ(list_kernels().size(), 1u);
}

TEST_F(KernelCacheTest, RemoveAllEmptiesTheCacheButWaitsForRunningBuilds) {
  ASSERT_TRUE(publish("eeeeeeeeeeeeeee1", "6.1.192", "2025-01-01T00:00:00Z").ok());
  write_file(cache().kernels_dir() / ".tmp-eeeeeeeeeeeeeee2-x" / "obj" / "a.o", "x");
  write_file(cache().sources_dir() / "0123456789abcdef" / "linux" / "Makefile", "x");
  write_file(cache().downloads_dir() / "linux-4.19.304.tar.xz", "x");
  {
    auto busy = FileLock::try_acquire(cache().lock_path("eeeeeeeeeeeeeee3"));
    ASSERT_TRUE(busy.ok() && busy->has_value());
    auto refused = remove_all_kernels();
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(list_kernels().size(), 1u);
  }
  auto freed = remove_all_kernels();
  ASSERT_TRUE(freed.ok()) << freed.error().to_string();
  EXPECT_GT(*freed, 0u);
  EXPECT_TRUE(list_kernels().empty());
  EXPECT_EQ(testing::count_entries(cache().sources_dir(), "0"), 0);
  EXPECT_EQ(testing::count_entries(cache().downloads_dir(), "linux"), 0);
  EXPECT_EQ(testing::count_entries(cache().kernels_dir(), ".tmp-"), 0);
}

}  // namespace
}  // namespace kh::kernel
