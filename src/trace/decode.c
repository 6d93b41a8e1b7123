#include "trace/decode.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "trace/sysnames.h"

/* ---- bounded text ---- */

void sc_text_reset(struct sc_text *t)
{
	t->len = 0;
	t->buf[0] = 0;
}

void sc_text_putc(struct sc_text *t, char c)
{
	if (t->len + 1 < SC_TEXT_MAX) {
		t->buf[t->len++] = c;
		t->buf[t->len] = 0;
	}
}

void sc_text_puts(struct sc_text *t, const char *s)
{
	size_t n = strlen(s);
	if (n > SC_TEXT_MAX - 1 - t->len)
		n = SC_TEXT_MAX - 1 - t->len;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = 0;
}

void sc_text_printf(struct sc_text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->buf + t->len, SC_TEXT_MAX - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n < SC_TEXT_MAX - t->len ? (size_t)n : SC_TEXT_MAX - 1 - t->len;
}

void sc_text_quote(struct sc_text *t, const char *s, size_t len, int max, bool more)
{
	sc_text_putc(t, '"');
	size_t shown = max >= 0 && len > (size_t)max ? (size_t)max : len;
	for (size_t i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"':
			sc_text_puts(t, "\\\"");
			break;
		case '\\':
			sc_text_puts(t, "\\\\");
			break;
		case '\t':
			sc_text_puts(t, "\\t");
			break;
		case '\n':
			sc_text_puts(t, "\\n");
			break;
		case '\v':
			sc_text_puts(t, "\\v");
			break;
		case '\f':
			sc_text_puts(t, "\\f");
			break;
		case '\r':
			sc_text_puts(t, "\\r");
			break;
		default:
			if (c >= ' ' && c < 0x7f) {
				sc_text_putc(t, (char)c);
			} else {
				/* strace pads the octal escape only when a digit follows */
				bool digit_next =
				    i + 1 < shown && s[i + 1] >= '0' && s[i + 1] <= '7';
				sc_text_printf(t, digit_next ? "\\%03o" : "\\%o", c);
			}
		}
	}
	sc_text_putc(t, '"');
	if (shown < len || more)
		sc_text_puts(t, "...");
}

/* strace's hex quoting, for data it always shows as bytes ("\\xa8\\xe0"). */
static void quote_hex(struct sc_text *t, const char *s, size_t len, int max, bool more)
{
	size_t shown = max >= 0 && len > (size_t)max ? (size_t)max : len;
	sc_text_putc(t, '"');
	for (size_t i = 0; i < shown; i++)
		sc_text_printf(t, "\\x%02x", (unsigned char)s[i]);
	sc_text_putc(t, '"');
	if (shown < len || more)
		sc_text_puts(t, "...");
}

void sc_text_json(struct sc_text *t, const char *s, size_t len)
{
	sc_text_putc(t, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			sc_text_putc(t, '\\');
			sc_text_putc(t, (char)c);
		} else if (c < 0x20 || c == 0x7f) {
			sc_text_printf(t, "\\u%04x", c);
		} else {
			sc_text_putc(t, (char)c);
		}
	}
	sc_text_putc(t, '"');
}

/* ---- flag tables ---- */

struct xlat {
	uint64_t val;
	const char *name;
};
#define X(v)                                                                                       \
	{                                                                                          \
		(uint64_t)(v), #v                                                                  \
	}
#define XEND                                                                                       \
	{                                                                                          \
		0, NULL                                                                            \
	}

/* Prints the names of the bits set in v, joined by '|', the rest in hex. */
static void put_flags(struct sc_text *t, const struct xlat *tab, uint64_t v)
{
	bool first = true;
	for (const struct xlat *x = tab; x->name; x++) {
		if (x->val && (v & x->val) == x->val) {
			sc_text_printf(t, "%s%s", first ? "" : "|", x->name);
			v &= ~x->val;
			first = false;
		}
	}
	if (v || first)
		sc_text_printf(t, first ? "%#llx" : "|%#llx", (unsigned long long)v);
}

static bool put_enum(struct sc_text *t, const struct xlat *tab, uint64_t v)
{
	for (const struct xlat *x = tab; x->name; x++)
		if (x->val == v) {
			sc_text_puts(t, x->name);
			return true;
		}
	return false;
}

#define KO_LARGEFILE 0100000 /* glibc defines O_LARGEFILE as 0 on 64-bit; the kernel's bit */
static const struct xlat open_flags[] = {
    X(O_CREAT),
    X(O_EXCL),
    X(O_NOCTTY),
    X(O_TRUNC),
    X(O_APPEND),
    X(O_NONBLOCK),
    X(O_SYNC),
    X(O_DSYNC),
    X(O_ASYNC),
    X(O_DIRECT),
    {KO_LARGEFILE, "O_LARGEFILE"},
    X(O_NOFOLLOW),
    X(O_NOATIME),
    X(O_CLOEXEC),
    X(O_PATH),
    X(O_TMPFILE), /* before O_DIRECTORY, whose bit it includes; strace's order */
    X(O_DIRECTORY),
    XEND,
};

static const struct xlat prot_flags[] = {
    X(PROT_READ), X(PROT_WRITE), X(PROT_EXEC), X(PROT_GROWSDOWN), X(PROT_GROWSUP), XEND,
};

static const struct xlat map_flags[] = {
    X(MAP_SHARED_VALIDATE), X(MAP_SHARED), X(MAP_PRIVATE),   X(MAP_FIXED),
    X(MAP_ANONYMOUS),	    X(MAP_32BIT),  X(MAP_GROWSDOWN), X(MAP_DENYWRITE),
    X(MAP_EXECUTABLE),	    X(MAP_LOCKED), X(MAP_NORESERVE), X(MAP_POPULATE),
    X(MAP_NONBLOCK),	    X(MAP_STACK),  X(MAP_HUGETLB),   X(MAP_SYNC),
    X(MAP_FIXED_NOREPLACE), XEND,
};

static const struct xlat clone_flags[] = {
    X(CLONE_VM),
    X(CLONE_FS),
    X(CLONE_FILES),
    X(CLONE_SIGHAND),
    X(CLONE_PIDFD),
    X(CLONE_PTRACE),
    X(CLONE_VFORK),
    X(CLONE_PARENT),
    X(CLONE_THREAD),
    X(CLONE_NEWNS),
    X(CLONE_SYSVSEM),
    X(CLONE_SETTLS),
    X(CLONE_PARENT_SETTID),
    X(CLONE_CHILD_CLEARTID),
    X(CLONE_DETACHED),
    X(CLONE_UNTRACED),
    X(CLONE_CHILD_SETTID),
    X(CLONE_NEWCGROUP),
    X(CLONE_NEWUTS),
    X(CLONE_NEWIPC),
    X(CLONE_NEWUSER),
    X(CLONE_NEWPID),
    X(CLONE_NEWNET),
    X(CLONE_IO),
    XEND,
};

static const struct xlat at_flags[] = {
    X(AT_SYMLINK_NOFOLLOW),
    X(AT_REMOVEDIR),
    X(AT_SYMLINK_FOLLOW),
    X(AT_NO_AUTOMOUNT),
    X(AT_EMPTY_PATH),
    X(AT_EACCESS),
    XEND,
};

static const struct xlat access_modes[] = {X(R_OK), X(W_OK), X(X_OK), XEND};

static const struct xlat whence_names[] = {
    X(SEEK_SET), X(SEEK_CUR), X(SEEK_END), X(SEEK_DATA), X(SEEK_HOLE), XEND,
};

static const struct xlat sighow_names[] = {X(SIG_BLOCK), X(SIG_UNBLOCK), X(SIG_SETMASK), XEND};

static const struct xlat af_names[] = {
    X(AF_UNSPEC), X(AF_UNIX), X(AF_INET), X(AF_INET6), X(AF_NETLINK), X(AF_PACKET), XEND,
};

static const struct xlat socktype_names[] = {
    X(SOCK_STREAM),    X(SOCK_DGRAM),  X(SOCK_RAW), X(SOCK_RDM),
    X(SOCK_SEQPACKET), X(SOCK_PACKET), XEND,
};
static const struct xlat sock_flags[] = {X(SOCK_CLOEXEC), X(SOCK_NONBLOCK), XEND};

