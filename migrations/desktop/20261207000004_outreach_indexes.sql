-- カバー状況 reads a prefecture's open registry rows and looks each one's account up by its
-- insurance code: both by index (a national registry holds ≈250k rows, a prefecture 100k accounts).
CREATE INDEX institutions_by_prefecture ON institutions (prefecture, closed_import_id);
CREATE INDEX accounts_by_insurance_code ON accounts (insurance_code);
