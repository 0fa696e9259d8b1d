// Shell-style splitting of --args, and quoting for the generated run script.
#include "image/shell_words.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/child_process.h"

namespace kh::image {
namespace {

TEST(ShellWordsTest, SplitsLikeAShell) {
  struct Case {
    const char* input;
    std::vector<std::string> words;
  };
  const Case cases[] = {
      {"", {}},
      {"   \t\n ", {}},
      {"a b  c", {"a", "b", "c"}},
      {"--root /tmp/x", {"--root", "/tmp/x"}},
      {"'a b' c", {"a b", "c"}},
      {"\"a b\" c", {"a b", "c"}},
      {"a'b c'd", {"ab cd"}},
      {"''", {""}},
      {"\"\" x", {"", "x"}},
      {"a\\ b", {"a b"}},
      {"\"say \\\"hi\\\"\"", {"say \"hi\""}},
      {"\"back\\\\slash\"", {"back\\slash"}},
      {"\"\\n stays\"", {"\\n stays"}},
      {"'no \\ escapes in single quotes'", {"no \\ escapes in single quotes"}},
      {"$HOME `date` *", {"$HOME", "`date`", "*"}},
      {"it\\'s", {"it's"}},
      {"line\\\ncontinued", {"linecontinued"}},
  };
  for (const auto& c : cases) {
    auto words = split_shell_words(c.input);
    ASSERT_TRUE(words.ok()) << c.input << ": " << words.error().to_string();
    EXPECT_EQ(*words, c.words) << c.input;
  }
}

TEST(ShellWordsTest, UnterminatedInputIsAConfigError) {
  for (const char* bad : {"'open", "\"open", "ends with\\", "a 'b\" c"}) {
    auto words = split_shell_words(bad);
    ASSERT_FALSE(words.ok()) << bad;
    EXPECT_EQ(words.error().kind, ErrorKind::Config) << bad;
  }
}

TEST(ShellWordsTest, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(shell_quote("plain-word_1.2/x=y"), "plain-word_1.2/x=y");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("$x"), "'$x'");
}

TEST(ShellWordsTest, QuotedWordsReadBackThroughShAndThroughTheSplitter) {
  const std::vector<std::string> words = {
      "plain", "", "two words", "it's", "\"dq\"", "$HOME", "back\\slash", "new\nline", "*", "tab\there"};
  std::string line;
  for (const auto& word : words) {
    line += shell_quote(word) + " ";
  }
  auto split = split_shell_words(line);
  ASSERT_TRUE(split.ok());
  EXPECT_EQ(*split, words);

  // /bin/sh is the reader that matters: the guest's rcS.
  ChildSpec spec;
  spec.argv = {"sh", "-c", "for w in " + line + "; do printf '[%s]' \"$w\"; done"};
  auto out = run_command(spec, Deadline::in(std::chrono::seconds(10)));
  ASSERT_TRUE(out.ok());
  std::string expected;
  for (const auto& word : words) {
    expected += "[" + word + "]";
  }
  EXPECT_EQ(out->output, expected);
}

}  // namespace
}  // namespace kh::image
