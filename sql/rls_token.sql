--
-- rls_token: verified context from signed tokens (JWT)
--
\i test/tokens/tokens.sql
CREATE EXTENSION pgcrypto;

-- HS256/384/512 tokens are signed here with pgcrypto
CREATE FUNCTION b64url(bytea) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT translate(encode($1, 'base64'), E'+/=\n', '-_') $$;
CREATE FUNCTION sign_hs_text(header text, payload text, secret text, alg text DEFAULT 'sha256')
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT input || '.' || b64url(hmac(input, secret, alg))
  FROM (SELECT b64url(convert_to(header, 'UTF8')) || '.' ||
               b64url(convert_to(payload, 'UTF8')) AS input) s
$$;
CREATE FUNCTION sign_hs(header jsonb, payload jsonb, secret text, alg text DEFAULT 'sha256')
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT sign_hs_text(header::text, payload::text, secret, alg)
$$;
\set secret 'a-test-secret-that-is-long-enough-0123456789'
\set claims '{"sub": "42", "tenant_id": "acme", "roles": ["editor", "member"], "email": "ann@example.com", "exp": 4102444800}'
SELECT sign_hs('{"alg": "HS256", "typ": "JWT"}', :'claims', :'secret') AS hs256 \gset
SELECT sign_hs('{"alg": "HS384"}', :'claims', :'secret', 'sha384') AS hs384 \gset
SELECT sign_hs('{"alg": "HS512"}', :'claims', :'secret', 'sha512') AS hs512 \gset

-- no key configured: nothing is accepted
SELECT steward.token_claims(:'hs256');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.token_claims(:'rs256');
\echo :LAST_ERROR_SQLSTATE

SET steward.jwt_secret = :'secret';

-- a valid token sets the context for the transaction and locks it
BEGIN;
SELECT steward.context_from_token(:'hs256');
SELECT steward.current_user_id(), steward.current_tenant(), steward.has_role('editor'),
       steward.claim('email'), steward.claim('exp'), steward.context_locked();
SELECT steward.context_set('666');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT steward.context() IS NULL AS gone_after_rollback;

SELECT steward.token_claims(:'hs384') ->> 'sub' AS hs384_sub,
       steward.token_claims(:'hs512') ->> 'sub' AS hs512_sub;

-- a locked context cannot be replaced by a token either
BEGIN;
SELECT steward.context_set('1');
SELECT steward.context_lock();
SELECT steward.context_from_token(:'hs256');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- forged and broken tokens: each rejected with 28000 and a reason
-- signed with another secret
SELECT steward.token_claims(sign_hs('{"alg": "HS256"}', :'claims', 'another-secret-that-is-also-long-enough-xyz'));
\echo :LAST_ERROR_SQLSTATE
-- payload changed after signing
SELECT steward.token_claims(split_part(:'hs256', '.', 1) || '.' ||
         b64url(convert_to('{"sub": "1", "exp": 4102444800}', 'UTF8')) || '.' || split_part(:'hs256', '.', 3));
\echo :LAST_ERROR_SQLSTATE
-- alg none, in any spelling, with or without a signature
SELECT steward.token_claims(b64url('{"alg": "none"}') || '.' || b64url(convert_to(:'claims', 'UTF8')) || '.');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.token_claims(b64url('{"alg": "NoNe"}') || '.' || b64url(convert_to(:'claims', 'UTF8')) || '.c2ln');
\echo :LAST_ERROR_SQLSTATE
-- unknown algorithm, missing algorithm, critical extensions
SELECT steward.token_claims(sign_hs('{"alg": "HS999"}', :'claims', :'secret'));
\echo :LAST_ERROR_SQLSTATE
SELECT steward.token_claims(sign_hs('{"typ": "JWT"}', :'claims', :'secret'));
\echo :LAST_ERROR_SQLSTATE
SELECT steward.token_claims(sign_hs('{"alg": "HS256", "crit": ["exp"]}', :'claims', :'secret'));
\echo :LAST_ERROR_SQLSTATE
-- expired, not yet valid, no expiry
SELECT steward.token_claims(sign_hs('{"alg": "HS256"}', '{"sub": "42", "exp": 1000000000}', :'secret'));
\echo :LAST_ERROR_SQLSTATE
SELECT steward.token_claims(sign_hs('{"alg": "HS256"}', '{"sub": "42", "exp": 4102444800, "nbf": 4102444000}', :'secret'));
\echo :LAST_ERROR_SQLSTATE
SELECT steward.token_claims(sign_hs('{"alg": "HS256"}', '{"sub": "42"}', :'secret'));
\echo :LAST_ERROR_SQLSTATE
SELECT steward.token_claims(sign_hs('{"alg": "HS256"}', '{"sub": "42", "exp": "tomorrow"}', :'secret'));
\echo :LAST_ERROR_SQLSTATE
-- the leeway: expired 10 seconds ago is still accepted with the default 30 s
SELECT steward.token_claims(sign_hs('{"alg": "HS256"}',
         jsonb_build_object('sub', '42', 'exp', extract(epoch FROM now())::bigint - 10), :'secret')) ->> 'sub' AS within_leeway;
