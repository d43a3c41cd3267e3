/* stage.h - build a new tree beside DIR and swap it in with one atomic
 * rename, so DIR is always wholly old or wholly new (sp-unpack). */
#ifndef SP_STAGE_H
#define SP_STAGE_H

#include <sys/types.h>

#include "archive/manifest.h"

struct sp_stage;

/* Prepare to replace dir (a symlink to a directory is resolved first):
 * remove staging directories that killed runs left beside it, create a
 * fresh locked ".BASE.sp-tmp.XXXXXX" in the same parent directory and
 * register its removal should the program die. Dies 73 when that cannot
 * be done (dir is not a directory, the parent is missing or read-only). */
struct sp_stage *sp_stage_new(const char *dir);

/* Create the regular file path (parents made as needed, never through a
 * symlink) in the staging tree, empty and open for writing; dies 74. */
int sp_stage_file(struct sp_stage *st, const char *path);

/* Finish a file from sp_stage_file: set mode and mtime, close; dies 74. */
void sp_stage_file_done(struct sp_stage *st, int fd, const char *path, unsigned mode, long long mtime);

/* Create the symlink path -> target in the staging tree; dies 74. */
void sp_stage_symlink(struct sp_stage *st, const char *path, const char *target, long long mtime);

/* Create the directory path (and parents) in the staging tree; dies 74. */
void sp_stage_mkdir(struct sp_stage *st, const char *path);

/* Stage the manifest's file f from the current DIR's file src (a clean
 * relative path, perhaps another than f->path: a rename), verified
 * first: a regular file, reached without a symlink, of f's size and
 * SHA-256. Hard-linked when its mode is f's, else copied with f's mode;
 * its mtime kept. 0, or 65 with the message in err when it is not what
 * the manifest says (changed since it was listed); dies 74 on I/O
 * errors of the staging tree. With st NULL (a dry run) dir is read and
 * checked only. */
int sp_stage_local(struct sp_stage *st, const char *dir, const char *src, const struct sp_mfile *f,
    char *err, size_t errlen);

/* Walk the current dir and decide about every local file the archive
 * (manifest m) does not list: kept (hard-linked into the staging tree)
 * unless del or its path is one of drop[0..ndrop) (sorted by strcmp);
 * removed(path) is called for each one that goes, also for those in the
 * way of the archive's own files and directories. With scope[0..nscope)
 * (globs, sp_glob_match), del removes only the files whose path one of
 * them matches. With a NULL st nothing is written (a dry run of dir).
 * Dies 74 on errors. */
void sp_stage_keep(struct sp_stage *st, const char *dir, const struct sp_manifest *m, int del,
    char *const *drop, size_t ndrop, const char *const *scope, size_t nscope,
    void (*removed)(const char *path, int conflict, void *arg), void *arg);

/* Make the staging tree DIR in one step (renameat2 RENAME_EXCHANGE, or a
 * plain no-replace rename when DIR did not exist), then remove the old
 * tree. With sync, flush the file system first. Dies 74 on failure,
 * leaving DIR as it was. */
void sp_stage_commit(struct sp_stage *st, int sync);

/* Remove the staging tree; DIR is untouched. */
void sp_stage_abort(struct sp_stage *st);

/* Fault injection for the tests: when SP_FAULT_KILL_AT=N is set, the Nth
 * call raises SIGKILL. */
void sp_fault_point(void);

#endif
