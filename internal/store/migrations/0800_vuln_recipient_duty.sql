-- A Supplier is told of a vulnerability for every affected Device it
-- operates (seeds/000: manufacturers notify "all Suppliers which are
-- operating their Devices"), not only for those it carries G3.17(b) or
-- G3.20(b) for. devices counts the Devices it operates; duty_devices how many
-- of them it carries a duty for, which decides what its notice says.
ALTER TABLE vuln_recipients ADD COLUMN duty_devices BIGINT NOT NULL DEFAULT 0;
UPDATE vuln_recipients SET duty_devices = devices WHERE role = 'supplier';