SET steward.jwt_leeway = 0;
SELECT steward.token_claims(sign_hs('{"alg": "HS256"}',
         jsonb_build_object('sub', '42', 'exp', extract(epoch FROM now())::bigint - 10), :'secret'));
\echo :LAST_ERROR_SQLSTATE
RESET steward.jwt_leeway;
SET steward.jwt_require_exp = off;
SELECT steward.token_claims(sign_hs('{"alg": "HS256"}', '{"sub": "42"}', :'secret')) ->> 'sub' AS no_exp_allowed;
RESET steward.jwt_require_exp;
-- malformed: parts, base64, JSON, size, encoding
SELECT steward.token_claims('');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.token_claims('abc');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.token_claims('a.b.c.d.e');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.token_claims('!!!.e30.c2ln');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.token_claims(b64url('not json') || '.e30.c2ln');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.token_claims(b64url('[1]') || '.e30.c2ln');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.token_claims(b64url('{"alg":"HS256"}') || '.e30.');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.token_claims(b64url('{"alg":"HS256"}') || '.e30.c2ln=');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.token_claims(repeat('a', 20000));
\echo :LAST_ERROR_SQLSTATE
SELECT steward.token_claims(sign_hs_text('{"alg": "HS256"}', '{"sub": "a\u0000b", "exp": 4102444800}', :'secret'));
\echo :LAST_ERROR_SQLSTATE
SELECT steward.token_claims(b64url('\xff00'::bytea) || '.e30.c2ln');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.token_claims(NULL) IS NULL AS null_token;
SELECT steward.context_from_token(NULL);
\echo :LAST_ERROR_SQLSTATE
-- valid JSON that jsonb cannot hold, before the signature check
SELECT steward.token_claims(b64url(convert_to('{"alg": "HS256", "x": 1e1000000}', 'UTF8')) || '.e30.c2ln');
\echo :LAST_ERROR_SQLSTATE
-- token_claims maps claims like context_from_token does
SELECT steward.token_claims(sign_hs('{"alg": "HS256"}', '{"sub": true, "exp": 4102444800}', :'secret'));
\echo :LAST_ERROR_SQLSTATE
SET steward.jwt_require_exp = off;
SELECT steward.token_claims(sign_hs('{"alg": "HS256"}', '{}', :'secret'));
\echo :LAST_ERROR_SQLSTATE
RESET steward.jwt_require_exp;
-- claims that do not map onto a context
BEGIN;
SELECT steward.context_from_token(sign_hs('{"alg": "HS256"}', '{"sub": {"x": 1}, "exp": 4102444800}', :'secret'));
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT steward.context_from_token(sign_hs('{"alg": "HS256"}', '{"sub": "1", "roles": [1], "exp": 4102444800}', :'secret'));
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- numbers as ids, one role as a string, configured claim names
BEGIN;
SET LOCAL steward.jwt_tenant_claim = 'org';
SET LOCAL steward.jwt_roles_claim = 'role';
SELECT steward.context_from_token(sign_hs('{"alg": "HS256"}',
         '{"sub": 42, "org": 7, "role": "authenticated", "exp": 4102444800}', :'secret'));
SELECT steward.current_user_id(), steward.current_tenant(), steward.has_role('authenticated');
ROLLBACK;

-- issuer and audience
SET steward.jwt_issuer = 'https://auth.example.com';
SET steward.jwt_audience = 'shop';
SELECT steward.token_claims(:'hs256');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.token_claims(sign_hs('{"alg": "HS256"}',
         '{"sub": "1", "iss": "https://auth.example.com", "aud": "blog", "exp": 4102444800}', :'secret'));
\echo :LAST_ERROR_SQLSTATE
SELECT steward.token_claims(sign_hs('{"alg": "HS256"}',
         '{"sub": "1", "iss": "https://auth.example.com", "aud": "shop", "exp": 4102444800}', :'secret')) ->> 'sub' AS aud_string,
       steward.token_claims(sign_hs('{"alg": "HS256"}',
         '{"sub": "2", "iss": "https://auth.example.com", "aud": ["blog", "shop"], "exp": 4102444800}', :'secret')) ->> 'sub' AS aud_array;
RESET steward.jwt_issuer;
RESET steward.jwt_audience;

-- RSA and ECDSA
SET steward.jwt_public_key = :'rsa_public_key';
SELECT steward.token_claims(:'rs256') ->> 'sub' AS rs256,
       steward.token_claims(:'rs384') ->> 'sub' AS rs384,
       steward.token_claims(:'rs512') ->> 'sub' AS rs512;
