#include "kernel/kernel_builder.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "common/child_process.h"
#include "common/temp_dir.h"
#include "kernel/test_files.h"

namespace kh::kernel {
namespace {

using testing::write_file;

TEST(HasScriptsGdbTarget, LooksForTheRuleInTheTopMakefile) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok());
  write_file(dir->path() / "Makefile",
             "VERSION = 6\nPHONY += scripts_gdb\nscripts_gdb: prepare0\n\t$(Q)true\n");
  EXPECT_TRUE(has_scripts_gdb_target(dir->path()));
  // 4.19 builds scripts/gdb inside `scripts` and has no such rule.
  write_file(dir->path() / "Makefile", "VERSION = 4\nscripts: scripts_basic\n\t$(Q)$(MAKE) $(build)=$(@)\n");
  EXPECT_FALSE(has_scripts_gdb_target(dir->path()));
}

TEST(ElfHasSection, ReadsTheSectionTable) {
  // This test binary is an ELF file with a symbol table and code.
  auto symtab = elf_has_section("/proc/self/exe", ".symtab");
  ASSERT_TRUE(symtab.ok()) << symtab.error().to_string();
  EXPECT_TRUE(*symtab);
  auto text = elf_has_section("/proc/self/exe", ".text");
  ASSERT_TRUE(text.ok());
  EXPECT_TRUE(*text);
  auto invented = elf_has_section("/proc/self/exe", ".kharness_no_such_section");
  ASSERT_TRUE(invented.ok());
  EXPECT_FALSE(*invented);
}

TEST(ElfHasSection, RejectsFilesThatAreNotElf) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok());
  write_file(dir->path() / "vmlinux", "#!/bin/sh\necho not an ELF file\n");
  auto result = elf_has_section(dir->path() / "vmlinux", ".debug_info");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::Parse);
  auto missing = elf_has_section(dir->path() / "missing", ".debug_info");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::Io);
}

TEST(DefaultBuildJobs, FollowsTheEnvironmentElseTheCpuCount) {
  ::setenv("KHARNESS_KERNEL_JOBS", "3", 1);
  EXPECT_EQ(default_build_jobs(), 3);
  ::setenv("KHARNESS_KERNEL_JOBS", "zero", 1);
  EXPECT_GE(default_build_jobs(), 1);
  ::unsetenv("KHARNESS_KERNEL_JOBS");
  EXPECT_GE(default_build_jobs(), 1);
}

TEST(EnsureGdbIndex, AddsTheIndexOnceAndKeepsTheProgramIntact) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok());
  const auto source = dir->path() / "prog.c";
  const auto program = dir->path() / "prog";
  {
    std::ofstream out(source);
    out << "struct item { int value; };\nint use(struct item* i) { return i->value; }\n"
           "int main(void) { struct item i = {7}; return use(&i) - 7; }\n";
  }
  ChildSpec compile;
  compile.argv = {"gcc", "-g", "-O0", "-o", program.string(), source.string()};
  auto compiled = run_command(compile, Deadline::in(std::chrono::seconds(60)));
  ASSERT_TRUE(compiled.ok() && compiled->exit_code == 0) << (compiled.ok() ? compiled->output : "");
  ASSERT_FALSE(*elf_has_section(program, ".gdb_index"));

  ASSERT_TRUE(ensure_gdb_index(program).ok());
  EXPECT_TRUE(*elf_has_section(program, ".gdb_index"));
  EXPECT_TRUE(*elf_has_section(program, ".debug_info"));
  const auto first = std::filesystem::last_write_time(program);
  ASSERT_TRUE(ensure_gdb_index(program).ok());
  EXPECT_EQ(std::filesystem::last_write_time(program), first) << "an indexed file is left alone";

  ChildSpec run;
  run.argv = {program.string()};
  auto ran = run_command(run, Deadline::in(std::chrono::seconds(10)));
  ASSERT_TRUE(ran.ok());
  EXPECT_EQ(ran->exit_code, 0);
  // Nothing but the program and its source remain: the private copy was renamed into place.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir->path())) {
    ++entries;
  }
  EXPECT_EQ(entries, 2u);
}

TEST(EnsureGdbIndex, AFileThatIsNotElfIsAnError) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok());
  const auto file = dir->path() / "vmlinux";
  std::ofstream(file) << "not an ELF file";
  EXPECT_FALSE(ensure_gdb_index(file).ok());
}

}  // namespace
}  // namespace kh::kernel