static const struct xlat futex_ops[] = {
    X(FUTEX_WAIT),	     X(FUTEX_WAKE),	   X(FUTEX_FD),
    X(FUTEX_REQUEUE),	     X(FUTEX_CMP_REQUEUE), X(FUTEX_WAKE_OP),
    X(FUTEX_LOCK_PI),	     X(FUTEX_UNLOCK_PI),   X(FUTEX_TRYLOCK_PI),
    X(FUTEX_WAIT_BITSET),    X(FUTEX_WAKE_BITSET), X(FUTEX_WAIT_REQUEUE_PI),
    X(FUTEX_CMP_REQUEUE_PI), X(FUTEX_LOCK_PI2),	   XEND,
};

static const struct xlat epoll_ops[] = {X(EPOLL_CTL_ADD), X(EPOLL_CTL_DEL), X(EPOLL_CTL_MOD), XEND};

static const struct xlat clock_names[] = {
    X(CLOCK_REALTIME),		X(CLOCK_MONOTONIC),	X(CLOCK_PROCESS_CPUTIME_ID),
    X(CLOCK_THREAD_CPUTIME_ID), X(CLOCK_MONOTONIC_RAW), X(CLOCK_REALTIME_COARSE),
    X(CLOCK_MONOTONIC_COARSE),	X(CLOCK_BOOTTIME),	X(CLOCK_REALTIME_ALARM),
    X(CLOCK_BOOTTIME_ALARM),	X(CLOCK_TAI),		XEND,
};

static const struct xlat madv_names[] = {
    X(MADV_NORMAL),	X(MADV_RANDOM),	   X(MADV_SEQUENTIAL),	X(MADV_WILLNEED),
    X(MADV_DONTNEED),	X(MADV_FREE),	   X(MADV_REMOVE),	X(MADV_DONTFORK),
    X(MADV_DOFORK),	X(MADV_MERGEABLE), X(MADV_UNMERGEABLE), X(MADV_HUGEPAGE),
    X(MADV_NOHUGEPAGE), X(MADV_DONTDUMP),  X(MADV_DODUMP),	X(MADV_WIPEONFORK),
    X(MADV_KEEPONFORK), X(MADV_COLD),	   X(MADV_PAGEOUT),	XEND,
};

static const struct xlat rlimit_names[] = {
    X(RLIMIT_CPU),
    X(RLIMIT_FSIZE),
    X(RLIMIT_DATA),
    X(RLIMIT_STACK),
    X(RLIMIT_CORE),
    X(RLIMIT_RSS),
    X(RLIMIT_NPROC),
    X(RLIMIT_NOFILE),
    X(RLIMIT_MEMLOCK),
    X(RLIMIT_AS),
    X(RLIMIT_LOCKS),
    X(RLIMIT_SIGPENDING),
    X(RLIMIT_MSGQUEUE),
    X(RLIMIT_NICE),
    X(RLIMIT_RTPRIO),
    X(RLIMIT_RTTIME),
    XEND,
};

static const struct xlat fcntl_cmds[] = {
    X(F_DUPFD),	     X(F_GETFD),     X(F_SETFD),	 X(F_GETFL),
    X(F_SETFL),	     X(F_GETLK),     X(F_SETLK),	 X(F_SETLKW),
    X(F_SETOWN),     X(F_GETOWN),    X(F_SETSIG),	 X(F_GETSIG),
    X(F_OFD_GETLK),  X(F_OFD_SETLK), X(F_OFD_SETLKW),	 X(F_SETLEASE),
    X(F_GETLEASE),   X(F_NOTIFY),    X(F_DUPFD_CLOEXEC), X(F_SETPIPE_SZ),
    X(F_GETPIPE_SZ), X(F_ADD_SEALS), X(F_GET_SEALS),	 XEND,
};

static const struct xlat wait_opts[] = {X(WNOHANG),  X(WUNTRACED),   X(WCONTINUED), X(__WALL),
					X(__WCLONE), X(__WNOTHREAD), XEND};

static const struct xlat msg_flags[] = {
    X(MSG_OOB),	     X(MSG_PEEK),     X(MSG_DONTROUTE),	   X(MSG_CTRUNC),
    X(MSG_TRUNC),    X(MSG_DONTWAIT), X(MSG_EOR),	   X(MSG_WAITALL),
    X(MSG_NOSIGNAL), X(MSG_MORE),     X(MSG_CMSG_CLOEXEC), XEND,
};

static const struct xlat proto_names[] = {
    X(IPPROTO_IP),   X(IPPROTO_ICMP),	X(IPPROTO_TCP), X(IPPROTO_UDP), X(IPPROTO_IPV6),
    X(IPPROTO_SCTP), X(IPPROTO_ICMPV6), X(IPPROTO_RAW), XEND,
};

static const struct xlat arch_prctl_codes[] = {
    {0x1001, "ARCH_SET_GS"},	 {0x1002, "ARCH_SET_FS"},
    {0x1003, "ARCH_GET_FS"},	 {0x1004, "ARCH_GET_GS"},
    {0x1011, "ARCH_GET_CPUID"},	 {0x1012, "ARCH_SET_CPUID"},
    {0x3001, "ARCH_CET_STATUS"}, XEND,
};

static const struct xlat grnd_flags[] = {
    {1, "GRND_NONBLOCK"}, {2, "GRND_RANDOM"}, {4, "GRND_INSECURE"}, XEND};

static const struct xlat ioctl_names[] = {
    {0x5401, "TCGETS"},	    {0x5402, "TCSETS"},
    {0x5403, "TCSETSW"},    {0x5404, "TCSETSF"},
    {0x540f, "TIOCGPGRP"},  {0x5410, "TIOCSPGRP"},
    {0x5413, "TIOCGWINSZ"}, {0x5414, "TIOCSWINSZ"},
    {0x541b, "FIONREAD"},   {0x5421, "FIONBIO"},
    {0x5451, "FIOCLEX"},    {0x5450, "FIONCLEX"},
    {0x5452, "FIOASYNC"},   XEND,
};

static const struct xlat statx_mask[] = {
    {0x7ff, "STATX_BASIC_STATS"}, {0x1, "STATX_TYPE"},
    {0x2, "STATX_MODE"},	  {0x4, "STATX_NLINK"},
    {0x8, "STATX_UID"},		  {0x10, "STATX_GID"},
    {0x20, "STATX_ATIME"},	  {0x40, "STATX_MTIME"},
    {0x80, "STATX_CTIME"},	  {0x100, "STATX_INO"},
    {0x200, "STATX_SIZE"},	  {0x400, "STATX_BLOCKS"},
    {0x800, "STATX_BTIME"},	  {0x1000, "STATX_MNT_ID"},
    {0x2000, "STATX_DIOALIGN"},	  XEND,
};

static const struct xlat sol_names[] = {
    {SOL_SOCKET, "SOL_SOCKET"}, {0, "SOL_IP"}, {6, "SOL_TCP"}, {17, "SOL_UDP"},
    {41, "SOL_IPV6"},		XEND};

/* ---- errno and signals ---- */

const char *sc_errno_name(int err)
{
	switch (err) {
	case 512:
		return "ERESTARTSYS";
	case 513:
		return "ERESTARTNOINTR";
	case 514:
		return "ERESTARTNOHAND";
	case 516:
		return "ERESTART_RESTARTBLOCK";
	}
	return strerrorname_np(err);
}

static const char *errno_text(int err)
{
	switch (err) {
	case 512:
		return "To be restarted if SA_RESTART is set";
	case 513:
		return "To be restarted";
	case 514:
		return "To be restarted if no handler";
	case 516:
		return "Interrupted by signal";
	}
	return strerror(err);
}

/* Signal names as strace writes them: kernel numbering for real-time signals (glibc's SIGRTMIN
 * is 34: it keeps two for itself), SIGIO rather than its alias SIGPOLL. */
static const char *signal_abbrev(long sig)
{
	if (sig == SIGIO)
		return "IO";
	return sig > 0 && sig < 32 ? sigabbrev_np((int)sig) : NULL;
}

static void put_signal(struct sc_text *t, long sig)
{
	const char *abbrev = signal_abbrev(sig);
	if (abbrev)
		sc_text_printf(t, "SIG%s", abbrev);
	else if (sig == 32)
		sc_text_puts(t, "SIGRTMIN");
	else if (sig > 32 && sig <= 64)
		sc_text_printf(t, "SIGRT_%ld", sig - 32);
	else
		sc_text_printf(t, "%ld", sig);
}

/* The kernel's struct sigaction on x86-64 (glibc's has a different layout). */
struct ksigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

