/* Fault injection for tests, in the manner of SQLite's: the Nth call of a
 * layer (a database statement or COMMIT, a Redis command, a gateway call)
 * fails in a chosen way, so that a test can fail every step of an operation
 * in turn and check that nothing is left half-written.
 *
 * Armed only where SHOP_TEST_HOOKS=1 (the test stacks): shopd arms it for
 * one request from the X-Test-Fault header and reports the calls it counted
 * in X-Test-Fault-Calls; in-process tests call fault_arm() themselves. A
 * spec is one or more "LAYER:N:KIND" joined by commas (LAYER db, kv or pay;
 * N from 1; KIND error, lost or lost-after), or "count" to count only:
 *   error       the call fails with an error and does nothing
 *   lost        the connection drops before the call reaches the server
 *   lost-after  the server does it, then the connection drops before the
 *               answer (the case of a timeout: done, but not known to be)
 * Process-wide state: one request or test at a time per process. */
#ifndef CORE_FAULT_H
#define CORE_FAULT_H

enum fault_layer { FAULT_DB, FAULT_KV, FAULT_PAY, FAULT_NLAYERS };
/* FAULT_DEADLOCK (db only): the statement or COMMIT fails as a deadlock's
 * victim (or a Galera certification conflict) would, its transaction rolled
 * back. Spec kinds: "deadlock" at call N; "deadlocks" at call N and every
 * call after it (so that every retry fails too). */
enum fault_kind { FAULT_NONE, FAULT_ERROR, FAULT_LOST, FAULT_LOST_AFTER, FAULT_DEADLOCK };

/* 1 when this process may inject faults (SHOP_TEST_HOOKS=1). */
int fault_enabled(void);
/* Arms spec (counters start at 0); -1 when it does not parse. */
int fault_arm(const char *spec);
void fault_disarm(void);
/* Counts one call of layer and says what to do with it (FAULT_NONE unless
 * it is the armed one). Cheap when nothing is armed. */
enum fault_kind fault_at(enum fault_layer layer);
/* Calls counted since arming, and whether the fault fired. */
long fault_calls(enum fault_layer layer);
int fault_fired(void);

#endif
