--
-- audit_tamper: every record carries a digest, seals chain what has ended,
-- and audit_verify() finds edits, insertions and deletions made directly
-- in the log - even by a superuser - while redaction keeps it verifiable.
-- (With steward.audit_key unset, as here, digests use an empty key: they
-- catch any edit made without recomputing them; with a key, only someone
-- who knows it could.)
--
\set SHOW_CONTEXT never
CREATE TABLE tamper (id int PRIMARY KEY, v text);
SELECT steward.audit_enable('tamper');
INSERT INTO tamper VALUES (1, 'one'), (2, 'two'), (3, 'three');
UPDATE tamper SET v = 'ONE' WHERE id = 1;

-- everything written so far verifies
SELECT first_broken IS NULL AS intact, reason FROM steward.audit_verify();
-- seal what has ended, and verify again; the next seal covers what was
-- written since (here nothing)
SELECT records > 0 AS sealed_some FROM steward.audit_seal();
SELECT records FROM steward.audit_seal();
SELECT seals > 0 AS has_seals, first_broken IS NULL AS intact FROM steward.audit_verify();

-- an edit of a record is found, and named
BEGIN;
UPDATE steward.audit_log SET new_values = '{"id": 2, "v": "forged"}'
WHERE table_name = 'tamper' AND operation = 'INSERT' AND row_key = '{"id": 2}'
RETURNING id AS edited \gset
SELECT first_broken = :edited AS names_the_record, reason FROM steward.audit_verify();
ROLLBACK;

-- so is an edit of who made a change
BEGIN;
UPDATE steward.audit_log SET session_role = 'someone_else'
WHERE table_name = 'tamper' AND operation = 'UPDATE';
SELECT first_broken IS NOT NULL AS detected, reason FROM steward.audit_verify();
ROLLBACK;

-- a record copied with another digest-less content is found
BEGIN;
INSERT INTO steward.audit_log
SELECT id + 1, xact_at, stmt_at, txid, stmt, operation, schema_name, table_name, '{"id": 9}',
       old_values, '{"id": 9, "v": "planted"}', actor_user, actor_tenant, session_role,
       effective_role, application_name, client_addr, query, detail, row_hash, redacted, digest
FROM steward.audit_log WHERE table_name = 'tamper' AND operation = 'INSERT' AND row_key = '{"id": 3}';
SELECT first_broken IS NOT NULL AS detected, reason FROM steward.audit_verify();
ROLLBACK;

-- a deleted record, whose neighbours are intact, is found by the seal
BEGIN;
DELETE FROM steward.audit_log WHERE table_name = 'tamper' AND operation = 'INSERT' AND row_key = '{"id": 3}';
SELECT first_broken IS NOT NULL AS detected,
       reason ~ '^records with ids \d+ to \d+ were deleted or added after seal \d+' AS reason_ok
FROM steward.audit_verify();
ROLLBACK;

-- a changed seal breaks the chain
BEGIN;
UPDATE steward.audit_seals SET records = records + 1 WHERE id = (SELECT min(id) FROM steward.audit_seals);
SELECT first_broken IS NOT NULL OR reason IS NOT NULL AS detected FROM steward.audit_verify();
ROLLBACK;

-- redaction (an erasure request) replaces values and still verifies; the
-- redaction is itself recorded
SELECT id AS to_redact FROM steward.audit_log
WHERE table_name = 'tamper' AND operation = 'INSERT' AND row_key = '{"id": 1}' \gset
SELECT steward.audit_redact(:to_redact, NULL, '{"id": 1, "v": "[redacted]"}', 'erasure request 42');
SELECT new_values, redacted ? 'new_values' AS hash_kept FROM steward.audit_log WHERE id = :to_redact;
SELECT operation, detail ->> 'reason' AS reason FROM steward.audit_log
WHERE operation = 'AUDIT REDACT' AND (detail ->> 'event_id')::bigint = :to_redact;
SELECT first_broken IS NULL AS intact, reason FROM steward.audit_verify();
-- but a "redaction" done by hand is not one
BEGIN;
UPDATE steward.audit_log SET redacted = '{"new_values": "00"}', new_values = '{}'
WHERE table_name = 'tamper' AND operation = 'INSERT' AND row_key = '{"id": 2}';
SELECT first_broken IS NOT NULL AS detected, reason FROM steward.audit_verify();
ROLLBACK;
SELECT steward.audit_redact(:to_redact, NULL, NULL, '');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.audit_redact(-1, NULL, NULL, 'no such record');
\echo :LAST_ERROR_SQLSTATE

-- none of it is open to an ordinary role
CREATE ROLE tamper_app;
SET ROLE tamper_app;
SELECT * FROM steward.audit_verify();
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM steward.audit_seal();
\echo :LAST_ERROR_SQLSTATE
SELECT steward.audit_redact(1, NULL, NULL, 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.audit_key_hmac('\x00');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.audit_event('INSERT', 'public', 'tamper', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM steward.audit_seals;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP ROLE tamper_app;
DROP TABLE tamper;
