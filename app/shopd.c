/* shopd: the FastCGI server.
 *
 * A master forks SHOP_WORKERS workers that all accept on one socket. The
 * master respawns a worker that dies, reloads gracefully on SIGHUP (new
 * workers start on the new templates; old ones finish what they are doing and
 * exit) and stops gracefully on SIGTERM/SIGINT (in-flight requests finish).
 *
 * The socket is SHOP_LISTEN, a unix socket path or host:port (TCP, for app
 * hosts behind one nginx: docs/scaling.md), else SHOP_SOCKET, created by
 * shopd; or, under the standard FastCGI hosting convention (spawn-fcgi,
 * mod_fcgid), a listening socket passed on fd 0, which shopd detects and
 * uses when neither variable is set.
 *
 * Beside the workers the master keeps one jobs process (app/jobs.c) in the
 * last slot, so it is respawned, reloaded and stopped like a worker; with
 * SHOP_JOBS=0 that process follows only what is this host's own (the
 * workers' product cache: event_consumer.per_host) and the jobs run on jobs
 * hosts. `shopd jobs` runs
 * only that loop, in the foreground, for a deployment that runs background
 * jobs on other hosts; any number of them may run (each job holds a lease
 * in MariaDB while it runs: app/jobs.c). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcgiapp.h>
#include "core/config.h"
#include "core/log.h"
#include "http/server.h"
#include "view/tmpl.h"
#include "jobs.h"
#include "catalog/pcache.h"
#include "module.h"

#define MAX_WORKERS 256
#define EXIT_CONFIG 78	/* a worker that cannot start for a reason respawning will not fix */

static volatile sig_atomic_t got_term, got_hup, got_chld;
static volatile sig_atomic_t worker_stop;
static struct http_hooks hooks;	/* from the modules, before any fork */

static void master_signal(int sig)
{
	if (sig == SIGTERM || sig == SIGINT)
		got_term = 1;
	else if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGCHLD)
		got_chld = 1;
}

/* In a worker SIGTERM only sets a flag. It is blocked except while the
 * worker waits for a connection (ppoll), so a request that has been accepted
 * is always answered, and an idle worker leaves at once. */
static void worker_signal(int sig)
{
	(void)sig;
	worker_stop = 1;
}

static void set_handler(int sig, void (*fn)(int), int restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(sig, &sa, NULL);
}

static int is_listening_socket(int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);

	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v;
}

static void worker_main(int listen_fd)
{
	struct worker w;
	FCGX_Request fr;
	char errbuf[512] = "";
	sigset_t none, term;
	struct pollfd pfd = { .fd = listen_fd, .events = POLLIN };

	/* libfcgi installs its own handlers in FCGX_Init; ours go after it
	 * (STACK.md: otherwise an idle worker ignores SIGTERM). */
	set_handler(SIGTERM, worker_signal, 0);
	set_handler(SIGINT, SIG_IGN, 0);
	set_handler(SIGHUP, SIG_IGN, 0);
	set_handler(SIGCHLD, SIG_DFL, 0);
	set_handler(SIGPIPE, SIG_IGN, 0);
	sigemptyset(&none);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_SETMASK, &term, NULL);
	/* jansson makes many small allocations per page; with fastbins, every
	 * larger allocation after them consolidates the heap first, which
	 * showed up in profiles (malloc_consolidate). The per-thread cache
	 * still serves small sizes. */
	mallopt(M_MXFAST, 0);
	if (worker_init(&w, &hooks, errbuf, sizeof(errbuf))) {
		log_err("worker cannot start: %s", errbuf[0] ? errbuf : "out of memory");
		_exit(EXIT_CONFIG);
	}
	if (FCGX_InitRequest(&fr, listen_fd, 0))
		_exit(1);
	/* The listening socket is non-blocking (see main): workers wait in
	 * ppoll, the only place SIGTERM can arrive, and a worker that loses the
	 * race for a connection gets EAGAIN from accept and waits again. */
	while (!worker_stop) {
		if (ppoll(&pfd, 1, NULL, &none) <= 0)
			continue;	/* EINTR: SIGTERM, checked by the loop */
		if (FCGX_Accept_r(&fr) < 0)
			continue;
		http_serve(&w, &fr);
		FCGX_Finish_r(&fr);
	}
	worker_fini(&w);
	_exit(0);
}

struct slot {
	pid_t pid;
	unsigned gen;
	time_t started;
};

#define MAX_JOBS_PROCS 16
static struct slot slots[MAX_WORKERS + MAX_JOBS_PROCS];	/* workers, then the jobs processes */
static unsigned generation;
static int jobs_slot = -1;	/* the first jobs process's slot */
static int jobs_procs = 1;

static pid_t spawn(int listen_fd, int i)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (i >= jobs_slot) {
			/* It never accepts: nginx must not queue requests on a
			 * socket that only the jobs process still holds. */
			if (listen_fd != 0)
				close(listen_fd);
			jobs_main(i - jobs_slot, jobs_procs);
			_exit(0);
		}
		FCGX_Init();
		worker_main(listen_fd);
	}
	if (pid > 0) {
		slots[i].pid = pid;
		slots[i].gen = generation;
		slots[i].started = time(NULL);
	} else {
		log_err("fork: %s", strerror(errno));
	}
	return pid;
}

