-- The API key that submitted each order, so a key's history and dead-letter
-- lists hold its own orders only. NULL: submitted with authentication off
-- (or by the admin key), which only whoever sees every order lists.
ALTER TABLE orders ADD COLUMN owner uuid;
CREATE INDEX orders_owner_created ON orders (owner, created_ns DESC, order_id DESC) WHERE owner IS NOT NULL;
-- Rows projected before lack the owner: the projector builds them again
-- from the log, which holds every event.
TRUNCATE orders, order_events;
UPDATE projection_state SET last_seq = 0, updated_at = now();
