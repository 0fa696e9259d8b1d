#include "kernel/kernel_source.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/child_process.h"
#include "common/file_io.h"
#include "common/file_lock.h"
#include "common/sha256.h"
#include "common/strings.h"
#include "common/temp_dir.h"
#include "kernel/kernel_download.h"

namespace kh::kernel {
namespace {

constexpr std::size_t kSourceDirLength = 16;
constexpr auto kToolTimeout = std::chrono::seconds(120);
// Lines of tar's output in a corrupt-archive message, and in the details of a disk failure.
constexpr std::size_t kTarMessageLines = 3;
constexpr std::size_t kTarDetailLines = 10;

// strerror(3) texts (tar runs with LC_ALL=C) of a disk or file system that refuses data.
constexpr std::array<std::string_view, 6> kDiskFaults = {
    "No space left on device", "Disk quota exceeded", "Read-only file system",
    "Input/output error",      "Permission denied",   "Operation not permitted",
};

// The sha256 of a tarball, remembered in the cache by path, size and mtime: hashing Debian's
// 130 MiB tarball takes about half a second, a cache hit must not.
Result<std::string> memoized_sha256(const std::filesystem::path& file,
                                    const std::filesystem::path& memo_path) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    return make_error(ErrorKind::Config, "{}: no such file", file.string());
  }
  const std::string key = file.string();
  const auto size = static_cast<std::uint64_t>(st.st_size);
  const auto mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  nlohmann::json memo = nlohmann::json::object();
  if (auto text = read_file(memo_path)) {
    memo = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (memo.is_discarded() || !memo.is_object()) {
      memo = nlohmann::json::object();
    }
  }
  auto it = memo.find(key);
  if (it != memo.end() && it->is_object() && it->value("size", std::uint64_t{0}) == size &&
      it->value("mtime_ns", std::int64_t{0}) == mtime_ns && it->value("sha256", std::string()).size() == 64) {
    return it->value("sha256", std::string());
  }
  KH_ASSIGN_OR_RETURN(std::string sha, sha256_file(file));
  memo[key] = {{"size", size}, {"mtime_ns", mtime_ns}, {"sha256", sha}};
  // Written aside and renamed: concurrent writers may lose an entry, never corrupt the file.
  std::error_code ec;
  std::filesystem::create_directories(memo_path.parent_path(), ec);
  std::filesystem::path partial = memo_path;
  partial += fmt::format(".{}", ::getpid());
  {
    std::ofstream out(partial);
    out << memo.dump(1) << '\n';
  }
  std::filesystem::rename(partial, memo_path, ec);
  if (ec) {
    std::filesystem::remove(partial, ec);
  }
  return sha;
}

Result<CommandOutput> run_git(const std::filesystem::path& dir, std::vector<std::string> args) {
  ChildSpec spec;
  spec.argv = {"git", "-C", dir.string()};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  // Reading the state must not write to the tree's .git (index refresh).
  spec.env = {{"GIT_OPTIONAL_LOCKS", "0"}, {"LC_ALL", "C"}};
  return run_command(spec, Deadline::in(kToolTimeout));
}

