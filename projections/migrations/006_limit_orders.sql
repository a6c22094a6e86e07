-- Limit orders: what GET /api/orders/{id} shows of them, so the history
-- list renders one exactly as the log does: the least output the whole
-- amount must fetch (base units of the output token), when it expires
-- unless triggered and when it last fired (ns since the epoch). NULL: none
-- (a market order, no expiry, never fired).
ALTER TABLE orders
  ADD COLUMN min_amount_out  numeric(20),
  ADD COLUMN expires_at_ns   bigint,
  ADD COLUMN triggered_at_ns bigint;
-- The history list filtered by order type (?type=limit), newest first.
CREATE INDEX orders_type_created_idx ON orders (order_type, created_ns DESC, order_id DESC);
-- Rows projected before lack these fields: the projector builds them again
-- from the log, which holds every event.
TRUNCATE orders, order_events;
UPDATE projection_state SET last_seq = 0, updated_at = now();
