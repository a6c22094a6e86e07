-- Which event log the projection was built from. Seqs count from 1 in
-- every log, so last_seq alone cannot tell a recreated data directory from
-- the log the rows came from. NULL: built before ids; adopted by a log
-- whose event at last_seq is the projection's (the same order id).
ALTER TABLE projection_state ADD COLUMN log_id text;