#define KSA_RESTORER 0x04000000
static const struct xlat sa_flags[] = {
    {SA_NOCLDSTOP, "SA_NOCLDSTOP"}, {SA_NOCLDWAIT, "SA_NOCLDWAIT"}, {SA_SIGINFO, "SA_SIGINFO"},
    {KSA_RESTORER, "SA_RESTORER"},  {SA_ONSTACK, "SA_ONSTACK"},	    {SA_RESTART, "SA_RESTART"},
    {SA_NODEFER, "SA_NODEFER"},	    {SA_RESETHAND, "SA_RESETHAND"}, XEND,
};

/* A signal's name as strace writes it inside sets: no SIG prefix, RTMIN, RT_n. */
static void put_set_signal(struct sc_text *t, int sig)
{
	const char *abbrev = signal_abbrev(sig);
	if (abbrev)
		sc_text_puts(t, abbrev);
	else if (sig == 32)
		sc_text_puts(t, "RTMIN");
	else if (sig > 32)
		sc_text_printf(t, "RT_%d", sig - 32);
	else
		sc_text_printf(t, "%d", sig);
}

/* strace prints a mostly full set as the complement: ~[RTMIN RT_1]. */
static void put_sigset(struct sc_text *t, uint64_t mask)
{
	bool invert = __builtin_popcountll(mask) > 32;
	uint64_t m = invert ? ~mask : mask;
	sc_text_puts(t, invert ? "~[" : "[");
	bool first = true;
	for (int sig = 1; sig <= 64; sig++) {
		if (!(m >> (sig - 1) & 1))
			continue;
		if (!first)
			sc_text_putc(t, ' ');
		put_set_signal(t, sig);
		first = false;
	}
	sc_text_putc(t, ']');
}

static void put_sigaction(struct sc_text *t, const char *data)
{
	struct ksigaction sa;
	memcpy(&sa, data, sizeof(sa));
	sc_text_puts(t, "{sa_handler=");
	if (sa.handler == (uint64_t)(uintptr_t)SIG_DFL)
		sc_text_puts(t, "SIG_DFL");
	else if (sa.handler == (uint64_t)(uintptr_t)SIG_IGN)
		sc_text_puts(t, "SIG_IGN");
	else
		sc_text_printf(t, "%#llx", (unsigned long long)sa.handler);
	sc_text_puts(t, ", sa_mask=");
	put_sigset(t, sa.mask);
	sc_text_puts(t, ", sa_flags=");
	if (sa.flags)
		put_flags(t, sa_flags, sa.flags);
	else
		sc_text_puts(t, "0");
	if (sa.flags & KSA_RESTORER)
		sc_text_printf(t, ", sa_restorer=%#llx", (unsigned long long)sa.restorer);
	sc_text_putc(t, '}');
}

/* ---- the syscall table ---- */

enum arg_type {
	A_NONE,
	A_INT,
	A_UINT,
	A_HEX,
	A_PTR,
	A_FD,
	A_DIRFD,
	A_PATH,	   /* string read at entry, shown whole */
	A_STR,	   /* string read at entry, -s applies */
	A_BUF_IN,  /* data written; length in the next argument */
	A_BUF_OUT, /* data read; length is the return value */
	A_OFLAGS,
	A_MODE, /* octal; open's third argument only with O_CREAT/O_TMPFILE */
	A_PROT,
	A_MAPF,
	A_CLONEF,
	A_SIG,
	A_SIGHOW,
	A_ACCESS,
	A_ATFLAGS,
	A_FCNTL,
	A_WHENCE,
	A_STAT_OUT,
	A_TS_IN,
	A_TS_OUT,
	A_SA_IN,  /* sockaddr, length in the next argument */
	A_SA_OUT, /* sockaddr filled by the kernel, length pointer in the next argument */
	A_AF,
	A_SOCKTYPE,
	A_FUTEXOP,
	A_EPOLLOP,
	A_CLOCK,
	A_PIPE_OUT,
	A_MADV,
	A_ARGV,
	A_ENVP,
	A_RLIMIT,
	A_WAITOPT,
	A_STATUS_OUT,
	A_MSGF,
	A_SOL,
	A_OCTAL,
	A_PROTO, /* socket's protocol, named for AF_INET/AF_INET6 */
	A_ARCHPRCTL,
	A_RLIM_IN,  /* struct rlimit read at entry */
	A_RLIM_OUT, /* struct rlimit filled by the kernel */
	A_RANDOM,   /* getrandom's bytes: strace shows them in hex */
	A_GRND,
	A_IOCTL,
	A_FUTEX_REST, /* futex's arguments after val: which exist depends on the op */
	A_STATX_FLAGS,
	A_STATX_MASK,
	A_STATX_OUT,
	A_SIGACT_IN, /* struct sigaction, kernel layout */
	A_SIGACT_OUT,
	A_FCNTL_ARG, /* fcntl's third argument, by command */
	A_CLONE_PTR, /* clone's pointers, named by strace only when their flag asks for them */
};

enum ret_type { R_INT, R_HEX, R_NONE, R_OCTAL };

enum {
	C_FILE = 1,
	C_NET = 2,
	C_PROC = 4,
	C_MEM = 8,
	C_SIG = 16,
	C_DESC = 32,
};

struct sc_def {
	const char *name;
	enum ret_type ret;
	int cls;
	enum arg_type args[6];
	int nargs;
};

#define NARGS(...) (sizeof((enum arg_type[]){__VA_ARGS__}) / sizeof(enum arg_type))
#define S(n, r, c, ...)                                                                            \
	{                                                                                          \
#n, r, c, {__VA_ARGS__ }, NARGS(__VA_ARGS__)                                       \
	}
#define S0(n, r, c)                                                                                \
	{                                                                                          \
#n, r, c, {A_NONE }, 0                                                             \
	}

