-- Every withdrawal names its reason, the catalogue CSV import's included
-- (cpa_withdrawn_reason). Withdrawals recorded before reasons were kept get
-- a reason that says so, so that exports of them import again.
UPDATE cpa_certificates SET withdrawn_reason = 'withdrawn before metersec recorded withdrawal reasons'
WHERE withdrawn IS NOT NULL AND withdrawn_reason = '';
