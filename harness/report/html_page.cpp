#include "report/html_page.h"

#include <unistd.h>

#include <system_error>

#include <fmt/format.h>

#include "common/file_io.h"
#include "report/html_text.h"

namespace kh::report {
namespace {

// One style sheet for every report. Colours are variables, set for light and dark schemes and
// for print (always light); the SVG pictures take their colours from the classes here.
constexpr std::string_view kStyle = R"css(
:root {
  color-scheme: light dark;
  --mono: "DejaVu Sans Mono", "Liberation Mono", ui-monospace, Menlo, Consolas, monospace;
  --bg: #f7f7f5; --panel: #ffffff; --panel-2: #f0f2f4; --fg: #1c2024; --muted: #5d6873;
  --line: #d5dade; --link: #0b5cad; --target: #fff1a8;
  --good: #1a7f37; --good-bg: #dcf5e3; --bad: #c62828; --bad-bg: #fde7e7;
  --warn: #8a5a00; --warn-bg: #fdf1c7; --info-bg: #e8eefb;
  --node: #eef2f8; --node-line: #6b83a8; --end: #0b5cad; --end-bg: #dbe8fb; --edge: #8d9aa7;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #111417; --panel: #181c20; --panel-2: #20252b; --fg: #e2e6ea; --muted: #9aa5b0;
    --line: #343b43; --link: #7db4f5; --target: #4a4218;
    --good: #5fd07f; --good-bg: #173523; --bad: #ff7b72; --bad-bg: #3d1d1d;
    --warn: #e3b341; --warn-bg: #3a3015; --info-bg: #1d2a3d;
    --node: #1f2731; --node-line: #6f88ad; --end: #7db4f5; --end-bg: #1b3250; --edge: #6f7b88;
  }
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--fg); }
body { margin: 0; font: 15px/1.45 system-ui, "DejaVu Sans", "Liberation Sans", sans-serif; }
main { max-width: 1220px; margin: 0 auto; padding: 20px 24px 48px; }
a { color: var(--link); }
code, pre, .mono { font-family: var(--mono); font-size: 13px; }
h1 { font-size: 26px; margin: 0 0 4px; display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
h2 { font-size: 20px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 22px 0 8px; }
h3 .muted, h2 .muted { font-weight: normal; }
.muted { color: var(--muted); }
p { margin: 6px 0; }
article.run + article.run { margin-top: 56px; border-top: 3px double var(--line); padding-top: 12px; }
.badge { display: inline-block; font: 700 13px/1 var(--mono); padding: 5px 9px; border-radius: 5px;
  border: 1px solid currentColor; letter-spacing: .04em; }
.badge.pass, .badge.skipped { color: var(--good); background: var(--good-bg); }
.badge.skipped { color: var(--warn); background: var(--warn-bg); }
.badge.fail, .badge.error, .badge.infra, .badge.timeout { color: var(--bad); background: var(--bad-bg); }
.head { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 16px 20px; }
.head .file { color: var(--muted); font-family: var(--mono); font-size: 13px; }
.head .description { max-width: 80ch; }
.detail { margin-top: 10px; padding: 8px 12px; border-radius: 6px; background: var(--bad-bg); }
.detail.skipped { background: var(--warn-bg); }
dl.facts { display: flex; flex-wrap: wrap; gap: 6px 28px; margin: 12px 0 4px; }
dl.facts div { min-width: 110px; }
dl.facts dt { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .05em; }
dl.facts dd { margin: 0; font-family: var(--mono); font-size: 14px; }
.phase-bar { display: flex; height: 12px; border-radius: 6px; overflow: hidden; margin: 10px 0 4px;
  background: var(--panel-2); border: 1px solid var(--line); max-width: 900px; }
.phase-bar span { display: block; height: 100%; border-right: 1px solid var(--panel); }
.phase-bar span:nth-child(4n+1) { background: #6b8fc9; } .phase-bar span:nth-child(4n+2) { background: #d9a441; }
.phase-bar span:nth-child(4n+3) { background: #5fae7c; } .phase-bar span:nth-child(4n+4) { background: #b883c4; }
ul.phases { list-style: none; display: flex; flex-wrap: wrap; gap: 2px 16px; padding: 0; margin: 2px 0 8px;
  font-family: var(--mono); font-size: 12.5px; color: var(--muted); }
.totals { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 10px; }
.chip { font-family: var(--mono); font-size: 13px; padding: 3px 10px; border-radius: 999px;
  background: var(--panel-2); border: 1px solid var(--line); }
.chip.passed { color: var(--good); background: var(--good-bg); border-color: transparent; }
.chip.failed.some, .chip.errors { color: var(--bad); background: var(--bad-bg); border-color: transparent; }
.chip.skipped { color: var(--warn); background: var(--warn-bg); border-color: transparent; }
table { border-collapse: collapse; width: 100%; background: var(--panel); border: 1px solid var(--line);
  border-radius: 8px; overflow: hidden; }
th, td { text-align: left; vertical-align: top; padding: 6px 10px; border-bottom: 1px solid var(--line); }
thead th { font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted);
  background: var(--panel-2); }
.guest h4 { margin: 12px 0 4px; font-size: 13px; font-weight: 600; }
dl.guest-results { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 3px 18px;
  margin: 0; font-family: var(--mono); font-size: 13px; }
dl.guest-results div { display: flex; gap: 8px; border-bottom: 1px dotted var(--line); padding: 1px 0; }
dl.guest-results dt { color: var(--muted); } dl.guest-results dd { margin: 0 0 0 auto; }
nav.toc { margin: 14px 0 0; font-size: 14px; }
nav.toc a { margin-right: 14px; white-space: nowrap; }
.figure { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 6px;
  overflow-x: auto; max-width: 100%; }
.breakpoint-body { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
.breakpoint-body > .figure { flex: 0 1 auto; }
.breakpoint-body > table { flex: 1 1 460px; width: auto; }
.snapshots { display: flex; flex-wrap: wrap; gap: 4px 16px; }
.snapshots > section.snapshot { flex-grow: 1; flex-shrink: 1; min-width: 0; max-width: 100%; }
.snapshots > section.snapshot > .figure { width: fit-content; }
.legend { font-size: 13px; color: var(--muted); margin: 6px 2px 10px; }
.legend .key { display: inline-block; width: 12px; height: 12px; border-radius: 3px; vertical-align: -1px;
  margin: 0 4px 0 10px; border: 1px solid var(--node-line); background: var(--node); }
.legend .key.faded { opacity: .45; border-style: dashed; }
.legend .key.end { background: var(--end-bg); border: 2px solid var(--end); }
.legend .key.removed { background: var(--bad-bg); border-color: var(--bad); }
.legend .key.added { background: var(--good-bg); border-color: var(--good); }
.legend .key.renamed, .legend .key.changed { background: var(--warn-bg); border-color: var(--warn); }
tbody.path > tr.path-head th { font-weight: normal; background: var(--panel-2); font-size: 13px; }
tbody.path > tr.path-head code { font-size: 12.5px; }
td.hit-ids { white-space: nowrap; font-family: var(--mono); font-size: 13px; width: 1%; }
td.task, td.time { white-space: nowrap; width: 1%; font-size: 14px; }
dl.captures { margin: 0; display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; }
dl.captures dt { color: var(--muted); font-family: var(--mono); font-size: 13px; }
dl.captures dd { margin: 0; font-family: var(--mono); font-size: 13px; overflow-wrap: anywhere; }
.error-text { color: var(--bad); }
tr:target > td, tr:target > th, tbody:target > tr > td, tbody:target > tr > th,
section:target > h3 { background: var(--target); }
section.snapshot { margin-top: 18px; }
section.snapshot > h3 { padding: 2px 6px; border-radius: 5px; }
.changes { font-size: 14px; }
.changes .added { color: var(--good); } .changes .removed { color: var(--bad); }
.changes .changed { color: var(--warn); }
table.verdicts td.verdict { width: 84px; }
table.verdicts td.where { white-space: nowrap; color: var(--muted); font-family: var(--mono); font-size: 12.5px; }
table.verdicts tr.fail > td, table.verdicts tr.error > td { background: var(--bad-bg); }
.versus { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin-top: 6px; }
.versus span { color: var(--muted); font-size: 13px; }
.versus code { overflow-wrap: anywhere; }
pre.console { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px;
  overflow-x: auto; white-space: pre; font-size: 12.5px; }
.sides { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 14px; align-items: start; }
@media (max-width: 900px) { .sides { grid-template-columns: minmax(0, 1fr); } }
.sides .side-head { margin: 4px 2px 6px; font-size: 14px; font-family: var(--mono); }
ul.change-lines { font-family: var(--mono); font-size: 13px; padding-left: 18px; }
ul.change-lines .renamed { color: var(--warn); } ul.change-lines .removed { color: var(--bad); }
ul.change-lines .added { color: var(--good); }
table.matrix { width: auto; min-width: 50%; }
table.matrix th.kernel { text-transform: none; letter-spacing: 0; font-size: 14px; color: var(--fg); }
table.matrix th.kernel .muted, table.matrix td .muted { display: block; font-size: 12px; font-weight: normal; }
table.matrix th.scenario { font-family: var(--mono); font-size: 14px; }
table.matrix th.scenario .muted { display: block; font: 12px/1.45 system-ui, "DejaVu Sans", sans-serif; }
table.matrix td.cell { font-family: var(--mono); font-size: 14px; white-space: nowrap; }
table.matrix td.cell a { font-weight: bold; text-decoration: none; color: inherit; }
table.matrix td.cell a:hover, table.matrix td.cell a:focus { text-decoration: underline; }
table.matrix td.pass { color: var(--good); background: var(--good-bg); }
table.matrix td.skipped { color: var(--warn); background: var(--warn-bg); }
table.matrix td.fail, table.matrix td.error, table.matrix td.infra, table.matrix td.timeout,
table.matrix td.interrupted { color: var(--bad); background: var(--bad-bg); }
table.matrix td.none { color: var(--muted); }
section.version-step { margin: 10px 0 18px; padding-left: 12px; border-left: 3px solid var(--line); }
section.version-step h4 { margin: 8px 0 4px; font-family: var(--mono); }
section.version-step > section.breakpoint > h5 { font-size: 14px; margin: 12px 0 6px; }
section.cell { margin-top: 40px; }
section.cell > h2.cell-title { font-size: 18px; display: flex; justify-content: space-between; gap: 12px; flex-wrap: wrap; }
section.cell > h2.cell-title a { font-size: 14px; font-weight: normal; }
section.cell .head h1 { font-size: 20px; }
section.cell:target > h2.cell-title, section.scenario-changes:target > h3 { background: var(--target); }

svg text { font-family: var(--mono); font-size: 12px; fill: var(--fg); }
svg.call-tree .node rect { fill: var(--node); stroke: var(--node-line); stroke-width: 1.2; }
svg.call-tree .node text { text-anchor: middle; }
svg.call-tree .node.faded { opacity: .45; }
svg.call-tree .node.faded rect { stroke-dasharray: 4 3; }
svg.call-tree .node.end rect { fill: var(--end-bg); stroke: var(--end); stroke-width: 2.2; }
svg.call-tree .node.end > text:first-of-type { font-weight: bold; }
svg.call-tree .node.removed rect { fill: var(--bad-bg); stroke: var(--bad); stroke-width: 2; }
svg.call-tree .node.added rect { fill: var(--good-bg); stroke: var(--good); stroke-width: 2; }
svg.call-tree .node.renamed rect { fill: var(--warn-bg); stroke: var(--warn); stroke-width: 2; }
svg.call-tree .node.removed text { fill: var(--bad); }
svg.call-tree .node.added text { fill: var(--good); }
svg.call-tree .node.renamed text { fill: var(--warn); }
svg.call-tree .node text.hits { fill: var(--link); font-size: 11px; text-decoration: underline; }
svg.call-tree a:hover rect, svg.call-tree a:focus rect { stroke-width: 3.2; }
svg.call-tree .edge path { fill: none; stroke: var(--edge); stroke-linecap: round; }
svg.call-tree .edge.faded { opacity: .45; }
svg.call-tree .edge text.count { font-size: 11px; fill: var(--muted); }
svg.call-tree .edge text.count.left { text-anchor: end; }
svg.mount-tree .heading text { font-size: 11px; fill: var(--muted); text-transform: uppercase; letter-spacing: .05em; }
svg.mount-tree .link { fill: none; stroke: var(--edge); stroke-width: 1.3; }
svg.mount-tree circle { fill: var(--node-line); }
svg.mount-tree text.path { font-weight: bold; }
svg.mount-tree text.type, svg.mount-tree tspan.id { fill: var(--muted); }
svg.mount-tree tspan.id { font-weight: normal; font-size: 11px; }
svg.mount-tree .band { fill: none; }
svg.mount-tree .mount.added .band { fill: var(--good-bg); }
svg.mount-tree .mount.added text.note, svg.mount-tree .mount.added circle { fill: var(--good); }
svg.mount-tree .mount.changed .band { fill: var(--warn-bg); }
svg.mount-tree .mount.changed text.note { fill: var(--warn); }
svg.mount-tree .mount.removed .band { fill: var(--bad-bg); }
svg.mount-tree .mount.removed text { fill: var(--bad); text-decoration: line-through; }
svg.mount-tree .mount.removed text.note { text-decoration: none; }

@media print {
  :root {
    color-scheme: light;
    --bg: #fff; --panel: #fff; --panel-2: #f3f3f3; --fg: #000; --muted: #444; --line: #bbb;
    --link: #0b4a8c; --target: transparent; --good: #11632a; --good-bg: #e3f4e8; --bad: #a31515;
    --bad-bg: #fbe3e3; --warn: #6b4500; --warn-bg: #faf0cf; --node: #f4f6f9; --node-line: #555;
    --end: #0b4a8c; --end-bg: #e2ecfa; --edge: #777;
  }
  main { max-width: none; padding: 0; }
  nav.toc { display: none; }
  .figure { overflow: visible; border: none; padding: 0; }
  .figure svg { max-width: 100%; height: auto; }
  section.snapshot, tr, .figure { break-inside: avoid; }
  .snapshots { display: block; }
  h2, h3 { break-after: avoid; }
  a { text-decoration: none; }
}
)css";

}  // namespace

std::string html_page_start(std::string_view title) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"color-scheme\" content=\"light dark\">\n"
      "<meta name=\"generator\" content=\"kharness\">\n"
      "<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n<main>\n",
      html_escape(title), kStyle);
}

std::string html_page_end() {
  return "</main>\n</body>\n</html>\n";
}

Status check_html_output(const std::filesystem::path& path) {
  std::error_code error;
  if (path.empty()) {
    return make_error(ErrorKind::Config, "--html needs a file name");
  }
  if (std::filesystem::is_directory(path, error)) {
    return make_error(ErrorKind::Config, "--html {}: is a folder; give a file name", path.string());
  }
  std::filesystem::path folder = path.parent_path();
  if (folder.empty()) {
    folder = ".";
  }
  if (!std::filesystem::is_directory(folder, error)) {
    return make_error(ErrorKind::Config, "--html {}: folder {} does not exist", path.string(),
                      folder.string());
  }
  if (::access(folder.c_str(), W_OK | X_OK) != 0) {
    return make_error(ErrorKind::Config, "--html {}: folder {} is not writable", path.string(),
                      folder.string());
  }
  return {};
}

Status write_html_file(const std::filesystem::path& path, std::string_view html) {
  return write_file_atomically(path, html);
}

}  // namespace kh::report
