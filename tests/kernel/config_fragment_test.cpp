#include "kernel/config_fragment.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "common/paths.h"
#include "common/temp_dir.h"
#include "kernel/test_files.h"

namespace kh::kernel {
namespace {

using testing::write_file;

struct ParseCase {
  std::string line;
  std::string name;
  std::optional<std::string> value;
};

TEST(ParseConfigText, ReadsAssignmentsAndNotSetLines) {
  const std::vector<ParseCase> cases = {
      {"CONFIG_A=y", "A", "y"},
      {"CONFIG_MOD=m", "MOD", "m"},
      {"# CONFIG_B is not set", "B", std::nullopt},
      {"CONFIG_C=n", "C", std::nullopt},
      {"CONFIG_STR=\"console=ttyS0 nokaslr\"", "STR", "\"console=ttyS0 nokaslr\""},
      {"CONFIG_HEX=0x1000000", "HEX", "0x1000000"},
      {"  CONFIG_SPACED=y  \r", "SPACED", "y"},
      {"CONFIG_lower_1=y", "lower_1", "y"},
  };
  for (const auto& c : cases) {
    auto entries = parse_config_text(c.line + "\n", "frag.config");
    ASSERT_TRUE(entries.ok()) << c.line << ": " << entries.error().to_string();
    ASSERT_EQ(entries->size(), 1u) << c.line;
    EXPECT_EQ((*entries)[0].name, c.name) << c.line;
    EXPECT_EQ((*entries)[0].value, c.value) << c.line;
    EXPECT_EQ((*entries)[0].origin, "frag.config:1");
  }
}

TEST(ParseConfigText, SkipsCommentsAndBlankLinesAndCountsLines) {
  auto entries = parse_config_text(
      "# a comment\n\n#CONFIG_X is not set\n# CONFIG_Y is not set, really\nCONFIG_Z=y", "f");
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].name, "Z");
  EXPECT_EQ((*entries)[0].origin, "f:5");
}

TEST(ParseConfigText, RejectsLinesThatAreNotKconfigWithTheirLocation) {
  for (const std::string bad :
       {"FOO=y", "CONFIG_=y", "CONFIG_X", "CONFIG_X=", "random words", "CONFIG_A-B=y"}) {
    auto entries = parse_config_text("CONFIG_OK=y\n" + bad + "\n", "extra.config");
    ASSERT_FALSE(entries.ok()) << bad;
    EXPECT_EQ(entries.error().kind, ErrorKind::Config) << bad;
    EXPECT_EQ(entries.error().location, "extra.config:2") << bad;
  }
}

TEST(ParseConfigText, ShowsTheBytesOfABinaryLineEscaped) {
  struct Case {
    std::string line;
    std::string shown;
  };
  const std::vector<Case> cases = {
      {std::string("\x7f"
                   "ELF\x02\x01\x01\0\0",
                   9),
       "'\\x7fELF\\x02\\x01\\x01\\x00\\x00'"},
      {"\x1b[2Jclear screen", "'\\x1b[2Jclear screen'"},
      {"caf\xc3\xa9 au lait", "'caf\\xc3\\xa9 au lait'"},
      {"tab\there", "'tab\\x09here'"},
      {std::string(200, 'x'), "'" + std::string(80, 'x') + "...'"},
  };
  for (const auto& c : cases) {
    auto entries = parse_config_text(c.line + "\n", "binary.config");
    ASSERT_FALSE(entries.ok()) << c.shown;
    const std::string& message = entries.error().message;
    EXPECT_NE(message.find(c.shown), std::string::npos) << message;
    EXPECT_TRUE(std::all_of(message.begin(), message.end(), [](char ch) { return ch >= 0x20 && ch < 0x7f; }))
        << message;
  }
}

TEST(ReadFragment, ABinaryFileIsReportedInPrintableText) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok());
  std::string binary;
  for (int i = 0; i < 512; ++i) {
    binary.push_back(static_cast<char>(i * 37 % 256));
  }
  write_file(dir->path() / "vmlinux.config", binary);
  auto fragment = read_fragment(dir->path() / "vmlinux.config");
  ASSERT_FALSE(fragment.ok());
  const std::string text = fragment.error().to_string();
  EXPECT_EQ(fragment.error().kind, ErrorKind::Config);
  EXPECT_NE(text.find("\\x"), std::string::npos) << text;
  EXPECT_TRUE(std::all_of(text.begin(), text.end(), [](char ch) { return ch >= 0x20 && ch < 0x7f; })) << text;
}

TEST(ConfigEntry, PrintsAsAConfigLine) {
  EXPECT_EQ((ConfigEntry{"A", "y", ""}).to_line(), "CONFIG_A=y");
  EXPECT_EQ((ConfigEntry{"B", std::nullopt, ""}).to_line(), "# CONFIG_B is not set");
}

ConfigFragment fragment_of(std::string_view name, std::string_view text) {
  auto entries = parse_config_text(text, name);
  EXPECT_TRUE(entries.ok());
  ConfigFragment fragment;
  fragment.path = name;
  fragment.text = std::string(text);
  fragment.entries = entries.ok() ? *entries : std::vector<ConfigEntry>{};
  return fragment;
}