/* Compiles the templates in the master too, each page checked against the
 * names its model sets, so a broken template is reported once with file:line
 * and a reload with one keeps the old workers serving. */
static int templates_ok(void)
{
	struct tmpl_set *set = NULL;
	char errbuf[512] = "";

	if (http_templates(&hooks, config.templates, &set, errbuf, sizeof(errbuf))) {
		log_err("templates: %s", errbuf);
		fprintf(stderr, "shopd: template error: %s\n", errbuf);
		tmpl_free(set);
		return 0;
	}
	tmpl_free(set);
	return 1;
}

static int open_socket(void)
{
	int fd;

	if (!getenv("SHOP_SOCKET") && !getenv("SHOP_LISTEN") && is_listening_socket(0)) {
		log_info("using the listening socket passed on fd 0");
		return 0;
	}
	/* A path is a unix socket; host:port (or :port, every address) TCP. */
	fd = FCGX_OpenSocket(config.listen, 1024);
	if (fd < 0) {
		fprintf(stderr, "shopd: cannot listen on %s: %s\n", config.listen, strerror(errno));
		return -1;
	}
	/* nginx workers may run as another user (nobody) and must reach it. */
	if (config.listen[0] == '/')
		chmod(config.listen, 0666);
	return fd;
}

int main(int argc, char **argv)
{
	int listen_fd, i, nworkers, restarts = 0;
	sigset_t block, old;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "jobs"))) {
		fprintf(stderr, "usage: shopd [jobs]\n");
		return 2;
	}
	if (config_load(&config))
		return 1;
	if (argc == 2) {
		config.jobs = 1;	/* `shopd jobs` is a jobs host whatever SHOP_JOBS says */
		jobs_main(0, 1);
		return 0;
	}
	/* Before any fork: the workers and the jobs process share it. */
	pcache_init();
	modules_http_hooks(&hooks);	/* every module's init, the route table */
	if (!templates_ok())
		return 1;
	FCGX_Init();
	listen_fd = open_socket();
	if (listen_fd < 0)
		return 1;
	/* Workers wait in ppoll and then accept; non-blocking, so the workers
	 * that lose the race for a connection do not sit in accept() where
	 * SIGTERM cannot reach them without dropping a connection. */
	fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
	nworkers = config.workers > MAX_WORKERS ? MAX_WORKERS : config.workers;
	jobs_slot = nworkers;
	jobs_procs = config.jobs_procs > MAX_JOBS_PROCS ? MAX_JOBS_PROCS : config.jobs_procs;
	nworkers += jobs_procs;
	set_handler(SIGTERM, master_signal, 1);
	set_handler(SIGINT, master_signal, 1);
	set_handler(SIGHUP, master_signal, 1);
	set_handler(SIGCHLD, master_signal, 1);
	set_handler(SIGPIPE, SIG_IGN, 0);
	/* Signals are blocked except inside sigsuspend, so none is lost between
	 * checking the flags and waiting. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old);
	for (i = 0; i < nworkers; i++)
		spawn(listen_fd, i);
	log_info("shopd: %d workers and %d processes of %s on %s (host %s)", jobs_slot, jobs_procs,
		 config.jobs ? "jobs" : "the host's own stream followers only (SHOP_JOBS=0)",
		 listen_fd == 0 ? "fd 0" : config.listen, config.host_id);

	while (!got_term) {
		pid_t pid;
		int status;

		if (got_hup) {
			got_hup = 0;
			if (templates_ok()) {
				/* New generation first, then retire the old one: there
				 * is never a moment without workers accepting. */
				pid_t old_pids[MAX_WORKERS + MAX_JOBS_PROCS];

				generation++;
				for (i = 0; i < nworkers; i++) {
					old_pids[i] = slots[i].pid;
					spawn(listen_fd, i);
				}
				for (i = 0; i < nworkers; i++)
					if (old_pids[i] > 0)
						kill(old_pids[i], SIGTERM);
				log_info("shopd: reloaded (generation %u)", generation);
			} else {
				log_err("shopd: reload refused; the running workers keep serving");
			}
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (i = 0; i < nworkers; i++) {
				if (slots[i].pid != pid)
					continue;
				if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_CONFIG) {
					log_err("worker %d cannot start; shopd stops", (int)pid);
					got_term = 1;
					break;
				}
				log_warn("worker %d died (%s %d); respawning", (int)pid,
					 WIFSIGNALED(status) ? "signal" : "exit",
					 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
				/* A worker that dies right after starting, again and
				 * again, is backed off so the log stays readable. */
				if (time(NULL) - slots[i].started < 1 && ++restarts > 10)
					sleep(1);
				spawn(listen_fd, i);
			}
		}
		got_chld = 0;
		if (!got_term && !got_hup)
			sigsuspend(&old);
	}

	log_info("shopd: stopping; in-flight requests finish first");
	for (i = 0; i < nworkers; i++)
		if (slots[i].pid > 0)
			kill(slots[i].pid, SIGTERM);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	if (listen_fd != 0 && config.listen[0] == '/')
		unlink(config.listen);
	log_info("shopd: stopped");
	return 0;
}