// The state of a tree in git: HEAD plus a hash of the local changes (diff against HEAD and the
// untracked files), or nullopt when the tree is not in a git work tree (or git is missing).
Result<std::optional<std::pair<std::string, std::string>>> git_state(const std::filesystem::path& dir) {
  auto head = run_git(dir, {"rev-parse", "--verify", "HEAD"});
  if (!head || head->exit_code != 0) {
    return std::optional<std::pair<std::string, std::string>>();
  }
  KH_ASSIGN_OR_RETURN(CommandOutput diff,
                      run_git(dir, {"diff", "HEAD", "--binary", "--no-ext-diff", "--", "."}));
  KH_ASSIGN_OR_RETURN(CommandOutput untracked,
                      run_git(dir, {"ls-files", "--others", "--exclude-standard", "-z", "--", "."}));
  if (diff.exit_code != 0 || untracked.exit_code != 0) {
    return make_error(ErrorKind::Process, "git cannot read the state of {}: {}", dir.string(),
                      trim(diff.exit_code != 0 ? diff.output : untracked.output));
  }
  std::string changes;
  if (!diff.output.empty() || !untracked.output.empty()) {
    Sha256 sha;
    sha.update(diff.output);
    std::string_view names = untracked.output;
    while (!names.empty()) {
      std::size_t end = names.find('\0');
      std::string name(names.substr(0, end));
      names = end == std::string_view::npos ? std::string_view{} : names.substr(end + 1);
      auto content = sha256_file(dir / name);
      sha.update(name);
      sha.update(content ? *content : std::string("unreadable"));
    }
    changes = sha.hex_digest();
  }
  return std::optional<std::pair<std::string, std::string>>(
      std::pair(std::string(trim(head->output)), changes));
}

// Outside git: a hash of every file's path, size and mtime. An edit changes the mtime, and this
// stays fast (no file is read) on a tree of 80,000 files.
Result<std::string> tree_stat_hash(const std::filesystem::path& dir) {
  std::vector<std::string> records;
  std::error_code ec;
  std::filesystem::recursive_directory_iterator it(
      dir, std::filesystem::directory_options::skip_permission_denied, ec);
  for (; !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().filename() == ".git") {
      it.disable_recursion_pending();
      continue;
    }
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || S_ISDIR(st.st_mode)) {
      continue;
    }
    records.push_back(fmt::format("{}\t{}\t{}.{}", it->path().lexically_relative(dir).string(), st.st_size,
                                  st.st_mtim.tv_sec, st.st_mtim.tv_nsec));
  }
  if (ec) {
    return make_error(ErrorKind::Io, "cannot walk {}: {}", dir.string(), ec.message());
  }
  std::sort(records.begin(), records.end());
  Sha256 sha;
  for (const auto& record : records) {
    sha.update(record);
    sha.update("\n");
  }
  return sha.hex_digest();
}

Result<SourceIdentity> identify_tree(const std::filesystem::path& requested) {
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::weakly_canonical(std::filesystem::absolute(requested), ec);
  if (ec) {
    dir = requested;
  }
  KH_TRY(check_kernel_tree(dir));
  SourceIdentity source;
  source.kind = SourceIdentity::Kind::Tree;
  source.path = dir;
  KH_ASSIGN_OR_RETURN(auto git, git_state(dir));
  if (git) {
    const auto& [head, changes] = *git;
    source.identity =
        fmt::format("tree:{}:git:{}:{}", dir.string(), head, changes.empty() ? "clean" : changes);
    source.description = fmt::format("tree {} (git {}{})", dir.string(), head.substr(0, 12),
                                     changes.empty() ? "" : ", with local changes");
  } else {
    KH_ASSIGN_OR_RETURN(std::string files, tree_stat_hash(dir));
    source.identity = fmt::format("tree:{}:files:{}", dir.string(), files);
    source.description = fmt::format("tree {}", dir.string());
  }
  return source;
}

Result<SourceIdentity> identify_tarball(const std::filesystem::path& requested, const KernelCache& cache,
                                        std::string description) {
  std::error_code ec;
  std::filesystem::path file = std::filesystem::absolute(requested, ec);
  if (!std::filesystem::exists(file, ec)) {
    return make_error(ErrorKind::Config, "kernel tarball {}: no such file", requested.string());
  }
  if (!std::filesystem::is_regular_file(file, ec)) {
    return make_error(ErrorKind::Config, "kernel tarball {} is not a file", requested.string());
  }
  SourceIdentity source;
  source.kind = SourceIdentity::Kind::Tarball;
  source.path = file;
  KH_ASSIGN_OR_RETURN(source.sha256, memoized_sha256(file, cache.sources_dir() / "sha256-memo.json"));
  source.identity = "tarball:" + source.sha256;
  source.description = description.empty() ? "tarball " + file.filename().string() : std::move(description);
  return source;
}

