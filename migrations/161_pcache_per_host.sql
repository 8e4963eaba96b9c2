-- Several hosts (issue 20): the workers' product cache (app/catalog/pcache)
-- is each host's own, so every host's jobs process follows the event stream
-- for it with a position in memory (event_consumer.per_host, app/jobs.c).
-- The shared row of the consumer 'pcache' is no longer read or moved; left
-- behind, its old position would hold every event back from retention.
DELETE FROM event_consumers WHERE name = 'pcache';
