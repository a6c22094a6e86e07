-- Sniper orders: what a launch must show before the order buys, so the
-- history list renders one exactly as the log does. NULL: not a sniper.
ALTER TABLE orders
  ADD COLUMN require_mint_renounced boolean,
  ADD COLUMN require_no_freeze      boolean,
  ADD COLUMN min_liquidity          numeric(20);
-- No sniper order was projected before: nothing to rebuild.
