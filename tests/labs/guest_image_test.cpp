// The guest image of each <guest> form, built without a VM: compiled sources and their cache,
// prebuilt binaries, command lines, <file>/<dir>, reproducibility, and every bad input with the
// scenario's file:line.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/child_process.h"
#include "common/deadline.h"
#include "common/file_io.h"
#include "common/temp_dir.h"
#include "engine/guest_image.h"
#include "labs/lab_support.h"
#include "trace/scenario.h"

namespace kh {
namespace {

using labs_test::scenario_text;
using labs_test::write_text;

class GuestImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("kh-guest-image-");
    ASSERT_TRUE(dir.ok());
    dir_.emplace(std::move(*dir));
    // A cache of its own: the tests must compile, not find an earlier run's program.
    ::setenv("KHARNESS_CACHE_DIR", (dir_->path() / "cache").c_str(), 1);
  }
  void TearDown() override { ::unsetenv("KHARNESS_CACHE_DIR"); }

  const std::filesystem::path& dir() const { return dir_->path(); }

  // Loads a scenario written into the test's folder with this <guest>.
  trace::Scenario load(const std::string& guest) {
    write_text(dir() / "lab.xml", scenario_text(guest, {"do_mount"}));
    auto loaded = trace::load_scenario_file(dir() / "lab.xml");
    EXPECT_TRUE(loaded.ok()) << loaded.error().to_string();
    return loaded.ok() ? *loaded : trace::Scenario{};
  }

  // The image's file list, as `cpio -t` shows it.
  static std::string listing(const std::filesystem::path& image) {
    ChildSpec spec;
    spec.argv = {"sh", "-c", "gzip -dc '" + image.string() + "' | cpio -it --quiet"};
    auto out = run_command(spec, Deadline::in(std::chrono::seconds(30)));
    return out.ok() ? out->output : std::string();
  }

  std::optional<TempDir> dir_;
};

constexpr const char* kProgram = "#include <stdio.h>\nint main(void) { puts(\"KH-RESULT lab=1\"); return 0; }\n";

TEST_F(GuestImageTest, SourcesAreCompiledOnceAndPacked) {
  write_text(dir() / "lab.c", kProgram);
  write_text(dir() / "data.txt", "forty-two\n");
  trace::Scenario s = load("<guest source=\"lab.c\" cflags=\"-O1\"><file src=\"data.txt\" dest=\"/lab/data.txt\"/>"
                           "<dir dest=\"/lab/empty\"/></guest>");
  auto image = engine::build_guest_image(s.guest);
  ASSERT_TRUE(image.ok()) << image.error().to_string();
  std::string files = listing(*image);
  EXPECT_NE(files.find("guest/lab\n"), std::string::npos) << files;
  EXPECT_NE(files.find("bin/kh-spawn\n"), std::string::npos) << files;
  EXPECT_NE(files.find("lab/data.txt\n"), std::string::npos) << files;
  EXPECT_NE(files.find("lab/empty\n"), std::string::npos) << files;
  // One compiled program in the cache, reused by the second build.
  std::size_t compiled = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir() / "cache" / "guests")) {
    compiled += entry.path().filename() == "lab" ? 1 : 0;
  }
  EXPECT_EQ(compiled, 1u);
  auto again = engine::build_guest_image(s.guest);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *image);
  // Other flags: another program.
  trace::Scenario other = load("<guest source=\"lab.c\" cflags=\"-O2\"/>");
  auto rebuilt = engine::build_guest_image(other.guest);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.error().to_string();
  EXPECT_NE(*rebuilt, *image);
}