TEST(MergeFragments, LaterFragmentsOverrideEarlierOnesInPlace) {
  std::vector<ConfigFragment> fragments = {
      fragment_of("base.config", "CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=y\n"),
      fragment_of("extra.config", "CONFIG_B=y\nCONFIG_D=m\n# CONFIG_A is not set\n"),
  };
  std::vector<ConfigEntry> merged = merge_fragments(fragments);
  ASSERT_EQ(merged.size(), 4u);
  EXPECT_EQ(merged[0].to_line(), "# CONFIG_A is not set");
  EXPECT_EQ(merged[0].origin, "extra.config:3");
  EXPECT_EQ(merged[1].to_line(), "CONFIG_B=y");
  EXPECT_EQ(merged[2].to_line(), "CONFIG_C=y");
  EXPECT_EQ(merged[2].origin, "base.config:3");
  EXPECT_EQ(merged[3].to_line(), "CONFIG_D=m");
}

struct VerifyCase {
  std::string wanted;
  std::string final_config;
  std::optional<ConfigMismatch::Reason> reason;  // nullopt: honoured
  std::string described;                         // part of describe()
};

TEST(VerifyConfig, ReportsDroppedChangedAndUnknownOptions) {
  const std::vector<VerifyCase> cases = {
      {"CONFIG_A=y", "CONFIG_A=y", std::nullopt, ""},
      {"# CONFIG_A is not set", "# CONFIG_A is not set", std::nullopt, ""},
      {"# CONFIG_KNOWN is not set", "", std::nullopt, ""},
      {"CONFIG_A=y", "# CONFIG_A is not set", ConfigMismatch::Reason::Dropped, "'# CONFIG_A is not set'"},
      {"CONFIG_KNOWN=y", "", ConfigMismatch::Reason::Dropped, "dropped by olddefconfig"},
      {"CONFIG_A=y", "CONFIG_A=m", ConfigMismatch::Reason::Changed, "CONFIG_A=m instead"},
      {"CONFIG_N=16", "CONFIG_N=32", ConfigMismatch::Reason::Changed, "CONFIG_N=32"},
      {"# CONFIG_A is not set", "CONFIG_A=y", ConfigMismatch::Reason::Changed, "CONFIG_A=y instead"},
      {"CONFIG_TYPO=y", "", ConfigMismatch::Reason::Unknown, "not a Kconfig option of this kernel"},
      {"# CONFIG_TYPO is not set", "", ConfigMismatch::Reason::Unknown, "not a Kconfig option"},
  };
  auto known = [](const std::string& name) { return name == "A" || name == "KNOWN" || name == "N"; };
  for (const auto& c : cases) {
    auto wanted = parse_config_text(c.wanted, "frag.config");
    auto final_config = parse_config_text(c.final_config, ".config");
    ASSERT_TRUE(wanted.ok() && final_config.ok());
    auto mismatches = verify_config(*wanted, *final_config, known);
    if (!c.reason) {
      EXPECT_TRUE(mismatches.empty()) << c.wanted << " vs " << c.final_config;
      continue;
    }
    ASSERT_EQ(mismatches.size(), 1u) << c.wanted << " vs " << c.final_config;
    EXPECT_EQ(mismatches[0].reason, *c.reason) << c.wanted << " vs " << c.final_config;
    std::string text = mismatches[0].describe();
    EXPECT_NE(text.find(c.described), std::string::npos) << text;
    EXPECT_NE(text.find("(frag.config:1)"), std::string::npos) << text;
  }
}

TEST(VerifyConfig, AsksAboutSymbolsOnlyForOptionsTheConfigDoesNotMention) {
  auto wanted = parse_config_text("CONFIG_A=y\nCONFIG_B=y\nCONFIG_C=y\n", "f");
  auto final_config = parse_config_text("CONFIG_A=y\n# CONFIG_B is not set\n", ".config");
  std::vector<std::string> asked;
  auto mismatches = verify_config(*wanted, *final_config, [&](const std::string& name) {
    asked.push_back(name);
    return true;
  });
  EXPECT_EQ(asked, std::vector<std::string>{"C"});
  EXPECT_EQ(mismatches.size(), 2u);
}

TEST(ReadFragment, ReadsTheVersionsHeader) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok());
  write_file(dir->path() / "new.config", "# kharness-versions: >=5.18\nCONFIG_X=y\n");
  auto fragment = read_fragment(dir->path() / "new.config");
  ASSERT_TRUE(fragment.ok()) << fragment.error().to_string();
  ASSERT_TRUE(fragment->versions.has_value());
  EXPECT_TRUE(applies_to(*fragment, KernelVersion{6, 1, 192, {}}));
  EXPECT_FALSE(applies_to(*fragment, KernelVersion{4, 19, 304, {}}));
  EXPECT_EQ(fragment->text, "# kharness-versions: >=5.18\nCONFIG_X=y\n");
}