SELECT steward.token_claims(:'rs256_other_key');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.token_claims(:'rs256_expired');
\echo :LAST_ERROR_SQLSTATE
-- an ECDSA token against an RSA key
SELECT steward.token_claims(:'es256');
\echo :LAST_ERROR_SQLSTATE
-- algorithm confusion: an HS256 token whose "secret" is the RSA public key
RESET steward.jwt_secret;
SELECT steward.token_claims(sign_hs('{"alg": "HS256"}', :'claims', :'rsa_public_key'));
\echo :LAST_ERROR_SQLSTATE
SET steward.jwt_secret = :'secret';
SELECT steward.token_claims(sign_hs('{"alg": "HS256"}', :'claims', :'rsa_public_key'));
\echo :LAST_ERROR_SQLSTATE
SET steward.jwt_public_key = :'ec256_public_key';
SELECT steward.token_claims(:'es256') ->> 'sub' AS es256;
SELECT steward.token_claims(:'rs256');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.token_claims(:'es384');
\echo :LAST_ERROR_SQLSTATE
-- signed on another curve of the same size (secp256k1)
SELECT steward.token_claims(:'es256_other_curve');
\echo :LAST_ERROR_SQLSTATE
SET steward.jwt_public_key = :'ec384_public_key';
SELECT steward.token_claims(:'es384') ->> 'sub' AS es384;
SELECT steward.token_claims(:'es256');
\echo :LAST_ERROR_SQLSTATE

-- keys that are refused
SET steward.jwt_public_key = :'rsa_small_public_key';
\echo :LAST_ERROR_SQLSTATE
SET steward.jwt_public_key = :'ec256k_public_key';
\echo :LAST_ERROR_SQLSTATE
SET steward.jwt_public_key = 'not a key';
\echo :LAST_ERROR_SQLSTATE
SET steward.jwt_secret = 'short';
\echo :LAST_ERROR_SQLSTATE
SET steward.jwt_tenant_claim = '';
\echo :LAST_ERROR_SQLSTATE

-- the secret is never stored where every role can read it
CREATE ROLE rls_token_svc;
ALTER ROLE rls_token_svc SET steward.jwt_secret = 'a-secret-stored-per-role-that-is-long-enough';
\echo :LAST_ERROR_SQLSTATE
ALTER DATABASE contrib_regression SET steward.jwt_secret = 'a-secret-stored-per-db-that-is-long-enough';
\echo :LAST_ERROR_SQLSTATE
CREATE FUNCTION leaky() RETURNS int LANGUAGE sql
  SET steward.jwt_secret = 'a-secret-stored-in-a-function-long-enough' AS 'SELECT 1';
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS stored_secrets FROM pg_db_role_setting WHERE array_to_string(setconfig, ',') LIKE '%jwt_secret%';
DROP ROLE rls_token_svc;

-- only superusers set the keys, and the secret stays hidden
CREATE ROLE rls_token_app;
SET ROLE rls_token_app;
SET steward.jwt_secret = 'a-forged-secret-that-is-long-enough-0123456789';
\echo :LAST_ERROR_SQLSTATE
SET steward.jwt_public_key = :'rsa_public_key';
\echo :LAST_ERROR_SQLSTATE
SHOW steward.jwt_secret;
\echo :LAST_ERROR_SQLSTATE
SELECT current_setting('steward.jwt_secret');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS secret_in_pg_settings FROM pg_settings WHERE name = 'steward.jwt_secret';
-- but an ordinary role can use tokens
BEGIN;
SELECT steward.context_from_token(:'hs256');
SELECT steward.current_user_id(), steward.context_locked();
COMMIT;
RESET ROLE;
DROP ROLE rls_token_app;

-- PostgREST fallback: off by default, forgeable when on
SET request.jwt.claims = '{"sub": "7", "tenant_id": "t1", "roles": ["reader"]}';
SELECT steward.current_user_id() AS fallback_off;
SET steward.context_fallback = 'postgrest';
SELECT steward.current_user_id(), steward.current_tenant(), steward.has_role('reader');
-- a context that is set wins over the fallback
BEGIN;
SELECT steward.context_set('99');
SELECT steward.current_user_id() AS set_wins;
COMMIT;
-- claims that do not map give no context, never an error
SET request.jwt.claims = '{"sub": {"bad": 1}}';
SELECT steward.current_user_id() IS NULL AS bad_claims_no_context;
SET request.jwt.claims = 'not json';
SELECT steward.current_user_id() IS NULL AS not_json_no_context;
RESET steward.context_fallback;
RESET request.jwt.claims;
RESET steward.jwt_secret;
RESET steward.jwt_public_key;

DROP FUNCTION sign_hs(jsonb, jsonb, text, text);
DROP FUNCTION sign_hs_text(text, text, text, text);
DROP FUNCTION b64url(bytea);
DROP EXTENSION pgcrypto;
