/*
 * logtime: an LD_PRELOAD shim for corosync that timestamps the few log messages the side-by-side
 * benchmark needs, on CLOCK_MONOTONIC, and forwards every call to libqb unchanged.
 *
 * It interposes libqb's qb_log_real_ (corosync's own log_printf) and qb_log_from_external_source_va
 * (totem's messages). For a message whose format string contains one of NEEDLES it appends one line to
 * the file named by $LOGTIME_FILE (opened O_APPEND once, so each line is one write(2)):
 *
 *     <monotonic seconds>.<nanoseconds> <pid> <format string>
 *
 * The format string is written as is (its arguments are not formatted), newlines replaced by spaces.
 * errno is preserved: libqb reads it to fill %m.
 *
 * Built with -DLOGTIME_TOOL, the same file is a small helper on the same clock:
 *     logtime now             prints the monotonic time, seconds.nanoseconds
 *     logtime kill SIG PID    reads the monotonic time, sends signal SIG to PID at once, prints that time
 *
 *     gcc -O2 -shared -fPIC -o liblogtime.so logtime.c -ldl      (needs libqb-dev's <qb/qblog.h>)
 *     gcc -O2 -DLOGTIME_TOOL -o logtime logtime.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef LOGTIME_TOOL

#include <signal.h>

int main(int argc, char **argv)
{
	struct timespec now;
	if (argc == 2 && strcmp(argv[1], "now") == 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		printf("%lld.%09ld\n", (long long)now.tv_sec, now.tv_nsec);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "kill") == 0) {
		int sig = atoi(argv[2]);
		pid_t pid = (pid_t)atol(argv[3]);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (kill(pid, sig) != 0) {
			perror("kill");
			return 1;
		}
		printf("%lld.%09ld\n", (long long)now.tv_sec, now.tv_nsec);
		return 0;
	}
	fprintf(stderr, "usage: %s now | kill SIG PID\n", argv[0]);
	return 2;
}

#else

#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <qb/qblog.h> /* struct qb_log_callsite and the prototypes interposed here (libqb-dev) */

typedef void (*real_va_fn)(struct qb_log_callsite *, va_list);
typedef void (*external_va_fn)(const char *, const char *, const char *, uint8_t, uint32_t, uint32_t, va_list);

static const char *const NEEDLES[] = {
	"A new membership (",
	"Committing synchronization for",
	"Completed service synchronization",
	"Token has not been received",
	"entering GATHER state",
	NULL,
};

static int out_fd = -1;
static real_va_fn real_va;
static external_va_fn real_external_va;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void)
{
	const char *path = getenv("LOGTIME_FILE");
	if (path != NULL && *path != '\0') {
		out_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	}
	real_va = (real_va_fn)dlsym(RTLD_NEXT, "qb_log_real_va_");
	real_external_va = (external_va_fn)dlsym(RTLD_NEXT, "qb_log_from_external_source_va");
}

static void note(const char *format)
{
	struct timespec now;
	char line[512];
	int i, n, saved;

	if (format == NULL) {
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	for (i = 0; NEEDLES[i] != NULL; i++) {
		if (strstr(format, NEEDLES[i]) != NULL) {
			break;
		}
	}
	if (NEEDLES[i] == NULL || out_fd < 0) {
		return;
	}
	saved = errno;
	n = snprintf(line, sizeof(line) - 1, "%lld.%09ld %d %s", (long long)now.tv_sec, now.tv_nsec, (int)getpid(), format);
	if (n < 0) {
		errno = saved;
		return;
	}
	if (n > (int)sizeof(line) - 2) {
		n = (int)sizeof(line) - 2;
	}
	for (i = 0; i < n; i++) {
		if (line[i] == '\n' || line[i] == '\r') {
			line[i] = ' ';
		}
	}
	line[n++] = '\n';
	if (write(out_fd, line, (size_t)n) < 0) {
		/* Nothing to do: the benchmark sees a missing line. */
	}
	errno = saved;
}

void qb_log_real_(struct qb_log_callsite *cs, ...)
{
	va_list ap;
	int saved = errno;

	pthread_once(&once, init);
	note(cs != NULL ? cs->format : NULL);
	errno = saved;
	va_start(ap, cs);
	if (real_va != NULL) {
		real_va(cs, ap);
	}
	va_end(ap);
}

void qb_log_from_external_source_va(const char *function, const char *filename, const char *format,
				    uint8_t priority, uint32_t lineno, uint32_t tags, va_list ap)
{
	int saved = errno;

	pthread_once(&once, init);
	note(format);
	errno = saved;
	if (real_external_va != NULL) {
		real_external_va(function, filename, format, priority, lineno, tags, ap);
	}
}

#endif
