-- portfolio_enrolled holds every installed SMETS1 Device with a Responsible
-- Supplier, not only the enrolled ones: a SMETS1 Device with no enrolment
-- date is counted under enrolled_on '9999-12-31' (estate.NeverEnrolled), so
-- "not enrolled on day d" is one short range of the key (enrolled_on > d)
-- instead of a sum over every enrolment day (424,003 rows for a 1 million
-- Device world: see BENCHMARKS.md). This adds those rows for Devices
-- already loaded.
INSERT INTO portfolio_enrolled (supplier_id, model_id, map_id, enrolled_on, inherited_from, devices)
SELECT d.supplier_id, d.model_id, COALESCE(d.map_id, 0), '9999-12-31',
    CASE WHEN d.inherited THEN d.supply_start ELSE '0001-01-01' END, COUNT(*)
FROM devices d JOIN device_models m ON m.id = d.model_id
WHERE m.generation = 'SMETS1' AND d.enrolled_on IS NULL AND d.status = 'installed' AND d.supplier_id IS NOT NULL
GROUP BY d.supplier_id, d.model_id, COALESCE(d.map_id, 0), CASE WHEN d.inherited THEN d.supply_start ELSE '0001-01-01' END;
