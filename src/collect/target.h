/* What a recording targets: a command kiln starts, existing processes, or the whole system. */
#ifndef KILN_TARGET_H
#define KILN_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct target {
	bool system_wide;
	pid_t *pids; /* -p: processes (tgids) */
	size_t npids;
	pid_t child;  /* -- CMD: the command's pid, 0 when none */
	int gate_fd;  /* write end: closing it lets the child exec */
	int error_fd; /* read end: the child reports a failed exec here */
	int child_status;
	bool child_exited;
};

void target_init(struct target *t);
/* Parses "PID[,PID...]" and checks each process exists. 0 or -errno (message printed). */
int target_parse_pids(struct target *t, const char *list);
/* Forks the command, held before exec until target_release, so collectors can be attached to
 * its pid first. 0 or -errno. */
int target_spawn(struct target *t, char **argv);
/* Lets the held command exec. Returns 0, or -errno when exec failed (message printed). */
int target_release(struct target *t);
/* Reaps the command if it ended (non-blocking); true once it has. */
bool target_child_done(struct target *t);
/* True when none of the -p processes is still alive. */
bool target_pids_gone(const struct target *t);
/* Kills and reaps a command that is still running (or never released). */
void target_kill_child(struct target *t, int sig);
/* The command's exit status as a shell reports it (128 + signal when killed). */
int target_exit_code(const struct target *t);
void target_free(struct target *t);

#endif