bool valid_debian_package(std::string_view name) {
  constexpr std::string_view kPrefix = "linux-source-";
  if (!name.starts_with(kPrefix) || name.size() == kPrefix.size()) {
    return false;
  }
  std::string_view version = name.substr(kPrefix.size());
  return version.find_first_not_of("0123456789.") == std::string_view::npos && version.front() != '.' &&
         version.back() != '.';
}

Result<SourceIdentity> identify_debian_package(const std::string& package, const KernelCache& cache) {
  if (!valid_debian_package(package)) {
    return make_error(ErrorKind::Config,
                      "--kernel-package '{}' is not a Debian kernel source package name "
                      "(expected linux-source-X.Y, e.g. linux-source-6.1)",
                      package);
  }
  std::filesystem::path tarball = std::filesystem::path("/usr/src") / (package + ".tar.xz");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(tarball, ec)) {
    return make_error(
        ErrorKind::Config,
        "Debian package {} is not installed (no {}): run `make deps` or `apt-get install {}`, or "
        "use --kernel-source DIR, --kernel-tarball FILE or --kernel-version X.Y.Z",
        package, tarball.string(), package);
  }
  KH_ASSIGN_OR_RETURN(SourceIdentity source, identify_tarball(tarball, cache, "debian " + package));
  source.debian_package = package;
  return source;
}

// The kernel tree inside an extracted tarball: the folder itself or its only subfolder.
std::filesystem::path tree_in(const std::filesystem::path& extracted) {
  std::error_code ec;
  if (std::filesystem::exists(extracted / "Makefile", ec)) {
    return extracted;
  }
  std::vector<std::filesystem::path> dirs;
  for (const auto& item : std::filesystem::directory_iterator(extracted, ec)) {
    if (item.is_directory(ec)) {
      dirs.push_back(item.path());
    }
  }
  return dirs.size() == 1 ? dirs.front() : extracted;
}

std::string_view disk_fault_in(std::string_view line) {
  for (std::string_view fault : kDiskFaults) {
    if (line.find(fault) != std::string_view::npos) {
      return fault;
    }
  }
  return {};
}

// GNU tar's report of a short write(2): "tar: linux/x: Wrote only 7168 of 10240 bytes".
bool is_short_write(std::string_view line) {
  return line.find(": Wrote only ") != std::string_view::npos;
}

}  // namespace

std::string describe_source(const SourceIdentity& source) {
  if (source.debian_package.empty()) {
    return source.description;
  }
  ChildSpec dpkg;
  dpkg.argv = {"dpkg-query", "-W", "-f=${Version}", source.debian_package};
  auto version = run_command(dpkg, Deadline::in(kToolTimeout));
  if (version && version->exit_code == 0 && !trim(version->output).empty()) {
    return source.description + " " + std::string(trim(version->output));
  }
  return source.description;
}