TEST(ReadFragment, FailsOnMissingFilesAndBadHeaders) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok());
  auto missing = read_fragment(dir->path() / "nope.config");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::Config);
  write_file(dir->path() / "bad.config", "CONFIG_X=y\n# kharness-versions: soon\n");
  auto bad = read_fragment(dir->path() / "bad.config");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().location.find("bad.config:2"), std::string::npos);
}

TEST(ReadVersionFragments, KeepsOnlyHeaderedFragmentsSortedByName) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok());
  write_file(dir->path() / "base.config", "# kharness-versions: >=1.0\nCONFIG_BASE=y\n");
  write_file(dir->path() / "z-new.config", "# kharness-versions: >=5.18\nCONFIG_Z=y\n");
  write_file(dir->path() / "a-old.config", "# kharness-versions: <5.18\nCONFIG_A=y\n");
  write_file(dir->path() / "optional.config", "CONFIG_KASAN=y\n");
  write_file(dir->path() / "notes.txt", "# kharness-versions: >=1.0\n");
  auto fragments = read_version_fragments(dir->path());
  ASSERT_TRUE(fragments.ok()) << fragments.error().to_string();
  ASSERT_EQ(fragments->size(), 2u);
  EXPECT_EQ((*fragments)[0].path.filename(), "a-old.config");
  EXPECT_EQ((*fragments)[1].path.filename(), "z-new.config");
}

TEST(ScanKconfigSymbols, FindsConfigAndMenuconfigDeclarations) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok());
  write_file(dir->path() / "Kconfig", "mainmenu \"x\"\nconfig ALPHA\n\tbool \"a\"\nmenuconfig BETA\n");
  write_file(dir->path() / "fs" / "Kconfig.binfmt", "\tconfig\tGAMMA\nconfig_not DELTA\n# config EPSILON\n");
  write_file(dir->path() / "fs" / "Makefile", "config ZETA\n");
  write_file(dir->path() / ".git" / "Kconfig", "config HIDDEN\n");
  auto symbols = scan_kconfig_symbols(dir->path());
  ASSERT_TRUE(symbols.ok());
  EXPECT_EQ(*symbols, (std::vector<std::string>{"ALPHA", "BETA", "GAMMA"}));
}

// The shipped fragments: they parse, and say what every trace needs.
TEST(ShippedFragments, BaseHasWhatTracesNeed) {
  auto base = read_fragment(kh::data_dir() / "kernel-configs" / "base.config");
  ASSERT_TRUE(base.ok()) << base.error().to_string();
  EXPECT_FALSE(base->versions.has_value());
  std::vector<std::string> lines;
  for (const auto& entry : base->entries) {
    lines.push_back(entry.to_line());
  }
  for (const char* needed : {"CONFIG_64BIT=y",
                             "CONFIG_DEBUG_INFO=y",
                             "CONFIG_FRAME_POINTER=y",
                             "CONFIG_GDB_SCRIPTS=y",
                             "# CONFIG_RANDOMIZE_BASE is not set",
                             "CONFIG_SERIAL_8250_CONSOLE=y",
                             "CONFIG_BLK_DEV_INITRD=y",
                             "CONFIG_RD_GZIP=y",
                             "CONFIG_DEVTMPFS=y",
                             "CONFIG_PROC_FS=y",
                             "CONFIG_SYSFS=y",
                             "CONFIG_TMPFS=y",
                             "CONFIG_BINFMT_ELF=y",
                             "CONFIG_BINFMT_SCRIPT=y",
                             "CONFIG_MULTIUSER=y",
                             "CONFIG_FUTEX=y",
                             "CONFIG_NAMESPACES=y",
                             "CONFIG_UTS_NS=y",
                             "CONFIG_IPC_NS=y",
                             "CONFIG_PID_NS=y",
                             "CONFIG_USER_NS=y",
                             "CONFIG_NET_NS=y"}) {
    EXPECT_NE(std::find(lines.begin(), lines.end(), needed), lines.end()) << needed;
  }
}

TEST(ShippedFragments, TheDwarfChoiceIsOnlyForKernelsThatHaveIt) {
  auto fragments = read_version_fragments(kh::data_dir() / "kernel-configs");
  ASSERT_TRUE(fragments.ok()) << fragments.error().to_string();
  auto for_version = [&](const KernelVersion& version) {
    std::vector<std::string> names;
    for (const auto& fragment : *fragments) {
      for (const auto& entry : fragment.entries) {
        if (applies_to(fragment, version)) {
          names.push_back(entry.name);
        }
      }
    }
    return names;
  };
  auto v6_1 = for_version(KernelVersion{6, 1, 192, {}});
  auto v4_19 = for_version(KernelVersion{4, 19, 304, {}});
  EXPECT_NE(std::find(v6_1.begin(), v6_1.end(), "DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT"), v6_1.end());
  for (const auto& name : v4_19) {
    EXPECT_EQ(name.find("DWARF"), std::string::npos) << name << " does not exist in 4.19's Kconfig";
  }
}

}  // namespace
}  // namespace kh::kernel
