#include "report/browser.h"

#include <zlib.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "common/child_process.h"
#include "common/file_io.h"
#include "common/temp_dir.h"

namespace kh::test {
namespace {

constexpr auto kBrowserTimeout = std::chrono::seconds(120);

// The checker html5lib_check runs: the strict parse, then every attribute and style sheet that
// could name a resource.
constexpr const char* kChecker = R"py(
import re
import sys
try:
    import html5lib
except ImportError:
    print("no module html5lib")
    sys.exit(3)

data = open(sys.argv[1], "rb").read()
parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
try:
    document = parser.parse(data)
except html5lib.html5parser.ParseError as error:
    print("parse error: {} (at {})".format(error, parser.errors[-1][0] if parser.errors else "?"))
    sys.exit(0)

remote = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
css_remote = re.compile(r"(url\(\s*['\"]?\s*(https?:)?//|@import)", re.IGNORECASE)
resource_attributes = {"src", "href", "srcset", "action", "formaction", "poster", "data", "background"}
for element in document.iter():
    for name, value in element.attrib.items():
        local = name.rsplit("}", 1)[-1].split(":")[-1]
        if local in resource_attributes and remote.search(value):
            print("remote resource: <{} {}=\"{}\">".format(element.tag, local, value))
            sys.exit(0)
        if local == "style" and css_remote.search(value):
            print("remote resource in style attribute: {}".format(value))
            sys.exit(0)
    if str(element.tag).rsplit("}", 1)[-1] == "style" and css_remote.search(element.text or ""):
        print("remote resource in a style sheet")
        sys.exit(0)
print("ok")
)py";

// The chromium command line for `page`, with a fresh profile under `profile`.
std::vector<std::string> chromium_argv(const std::filesystem::path& profile) {
  return {"chromium",
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--no-first-run",
          "--user-data-dir=" + profile.string(),
          "--window-size=1200,1600"};
}

Error missing_tool(const Error& error) {
  Error out = error;
  out.message += "; " + std::string(kBrowserDepsHint);
  return out;
}

// Runs chromium with `extra` arguments, stdout to `stdout_file`; chromium's chatter on stderr is
// kept for the error message.
Status run_chromium(std::vector<std::string> extra, const std::filesystem::path& stdout_file) {
  KH_ASSIGN_OR_RETURN(TempDir profile, TempDir::create("kh-chromium-"));
  ChildSpec spec;
  spec.argv = chromium_argv(profile.path() / "profile");
  spec.argv.insert(spec.argv.end(), extra.begin(), extra.end());
  spec.stdin_mode = Stdio::Null;
  spec.stdout_mode = Stdio::File;
  spec.stdout_file = stdout_file;
  spec.stderr_mode = Stdio::File;
  spec.stderr_file = profile.path() / "stderr";
  auto child = ChildProcess::spawn(spec);
  if (!child.ok()) {
    return missing_tool(child.error());
  }
  auto state = child->wait(Deadline::in(kBrowserTimeout));
  if (!state.ok()) {
    return std::move(state).error();
  }
  if (*state != ChildProcess::State::Exited || child->exit_code() != 0) {
    Error error = make_error(ErrorKind::Process, "{}", child->describe());
    if (auto text = read_file(profile.path() / "stderr"); text.ok()) {
      error.details.push_back(text->substr(text->size() > 4000 ? text->size() - 4000 : 0));
    }
    return error;
  }
  return {};
}

std::string file_url(const std::filesystem::path& page) {
  return "file://" + std::filesystem::absolute(page).string();
}

std::uint32_t big_endian(const std::string& bytes, std::size_t at) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at])) << 24) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 1])) << 16) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 2])) << 8) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 3]));
}

int paeth(int a, int b, int c) {
  int p = a + b - c;
  int pa = std::abs(p - a);
  int pb = std::abs(p - b);
  int pc = std::abs(p - c);
  return pa <= pb && pa <= pc ? a : (pb <= pc ? b : c);
}

}  // namespace

Status chromium_screenshot(const std::filesystem::path& page, const std::filesystem::path& png,
                           ColourScheme scheme) {
  std::error_code ignored;
  std::filesystem::remove(png, ignored);
  KH_ASSIGN_OR_RETURN(TempDir dir, TempDir::create("kh-chromium-out-"));
  std::vector<std::string> arguments = {"--screenshot=" + std::filesystem::absolute(png).string()};
  if (scheme == ColourScheme::Dark)
    arguments.emplace_back("--force-dark-mode");
  arguments.push_back(file_url(page));
  KH_TRY(run_chromium(std::move(arguments), dir.path() / "stdout"));
  if (!std::filesystem::exists(png)) {
    return make_error(ErrorKind::Process, "chromium wrote no screenshot {}", png.string());
  }
  return {};
}

Status chromium_print(const std::filesystem::path& page, const std::filesystem::path& pdf) {
  std::error_code ignored;
  std::filesystem::remove(pdf, ignored);
  KH_ASSIGN_OR_RETURN(TempDir dir, TempDir::create("kh-chromium-out-"));
  KH_TRY(run_chromium(
      {"--no-pdf-header-footer", "--print-to-pdf=" + std::filesystem::absolute(pdf).string(), file_url(page)},
      dir.path() / "stdout"));
  if (!std::filesystem::exists(pdf)) {
    return make_error(ErrorKind::Process, "chromium wrote no PDF {}", pdf.string());
  }
  return {};
}

