-- The DP087 gap is its own coverage status, no longer counted as "no duty":
-- a SMETS1 Communications Hub or Gas Proxy Function under a release where
-- G3.17(b) gives it to the Supplier and G3.20(b) still excludes it is a known
-- defect of the code (seeds/001), reported as such month by month.
ALTER TABLE coverage_snapshots ADD COLUMN dp087 BIGINT NOT NULL DEFAULT 0;
