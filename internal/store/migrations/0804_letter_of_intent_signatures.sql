-- Letters of Intent: the SSC expects "a contract or Letter of Intent signed
-- by both parties" (seeds/000). Each signature is a party to the Letter and
-- the day it signed; a Letter signed by both counts for G3.20 coverage as a
-- contract does, one signed by one party only as reasonable steps. NULL: not
-- (yet) signed, or not recorded.
ALTER TABLE arrangements ADD COLUMN first_signatory BIGINT REFERENCES organisations (id);
ALTER TABLE arrangements ADD COLUMN first_signed DATE;
ALTER TABLE arrangements ADD COLUMN second_signatory BIGINT REFERENCES organisations (id);
ALTER TABLE arrangements ADD COLUMN second_signed DATE;