Error extraction_error(const std::filesystem::path& tarball, const std::filesystem::path& destination,
                       const std::vector<std::string>& tar_lines, const Status& destination_probe) {
  std::vector<std::string_view> lines;
  for (const auto& line : tar_lines) {
    if (!trim(line).empty()) {
      lines.push_back(trim(line));
    }
  }
  std::string reason;
  if (!destination_probe.ok()) {
    // "cannot write to DIR: No space left on device": the system's reason is the last part.
    const std::string& probe = destination_probe.error().message;
    const std::size_t colon = probe.rfind(": ");
    reason = colon == std::string::npos ? probe : probe.substr(colon + 2);
  }
  for (std::size_t i = 0; reason.empty() && i < lines.size(); ++i) {
    reason = std::string(disk_fault_in(lines[i]));
  }
  if (reason.empty() && std::any_of(lines.begin(), lines.end(), is_short_write)) {
    reason = "tar could write only part of a file (is the disk full?)";
  }
  if (!reason.empty()) {
    Error error = make_error(ErrorKind::Io, "cannot extract kernel tarball {} into {}: {}", tarball.string(),
                             destination.string(), reason);
    const std::size_t first = lines.size() > kTarDetailLines ? lines.size() - kTarDetailLines : 0;
    for (std::size_t i = first; i < lines.size(); ++i) {
      error.details.emplace_back(lines[i]);
    }
    return error;
  }
  std::string said;
  const std::size_t first = lines.size() > kTarMessageLines ? lines.size() - kTarMessageLines : 0;
  for (std::size_t i = first; i < lines.size(); ++i) {
    said += said.empty() ? std::string(lines[i]) : "; " + std::string(lines[i]);
  }
  return make_error(ErrorKind::Config, "cannot extract kernel tarball {}: {}", tarball.string(),
                    said.empty() ? std::string("tar failed and said nothing") : said);
}

Result<KernelVersion> parse_makefile_version(std::string_view makefile) {
  KernelVersion version;
  bool have_version = false;
  bool have_patchlevel = false;
  std::string extraversion;
  // The version variables are among the first lines of the file.
  std::size_t lines = 0;
  while (!makefile.empty() && lines++ < 64) {
    std::size_t newline = makefile.find('\n');
    std::string_view line = makefile.substr(0, newline);
    makefile = newline == std::string_view::npos ? std::string_view{} : makefile.substr(newline + 1);
    std::size_t equals = line.find('=');
    if (equals == std::string_view::npos) {
      continue;
    }
    std::string_view name = trim(line.substr(0, equals));
    std::string_view value = trim(line.substr(equals + 1));
    auto number = [&](int& out) {
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
      return ec == std::errc() && ptr == value.data() + value.size();
    };
    if (name == "VERSION") {
      have_version = number(version.major);
    } else if (name == "PATCHLEVEL") {
      have_patchlevel = number(version.minor);
    } else if (name == "SUBLEVEL") {
      if (!number(version.patch)) {
        version.patch = 0;
      }
    } else if (name == "EXTRAVERSION") {
      version.suffix = std::string(value);
    }
  }
  if (!have_version || !have_patchlevel) {
    return make_error(ErrorKind::Config, "no VERSION and PATCHLEVEL in the Makefile");
  }
  return version;
}

Result<KernelVersion> check_kernel_tree(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return make_error(ErrorKind::Config, "kernel source {}: no such directory", dir.string());
  }
  auto makefile = read_file(dir / "Makefile");
  if (!makefile) {
    return make_error(ErrorKind::Config, "{} is not a kernel source tree: it has no top-level Makefile",
                      dir.string());
  }
  auto version = parse_makefile_version(*makefile);
  if (!version) {
    return make_error(ErrorKind::Config,
                      "{} is not a kernel source tree: its Makefile has no VERSION/PATCHLEVEL", dir.string());
  }
  for (const char* needed : {"Kconfig", "scripts/kconfig/merge_config.sh", "arch/x86/Makefile"}) {
    if (!std::filesystem::exists(dir / needed, ec)) {
      return make_error(ErrorKind::Config, "{} is not a kernel source tree: {} is missing", dir.string(),
                        needed);
    }
  }
  for (const char* built : {".config", "include/config"}) {
    if (std::filesystem::exists(dir / built, ec)) {
      return make_error(
          ErrorKind::Config,
          "{} is configured in place ({} exists): kharness builds out of tree and never modifies "
          "the tree; run `make mrproper` in it or use a clean copy",
          dir.string(), built);
    }
  }
  return version;
}

