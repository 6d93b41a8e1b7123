#include "collect/target.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/log.h"

void target_init(struct target *t)
{
	memset(t, 0, sizeof(*t));
	t->gate_fd = -1;
	t->error_fd = -1;
}

static bool process_exists(pid_t pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

int target_parse_pids(struct target *t, const char *list)
{
	const char *p = list;
	while (*p) {
		char *end;
		errno = 0;
		long v = strtol(p, &end, 10);
		if (end == p || errno || v <= 0 || v > INT_MAX || (*end && *end != ',')) {
			kiln_error("-p %s: expected a list of process ids like 123,456", list);
			return -EINVAL;
		}
		if (!process_exists((pid_t)v)) {
			kiln_error("-p: no process with id %ld", v);
			return -ESRCH;
		}
		pid_t *np = realloc(t->pids, (t->npids + 1) * sizeof(*np));
		if (!np)
			return -ENOMEM;
		t->pids = np;
		t->pids[t->npids++] = (pid_t)v;
		p = *end ? end + 1 : end;
	}
	if (!t->npids) {
		kiln_error("-p needs at least one process id");
		return -EINVAL;
	}
	return 0;
}

static void child_exec(char **argv, int gate, int error_out)
{
	char c;
	/* Samples of this process before and during exec carry the command's name, not kiln's. */
	const char *base = strrchr(argv[0], '/');
	prctl(PR_SET_NAME, base ? base + 1 : argv[0]);
	/* Wait until the parent has attached the collectors (or died: EOF). */
	while (read(gate, &c, 1) < 0 && errno == EINTR)
		;
	close(gate);
	execvp(argv[0], argv);
	int err = errno;
	if (write(error_out, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

int target_spawn(struct target *t, char **argv)
{
	int gate[2], errp[2];
	if (pipe2(gate, O_CLOEXEC))
		return -errno;
	if (pipe2(errp, O_CLOEXEC)) {
		close(gate[0]);
		close(gate[1]);
		return -errno;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int err = errno;
		close(gate[0]);
		close(gate[1]);
		close(errp[0]);
		close(errp[1]);
		kiln_error("cannot start %s: %s", argv[0], strerror(err));
		return -err;
	}
	if (pid == 0) {
		close(gate[1]);
		close(errp[0]);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		child_exec(argv, gate[0], errp[1]);
	}
	close(gate[0]);
	close(errp[1]);
	t->child = pid;
	t->gate_fd = gate[1];
	t->error_fd = errp[0];
	return 0;
}

int target_release(struct target *t)
{
	close(t->gate_fd);
	t->gate_fd = -1;
	int err = 0;
	ssize_t n;
	while ((n = read(t->error_fd, &err, sizeof(err))) < 0 && errno == EINTR)
		;
	close(t->error_fd);
	t->error_fd = -1;
	if (n == (ssize_t)sizeof(err))
		return -err;
	return 0;
}

bool target_child_done(struct target *t)
{
	if (!t->child || t->child_exited)
		return t->child_exited;
	int status;
	pid_t r = waitpid(t->child, &status, WNOHANG);
	if (r == t->child) {
		t->child_status = status;
		t->child_exited = true;
	}
	return t->child_exited;
}

bool target_pids_gone(const struct target *t)
{
	for (size_t i = 0; i < t->npids; i++)
		if (process_exists(t->pids[i]))
			return false;
	return t->npids > 0;
}

void target_kill_child(struct target *t, int sig)
{
	if (!t->child || t->child_exited)
		return;
	kill(t->child, sig);
	int status;
	if (waitpid(t->child, &status, 0) == t->child) {
		t->child_status = status;
		t->child_exited = true;
	}
}

int target_exit_code(const struct target *t)
{
	if (!t->child_exited)
		return 0;
	if (WIFEXITED(t->child_status))
		return WEXITSTATUS(t->child_status);
	if (WIFSIGNALED(t->child_status))
		return 128 + WTERMSIG(t->child_status);
	return 1;
}

void target_free(struct target *t)
{
	if (t->gate_fd >= 0)
		close(t->gate_fd);
	if (t->error_fd >= 0)
		close(t->error_fd);
	free(t->pids);
	t->pids = NULL;
}
