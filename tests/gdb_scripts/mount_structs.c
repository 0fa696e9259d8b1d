/* The kernel structures that gdb-scripts/kharness.py reads, in the shapes of the real ones (same
 * member names and nesting, fewer members), holding a small mount namespace:
 *
 *   id parent  mount point  device  fs type  propagation
 *    1   1     /            rootfs  rootfs   private
 *    2   1     /proc        proc    proc     shared:3
 *    3   1     /data/setns  setns   tmpfs    master:3
 *    4   3     /data/setns/sub  sub  tmpfs   shared:5 master:3, unbindable
 *
 * Built twice: with KH_MOUNT_LIST the namespace links its mounts in a list (mnt_namespace.list,
 * mount.mnt_list: 4.19 to 6.7), without it in an rbtree (mnt_namespace.mounts, mount.mnt_node in an
 * anonymous union: 6.8 on). Linked without PIE, so gdb reads every pointer from the file without
 * running it. */
#include <stddef.h>

struct list_head {
  struct list_head *next, *prev;
};

struct rb_node {
  unsigned long __rb_parent_color;
  struct rb_node *rb_right;
  struct rb_node *rb_left;
};

struct rb_root {
  struct rb_node *rb_node;
};

struct qstr {
  union {
    struct {
      unsigned int hash;
      unsigned int len;
    };
    unsigned long hash_len;
  };
  const unsigned char *name;
};

struct dentry {
  unsigned int d_flags;
  struct dentry *d_parent;
  struct qstr d_name;
};

struct file_system_type {
  const char *name;
};

struct super_block {
  unsigned long s_flags;
  struct file_system_type *s_type;
};

struct vfsmount {
  struct dentry *mnt_root;
  struct super_block *mnt_sb;
  int mnt_flags;
};

struct mount {
  struct mount *mnt_parent;
  struct dentry *mnt_mountpoint;
  struct vfsmount mnt;
#ifndef KH_MOUNT_LIST
  union {
    struct rb_node mnt_node;
    void *mnt_rcu;
  };
#endif
  const char *mnt_devname;
  struct list_head mnt_list;
  struct mount *mnt_master;
  int mnt_id;
  int mnt_group_id;
};

struct mountpoint {
  struct dentry *m_dentry;
  int m_count;
};

/* The kernel's namespace header: only its inode number is read. */
struct ns_common {
  unsigned int inum;
};

struct mnt_namespace {
  unsigned int count;
  struct mount *root;
#ifdef KH_MOUNT_LIST
  struct list_head list;
#else
  struct rb_root mounts;
#endif
  struct ns_common ns; /* first in the kernel's struct; last here for the initialisers */
};

struct nsproxy {
  int count;
  struct mnt_namespace *mnt_ns;
};

struct path {
  struct vfsmount *mnt;
  struct dentry *dentry;
};

struct task_struct {
  long state;
  int pid;
  int tgid;
  char comm[16];
  struct nsproxy *nsproxy;
};

#define MNT_SHARED 0x1000
#define MNT_UNBINDABLE 0x2000

static struct file_system_type rootfs_type = {"rootfs"};
static struct file_system_type proc_type = {"proc"};
static struct file_system_type tmpfs_type = {"tmpfs"};
static struct super_block rootfs_sb = {0, &rootfs_type};
static struct super_block proc_sb = {0, &proc_type};
static struct super_block tmpfs_sb = {0, &tmpfs_type};

/* rootfs: / with proc/ and data/setns/; the tmpfs: its root with sub/. */
struct dentry root_dentry = {0, &root_dentry, {{{0, 1}}, (const unsigned char *)"/"}};
struct dentry proc_dir = {0, &root_dentry, {{{0, 4}}, (const unsigned char *)"proc"}};
struct dentry data_dir = {0, &root_dentry, {{{0, 4}}, (const unsigned char *)"data"}};
struct dentry setns_dir = {0, &data_dir, {{{0, 5}}, (const unsigned char *)"setns"}};
struct dentry proc_root = {0, &proc_root, {{{0, 1}}, (const unsigned char *)"/"}};
struct dentry tmpfs_root = {0, &tmpfs_root, {{{0, 1}}, (const unsigned char *)"/"}};
struct dentry sub_dir = {0, &tmpfs_root, {{{0, 3}}, (const unsigned char *)"sub"}};