static const struct sc_def defs[] = {
    S(read, R_INT, C_DESC, A_FD, A_BUF_OUT, A_UINT),
    S(write, R_INT, C_DESC, A_FD, A_BUF_IN, A_UINT),
    S(open, R_INT, C_FILE | C_DESC, A_PATH, A_OFLAGS, A_MODE),
    S(close, R_INT, C_DESC, A_FD),
    S(stat, R_INT, C_FILE, A_PATH, A_STAT_OUT),
    S(fstat, R_INT, C_DESC, A_FD, A_STAT_OUT),
    S(lstat, R_INT, C_FILE, A_PATH, A_STAT_OUT),
    S(poll, R_INT, C_DESC, A_PTR, A_UINT, A_INT),
    S(lseek, R_INT, C_DESC, A_FD, A_INT, A_WHENCE),
    S(mmap, R_HEX, C_MEM | C_DESC, A_PTR, A_UINT, A_PROT, A_MAPF, A_FD, A_HEX),
    S(mprotect, R_INT, C_MEM, A_PTR, A_UINT, A_PROT),
    S(munmap, R_INT, C_MEM, A_PTR, A_UINT),
    S(brk, R_HEX, C_MEM, A_PTR),
    S(rt_sigaction, R_INT, C_SIG, A_SIG, A_SIGACT_IN, A_SIGACT_OUT, A_UINT),
    S(rt_sigprocmask, R_INT, C_SIG, A_SIGHOW, A_PTR, A_PTR, A_UINT),
    S0(rt_sigreturn, R_INT, C_SIG),
    S(ioctl, R_INT, C_DESC, A_FD, A_IOCTL, A_PTR),
    S(pread64, R_INT, C_DESC, A_FD, A_BUF_OUT, A_UINT, A_INT),
    S(pwrite64, R_INT, C_DESC, A_FD, A_BUF_IN, A_UINT, A_INT),
    S(readv, R_INT, C_DESC, A_FD, A_PTR, A_INT),
    S(writev, R_INT, C_DESC, A_FD, A_PTR, A_INT),
    S(access, R_INT, C_FILE, A_PATH, A_ACCESS),
    S(pipe, R_INT, C_DESC, A_PIPE_OUT),
    S(select, R_INT, C_DESC, A_INT, A_PTR, A_PTR, A_PTR, A_PTR),
    S0(sched_yield, R_INT, 0),
    S(mremap, R_HEX, C_MEM, A_PTR, A_UINT, A_UINT, A_HEX, A_PTR),
    S(msync, R_INT, C_MEM, A_PTR, A_UINT, A_HEX),
    S(madvise, R_INT, C_MEM, A_PTR, A_UINT, A_MADV),
    S(dup, R_INT, C_DESC, A_FD),
    S(dup2, R_INT, C_DESC, A_FD, A_FD),
    S0(pause, R_INT, C_SIG),
    S(nanosleep, R_INT, 0, A_TS_IN, A_PTR),
    S0(getpid, R_INT, 0),
    S(sendfile, R_INT, C_DESC | C_NET, A_FD, A_FD, A_PTR, A_UINT),
    S(socket, R_INT, C_NET, A_AF, A_SOCKTYPE, A_PROTO),
    S(connect, R_INT, C_NET, A_FD, A_SA_IN, A_UINT),
    S(accept, R_INT, C_NET, A_FD, A_SA_OUT, A_PTR),
    S(sendto, R_INT, C_NET, A_FD, A_BUF_IN, A_UINT, A_MSGF, A_SA_IN, A_UINT),
    S(recvfrom, R_INT, C_NET, A_FD, A_BUF_OUT, A_UINT, A_MSGF, A_PTR, A_PTR),
    S(sendmsg, R_INT, C_NET, A_FD, A_PTR, A_MSGF),
    S(recvmsg, R_INT, C_NET, A_FD, A_PTR, A_MSGF),
    S(shutdown, R_INT, C_NET, A_FD, A_INT),
    S(bind, R_INT, C_NET, A_FD, A_SA_IN, A_UINT),
    S(listen, R_INT, C_NET, A_FD, A_INT),
    S(getsockname, R_INT, C_NET, A_FD, A_SA_OUT, A_PTR),
    S(getpeername, R_INT, C_NET, A_FD, A_SA_OUT, A_PTR),
    S(socketpair, R_INT, C_NET, A_AF, A_SOCKTYPE, A_INT, A_PIPE_OUT),
    S(setsockopt, R_INT, C_NET, A_FD, A_SOL, A_INT, A_PTR, A_UINT),
    S(getsockopt, R_INT, C_NET, A_FD, A_SOL, A_INT, A_PTR, A_PTR),
    S(clone, R_INT, C_PROC, A_CLONEF, A_CLONE_PTR, A_CLONE_PTR, A_CLONE_PTR, A_CLONE_PTR),
    S0(fork, R_INT, C_PROC),
    S0(vfork, R_INT, C_PROC),
    S(execve, R_INT, C_FILE | C_PROC, A_PATH, A_ARGV, A_ENVP),
    S(exit, R_NONE, C_PROC, A_INT),
    S(wait4, R_INT, C_PROC, A_INT, A_STATUS_OUT, A_WAITOPT, A_PTR),
    S(kill, R_INT, C_PROC | C_SIG, A_INT, A_SIG),
    S(uname, R_INT, 0, A_PTR),
    S(fcntl, R_INT, C_DESC, A_FD, A_FCNTL, A_FCNTL_ARG),
    S(flock, R_INT, C_DESC, A_FD, A_INT),
    S(fsync, R_INT, C_DESC, A_FD),
    S(fdatasync, R_INT, C_DESC, A_FD),
    S(truncate, R_INT, C_FILE, A_PATH, A_INT),
    S(ftruncate, R_INT, C_DESC, A_FD, A_INT),
    S(getdents64, R_INT, C_DESC, A_FD, A_PTR, A_UINT),
    S(getcwd, R_INT, C_FILE, A_BUF_OUT, A_UINT),
    S(chdir, R_INT, C_FILE, A_PATH),
    S(fchdir, R_INT, C_DESC, A_FD),
    S(rename, R_INT, C_FILE, A_PATH, A_PATH),
    S(mkdir, R_INT, C_FILE, A_PATH, A_OCTAL),
    S(rmdir, R_INT, C_FILE, A_PATH),
    S(creat, R_INT, C_FILE | C_DESC, A_PATH, A_OCTAL),
    S(link, R_INT, C_FILE, A_PATH, A_PATH),
    S(unlink, R_INT, C_FILE, A_PATH),
    S(symlink, R_INT, C_FILE, A_PATH, A_PATH),
    S(readlink, R_INT, C_FILE, A_PATH, A_BUF_OUT, A_UINT),
    S(chmod, R_INT, C_FILE, A_PATH, A_OCTAL),
    S(fchmod, R_INT, C_DESC, A_FD, A_OCTAL),
    S(chown, R_INT, C_FILE, A_PATH, A_INT, A_INT),
    S(fchown, R_INT, C_DESC, A_FD, A_INT, A_INT),
    S(umask, R_OCTAL, 0, A_OCTAL),
    S(gettimeofday, R_INT, 0, A_PTR, A_PTR),
    S(getrlimit, R_INT, 0, A_RLIMIT, A_RLIM_OUT),
    S(setrlimit, R_INT, 0, A_RLIMIT, A_RLIM_IN),
    S(getrusage, R_INT, 0, A_INT, A_PTR),
    S(sysinfo, R_INT, 0, A_PTR),
    S0(getuid, R_INT, 0),
    S0(getgid, R_INT, 0),
    S(setuid, R_INT, 0, A_INT),
    S(setgid, R_INT, 0, A_INT),
    S0(geteuid, R_INT, 0),
    S0(getegid, R_INT, 0),
    S(setpgid, R_INT, 0, A_INT, A_INT),
    S0(getppid, R_INT, 0),
    S0(getpgrp, R_INT, 0),
    S0(setsid, R_INT, 0),
    S(getpgid, R_INT, 0, A_INT),
    S(sigaltstack, R_INT, C_SIG, A_PTR, A_PTR),
    S(statfs, R_INT, C_FILE, A_PATH, A_PTR),
    S(fstatfs, R_INT, C_DESC, A_FD, A_PTR),
    S(prctl, R_INT, 0, A_INT, A_HEX, A_HEX, A_HEX, A_HEX),
    S(arch_prctl, R_INT, 0, A_ARCHPRCTL, A_HEX),
    S0(gettid, R_INT, 0),
    S(tkill, R_INT, C_SIG, A_INT, A_SIG),
    S(futex, R_INT, 0, A_PTR, A_FUTEXOP, A_INT, A_FUTEX_REST, A_FUTEX_REST, A_FUTEX_REST),
    S(sched_setaffinity, R_INT, 0, A_INT, A_UINT, A_PTR),
    S(sched_getaffinity, R_INT, 0, A_INT, A_UINT, A_PTR),
    S(getdents, R_INT, C_DESC, A_FD, A_PTR, A_UINT),
    S(set_tid_address, R_INT, 0, A_PTR),
    S(fadvise64, R_INT, C_DESC, A_FD, A_INT, A_UINT, A_INT),
    S(clock_gettime, R_INT, 0, A_CLOCK, A_TS_OUT),
    S(clock_getres, R_INT, 0, A_CLOCK, A_TS_OUT),
    S(clock_nanosleep, R_INT, 0, A_CLOCK, A_HEX, A_TS_IN, A_PTR),
    S(exit_group, R_NONE, C_PROC, A_INT),
    S(epoll_wait, R_INT, C_DESC, A_FD, A_PTR, A_INT, A_INT),
    S(epoll_ctl, R_INT, C_DESC, A_FD, A_EPOLLOP, A_FD, A_PTR),
    S(tgkill, R_INT, C_SIG | C_PROC, A_INT, A_INT, A_SIG),
    S(waitid, R_INT, C_PROC, A_INT, A_INT, A_PTR, A_WAITOPT, A_PTR),
    S(openat, R_INT, C_FILE | C_DESC, A_DIRFD, A_PATH, A_OFLAGS, A_MODE),
    S(mkdirat, R_INT, C_FILE | C_DESC, A_DIRFD, A_PATH, A_OCTAL),
    S(newfstatat, R_INT, C_FILE | C_DESC, A_DIRFD, A_PATH, A_STAT_OUT, A_ATFLAGS),
    S(unlinkat, R_INT, C_FILE | C_DESC, A_DIRFD, A_PATH, A_ATFLAGS),
    S(renameat, R_INT, C_FILE | C_DESC, A_DIRFD, A_PATH, A_DIRFD, A_PATH),
    S(linkat, R_INT, C_FILE | C_DESC, A_DIRFD, A_PATH, A_DIRFD, A_PATH, A_ATFLAGS),
    S(symlinkat, R_INT, C_FILE | C_DESC, A_PATH, A_DIRFD, A_PATH),
    S(readlinkat, R_INT, C_FILE | C_DESC, A_DIRFD, A_PATH, A_BUF_OUT, A_UINT),
    S(fchmodat, R_INT, C_FILE | C_DESC, A_DIRFD, A_PATH, A_OCTAL),
    S(faccessat, R_INT, C_FILE | C_DESC, A_DIRFD, A_PATH, A_ACCESS),
    S(pselect6, R_INT, C_DESC, A_INT, A_PTR, A_PTR, A_PTR, A_TS_IN, A_PTR),
    S(ppoll, R_INT, C_DESC, A_PTR, A_UINT, A_TS_IN, A_PTR, A_UINT),
    S(set_robust_list, R_INT, 0, A_PTR, A_UINT),
    S(get_robust_list, R_INT, 0, A_INT, A_PTR, A_PTR),
    S(splice, R_INT, C_DESC, A_FD, A_PTR, A_FD, A_PTR, A_UINT, A_HEX),
    S(utimensat, R_INT, C_FILE | C_DESC, A_DIRFD, A_PATH, A_PTR, A_ATFLAGS),
    S(epoll_pwait, R_INT, C_DESC, A_FD, A_PTR, A_INT, A_INT, A_PTR, A_UINT),
    S(timerfd_create, R_INT, C_DESC, A_CLOCK, A_HEX),
    S(eventfd2, R_INT, C_DESC, A_UINT, A_HEX),
    S(epoll_create1, R_INT, C_DESC, A_HEX),
    S(dup3, R_INT, C_DESC, A_FD, A_FD, A_OFLAGS),
    S(pipe2, R_INT, C_DESC, A_PIPE_OUT, A_OFLAGS),
    S(accept4, R_INT, C_NET, A_FD, A_SA_OUT, A_PTR, A_HEX),
    S(prlimit64, R_INT, 0, A_INT, A_RLIMIT, A_RLIM_IN, A_RLIM_OUT),
    S(getrandom, R_INT, 0, A_RANDOM, A_UINT, A_GRND),
    S(memfd_create, R_INT, C_DESC, A_STR, A_HEX),
    S(execveat, R_INT, C_FILE | C_PROC | C_DESC, A_DIRFD, A_PATH, A_ARGV, A_ENVP, A_ATFLAGS),
    S(copy_file_range, R_INT, C_DESC, A_FD, A_PTR, A_FD, A_PTR, A_UINT, A_HEX),
    S(statx, R_INT, C_FILE | C_DESC, A_DIRFD, A_PATH, A_STATX_FLAGS, A_STATX_MASK, A_STATX_OUT),
    S(getxattr, R_INT, C_FILE, A_PATH, A_STR, A_PTR, A_UINT),
    S(lgetxattr, R_INT, C_FILE, A_PATH, A_STR, A_PTR, A_UINT),
    S(fgetxattr, R_INT, C_DESC, A_FD, A_STR, A_PTR, A_UINT),
    S(rseq, R_INT, 0, A_PTR, A_HEX, A_INT, A_HEX),
    S(clone3, R_INT, C_PROC, A_PTR, A_UINT),
    S(close_range, R_INT, C_DESC, A_FD, A_FD, A_HEX),
    S(openat2, R_INT, C_FILE | C_DESC, A_DIRFD, A_PATH, A_PTR, A_UINT),
    S(faccessat2, R_INT, C_FILE | C_DESC, A_DIRFD, A_PATH, A_ACCESS, A_ATFLAGS),
    S(epoll_pwait2, R_INT, C_DESC, A_FD, A_PTR, A_INT, A_TS_IN, A_PTR, A_UINT),
    S(inotify_add_watch, R_INT, C_FILE | C_DESC, A_FD, A_PATH, A_HEX),
    S(chroot, R_INT, C_FILE, A_PATH),
    S(sync, R_INT, 0, A_NONE),
    S(io_uring_enter, R_INT, C_DESC, A_FD, A_UINT, A_UINT, A_HEX, A_PTR, A_UINT),
    S(io_uring_setup, R_INT, C_DESC, A_UINT, A_PTR),
    S(rt_sigtimedwait, R_INT, C_SIG, A_PTR, A_PTR, A_TS_IN, A_UINT),
    S(rt_sigsuspend, R_INT, C_SIG, A_PTR, A_UINT),
    S(signalfd4, R_INT, C_SIG | C_DESC, A_FD, A_PTR, A_UINT, A_HEX),
    S(getgroups, R_INT, 0, A_INT, A_PTR),
    S(getresuid, R_INT, 0, A_PTR, A_PTR, A_PTR),
    S(getresgid, R_INT, 0, A_PTR, A_PTR, A_PTR),
    S(sched_getparam, R_INT, 0, A_INT, A_PTR),
    S(mlock, R_INT, C_MEM, A_PTR, A_UINT),
    S(munlock, R_INT, C_MEM, A_PTR, A_UINT),
    S(mincore, R_INT, C_MEM, A_PTR, A_UINT, A_PTR),
    S(membarrier, R_INT, 0, A_HEX, A_HEX, A_INT),
    S(pidfd_open, R_INT, C_DESC, A_INT, A_HEX),
    S(mount, R_INT, C_FILE, A_STR, A_PATH, A_STR, A_HEX, A_PTR),
};

