/* The transport ceiling: a FastCGI program that answers every request with
 * one page read into memory at start, and does nothing else. nginx in front
 * of it shows what nginx + FastCGI cost before shopd does any work; the
 * bench compares shopd against it.
 *
 *   fcgi_static PAGE SOCKET [PROCESSES]
 *
 * The socket is created (any old file at that path is replaced) with mode
 * 0666 so nginx workers running as another user can connect. PROCESSES
 * (default 2) children all accept on it, like shopd's workers. SIGTERM or
 * SIGINT to the parent stops the children and removes the socket. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcgiapp.h>

static char *page;
static size_t page_len;
static volatile sig_atomic_t stopping;

static int load(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return -1;
	}
	page = malloc((size_t)n + 1);
	if (!page || fread(page, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		return -1;
	}
	fclose(f);
	page_len = (size_t)n;
	return 0;
}

/* One worker: accept, write the page, repeat. The default SIGTERM action
 * (restored after FCGX_Init, which installs its own) ends it at once. */
static void serve(int sock)
{
	FCGX_Request rq;
	char head[256];
	int hlen;

	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	hlen = snprintf(head, sizeof(head),
			"Status: 200 OK\r\n"
			"Content-Type: text/html; charset=utf-8\r\n"
			"Cache-Control: private, no-cache\r\n"
			"Content-Length: %zu\r\n\r\n", page_len);
	if (FCGX_InitRequest(&rq, sock, 0))
		_exit(1);
	while (FCGX_Accept_r(&rq) >= 0) {
		FCGX_PutStr(head, hlen, rq.out);
		FCGX_PutStr(page, (int)page_len, rq.out);
		FCGX_Finish_r(&rq);
	}
	_exit(0);
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

int main(int argc, char **argv)
{
	const char *sock_path;
	pid_t *kids;
	long n = 2;
	int sock, i;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: %s PAGE SOCKET [PROCESSES]\n", argv[0]);
		return 2;
	}
	if (argc == 4) {
		char *end;

		errno = 0;
		n = strtol(argv[3], &end, 10);
		if (errno || *end || n < 1 || n > 256) {
			fprintf(stderr, "fcgi_static: PROCESSES must be 1..256\n");
			return 2;
		}
	}
	sock_path = argv[2];
	if (load(argv[1])) {
		fprintf(stderr, "fcgi_static: cannot read %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (FCGX_Init()) {
		fprintf(stderr, "fcgi_static: FCGX_Init failed\n");
		return 1;
	}
	unlink(sock_path);
	sock = FCGX_OpenSocket(sock_path, 1024);
	if (sock < 0 || chmod(sock_path, 0666)) {
		fprintf(stderr, "fcgi_static: cannot listen on %s: %s\n", sock_path, strerror(errno));
		return 1;
	}
	/* Before forking, so a stop request is never lost; children reset it. */
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
	}
	kids = calloc((size_t)n, sizeof(*kids));
	if (!kids)
		return 1;
	for (i = 0; i < n; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			serve(sock);
		if (kids[i] < 0) {
			fprintf(stderr, "fcgi_static: fork: %s\n", strerror(errno));
			stopping = 1;
			break;
		}
	}
	/* Wait until told to stop or until every child is gone. */
	while (!stopping) {
		if (wait(NULL) < 0 && errno == ECHILD)
			break;
	}
	for (i = 0; i < n; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGTERM);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	unlink(sock_path);
	free(kids);
	return 0;
}
