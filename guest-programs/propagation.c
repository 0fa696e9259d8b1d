/* propagation: seed 002's table of shared / private / slave combinations, checked against the
 * kernel. For each pair (home_a's type, home's type):
 *   - home is a tmpfs mount, made shared; home_a is a bind mount of home/a, so the two are peers;
 *   - home's propagation type is set, then home_a's (the order matters for the slave cases);
 *   - the optional fields of /proc/self/mountinfo ("shared:N", "master:N") are checked;
 *   - m2 is bind-mounted onto home_a/.m2 and we look for it in home/a/.m2 ("home_a_to_home"), and,
 *     on a fresh copy of the setup, the other way round ("home_to_home_a").
 * Expected results follow mount_namespaces(7): a mount event propagates to peers (shared) and from
 * a master to its slaves, never from a slave back; a mount made slave with no peer and no master
 * becomes private, and so do its slaves (the kernel's do_make_slave()).
 *
 * Everything happens in a private mount namespace of this process (unshare), on a tmpfs mounted
 * on data/propagation, and disappears when the program exits. Result names are
 * "<home_a type>_<home type>.<what>", e.g. "shared_slave.home_a_to_home=yes". */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "common/guest_common.h"

enum propagation { kShared, kPrivate, kSlave };

static const char* const kTypeNames[] = {"shared", "private", "slave"};
static const unsigned long kTypeFlags[] = {MS_SHARED, MS_PRIVATE, MS_SLAVE};

/* One row of the table: the types given to the two mount points and what Linux documents. */
struct combination {
  enum propagation home_a;
  enum propagation home;
  const char* home_a_tag; /* the tag mountinfo shows: shared, master or private */
  const char* home_tag;
  bool home_a_to_home; /* a bind inside home_a appears inside home/a */
  bool home_to_home_a; /* a bind inside home/a appears inside home_a */
};

static const struct combination kTable[] = {
    {kShared, kShared, "shared", "shared", true, true},
    {kShared, kPrivate, "shared", "private", false, false},
    {kShared, kSlave, "shared", "master", true, false},
    {kPrivate, kShared, "private", "shared", false, false},
    {kPrivate, kPrivate, "private", "private", false, false},
    /* home becomes a slave of home_a; home_a then leaves the group and takes home's master away. */
    {kPrivate, kSlave, "private", "private", false, false},
    {kSlave, kShared, "master", "shared", false, true},
    /* home_a is alone in its group when it is made a slave: no master, so it becomes private. */
    {kSlave, kPrivate, "private", "private", false, false},
    /* home is a slave of home_a, then home_a, peerless and masterless, becomes private; so does home. */
    {kSlave, kSlave, "private", "private", false, false},
};

/* The paths of one copy of the setup, under <lab>/<case>_<direction>/. */
struct setup {
  char home[PATH_MAX];
  char home_a[PATH_MAX];
  char home_sub[PATH_MAX]; /* home/a, bound onto home_a */
  char m2[PATH_MAX];
};

static int make_setup(const char* lab, const char* name, const struct combination* row, struct setup* s) {
  char base[PATH_MAX];
  char path[PATH_MAX];
  kh_join(base, lab, name);
  kh_join(s->home, base, "home");
  kh_join(s->home_a, base, "home_a");
  kh_join(s->m2, base, "m2");
  kh_join(s->home_sub, s->home, "a");
  if (kh_mkdirs(s->home, 0755) != 0 || kh_mkdirs(s->home_a, 0755) != 0 || kh_mkdirs(s->m2, 0755) != 0) {
    return kh_fail_errno("create %s", base);
  }
  kh_join(path, s->m2, "mounted");
  if (kh_write_file(path, "m2\n") != 0) {
    return kh_fail_errno("write %s", path);
  }
  if (mount("home", s->home, "tmpfs", 0, "size=64k") != 0) {
    return kh_fail_errno("mount(tmpfs, %s)", s->home);
  }
  kh_join(path, s->home_sub, ".m2");
  if (kh_mkdirs(path, 0755) != 0) {
    return kh_fail_errno("mkdir %s", path);
  }
  if (mount(NULL, s->home, NULL, MS_SHARED, NULL) != 0) {
    return kh_fail_errno("mount(%s, MS_SHARED)", s->home);
  }
  if (mount(s->home_sub, s->home_a, NULL, MS_BIND, NULL) != 0) {
    return kh_fail_errno("mount(%s, %s, MS_BIND)", s->home_sub, s->home_a);
  }
  if (mount(NULL, s->home, NULL, kTypeFlags[row->home], NULL) != 0) {
    return kh_fail_errno("mount(%s, MS_%s)", s->home, kTypeNames[row->home]);
  }
  if (mount(NULL, s->home_a, NULL, kTypeFlags[row->home_a], NULL) != 0) {
    return kh_fail_errno("mount(%s, MS_%s)", s->home_a, kTypeNames[row->home_a]);
  }
  return KH_EXIT_OK;
}