Result<std::string> chromium_dom(const std::filesystem::path& page) {
  KH_ASSIGN_OR_RETURN(TempDir dir, TempDir::create("kh-chromium-out-"));
  KH_TRY(run_chromium({"--dump-dom", file_url(page)}, dir.path() / "dom.html"));
  return read_file(dir.path() / "dom.html");
}

Result<PngImage> decode_png(const std::string& bytes) {
  static const std::string kSignature = "\x89PNG\r\n\x1a\n";
  if (bytes.compare(0, kSignature.size(), kSignature) != 0) {
    return make_error(ErrorKind::Parse, "not a PNG file");
  }
  PngImage image;
  int bit_depth = 0;
  int colour_type = -1;
  int interlace = 0;
  std::string data;
  std::size_t at = kSignature.size();
  while (at + 12 <= bytes.size()) {
    std::uint32_t length = big_endian(bytes, at);
    std::string type = bytes.substr(at + 4, 4);
    if (at + 12 + length > bytes.size()) {
      return make_error(ErrorKind::Parse, "PNG chunk {} runs past the end", type);
    }
    std::string body = bytes.substr(at + 8, length);
    if (type == "IHDR" && length >= 13) {
      image.width = static_cast<int>(big_endian(body, 0));
      image.height = static_cast<int>(big_endian(body, 4));
      bit_depth = static_cast<unsigned char>(body[8]);
      colour_type = static_cast<unsigned char>(body[9]);
      interlace = static_cast<unsigned char>(body[12]);
    } else if (type == "IDAT") {
      data += body;
    } else if (type == "IEND") {
      break;
    }
    at += 12 + length;
  }
  if (bit_depth != 8 || (colour_type != 2 && colour_type != 6) || interlace != 0 || image.width <= 0 ||
      image.height <= 0) {
    return make_error(ErrorKind::Parse, "unsupported PNG: bit depth {}, colour type {}, interlace {}",
                      bit_depth, colour_type, interlace);
  }
  image.channels = colour_type == 6 ? 4 : 3;
  std::size_t stride = static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.channels);
  std::vector<std::uint8_t> raw((stride + 1) * static_cast<std::size_t>(image.height));
  uLongf raw_size = static_cast<uLongf>(raw.size());
  int status = ::uncompress(raw.data(), &raw_size, reinterpret_cast<const Bytef*>(data.data()),
                            static_cast<uLong>(data.size()));
  if (status != Z_OK || raw_size != raw.size()) {
    return make_error(ErrorKind::Parse, "PNG data does not inflate to {} bytes (zlib status {})", raw.size(),
                      status);
  }
  image.pixels.resize(stride * static_cast<std::size_t>(image.height));
  const int bpp = image.channels;
  for (std::size_t row = 0; row < static_cast<std::size_t>(image.height); ++row) {
    const std::uint8_t* in = raw.data() + row * (stride + 1);
    std::uint8_t* out = image.pixels.data() + row * stride;
    const std::uint8_t* up = row > 0 ? out - stride : nullptr;
    int filter = in[0];
    ++in;
    for (std::size_t i = 0; i < stride; ++i) {
      int a = i >= static_cast<std::size_t>(bpp) ? out[i - bpp] : 0;
      int b = up != nullptr ? up[i] : 0;
      int c = up != nullptr && i >= static_cast<std::size_t>(bpp) ? up[i - bpp] : 0;
      int predictor = 0;
      switch (filter) {
        case 0:
          break;
        case 1:
          predictor = a;
          break;
        case 2:
          predictor = b;
          break;
        case 3:
          predictor = (a + b) / 2;
          break;
        case 4:
          predictor = paeth(a, b, c);
          break;
        default:
          return make_error(ErrorKind::Parse, "bad PNG filter {} in row {}", filter, row);
      }
      out[i] = static_cast<std::uint8_t>(in[i] + predictor);
    }
  }
  return image;
}

std::size_t distinct_colours(const PngImage& image) {
  std::set<std::uint32_t> colours;
  for (std::size_t i = 0; i + 2 < image.pixels.size(); i += static_cast<std::size_t>(image.channels)) {
    colours.insert((static_cast<std::uint32_t>(image.pixels[i]) << 16) |
                   (static_cast<std::uint32_t>(image.pixels[i + 1]) << 8) | image.pixels[i + 2]);
  }
  return colours.size();
}

Result<std::string> html5lib_check(const std::filesystem::path& page) {
  KH_ASSIGN_OR_RETURN(TempDir dir, TempDir::create("kh-html5lib-"));
  std::filesystem::path script = dir.path() / "check.py";
  KH_TRY(write_file_atomically(script, kChecker));
  // Debian's python3 has python3-html5lib; a python3 earlier in PATH (a virtualenv) may not.
  std::error_code ignored;
  std::string python = std::filesystem::exists("/usr/bin/python3", ignored) ? "/usr/bin/python3" : "python3";
  ChildSpec spec;
  spec.argv = {python, script.string(), page.string()};
  auto run = run_command(spec, Deadline::in(std::chrono::seconds(120)));
  if (!run.ok()) {
    return missing_tool(run.error());
  }
  std::string output = run->output;
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r'))
    output.pop_back();
  if (run->exit_code == 3) {
    return make_error(ErrorKind::Process, "{}: {}; {}", python, output, kBrowserDepsHint);
  }
  if (run->exit_code != 0) {
    return make_error(ErrorKind::Process, "the html5lib check failed (exit {}): {}", run->exit_code, output);
  }
  return output;
}

}  // namespace kh::test
