-- Every field GET /api/orders/{id} shows, so the history list renders an
-- order exactly as the log does: the quote's expected and minimum output,
-- when the next attempt is due, and the update time to the nanosecond.
ALTER TABLE orders
  ADD COLUMN expected_out numeric(20),
  ADD COLUMN min_out      numeric(20),
  ADD COLUMN retry_at_ns  bigint,
  ADD COLUMN updated_ns   bigint;
-- Rows projected before lack these fields: the projector builds them again
-- from the log, which holds every event.
TRUNCATE orders, order_events;
UPDATE projection_state SET last_seq = 0, updated_at = now();