/* Binds m2 onto <into>/.m2 and reports whether its file shows up in <seen_in>/.m2. */
static int bind_and_look(const struct setup* s, const char* into, const char* seen_in, bool* seen) {
  char target[PATH_MAX];
  char probe[PATH_MAX];
  kh_join(target, into, ".m2");
  kh_join(probe, seen_in, ".m2/mounted");
  if (mount(s->m2, target, NULL, MS_BIND, NULL) != 0) {
    return kh_fail_errno("mount(%s, %s, MS_BIND)", s->m2, target);
  }
  *seen = kh_exists(probe);
  return KH_EXIT_OK;
}

static int check_fields(const char* name, const struct setup* s, const struct combination* row) {
  struct kh_mount_entry home;
  struct kh_mount_entry home_a;
  int found_home = kh_find_mount("/proc/self/mountinfo", s->home, &home);
  int found_home_a = kh_find_mount("/proc/self/mountinfo", s->home_a, &home_a);
  if (found_home < 0 || found_home_a < 0) {
    return kh_fail_errno("read /proc/self/mountinfo");
  }
  if (!found_home || !found_home_a) {
    return kh_fail("%s or %s is missing from /proc/self/mountinfo", s->home, s->home_a);
  }
  char result[128];
  int failed = 0;
  const char* home_a_tag = kh_propagation_tag(home_a.optional);
  const char* home_tag = kh_propagation_tag(home.optional);
  snprintf(result, sizeof(result), "%s.home_a", name);
  failed |= kh_expect(result, home_a_tag, row->home_a_tag);
  snprintf(result, sizeof(result), "%s.home", name);
  failed |= kh_expect(result, home_tag, row->home_tag);
  /* Where both take part in propagation, they must name the same peer group. */
  if (strcmp(home_a_tag, "private") != 0 && strcmp(home_tag, "private") != 0) {
    int a_group = kh_peer_group(home_a.optional, home_a_tag);
    int home_group = kh_peer_group(home.optional, home_tag);
    snprintf(result, sizeof(result), "%s.same_peer_group", name);
    failed |= kh_expect(result, a_group >= 0 && a_group == home_group ? "yes" : "no", "yes");
  }
  return failed;
}

static int run_combination(const char* lab, const struct combination* row) {
  char name[64];
  char copy[96];
  char result[128];
  struct setup s;
  bool seen = false;
  int failed = 0;
  snprintf(name, sizeof(name), "%s_%s", kTypeNames[row->home_a], kTypeNames[row->home]);

  snprintf(copy, sizeof(copy), "%s_1", name);
  if (make_setup(lab, copy, row, &s) != 0) {
    return KH_EXIT_FAILED;
  }
  failed |= check_fields(name, &s, row);
  if (bind_and_look(&s, s.home_a, s.home_sub, &seen) != 0) {
    return KH_EXIT_FAILED;
  }
  snprintf(result, sizeof(result), "%s.home_a_to_home", name);
  failed |= kh_expect(result, seen ? "yes" : "no", row->home_a_to_home ? "yes" : "no");

  snprintf(copy, sizeof(copy), "%s_2", name);
  if (make_setup(lab, copy, row, &s) != 0) {
    return KH_EXIT_FAILED;
  }
  if (bind_and_look(&s, s.home_sub, s.home_a, &seen) != 0) {
    return KH_EXIT_FAILED;
  }
  snprintf(result, sizeof(result), "%s.home_to_home_a", name);
  failed |= kh_expect(result, seen ? "yes" : "no", row->home_to_home_a ? "yes" : "no");
  return failed;
}

int main(int argc, char** argv) {
  struct kh_options options;
  kh_parse_options(argc, argv,
                   "For each pair of shared/private/slave types, bind inside one of two peer mount\n"
                   "points and report whether it appears in the other (seed 002).",
                   &options);
  char lab[PATH_MAX];
  kh_path(lab, &options, "/data/propagation");
  if (kh_mkdirs(lab, 0755) != 0) {
    return kh_fail_errno("mkdir %s", lab);
  }
  if (unshare(CLONE_NEWNS) != 0) {
    return kh_fail_errno("unshare(CLONE_NEWNS)");
  }
  /* Nothing below may propagate out of this namespace. */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
    return kh_fail_errno("mount(/, MS_REC|MS_PRIVATE)");
  }
  if (mount("propagation", lab, "tmpfs", 0, "size=1m") != 0) {
    return kh_fail_errno("mount(tmpfs, %s)", lab);
  }
  int failed = 0;
  int count = 0;
  for (size_t i = 0; i < sizeof(kTable) / sizeof(kTable[0]); ++i) {
    failed |= run_combination(lab, &kTable[i]);
    ++count;
  }
  kh_result("combinations", "%d", count);
  return failed ? KH_EXIT_FAILED : KH_EXIT_OK;
}
