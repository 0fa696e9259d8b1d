#include "kernel/build_log.h"

#include <gtest/gtest.h>

#include "common/temp_dir.h"
#include "kernel/test_files.h"

namespace kh::kernel {
namespace {

ChildSpec shell(std::string script) {
  ChildSpec spec;
  spec.argv = {"sh", "-c", std::move(script)};
  return spec;
}

TEST(IsErrorLine, RecognizesCompilerMakeAndTarFailures) {
  struct Case {
    std::string line;
    bool error;
  };
  for (const auto& c : std::vector<Case>{
           {"fs/namespace.c:12:3: error: 'x' undeclared (first use in this function)", true},
           {"fs/namespace.c:1:10: fatal error: linux/nope.h: No such file or directory", true},
           {"ld: vmlinux.o: in function `f': undefined reference to `g'", true},
           {"make[2]: *** [scripts/Makefile.build:250: fs/namespace.o] Error 1", true},
           {"tar: This does not look like a tar archive", true},
           {"xz: (stdin): File format not recognized", true},
           {"  CC      fs/namespace.o", false},
           {"fs/namespace.c:12:3: warning: unused variable 'x'", false},
           {"  LD      vmlinux", false},
       }) {
    EXPECT_EQ(is_error_line(c.line), c.error) << c.line;
  }
}

TEST(BuildLog, KeepsTheOutputAndCountsCompiledFiles) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok());
  BuildProgress progress(false, "test");
  auto log = BuildLog::create(dir->path() / "build.log", progress);
  ASSERT_TRUE(log.ok());
  auto ran =
      log->run("build", shell("echo '  CC      a.o'; echo '  CC      b.o' >&2; printf '  AS      c.o'"));
  ASSERT_TRUE(ran.ok()) << ran.error().to_string();
  EXPECT_EQ(progress.compiled_files(), 3);
  std::string text = testing::read_file(dir->path() / "build.log");
  EXPECT_NE(text.find("kharness: build: sh -c"), std::string::npos) << text;
  EXPECT_NE(text.find("  CC      b.o"), std::string::npos) << text;
}

TEST(BuildLog, AFailingStepReportsTheFirstErrorAndTheTail) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok());
  BuildProgress progress(false, "test");
  auto log = BuildLog::create(dir->path() / "build.log", progress);
  ASSERT_TRUE(log.ok());
  std::string script = "echo '  CC      fs/namespace.o'; echo 'fs/namespace.c:3:1: error: expected ;'; ";
  for (int i = 0; i < 40; ++i) {
    script += "echo line" + std::to_string(i) + "; ";
  }
  script += "echo 'make: *** [Makefile:1] Error 2'; exit 2";
  auto ran = log->run("build", shell(script));
  ASSERT_FALSE(ran.ok());
  const Error& error = ran.error();
  EXPECT_EQ(error.kind, ErrorKind::Build);
  EXPECT_NE(error.message.find("build failed"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("status 2"), std::string::npos) << error.message;
  ASSERT_FALSE(error.details.empty());
  EXPECT_EQ(error.details[0], "first error: fs/namespace.c:3:1: error: expected ;");
  EXPECT_NE(error.details.back().find("make: *** [Makefile:1] Error 2"), std::string::npos);
  // Only the tail, not the whole output.
  EXPECT_LT(error.details.size(), 30u);
  EXPECT_NE(testing::read_file(dir->path() / "build.log").find("line0\n"), std::string::npos);
}

TEST(BuildLog, AStepThatCannotStartIsAProcessError) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok());
  BuildProgress progress(false, "test");
  auto log = BuildLog::create(dir->path() / "build.log", progress);
  ASSERT_TRUE(log.ok());
  ChildSpec spec;
  spec.argv = {"kharness-no-such-tool"};
  auto ran = log->run("build", spec);
  ASSERT_FALSE(ran.ok());
  EXPECT_EQ(ran.error().kind, ErrorKind::Process);
}

}  // namespace
}  // namespace kh::kernel
