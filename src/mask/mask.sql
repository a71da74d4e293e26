-- ---------------------------------------------------------------------
-- Masking: functions (src/mask/mask.c)
--
-- NULL in, NULL out.  IMMUTABLE where the result depends on the arguments
-- only; STABLE for the keyed pseudonyms (steward.mask_key) and for
-- timestamptz (the session's time zone); VOLATILE for noise.
-- ---------------------------------------------------------------------

CREATE FUNCTION steward.mask_partial(value text, keep_start integer DEFAULT 1,
                                     keep_end integer DEFAULT 0, pad text DEFAULT '*')
RETURNS text
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_mask_partial';

COMMENT ON FUNCTION steward.mask_partial(text, integer, integer, text) IS
  'The value with each character but the first keep_start and the last keep_end replaced by pad (all of them when those would show the whole value)';

CREATE FUNCTION steward.mask_email(value text)
RETURNS text
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_mask_email';

COMMENT ON FUNCTION steward.mask_email(text) IS
  'An e-mail address with its local part hidden but the first character: j***@example.com';

CREATE FUNCTION steward.mask_phone(value text)
RETURNS text
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_mask_phone';

COMMENT ON FUNCTION steward.mask_phone(value text) IS
  'A phone number with every digit but the last two hidden, its layout kept: +** ** *****67';

CREATE FUNCTION steward.mask_card(value text)
RETURNS text
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_mask_card';

COMMENT ON FUNCTION steward.mask_card(value text) IS
  'A payment card number with every digit but the last four hidden: **** **** **** 1111';

CREATE FUNCTION steward.mask_iban(value text)
RETURNS text
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_mask_iban';

COMMENT ON FUNCTION steward.mask_iban(value text) IS
  'An IBAN with its country code and last four digits kept: DE****************3000';

CREATE FUNCTION steward.mask_redact(value anyelement)
RETURNS anyelement
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_mask_redact';

COMMENT ON FUNCTION steward.mask_redact(anyelement) IS
  'A constant of the value''s type that says nothing about it: REDACTED, 0, false, the epoch, the nil UUID, {}, JSON null (NULL for other types)';

CREATE FUNCTION steward.mask_hash(value text)
RETURNS text
LANGUAGE c STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_mask_hash';

COMMENT ON FUNCTION steward.mask_hash(text) IS
  'HMAC-SHA256 of the value under steward.mask_key, in hex: deterministic, so masked values still join; 55000 without a key';

CREATE FUNCTION steward.pseudo_email(value text)
RETURNS text
LANGUAGE c STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_pseudo_email';

COMMENT ON FUNCTION steward.pseudo_email(text) IS
  'A valid e-mail address standing for the value (keyed hash at a reserved example domain): deterministic, never delivered';

CREATE FUNCTION steward.pseudo_first_name(value text)
RETURNS text
LANGUAGE c STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_pseudo_first_name';

COMMENT ON FUNCTION steward.pseudo_first_name(text) IS
  'A first name from a built-in list, chosen by the keyed hash of the value (deterministic)';

CREATE FUNCTION steward.pseudo_last_name(value text)
RETURNS text
LANGUAGE c STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_pseudo_last_name';

COMMENT ON FUNCTION steward.pseudo_last_name(text) IS
  'A last name from a built-in list, chosen by the keyed hash of the value (deterministic)';

CREATE FUNCTION steward.pseudo_city(value text)
RETURNS text
LANGUAGE c STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_pseudo_city';

COMMENT ON FUNCTION steward.pseudo_city(text) IS
  'A city from a built-in list, chosen by the keyed hash of the value (deterministic)';

-- The key is the superuser's secret, and so is the right to use it: a role
-- that may call a keyed function can test guesses against the pseudonyms
-- it sees (mask_hash('ann@example.com') = the pseudonym in a masked view).
-- A superuser grants EXECUTE to the roles that compute pseudonyms: the
-- owners of tables whose rules use them, and the readers of views that
-- compute masks at read time.  Stored masks are computed by their owner.
REVOKE EXECUTE ON FUNCTION steward.mask_hash(text), steward.pseudo_email(text),
    steward.pseudo_first_name(text), steward.pseudo_last_name(text), steward.pseudo_city(text)
    FROM PUBLIC;

CREATE FUNCTION steward.mask_date(value date, unit text DEFAULT 'year')
RETURNS date
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_mask_date';

COMMENT ON FUNCTION steward.mask_date(date, text) IS
  'The first day of the value''s year (or day, week, month, quarter, decade, century)';

CREATE FUNCTION steward.mask_date(value timestamptz, unit text DEFAULT 'year')
RETURNS timestamptz
LANGUAGE c STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_mask_timestamptz';

COMMENT ON FUNCTION steward.mask_date(timestamptz, text) IS
  'The start of the value''s year (or day, week, month, quarter, decade, century) in the session''s time zone';

CREATE FUNCTION steward.mask_number(value numeric, step numeric)
RETURNS numeric
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_mask_number';

COMMENT ON FUNCTION steward.mask_number(numeric, numeric) IS
  'The lower bound of the value''s bucket of width step: floor(value / step) * step';

CREATE FUNCTION steward.mask_int_range(value integer, step integer)
RETURNS int4range
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_mask_int_range';

COMMENT ON FUNCTION steward.mask_int_range(integer, integer) IS
  'The range [lo, lo + step) of width step the value falls in';

CREATE FUNCTION steward.mask_noise(value numeric, ratio float8)
RETURNS numeric
LANGUAGE c VOLATILE STRICT PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'steward_mask_noise';

COMMENT ON FUNCTION steward.mask_noise(numeric, float8) IS
  'The value times a random factor in [1 - ratio, 1 + ratio] (0 <= ratio <= 1)';

CREATE FUNCTION steward.mask_noise_date(value timestamptz, spread interval)
RETURNS timestamptz
LANGUAGE c VOLATILE STRICT PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'steward_mask_noise_date';

COMMENT ON FUNCTION steward.mask_noise_date(timestamptz, interval) IS
  'The value moved by a random amount within [-spread, +spread]';
