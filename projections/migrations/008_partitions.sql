-- Cluster mode: a cluster's log numbers each partition's events on their
-- own, so an event is (log_partition, seq); the embedded log is partition 0.
-- How far each partition is projected: a row per partition ('orders.p3'),
-- beside 'orders', the embedded log's.
ALTER TABLE order_events ADD COLUMN log_partition integer NOT NULL DEFAULT 0;
-- A rebuild swaps in a table whose key has another name: find it.
DO $$
DECLARE
  pk text;
BEGIN
  SELECT conname INTO pk FROM pg_constraint WHERE conrelid = 'order_events'::regclass AND contype = 'p';
  EXECUTE format('ALTER TABLE order_events DROP CONSTRAINT %I', pk);
END
$$;
ALTER TABLE order_events ADD PRIMARY KEY (log_partition, seq);
