-- Jobs on several hosts (issue 20, app/jobs.c, docs/scaling.md).
--
-- A job runs only in the jobs process that holds its lease: one row per
-- job (module jobs by name, event consumers as 'event:NAME'). A holder
-- renews its leases every third of SHOP_JOBS_LEASE_MS and runs a batch only
-- while at least a third of the lease is left, so a batch ends before the
-- lease could lapse; another host takes a lease only once expires_at has
-- passed (or it was released: holder ''), under a row lock, so two
-- processes never hold one at once. Not GET_LOCK: Galera does not replicate
-- it; these rows are ordinary InnoDB rows that every node agrees on.
CREATE TABLE IF NOT EXISTS job_leases (
	name VARCHAR(64) NOT NULL PRIMARY KEY,
	holder VARCHAR(191) NOT NULL DEFAULT '',	-- 'HOST/BOOT/PID.START' of the jobs process; '' free
	host VARCHAR(64) NOT NULL DEFAULT '',		-- SHOP_HOST_ID of the holder
	epoch BIGINT UNSIGNED NOT NULL DEFAULT 0,	-- +1 at every take: the term's number
	renewed_at DATETIME(3) NULL,
	expires_at DATETIME(3) NOT NULL DEFAULT '1970-01-02 00:00:00'
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Who held which job when, and how much it ran: one row per term (a take),
-- its counters written at each renewal and at the release. Consecutive
-- terms of a job never overlap: a term starts (acquired_at) after the one
-- before was released or expired; t/scale/10-apphosts.sh checks that from
-- these rows. The last 1000 terms of each job are kept.
CREATE TABLE IF NOT EXISTS job_lease_terms (
	name VARCHAR(64) NOT NULL,
	epoch BIGINT UNSIGNED NOT NULL,
	host VARCHAR(64) NOT NULL,
	holder VARCHAR(191) NOT NULL,
	-- how it was taken: 'free' (never held), 'released' (the holder let it
	-- go when it stopped), 'lapsed' (not renewed in time: a dead or stuck
	-- host), 'dead' (its holder was a process on this same host and boot
	-- that no longer exists: a jobs process killed and respawned)
	taken_how ENUM('free', 'released', 'lapsed', 'dead') NOT NULL,
	acquired_at DATETIME(3) NOT NULL,
	renewed_at DATETIME(3) NOT NULL,
	expires_at DATETIME(3) NOT NULL,
	released_at DATETIME(3) NULL,
	batches BIGINT UNSIGNED NOT NULL DEFAULT 0,	-- batches run in the term
	busy_batches BIGINT UNSIGNED NOT NULL DEFAULT 0,	-- of them, those that did work
	PRIMARY KEY (name, epoch),
	KEY ix_job_lease_terms_host (host, acquired_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Test stacks only (SHOP_TEST_HOOKS=1 and SHOP_JOBS_PROBE_MS): the
-- 'lease-probe' job writes one row per batch, its start and end, so a test
-- proves from data that no two batches of one job ever ran at once.
CREATE TABLE IF NOT EXISTS job_probe_runs (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	host VARCHAR(64) NOT NULL,
	holder VARCHAR(191) NOT NULL,
	epoch BIGINT UNSIGNED NOT NULL,
	started_at DATETIME(6) NOT NULL,
	ended_at DATETIME(6) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