static const struct sc_def *def_by_nr[TRACE_NR_MAX];
static bool defs_indexed;

static void index_defs(void)
{
	if (defs_indexed)
		return;
	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
		int nr = trace_sysnum(defs[i].name);
		if (nr >= 0)
			def_by_nr[nr] = &defs[i];
	}
	defs_indexed = true;
}

const char *sc_name(int nr)
{
	static char buf[32];
	if (nr >= 0 && nr < TRACE_NR_MAX && trace_sysnames[nr])
		return trace_sysnames[nr];
	snprintf(buf, sizeof(buf), "syscall_%#x", (unsigned)nr);
	return buf;
}

bool sc_class_members(const char *cls, bool member[SC_NR_MAX])
{
	static const struct {
		const char *name;
		int bit;
	} classes[] = {{"file", C_FILE},    {"net", C_NET},    {"network", C_NET},
		       {"process", C_PROC}, {"memory", C_MEM}, {"signal", C_SIG},
		       {"desc", C_DESC}};
	int bit = 0;
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (!strcmp(cls, classes[i].name))
			bit = classes[i].bit;
	if (!bit)
		return false;
	index_defs();
	for (int nr = 0; nr < SC_NR_MAX && nr < TRACE_NR_MAX; nr++)
		if (def_by_nr[nr] && (def_by_nr[nr]->cls & bit))
			member[nr] = true;
	return true;
}

/* ---- captures ---- */

static void set_cap(struct sc_spec *sp, int *slot, int kind, int arg, int len_arg, int size)
{
	if (*slot >= SC_NCAP)
		return;
	struct sc_cap_spec *c = &sp->cap[(*slot)++];
	c->kind = kind;
	c->arg = arg;
	c->len_arg = len_arg;
	c->size = size;
}

/* Which capture slot holds argument i, or -1: slots are handed out in argument order. */
static int cap_slot_of(const struct sc_def *d, int argi)
{
	int slot = 0;
	for (int i = 0; i < d->nargs; i++) {
		switch (d->args[i]) {
		case A_PATH:
		case A_STR:
		case A_BUF_IN:
		case A_BUF_OUT:
		case A_STAT_OUT:
		case A_TS_IN:
		case A_TS_OUT:
		case A_SA_IN:
		case A_SA_OUT:
		case A_PIPE_OUT:
		case A_ARGV:
		case A_STATUS_OUT:
		case A_RLIM_IN:
		case A_RLIM_OUT:
		case A_RANDOM:
		case A_STATX_OUT:
		case A_SIGACT_IN:
		case A_SIGACT_OUT:
			if (i == argi)
				return slot < SC_NCAP ? slot : -1;
			slot++;
			break;
		default:
			break;
		}
	}
	return -1;
}

