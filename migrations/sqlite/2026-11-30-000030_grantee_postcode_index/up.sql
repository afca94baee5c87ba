-- Duplicate grantee detection and import matching look grantees up by
-- postcode. IF NOT EXISTS: another change may add the same index.
CREATE INDEX IF NOT EXISTS grantees_postcode ON grantees (postcode);
