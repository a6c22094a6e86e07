-- Recurring orders and their slices, so the history renders both as the log
-- does: a recurring order's terms and where its schedule stands (which
-- slices it skipped; a slice's order id follows from the parent's and its
-- place), and a slice's parent and place. NULL: not a recurring order / not
-- a slice.
ALTER TABLE orders
  ADD COLUMN recurring jsonb,
  ADD COLUMN parent_id uuid,
  ADD COLUMN slice     integer;
CREATE INDEX orders_parent_idx ON orders (parent_id, slice) WHERE parent_id IS NOT NULL;
-- No recurring order was projected before: nothing to rebuild.
