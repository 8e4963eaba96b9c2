/* `shopd jobs`: the background process beside the FastCGI workers. It runs a
 * table of periodic jobs (mail delivery now; the outbox relay, the hold
 * sweeper, saga recovery and the search indexer as they arrive) on its own
 * MariaDB and Redis connections. */
#ifndef JOBS_H
#define JOBS_H

/* Runs the jobs loop until SIGTERM or SIGINT, then returns after the job in
 * progress has finished its current batch. Sets its own signal handlers and
 * unblocks every signal, so it may be called in a process forked by the
 * master (which blocks them) or directly from main (`shopd jobs`). Needs
 * config_load() first; registers the statements it uses itself. The jobs
 * are dealt out among nparts processes of one host (SHOP_JOBS_PROCS): this
 * one runs those whose index modulo nparts is part (0 and 1: all of them).
 * Leases still decide across hosts; the deal only keeps a host's processes
 * from competing for the same ones. */
void jobs_main(int part, int nparts);

#endif
