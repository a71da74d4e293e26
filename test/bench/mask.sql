--
-- Masking: the cost of the masking functions, per value, against what
-- people write by hand in SQL (and md5 for the keyed hash).
--
\echo '== mask: 1,000,000 values (best of 5)'
CREATE TABLE bench.mvals AS
SELECT g, 'first.last' || g || '@mail.example.com' AS email, '+4930' || lpad(g::text, 8, '0') AS phone
FROM generate_series(1, 1000000) g;
VACUUM ANALYZE bench.mvals;
SET steward.mask_key = 'a benchmark key, long enough....';

CALL bench.compare('mask', ARRAY[
    ['scan only (baseline)', 'SELECT count(email) FROM bench.mvals'],
    ['md5(value)', 'SELECT count(md5(email)) FROM bench.mvals'],
    ['steward.mask_hash (HMAC-SHA256, keyed)', 'SELECT count(steward.mask_hash(email)) FROM bench.mvals'],
    ['steward.pseudo_email', 'SELECT count(steward.pseudo_email(email)) FROM bench.mvals'],
    ['SQL: left(email,1) || ''***'' || substr(email, strpos(email,''@''))', $q$SELECT count(left(email, 1) || '***' || substr(email, strpos(email, '@'))) FROM bench.mvals$q$],
    ['steward.mask_email', 'SELECT count(steward.mask_email(email)) FROM bench.mvals'],
    ['SQL: regexp_replace(phone, ''[0-9](?=.*[0-9]{2})'', ''*'', ''g'')', $q$SELECT count(regexp_replace(phone, '\d(?=(?:\D*\d){2})', '*', 'g')) FROM bench.mvals$q$],
    ['steward.mask_phone', 'SELECT count(steward.mask_phone(phone)) FROM bench.mvals']], 5);
SELECT * FROM bench.report('mask');

-- per value, net of the scan
WITH r AS (SELECT case_name, best_ms FROM bench.report('mask')),
     scan AS (SELECT best_ms FROM r WHERE case_name LIKE 'scan only%')
SELECT r.case_name, round((r.best_ms - scan.best_ms) * 1000 / 1000000, 3) AS us_per_value,
       round(1000000 / nullif(r.best_ms - scan.best_ms, 0) * 1000) AS values_per_second
FROM r, scan WHERE r.case_name NOT LIKE 'scan only%';

RESET steward.mask_key;
DROP TABLE bench.mvals;