TEST_F(GuestImageTest, SameInputsSameBytes) {
  write_text(dir() / "data.txt", "x\n");
  trace::Scenario s = load("<guest command=\"cat /lab/data.txt\"><file src=\"data.txt\" dest=\"/lab/data.txt\"/></guest>");
  auto first = engine::build_guest_image(s.guest);
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  auto first_bytes = read_file(*first);
  ASSERT_TRUE(first_bytes.ok());
  // A fresh cache: built again from scratch.
  ::setenv("KHARNESS_CACHE_DIR", (dir() / "cache2").c_str(), 1);
  auto second = engine::build_guest_image(s.guest);
  ASSERT_TRUE(second.ok());
  EXPECT_NE(*first, *second);
  EXPECT_EQ(read_file(*second).value(), *first_bytes);
  std::string files = listing(*second);
  EXPECT_EQ(files.find("\nguest/"), std::string::npos) << "a command packs no program: " << files;
  EXPECT_NE(files.find("lab/data.txt\n"), std::string::npos) << files;
}

TEST_F(GuestImageTest, CommandScriptRunsShellC) {
  trace::Scenario s = load("<guest command=\"unshare -m sh -c 'mount --bind /a /b'\"/>");
  auto image = engine::build_guest_image(s.guest);
  ASSERT_TRUE(image.ok()) << image.error().to_string();
  ChildSpec spec;
  spec.argv = {"sh", "-c", "gzip -dc '" + image->string() + "' | cpio -i --quiet --to-stdout etc/kharness/guest"};
  auto script = run_command(spec, Deadline::in(std::chrono::seconds(30)));
  ASSERT_TRUE(script.ok());
  EXPECT_NE(script->output.find("KH_GUEST=sh\n"), std::string::npos) << script->output;
  EXPECT_NE(script->output.find("set -- /bin/sh -c 'unshare -m sh -c '\\''mount --bind /a /b'\\'''"), std::string::npos)
      << script->output;
}

struct BadInput {
  const char* name;
  const char* guest;
  const char* message;     // part of the error's text (message and details)
  const char* location;    // the file:line suffix the error carries
};

class GuestImageBadInput : public GuestImageTest, public ::testing::WithParamInterface<BadInput> {};

TEST_P(GuestImageBadInput, IsAConfigErrorWithFileAndLine) {
  const BadInput& c = GetParam();
  write_text(dir() / "broken.c", "int main(void) {\n  return undeclared_thing;\n}\n");
  std::filesystem::copy_file("/bin/ls", dir() / "dynamic");
  write_text(dir() / "script", "#!/bin/sh\necho hi\n");
  {
    std::ofstream big(dir() / "big.bin", std::ios::binary);
    big.seekp((65 << 20) - 1);
    big.put('\0');
  }
  trace::Scenario s = load(c.guest);
  auto image = engine::build_guest_image(s.guest);
  ASSERT_FALSE(image.ok());
  const Error& error = image.error();
  EXPECT_EQ(error.kind, ErrorKind::Config) << error.to_string();
  std::string text = error.to_string();
  for (const auto& detail : error.details) text += "\n" + detail;
  EXPECT_NE(text.find(c.message), std::string::npos) << text;
  EXPECT_EQ(error.location, (dir() / "lab.xml").string() + c.location) << text;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, GuestImageBadInput,
    ::testing::Values(
        BadInput{"missing_source", "<guest source=\"nowhere.c\"/>", "nowhere.c does not exist", ":3"},
        BadInput{"compile_error", "<guest source=\"broken.c\"/>", "broken.c:2:", ":3"},
        BadInput{"dynamic_binary", "<guest binary=\"dynamic\"/>", "is dynamically linked", ":3"},
        BadInput{"not_elf", "<guest binary=\"script\"/>", "script", ":3"},
        BadInput{"missing_binary", "<guest binary=\"nothing\"/>", "does not exist", ":3"},
        BadInput{"missing_file", "<guest command=\"true\">\n<file src=\"absent.txt\" dest=\"/lab/a\"/></guest>",
                 "absent.txt for /lab/a does not exist", ":4"},
        BadInput{"too_large_file", "<guest command=\"true\">\n<file src=\"big.bin\" dest=\"/lab/big\"/></guest>",
                 "at most 64 MiB", ":4"}),
    [](const ::testing::TestParamInfo<BadInput>& case_info) { return std::string(case_info.param.name); });

}  // namespace
}  // namespace kh