void sc_fill_specs(struct sc_spec *specs, int n)
{
	index_defs();
	memset(specs, 0, n * sizeof(*specs));
	for (int nr = 0; nr < n && nr < TRACE_NR_MAX; nr++) {
		const struct sc_def *d = def_by_nr[nr];
		if (!d)
			continue;
		int slot = 0;
		for (int i = 0; i < d->nargs; i++) {
			struct sc_spec *sp = &specs[nr];
			switch (d->args[i]) {
			case A_PATH:
			case A_STR:
				set_cap(sp, &slot, SC_CAP_STR_ENTER, i, 0, 0);
				break;
			case A_BUF_IN:
			case A_SA_IN:
				set_cap(sp, &slot, SC_CAP_BUF_ENTER, i, i + 1, 0);
				break;
			case A_BUF_OUT:
				set_cap(sp, &slot, SC_CAP_BUF_EXIT_RET, i, 0, 0);
				break;
			case A_STAT_OUT:
				set_cap(sp, &slot, SC_CAP_FIXED_EXIT, i, 0, sizeof(struct stat));
				break;
			case A_TS_IN:
				set_cap(sp, &slot, SC_CAP_FIXED_ENTER, i, 0,
					sizeof(struct timespec));
				break;
			case A_TS_OUT:
				set_cap(sp, &slot, SC_CAP_FIXED_EXIT, i, 0,
					sizeof(struct timespec));
				break;
			case A_SA_OUT:
				set_cap(sp, &slot, SC_CAP_LENPTR_EXIT, i, i + 1, 0);
				break;
			case A_PIPE_OUT:
				set_cap(sp, &slot, SC_CAP_FIXED_EXIT, i, 0, 2 * sizeof(int));
				break;
			case A_STATUS_OUT:
				set_cap(sp, &slot, SC_CAP_FIXED_EXIT, i, 0, sizeof(int));
				break;
			case A_ARGV:
				set_cap(sp, &slot, SC_CAP_ARGV_ENTER, i, 0, 0);
				break;
			case A_RLIM_IN:
				set_cap(sp, &slot, SC_CAP_FIXED_ENTER, i, 0, sizeof(struct rlimit));
				break;
			case A_RANDOM:
				set_cap(sp, &slot, SC_CAP_BUF_EXIT_RET, i, 0, 0);
				break;
			case A_SIGACT_IN:
				set_cap(sp, &slot, SC_CAP_FIXED_ENTER, i, 0,
					sizeof(struct ksigaction));
				break;
			case A_SIGACT_OUT:
				set_cap(sp, &slot, SC_CAP_FIXED_EXIT, i, 0,
					sizeof(struct ksigaction));
				break;
			case A_STATX_OUT:
				set_cap(sp, &slot, SC_CAP_FIXED_EXIT, i, 0, sizeof(struct statx));
				break;
			case A_RLIM_OUT:
				set_cap(sp, &slot, SC_CAP_FIXED_EXIT, i, 0, sizeof(struct rlimit));
				break;
			default:
				break;
			}
		}
	}
}

/* ---- argument formatting ---- */

struct ctx {
	const struct sc_event *ev;
	size_t size;
	const struct sc_def *def;
	const struct sc_decode_opts *o;
	struct sc_text *t;
};

static bool cap_of(const struct ctx *c, int argi, const char **data, size_t *len)
{
	int slot = cap_slot_of(c->def, argi);
	if (slot < 0 || c->size < sizeof(struct sc_event))
		return false;
	unsigned l = c->ev->cap_len[slot];
	if (l == SC_CAP_FAULT || l > SC_CAP_MAX)
		return false;
	*data = c->ev->cap[slot];
	*len = l;
	return true;
}

static void put_ptr(struct sc_text *t, uint64_t v)
{
	if (v)
		sc_text_printf(t, "%#llx", (unsigned long long)v);
	else
		sc_text_puts(t, "NULL");
}

static void put_mode(struct sc_text *t, unsigned mode)
{
	static const struct {
		unsigned fmt;
		const char *name;
	} types[] = {{S_IFREG, "S_IFREG"},  {S_IFDIR, "S_IFDIR"}, {S_IFCHR, "S_IFCHR"},
		     {S_IFBLK, "S_IFBLK"},  {S_IFIFO, "S_IFIFO"}, {S_IFLNK, "S_IFLNK"},
		     {S_IFSOCK, "S_IFSOCK"}};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if ((mode & S_IFMT) == types[i].fmt) {
			sc_text_puts(t, types[i].name);
			if (mode & S_ISUID)
				sc_text_puts(t, "|S_ISUID");
			if (mode & S_ISGID)
				sc_text_puts(t, "|S_ISGID");
			if (mode & S_ISVTX)
				sc_text_puts(t, "|S_ISVTX");
			sc_text_printf(t, "|%#o", mode & 0777);
			return;
		}
	sc_text_printf(t, "%#o", mode);
}

static void put_stat(struct sc_text *t, const char *data, size_t len)
{
	struct stat st;
	if (len < sizeof(st)) {
		sc_text_puts(t, "{...}");
		return;
	}
	memcpy(&st, data, sizeof(st));
	sc_text_puts(t, "{st_mode=");
	put_mode(t, st.st_mode);
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		sc_text_printf(t, ", st_rdev=makedev(%#x, %#x), ...}", major(st.st_rdev),
			       minor(st.st_rdev));
	else
		sc_text_printf(t, ", st_size=%lld, ...}", (long long)st.st_size);
}

static void put_timespec(struct sc_text *t, const char *data, size_t len)
{
	struct timespec ts;
	if (len < sizeof(ts)) {
		sc_text_puts(t, "{...}");
		return;
	}
	memcpy(&ts, data, sizeof(ts));
	sc_text_printf(t, "{tv_sec=%lld, tv_nsec=%ld}", (long long)ts.tv_sec, ts.tv_nsec);
}

static void put_sockaddr(struct sc_text *t, const char *data, size_t len)
{
	sa_family_t fam;
	if (len < sizeof(fam)) {
		sc_text_puts(t, "{...}");
		return;
	}
	memcpy(&fam, data, sizeof(fam));
	sc_text_puts(t, "{sa_family=");
	if (!put_enum(t, af_names, fam))
		sc_text_printf(t, "%u", fam);
	if (fam == AF_INET && len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in sin;
		char a[INET_ADDRSTRLEN];
		memcpy(&sin, data, sizeof(sin));
		inet_ntop(AF_INET, &sin.sin_addr, a, sizeof(a));
		sc_text_printf(t, ", sin_port=htons(%u), sin_addr=inet_addr(\"%s\")}",
			       ntohs(sin.sin_port), a);
	} else if (fam == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 s6;
		char a[INET6_ADDRSTRLEN];
		memcpy(&s6, data, sizeof(s6));
		inet_ntop(AF_INET6, &s6.sin6_addr, a, sizeof(a));
		sc_text_printf(
		    t,
		    ", sin6_port=htons(%u), sin6_flowinfo=htonl(%u), inet_pton(AF_INET6, "
		    "\"%s\", &sin6_addr), sin6_scope_id=%u}",
		    ntohs(s6.sin6_port), ntohl(s6.sin6_flowinfo), a, s6.sin6_scope_id);
	} else if (fam == AF_UNIX) {
		size_t off = offsetof(struct sockaddr_un, sun_path);
		size_t n = len > off ? strnlen(data + off, len - off) : 0;
		sc_text_puts(t, ", sun_path=");
		if (len > off && data[off] == 0 && len > off + 1) /* abstract socket */
			sc_text_printf(t, "@"),
			    sc_text_quote(t, data + off + 1, strnlen(data + off + 1, len - off - 1),
					  -1, false);
		else
			sc_text_quote(t, data + off, n, -1, false);
		sc_text_putc(t, '}');
	} else {
		sc_text_puts(t, ", ...}");
	}
}

static void put_argv(struct sc_text *t, const char *data, size_t len, int strsize)
{
	sc_text_putc(t, '[');
	size_t off = 0;
	bool first = true;
	while (off < len) {
		size_t n = strnlen(data + off, len - off);
		if (!first)
			sc_text_puts(t, ", ");
		sc_text_quote(t, data + off, n, strsize, false);
		first = false;
		off += n + 1;
	}
	sc_text_putc(t, ']');
}

static void put_wait_status(struct sc_text *t, int s)
{
	if (WIFEXITED(s))
		sc_text_printf(t, "[{WIFEXITED(s) && WEXITSTATUS(s) == %d}]", WEXITSTATUS(s));
	else if (WIFSIGNALED(s)) {
		sc_text_puts(t, "[{WIFSIGNALED(s) && WTERMSIG(s) == ");
		put_signal(t, WTERMSIG(s));
		sc_text_puts(t, WCOREDUMP(s) ? " && WCOREDUMP(s)}]" : "}]");
	} else
		sc_text_printf(t, "[%#x]", s);
}

