-- A Supplier's affected Devices for one vulnerability (the export on a
-- vulnerability's page) are its Devices on the affected firmware: keying the
-- by-supplier index on (supplier_id, firmware_id) reads only those, where the
-- old index read every Device of the Supplier (millions for a large one).
-- Every query that used the old index by supplier_id still has it as the
-- leading column, so this replaces it rather than adding a second index to
-- keep up on each import and change of supplier.
DROP INDEX devices_by_supplier;
CREATE INDEX devices_by_supplier ON devices (supplier_id, firmware_id);