Result<SourceIdentity> identify_source(const KernelRequest& request, const KernelCache& cache) {
  int given = (request.source_tree.empty() ? 0 : 1) + (request.tarball.empty() ? 0 : 1) +
              (request.version.empty() ? 0 : 1) + (request.debian_package.empty() ? 0 : 1);
  if (given > 1) {
    return make_error(
        ErrorKind::Config,
        "give only one of --kernel-source, --kernel-tarball, --kernel-version and --kernel-package");
  }
  if (!request.source_tree.empty()) {
    return identify_tree(request.source_tree);
  }
  if (!request.tarball.empty()) {
    return identify_tarball(request.tarball, cache, {});
  }
  if (!request.version.empty()) {
    KH_ASSIGN_OR_RETURN(KernelOrgRelease release, parse_kernel_org_version(request.version));
    KH_ASSIGN_OR_RETURN(
        std::filesystem::path tarball,
        download_kernel_tarball(release, cache.downloads_dir(), kernel_mirror(), request.progress));
    return identify_tarball(tarball, cache, "kernel.org linux-" + release.name());
  }
  return identify_debian_package(
      request.debian_package.empty() ? kDefaultDebianPackage : request.debian_package, cache);
}

Result<SourceTree> prepare_source_tree(const SourceIdentity& source, const KernelCache& cache, BuildLog& log,
                                       BuildProgress& progress) {
  if (source.kind == SourceIdentity::Kind::Tree) {
    KH_ASSIGN_OR_RETURN(KernelVersion version, check_kernel_tree(source.path));
    return SourceTree{source.path, version};
  }
  const std::string name = source.sha256.substr(0, kSourceDirLength);
  const std::filesystem::path extracted = cache.sources_dir() / name;
  KH_ASSIGN_OR_RETURN(FileLock lock,
                      FileLock::acquire(cache.sources_dir() / ("." + name + ".lock"), Deadline::never(),
                                        [&] { progress.set_phase("waiting for another extraction"); }));
  std::error_code ec;
  if (!std::filesystem::is_directory(extracted, ec)) {
    // Leftovers of a killed extraction of the same tarball: ours to remove under the lock.
    for (const auto& item : std::filesystem::directory_iterator(cache.sources_dir(), ec)) {
      if (item.path().filename().string().starts_with(".tmp-" + name)) {
        std::filesystem::remove_all(item.path(), ec);
      }
    }
    progress.set_phase("extracting " + source.path.filename().string());
    KH_ASSIGN_OR_RETURN(TempDir partial, TempDir::create(".tmp-" + name + "-", cache.sources_dir()));
    ChildSpec tar;
    tar.argv = {"tar", "-xf", source.path.string(), "-C", partial.path().string(), "--no-same-owner"};
    // Messages in English: extraction_error() reads them.
    tar.env = {{"LC_ALL", "C"}};
    auto extracted_ok = log.run("extract", tar);
    if (!extracted_ok) {
      Error error = std::move(extracted_ok).error();
      if (error.kind != ErrorKind::Build) {
        return error;
      }
      std::vector<std::string> said(log.step_tail().begin(), log.step_tail().end());
      if (said.empty()) {
        said.push_back(error.message);
      }
      // Before the partial tree is removed: a full disk is still full now.
      return extraction_error(source.path, cache.sources_dir(), said, probe_writable(partial.path()));
    }
    auto version = check_kernel_tree(tree_in(partial.path()));
    if (!version) {
      return make_error(ErrorKind::Config, "kernel tarball {} holds no kernel source tree ({})",
                        source.path.string(), version.error().message);
    }
    std::filesystem::rename(partial.path(), extracted, ec);
    if (ec) {
      return make_error(ErrorKind::Io, "cannot move the extracted sources to {}: {}", extracted.string(),
                        ec.message());
    }
    partial.release();
  }
  std::filesystem::path tree = tree_in(extracted);
  KH_ASSIGN_OR_RETURN(KernelVersion version, check_kernel_tree(tree));
  return SourceTree{tree, version};
}

}  // namespace kh::kernel