static bool open_wants_mode(uint64_t flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

static void put_oflags(struct sc_text *t, uint64_t v)
{
	static const char *acc[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"};
	sc_text_puts(t, acc[v & O_ACCMODE]);
	v &= ~(uint64_t)O_ACCMODE;
	if (v) {
		sc_text_putc(t, '|');
		put_flags(t, open_flags, v);
	}
}

static void put_rlim_value(struct sc_text *t, uint64_t v)
{
	if (v == RLIM64_INFINITY)
		sc_text_puts(t, "RLIM64_INFINITY");
	else if (v && v % 1024 == 0)
		sc_text_printf(t, "%llu*1024", (unsigned long long)(v / 1024));
	else
		sc_text_printf(t, "%llu", (unsigned long long)v);
}

static void put_rlimit(struct sc_text *t, const char *data)
{
	uint64_t lim[2];
	memcpy(lim, data, sizeof(lim));
	sc_text_puts(t, "{rlim_cur=");
	put_rlim_value(t, lim[0]);
	sc_text_puts(t, ", rlim_max=");
	put_rlim_value(t, lim[1]);
	sc_text_putc(t, '}');
}

/* futex's timeout, uaddr2 and val3 exist only for some ops; strace leaves the others out. */
static bool put_futex_rest(struct ctx *c, int i)
{
	uint64_t cmd = c->ev->args[1] & FUTEX_CMD_MASK, v = c->ev->args[i];
	switch (cmd) {
	case FUTEX_WAKE:
	case FUTEX_FD:
	case FUTEX_UNLOCK_PI:
	case FUTEX_TRYLOCK_PI:
		return false;
	case FUTEX_WAIT:
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
		if (i != 3)
			return false;
		break;
	case FUTEX_WAIT_BITSET:
	case FUTEX_WAKE_BITSET:
		if (i == 4)
			return false;
		if (i == 5) {
			if ((uint32_t)v == FUTEX_BITSET_MATCH_ANY)
				sc_text_puts(c->t, "FUTEX_BITSET_MATCH_ANY");
			else
				sc_text_printf(c->t, "%#x", (uint32_t)v);
			return true;
		}
		break;
	default:
		break;
	}
	if (i == 5)
		sc_text_printf(c->t, "%d", (int)v);
	else
		put_ptr(c->t, v);
	return true;
}

/* strace names clone's arguments on x86-64 (flags, stack, parent_tid, child_tid, tls) and
 * shows the tid pointers and tls only when a flag makes the kernel use them. */
static bool put_clone_ptr(struct ctx *c, int i)
{
	uint64_t flags = c->ev->args[0], v = c->ev->args[i];
	switch (i) {
	case 1:
		sc_text_puts(c->t, "child_stack=");
		break;
	case 2:
		if (!(flags & CLONE_PARENT_SETTID))
			return false;
		sc_text_puts(c->t, "parent_tid=");
		break;
	case 3:
		if (!(flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)))
			return false;
		sc_text_puts(c->t, "child_tidptr=");
		break;
	default:
		if (!(flags & CLONE_SETTLS))
			return false;
		sc_text_puts(c->t, "tls=");
	}
	put_ptr(c->t, v);
	return true;
}

/* Returns false when the argument is not printed at all (open's mode without O_CREAT). */
static bool put_arg(struct ctx *c, int i)
{
	struct sc_text *t = c->t;
	uint64_t v = c->ev->args[i];
	const char *data;
	size_t len;
	bool failed = c->ev->ret < 0 && c->ev->ret >= -4095;

	switch (c->def->args[i]) {
	case A_INT:
		sc_text_printf(t, "%d", (int)v);
		break;
	case A_FD:
		sc_text_printf(t, "%d", (int)v);
		break;
	case A_UINT:
		sc_text_printf(t, "%llu", (unsigned long long)v);
		break;
	case A_HEX:
		sc_text_printf(t, "%#llx", (unsigned long long)v);
		break;
	case A_DIRFD:
		if ((int)v == AT_FDCWD)
			sc_text_puts(t, "AT_FDCWD");
		else
			sc_text_printf(t, "%d", (int)v);
		break;
	case A_PATH:
	case A_STR:
		if (cap_of(c, i, &data, &len))
			sc_text_quote(t, data, len, c->def->args[i] == A_PATH ? -1 : c->o->strsize,
				      len >= SC_CAP_MAX - 1);
		else
			put_ptr(t, v);
		break;
	case A_BUF_IN:
		if (cap_of(c, i, &data, &len))
			sc_text_quote(t, data, len, c->o->strsize, c->ev->args[i + 1] > len);
		else
			put_ptr(t, v);
		break;
	case A_BUF_OUT:
		if (!failed && cap_of(c, i, &data, &len))
			sc_text_quote(t, data, len, c->o->strsize, (uint64_t)c->ev->ret > len);
		else
			put_ptr(t, v);
		break;
	case A_OFLAGS:
		put_oflags(t, v);
		break;
	case A_MODE:
		if (!open_wants_mode(c->ev->args[i - 1]))
			return false;
		sc_text_printf(t, "%#llo", (unsigned long long)v);
		break;
	case A_OCTAL:
		sc_text_printf(t, "%#llo", (unsigned long long)v);
		break;
	case A_PROT:
		if (v == 0)
			sc_text_puts(t, "PROT_NONE");
		else
			put_flags(t, prot_flags, v);
		break;
	case A_MAPF: {
		uint64_t type = v & 0x3, rest = v & ~0x3ULL;
		static const char *types[] = {"0", "MAP_SHARED", "MAP_PRIVATE",
					      "MAP_SHARED_VALIDATE"};
		sc_text_puts(t, types[type]);
		if (rest) {
			sc_text_putc(t, '|');
			put_flags(t, map_flags + 3, rest);
		}
		break;
	}
	case A_CLONEF: {
		uint64_t sig = v & 0xff, rest = v & ~0xffULL;
		if (i == 0) { /* strace prints clone's stack first, so flags come second */
			put_clone_ptr(c, 1);
			sc_text_puts(t, ", flags=");
		}
		if (rest)
			put_flags(t, clone_flags, rest);
		if (sig) {
			if (rest)
				sc_text_putc(t, '|');
			put_signal(t, (long)sig);
		}
		if (!v)
			sc_text_puts(t, "0");
		break;
	}
	case A_SIG:
		put_signal(t, (long)(int)v);
		break;
	case A_SIGHOW:
		if (!put_enum(t, sighow_names, v))
			sc_text_printf(t, "%#llx", (unsigned long long)v);
		break;
	case A_ACCESS:
		if (v == F_OK)
			sc_text_puts(t, "F_OK");
		else
			put_flags(t, access_modes, v);
		break;
	case A_ATFLAGS:
		if (v == 0)
			sc_text_puts(t, "0");
		else
			put_flags(t, at_flags, v);
		break;
	case A_FCNTL:
		if (!put_enum(t, fcntl_cmds, v))
			sc_text_printf(t, "%#llx", (unsigned long long)v);
		break;
	case A_WHENCE:
		if (!put_enum(t, whence_names, v))
			sc_text_printf(t, "%#llx", (unsigned long long)v);
		break;
	case A_STAT_OUT:
		if (!failed && cap_of(c, i, &data, &len))
			put_stat(t, data, len);
		else
			put_ptr(t, v);
		break;
	case A_TS_IN:
	case A_TS_OUT:
		if ((c->def->args[i] == A_TS_IN || !failed) && cap_of(c, i, &data, &len) && len)
			put_timespec(t, data, len);
		else
			put_ptr(t, v);
		break;
	case A_SA_IN:
	case A_SA_OUT:
		if ((c->def->args[i] == A_SA_IN || !failed) && cap_of(c, i, &data, &len) && len)
			put_sockaddr(t, data, len);
		else
			put_ptr(t, v);
		break;
	case A_AF:
		if (!put_enum(t, af_names, v))
			sc_text_printf(t, "%d", (int)v);
		break;
	case A_SOCKTYPE:
		if (!put_enum(t, socktype_names, v & 0xf))
			sc_text_printf(t, "%d", (int)(v & 0xf));
		if (v & ~0xfULL) {
			sc_text_putc(t, '|');
			put_flags(t, sock_flags, v & ~0xfULL);
		}
		break;
	case A_FUTEXOP: {
		uint64_t cmd = v & FUTEX_CMD_MASK;
		if (!put_enum(t, futex_ops, cmd))
			sc_text_printf(t, "%llu", (unsigned long long)cmd);
		if (v & FUTEX_PRIVATE_FLAG)
			sc_text_puts(t, "_PRIVATE");
		if (v & FUTEX_CLOCK_REALTIME)
			sc_text_puts(t, "|FUTEX_CLOCK_REALTIME");
		break;
	}
	case A_EPOLLOP:
		if (!put_enum(t, epoll_ops, v))
			sc_text_printf(t, "%d", (int)v);
		break;
	case A_CLOCK:
		if (!put_enum(t, clock_names, v))
			sc_text_printf(t, "%d", (int)v);
		break;
	case A_PIPE_OUT:
		if (!failed && cap_of(c, i, &data, &len) && len >= 2 * sizeof(int)) {
			int fds[2];
			memcpy(fds, data, sizeof(fds));
			sc_text_printf(t, "[%d, %d]", fds[0], fds[1]);
		} else {
			put_ptr(t, v);
		}
		break;
	case A_MADV:
		if (!put_enum(t, madv_names, v))
			sc_text_printf(t, "%#llx", (unsigned long long)v);
		break;
	case A_ARGV:
		if (cap_of(c, i, &data, &len))
			put_argv(t, data, len, c->o->strsize);
		else
			put_ptr(t, v);
		break;
	case A_ENVP:
		put_ptr(t, v);
		break;
	case A_RLIMIT:
		if (!put_enum(t, rlimit_names, v))
			sc_text_printf(t, "%d", (int)v);
		break;
	case A_WAITOPT:
		if (v == 0)
			sc_text_puts(t, "0");
		else
			put_flags(t, wait_opts, v);
		break;
	case A_STATUS_OUT:
		if (!failed && c->ev->ret > 0 && cap_of(c, i, &data, &len) && len >= sizeof(int)) {
			int s;
			memcpy(&s, data, sizeof(s));
			put_wait_status(t, s);
		} else {
			put_ptr(t, v);
		}
		break;
	case A_MSGF:
		if (v == 0)
			sc_text_puts(t, "0");
		else
			put_flags(t, msg_flags, v);
		break;
	case A_PROTO:
		if ((c->ev->args[0] != AF_INET && c->ev->args[0] != AF_INET6) ||
		    !put_enum(t, proto_names, v))
			sc_text_printf(t, "%d", (int)v);
		break;
	case A_ARCHPRCTL:
		if (!put_enum(t, arch_prctl_codes, v))
			sc_text_printf(t, "%#llx", (unsigned long long)v);
		break;
	case A_RLIM_IN:
	case A_RLIM_OUT:
		if ((c->def->args[i] == A_RLIM_IN || !failed) && cap_of(c, i, &data, &len) &&
		    len >= sizeof(struct rlimit))
			put_rlimit(t, data);
		else
			put_ptr(t, v);
		break;
	case A_RANDOM:
		if (!failed && cap_of(c, i, &data, &len))
			quote_hex(t, data, len, c->o->strsize, (uint64_t)c->ev->ret > len);
		else
			put_ptr(t, v);
		break;
	case A_GRND:
		if (v == 0)
			sc_text_puts(t, "0");
		else
			put_flags(t, grnd_flags, v);
		break;
	case A_IOCTL:
		if (!put_enum(t, ioctl_names, v & 0xffffffff))
			sc_text_printf(t, "%#llx", (unsigned long long)v);
		break;
	case A_FUTEX_REST:
		return put_futex_rest(c, i);
	case A_STATX_FLAGS: {
		static const char *sync[] = {"AT_STATX_SYNC_AS_STAT", "AT_STATX_FORCE_SYNC",
					     "AT_STATX_DONT_SYNC", "AT_STATX_SYNC_TYPE"};
		sc_text_puts(t, sync[(v >> 13) & 3]);
		if (v & ~0x6000ULL) {
			sc_text_putc(t, '|');
			put_flags(t, at_flags, v & ~0x6000ULL);
		}
		break;
	}
	case A_STATX_MASK:
		put_flags(t, statx_mask, v);
		break;
	case A_STATX_OUT:
		if (!failed && cap_of(c, i, &data, &len) && len >= sizeof(struct statx)) {
			struct statx sx;
			memcpy(&sx, data, sizeof(sx));
			sc_text_puts(t, "{stx_mask=");
			put_flags(t, statx_mask, sx.stx_mask);
			sc_text_printf(t, ", stx_attributes=%s", sx.stx_attributes ? "" : "0");
			if (sx.stx_attributes)
				sc_text_printf(t, "%#llx", (unsigned long long)sx.stx_attributes);
			sc_text_puts(t, ", stx_mode=");
			put_mode(t, sx.stx_mode);
			sc_text_printf(t, ", stx_size=%llu, ...}", (unsigned long long)sx.stx_size);
		} else {
			put_ptr(t, v);
		}
		break;
	case A_SIGACT_IN:
	case A_SIGACT_OUT:
		if ((c->def->args[i] == A_SIGACT_IN || !failed) && cap_of(c, i, &data, &len) &&
		    len >= sizeof(struct ksigaction))
			put_sigaction(t, data);
		else
			put_ptr(t, v);
		break;
	case A_FCNTL_ARG:
		switch (c->ev->args[1]) {
		case F_GETFD:
		case F_GETFL:
		case F_GETOWN:
		case F_GETSIG:
		case F_GETLEASE:
		case F_GETPIPE_SZ:
		case F_GET_SEALS:
			return false;
		case F_SETFD:
			if (v == FD_CLOEXEC)
				sc_text_puts(t, "FD_CLOEXEC");
			else
				sc_text_printf(t, "%llu", (unsigned long long)v);
			break;
		case F_SETFL:
			put_oflags(t, v);
			break;
		case F_DUPFD:
		case F_DUPFD_CLOEXEC:
		case F_SETOWN:
		case F_SETSIG:
		case F_SETPIPE_SZ:
			sc_text_printf(t, "%d", (int)v);
			break;
		default:
			put_ptr(t, v);
		}
		break;
	case A_CLONE_PTR:
		return i != 1 && put_clone_ptr(c, i); /* the stack went before the flags */
	case A_SOL:
		if (!put_enum(t, sol_names, v))
			sc_text_printf(t, "%d", (int)v);
		break;
	case A_PTR:
	default:
		put_ptr(t, v);
		break;
	}
	return true;
}

static void put_ret(struct sc_decoded *d, const struct sc_event *ev, const struct sc_def *def)
{
	struct sc_text *t = &d->text;
	long long r = ev->ret;
	d->errname = NULL;
	if (ev->type == SC_EV_NORETURN || (def && def->ret == R_NONE)) {
		sc_text_putc(t, '?');
		return;
	}
	if (r < 0 && r >= -4095) {
		int err = (int)-r;
		const char *name = sc_errno_name(err);
		d->errname = name;
		if (name)
			sc_text_printf(t, "-1 %s (%s)", name, errno_text(err));
		else
			sc_text_printf(t, "-1 (errno %d)", err);
		return;
	}
	if (def && def->args[1] == A_FCNTL && (ev->args[1] == F_GETFD || ev->args[1] == F_GETFL)) {
		/* strace explains the flags fcntl returns */
		if (!r) {
			sc_text_puts(t, "0");
		} else {
			sc_text_printf(t, "%#llx (flags ", (unsigned long long)r);
			if (ev->args[1] == F_GETFD)
				sc_text_puts(t, r == FD_CLOEXEC ? "FD_CLOEXEC" : "?");
			else
				put_oflags(t, (uint64_t)r);
			sc_text_putc(t, ')');
		}
		return;
	}
	if (def && def->ret == R_HEX)
		sc_text_printf(t, "%#llx", (unsigned long long)r);
	else if (def && def->ret == R_OCTAL)
		sc_text_printf(t, "%#llo", (unsigned long long)r);
	else if (!def)
		sc_text_printf(t, "%#llx", (unsigned long long)r);
	else
		sc_text_printf(t, "%lld", r);
}

void sc_decode(const struct sc_event *ev, size_t size, const struct sc_decode_opts *o,
	       struct sc_decoded *d)
{
	index_defs();
	sc_text_reset(&d->text);
	const struct sc_def *def = ev->nr >= 0 && ev->nr < TRACE_NR_MAX ? def_by_nr[ev->nr] : NULL;
	struct ctx c = {ev, size, def, o, &d->text};
	d->nargs = 0;
	if (def) {
		for (int i = 0; i < def->nargs; i++) {
			size_t start = d->text.len;
			if (put_arg(&c, i)) {
				d->arg_start[d->nargs] = start;
				d->arg_end[d->nargs] = d->text.len;
				d->nargs++;
			}
		}
	} else {
		/* unknown to the decoder: the six raw registers, like strace for unknown calls */
		for (int i = 0; i < 6; i++) {
			d->arg_start[i] = d->text.len;
			sc_text_printf(&d->text, "%#llx", (unsigned long long)ev->args[i]);
			d->arg_end[i] = d->text.len;
		}
		d->nargs = 6;
	}
	d->ret_start = d->text.len;
	put_ret(d, ev, def);
	d->ret_end = d->text.len;
}
