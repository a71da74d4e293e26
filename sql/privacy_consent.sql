--
-- privacy_consent: consent grants and withdrawals (history and current
-- state), has_consent, consent-gated rows, privileges
--
\set SHOW_CONTEXT never
CREATE TABLE pc_people (id int PRIMARY KEY, email text);
CREATE TABLE pc_mailings (id int PRIMARY KEY, person_id int REFERENCES pc_people, body text);
INSERT INTO pc_people VALUES (1, 'a@example.com'), (2, 'b@example.com'), (3, 'c@example.com');
INSERT INTO pc_mailings VALUES (10, 1, 'hello a'), (20, 2, 'hello b'), (30, 3, 'hello c');
SELECT steward.subject_define('person', 'pc_people');

-- grants, withdrawals, expiry; unknown means no
SELECT steward.consent_grant('person', '1', 'marketing', 'signup form v3');
SELECT steward.consent_grant('person', '2', 'marketing', 'support call', expires => now() + interval '1 day');
SELECT steward.consent_grant('person', '3', 'marketing');
SELECT steward.consent_grant('person', '1', 'analytics', 'cookie banner');
SELECT steward.consent_withdraw('person', '3', 'marketing', 'unsubscribe link');
SELECT steward.consent_withdraw('person', '3', 'newsletter');
SELECT k, steward.has_consent('person', k, 'marketing') AS marketing, steward.has_consent('person', k, 'analytics') AS analytics
  FROM unnest(ARRAY['1', '2', '3', '4']) k ORDER BY k;
SELECT steward.has_consent('person', NULL, 'marketing') IS NULL AS strict;
-- current state and the append-only history
SELECT subject, subject_key, purpose, active, granted, source, expires_at IS NOT NULL AS expires
  FROM steward.consent_state ORDER BY subject_key, purpose;
SELECT subject_key, purpose, action, source FROM steward.consent_history ORDER BY id;
-- an expired consent is no consent
UPDATE steward.consents SET expires_at = now() - interval '1 second' WHERE subject_key = '2';
SELECT steward.has_consent('person', '2', 'marketing');
-- errors
SELECT steward.consent_grant('person', '1', 'Marketing!');
SELECT steward.consent_grant('person', NULL, 'marketing');
SELECT steward.consent_grant('nobody', '1', 'marketing');
SELECT steward.consent_grant('person', '1', 'marketing', expires => now() - interval '1 day');

-- consent-gated rows: a policy template
SELECT steward.policy_consent('pc_mailings', 'person_id', 'marketing');
SELECT polname, pg_get_expr(polqual, polrelid) AS qual FROM pg_policy WHERE polrelid = 'pc_mailings'::regclass;
SELECT relation, template, options FROM steward.policies WHERE relation = 'pc_mailings'::regclass;
CREATE ROLE pc_reader;
GRANT SELECT ON pc_mailings TO pc_reader;
SET ROLE pc_reader;
SELECT * FROM pc_mailings ORDER BY id;
-- the reader cannot read or write consents directly, nor record them
SELECT * FROM steward.consents;
SELECT * FROM steward.consent_state;
SELECT steward.consent_grant('person', '3', 'marketing');
RESET ROLE;
SELECT steward.consent_grant('person', '3', 'marketing', 'resubscribed');
SET ROLE pc_reader;
SELECT * FROM pc_mailings ORDER BY id;
RESET ROLE;
SELECT steward.policy_consent('pc_mailings', 'nope', 'marketing');
SELECT steward.policy_consent('pc_mailings', 'person_id', 'bad purpose');
SELECT steward.policy_drop('pc_mailings');

-- an application role allowed to record consent
CREATE ROLE pc_app;
GRANT EXECUTE ON FUNCTION steward.consent_grant(text, text, text, text, timestamptz),
                          steward.consent_withdraw(text, text, text, text) TO pc_app;
SET ROLE pc_app;
SELECT steward.consent_withdraw('person', '1', 'marketing', 'app settings page');
SELECT steward.has_consent('person', '1', 'marketing');
RESET ROLE;
SELECT subject_key, purpose, action, source, recorded_by FROM steward.consent_history WHERE subject_key = '1' ORDER BY id;

DROP TABLE pc_mailings, pc_people;
SELECT count(*) FROM steward.subjects;
DELETE FROM steward.consents;
DELETE FROM steward.consent_history;
DROP OWNED BY pc_reader, pc_app;
DROP ROLE pc_reader, pc_app;
