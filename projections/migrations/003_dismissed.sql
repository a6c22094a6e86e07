-- A dead letter an operator dismissed (deadLetterDismissed): still failed,
-- no longer on the dead-letter list.
ALTER TABLE orders ADD COLUMN dismissed boolean NOT NULL DEFAULT false;