/* Declared first: the mounts and the namespace point at each other. */
struct mnt_namespace ns;
struct mount root_mnt, proc_mnt, setns_mnt, sub_mnt, new_mnt;

#ifdef KH_MOUNT_LIST
#define MOUNT_LINKS(next_mnt, prev_mnt) .mnt_list = {&(next_mnt), &(prev_mnt)},
struct mnt_namespace ns = {1, &root_mnt, {&root_mnt.mnt_list, &sub_mnt.mnt_list}, {4026531840U}};
#define ROOT_LINKS MOUNT_LINKS(proc_mnt.mnt_list, ns.list)
#define PROC_LINKS MOUNT_LINKS(setns_mnt.mnt_list, root_mnt.mnt_list)
#define SETNS_LINKS MOUNT_LINKS(sub_mnt.mnt_list, proc_mnt.mnt_list)
#define SUB_LINKS MOUNT_LINKS(ns.list, setns_mnt.mnt_list)
#else
/* In-order by mnt_id: proc (2) at the top, rootfs (1) on its left, setns (3) on its right with
 * sub (4) on the right of that. */
struct mnt_namespace ns = {1, &root_mnt, {&proc_mnt.mnt_node}, {4026531840U}};
#define ROOT_LINKS
#define PROC_LINKS .mnt_node = {0, &setns_mnt.mnt_node, &root_mnt.mnt_node},
#define SETNS_LINKS .mnt_node = {0, &sub_mnt.mnt_node, NULL},
#define SUB_LINKS
#endif

struct mount root_mnt = {
    .mnt_parent = &root_mnt, .mnt_mountpoint = &root_dentry, ROOT_LINKS
    .mnt = {&root_dentry, &rootfs_sb, 0}, .mnt_devname = "rootfs", .mnt_id = 1};
struct mount proc_mnt = {
    .mnt_parent = &root_mnt, .mnt_mountpoint = &proc_dir, PROC_LINKS
    .mnt = {&proc_root, &proc_sb, MNT_SHARED}, .mnt_devname = "proc", .mnt_id = 2, .mnt_group_id = 3};
struct mount setns_mnt = {
    .mnt_parent = &root_mnt, .mnt_mountpoint = &setns_dir, SETNS_LINKS
    .mnt = {&tmpfs_root, &tmpfs_sb, 0}, .mnt_devname = "setns", .mnt_master = &proc_mnt, .mnt_id = 3};
struct mount sub_mnt = {
    .mnt_parent = &setns_mnt, .mnt_mountpoint = &sub_dir, SUB_LINKS
    .mnt = {&tmpfs_root, &tmpfs_sb, MNT_SHARED | MNT_UNBINDABLE}, .mnt_devname = "sub",
    .mnt_master = &proc_mnt, .mnt_id = 4, .mnt_group_id = 5};
/* Not in any namespace yet, as a new mount at attach_recursive_mnt: attached nowhere. */
struct mount new_mnt = {
    .mnt_parent = &new_mnt, .mnt_mountpoint = &sub_dir,
    .mnt = {&sub_dir, &tmpfs_sb, 0}, .mnt_devname = NULL, .mnt_id = 9};

struct mountpoint dest_mp = {&setns_dir, 1};
struct path proc_path = {&proc_mnt.mnt, &proc_root};
struct nsproxy init_nsproxy = {1, &ns};
struct task_struct task = {0, 42, 41, "mnt_ns_clone", &init_nsproxy};
struct task_struct exiting_task = {0, 43, 43, "gone", NULL};

/* Never run: gdb reads the initialised data from the file. */
int main(void) { return task.pid; }
