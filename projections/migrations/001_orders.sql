-- Read model of the event log. Amounts are base units of their token.
CREATE TABLE orders (
  order_id       uuid PRIMARY KEY,
  order_type     text        NOT NULL,
  input_token    text        NOT NULL,
  output_token   text        NOT NULL,
  amount_in      numeric(20) NOT NULL,
  slippage_bps   integer     NOT NULL,
  status         text        NOT NULL,
  dex            text,
  tx_id          text,
  executed_price numeric,
  amount_out     numeric(20),
  attempts       integer     NOT NULL,
  last_error     text,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  created_ns     bigint      NOT NULL,  -- exact creation time: the keyset cursor
  last_seq       bigint      NOT NULL
);
CREATE INDEX orders_created_idx ON orders (created_ns DESC, order_id DESC);
CREATE INDEX orders_status_created_idx ON orders (status, created_ns DESC, order_id DESC);

CREATE TABLE order_events (
  seq      bigint      PRIMARY KEY,
  order_id uuid        NOT NULL,
  type     text        NOT NULL,
  status   text        NOT NULL,
  payload  jsonb       NOT NULL,
  ts       timestamptz NOT NULL
);
CREATE INDEX order_events_order_idx ON order_events (order_id, seq);

CREATE TABLE projection_state (
  name       text        PRIMARY KEY,
  last_seq   bigint      NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO projection_state (name, last_seq) VALUES ('orders', 0);
