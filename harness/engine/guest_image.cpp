#include "engine/guest_image.h"

#include <fmt/format.h>

#include <algorithm>
#include <system_error>
#include <vector>

#include "common/paths.h"
#include "image/initramfs.h"
#include "kernel/sha256.h"

namespace kh::engine {
namespace {

// Cached images beyond this many are removed, oldest first: each is ~1.5 MB and one per distinct
// guest program and arguments.
constexpr std::size_t kMaxCachedImages = 64;

// Every file below `dir`, sorted, so that the digest does not depend on directory order.
std::vector<std::filesystem::path> files_below(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) || it->is_symlink(ec)) {
      files.push_back(it->path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

Result<std::string> input_digest(const image::InitramfsSpec& spec) {
  kernel::Sha256 digest;
  auto add_framed = [&digest](std::string_view name, std::string_view value) {
    digest.update(fmt::format("{}:{}:", name, value.size()));
    digest.update(value);
  };
  add_framed("kharness", version());
  add_framed("guest", spec.guest);
  for (const auto& arg : spec.args) {
    add_framed("arg", arg);
  }
  const std::filesystem::path guest = guest_programs_dir() / spec.guest;
  for (const auto& file : {guest, spec.busybox}) {
    KH_ASSIGN_OR_RETURN(std::string hash, kernel::sha256_file(file));
    add_framed(file.filename().string(), hash);
  }
  const std::filesystem::path skeleton_dir = data_dir() / "initramfs";
  for (const auto& file : files_below(skeleton_dir)) {
    KH_ASSIGN_OR_RETURN(std::string hash, kernel::sha256_file(file));
    add_framed(std::filesystem::relative(file, skeleton_dir).string(), hash);
  }
  return digest.hex_digest().substr(0, 24);
}

void prune(const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<std::pair<std::filesystem::file_time_type, std::filesystem::path>> images;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".gz") {
      images.emplace_back(entry.last_write_time(ec), entry.path());
    }
  }
  if (images.size() <= kMaxCachedImages) {
    return;
  }
  std::sort(images.begin(), images.end());
  for (std::size_t i = 0; i + kMaxCachedImages < images.size(); ++i) {
    std::filesystem::remove(images[i].second, ec);
  }
}

}  // namespace

Result<std::filesystem::path> build_guest_image(const trace::ResolvedScenario& scenario) {
  image::InitramfsSpec spec;
  spec.guest = scenario.guest.program;
  spec.args = scenario.guest.args;
  auto located = [&](Error error) {
    if (error.location.empty()) {
      error.location = scenario.guest.location;
    }
    return error;
  };
  if (Status name = image::check_guest_name(spec.guest); !name.ok()) {
    return located(std::move(name).error());
  }
  if (auto listed = image::list_guest_programs();
      std::find(listed.begin(), listed.end(), spec.guest) == listed.end()) {
    return located(make_error(ErrorKind::Config, "no guest program '{}' in {} (there are: {})", spec.guest,
                              guest_programs_dir().string(), fmt::join(listed, ", ")));
  }
  auto digest = input_digest(spec);
  if (!digest.ok()) {
    return located(std::move(digest).error());
  }
  const std::filesystem::path dir = cache_dir() / "initramfs";
  spec.output = dir / fmt::format("{}-{}.cpio.gz", spec.guest, *digest);
  std::error_code ec;
  if (std::filesystem::is_regular_file(spec.output, ec)) {
    // Touched so that pruning keeps the images in use.
    std::filesystem::last_write_time(spec.output, std::filesystem::file_time_type::clock::now(), ec);
    return spec.output;
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return make_error(ErrorKind::Io, "cannot create {}: {}", dir.string(), ec.message());
  }
  if (Status built = image::build_initramfs(spec); !built.ok()) {
    return located(std::move(built).error());
  }
  prune(dir);
  return spec.output;
}

}  // namespace kh::engine
