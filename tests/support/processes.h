// The processes a test's kharness started, seen from /proc: for the "nothing left behind" checks.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace kh::test_support {

// Makes this test process the subreaper of everything it starts: what a kharness leaves behind
// when it exits becomes our child instead of init's, so children_left() sees it.
void become_subreaper();

// Our children, as "comm[pid]", once the zombies among them are reaped. Processes that a kharness
// killed may still be dying when it exits (a group's SIGKILL is delivered last to some): they are
// reaped for up to 10 s; what then still lives was left behind.
std::vector<std::string> children_left();

// Kills and reaps whatever children_left() found, so that one test's leak does not fail the next.
void kill_children();

// How many live descendants of `root` are named `comm` (for "wait until its qemu runs").
int descendants_named(pid_t root, const std::string& comm);

}  // namespace kh::test_support
