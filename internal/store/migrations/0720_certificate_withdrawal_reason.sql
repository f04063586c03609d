-- A CPA certificate's withdrawal records why. Withdrawals before this
-- migration keep an empty reason; new ones cannot be made without one.
ALTER TABLE cpa_certificates ADD COLUMN withdrawn_reason TEXT NOT NULL DEFAULT '';
