-- ---------------------------------------------------------------------
-- Validation: format validators (src/validate/formats.c, formats_sql.c)
-- and the domains built on them
-- ---------------------------------------------------------------------

CREATE FUNCTION steward.is_email(value text)
RETURNS boolean
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_is_email';

COMMENT ON FUNCTION steward.is_email(text) IS
  'Whether value is an e-mail address: dot-atom local part of at most 64 octets, a host name of two or more labels, at most 254 octets, ASCII';

CREATE FUNCTION steward.is_email(value text, options text[])
RETURNS boolean
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_is_email';

COMMENT ON FUNCTION steward.is_email(text, text[]) IS
  'Whether value is an e-mail address: dot-atom local part of at most 64 octets, a host name of two or more labels, at most 254 octets, ASCII; the options admit more forms: ''quoted'', ''ip-literal'', ''idn'', ''single-label''';

CREATE FUNCTION steward.is_hostname(value text)
RETURNS boolean
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_is_hostname';

COMMENT ON FUNCTION steward.is_hostname(text) IS
  'Whether value is an RFC 1123 host name: labels of letters, digits and inner hyphens of at most 63 octets, at most 253 octets';

CREATE FUNCTION steward.is_hostname(value text, options text[])
RETURNS boolean
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_is_hostname';

COMMENT ON FUNCTION steward.is_hostname(text, text[]) IS
  'Whether value is an RFC 1123 host name: labels of letters, digits and inner hyphens of at most 63 octets, at most 253 octets; the options admit more forms: ''trailing-dot'', ''idn''';

CREATE FUNCTION steward.is_url(value text)
RETURNS boolean
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_is_url';

COMMENT ON FUNCTION steward.is_url(text) IS
  'Whether value is an absolute http or https URL with a host (RFC 3986)';

CREATE FUNCTION steward.is_url(value text, options text[])
RETURNS boolean
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_is_url';

COMMENT ON FUNCTION steward.is_url(text, text[]) IS
  'Whether value is an absolute http or https URL with a host (RFC 3986); the options admit more forms: ''any-scheme''';

CREATE FUNCTION steward.is_ipv4(value text)
RETURNS boolean
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_is_ipv4';

COMMENT ON FUNCTION steward.is_ipv4(text) IS
  'Whether value is an IPv4 address in dotted-quad form (four parts 0..255, no leading zeros)';

CREATE FUNCTION steward.is_ipv6(value text)
RETURNS boolean
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_is_ipv6';

COMMENT ON FUNCTION steward.is_ipv6(text) IS
  'Whether value is an IPv6 address in RFC 4291 text form (with :: and an embedded IPv4 tail; no zone, no brackets)';

CREATE FUNCTION steward.is_uri(value text)
RETURNS boolean
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_is_uri';

COMMENT ON FUNCTION steward.is_uri(text) IS
  'Whether value is an absolute URI (RFC 3986)';

CREATE FUNCTION steward.is_uuid(value text)
RETURNS boolean
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_is_uuid';

COMMENT ON FUNCTION steward.is_uuid(text) IS
  'Whether value is a UUID in its 8-4-4-4-12 hexadecimal text form, any version';

CREATE FUNCTION steward.is_e164(value text)
RETURNS boolean
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_is_e164';

COMMENT ON FUNCTION steward.is_e164(text) IS
  'Whether value is an E.164 phone number: + and 2 to 15 digits, the first not 0';

CREATE FUNCTION steward.is_iban(value text)
RETURNS boolean
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_is_iban';

COMMENT ON FUNCTION steward.is_iban(text) IS
  'Whether value is an IBAN: registered country, its length, mod-97 check digits (no spaces, upper case)';

CREATE FUNCTION steward.is_luhn(value text)
RETURNS boolean
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_is_luhn';

COMMENT ON FUNCTION steward.is_luhn(text) IS
  'Whether value is a string of digits whose last digit is a valid Luhn check digit';

CREATE FUNCTION steward.is_card(value text)
RETURNS boolean
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_is_card';

COMMENT ON FUNCTION steward.is_card(text) IS
  'Whether value is a payment card number: 12 to 19 digits with a valid Luhn check digit, optionally grouped by single spaces or hyphens';

CREATE FUNCTION steward.is_iso_country(value text)
RETURNS boolean
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_is_iso_country';

COMMENT ON FUNCTION steward.is_iso_country(text) IS
  'Whether value is an officially assigned ISO 3166-1 alpha-2 or alpha-3 country code (upper case)';

CREATE FUNCTION steward.is_iso_currency(value text)
RETURNS boolean
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_is_iso_currency';

COMMENT ON FUNCTION steward.is_iso_currency(text) IS
  'Whether value is an active ISO 4217 alphabetic currency code (upper case)';

CREATE FUNCTION steward.is_date(value text)
RETURNS boolean
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_is_date';

COMMENT ON FUNCTION steward.is_date(text) IS
  'Whether value is an RFC 3339 full-date (YYYY-MM-DD, a real calendar day)';

CREATE FUNCTION steward.is_time(value text)
RETURNS boolean
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_is_time';

COMMENT ON FUNCTION steward.is_time(text) IS
  'Whether value is an RFC 3339 full-time with offset (HH:MM:SS[.frac](Z|+HH:MM|-HH:MM))';

CREATE FUNCTION steward.is_datetime(value text)
RETURNS boolean
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_is_datetime';

COMMENT ON FUNCTION steward.is_datetime(text) IS
  'Whether value is an RFC 3339 date-time (full-date T full-time)';

CREATE FUNCTION steward.is_duration(value text)
RETURNS boolean
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_is_duration';

COMMENT ON FUNCTION steward.is_duration(text) IS
  'Whether value is an ISO 8601 duration as in RFC 3339 appendix A (P1Y2M3DT4H5M6S, P2W)';

CREATE FUNCTION steward.is_slug(value text)
RETURNS boolean
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_is_slug';

COMMENT ON FUNCTION steward.is_slug(text) IS
  'Whether value is a slug: lower-case ASCII letters and digits in words joined by single hyphens';

CREATE FUNCTION steward.is_semver(value text)
RETURNS boolean
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_is_semver';

COMMENT ON FUNCTION steward.is_semver(text) IS
  'Whether value is a Semantic Versioning 2.0.0 version';

CREATE DOMAIN steward.email AS text CHECK (steward.is_email(VALUE));

COMMENT ON DOMAIN steward.email IS
  'Text that is an e-mail address (steward.is_email)';

CREATE DOMAIN steward.url AS text CHECK (steward.is_url(VALUE));

COMMENT ON DOMAIN steward.url IS
  'Text that is an http(s) URL (steward.is_url)';

CREATE DOMAIN steward.hostname AS text CHECK (steward.is_hostname(VALUE));

COMMENT ON DOMAIN steward.hostname IS
  'Text that is a host name (steward.is_hostname)';

CREATE DOMAIN steward.phone_e164 AS text CHECK (steward.is_e164(VALUE));

COMMENT ON DOMAIN steward.phone_e164 IS
  'Text that is an E.164 phone number (steward.is_e164)';

CREATE DOMAIN steward.iban AS text CHECK (steward.is_iban(VALUE));

COMMENT ON DOMAIN steward.iban IS
  'Text that is an IBAN (steward.is_iban)';

CREATE DOMAIN steward.card_number AS text CHECK (steward.is_card(VALUE));

COMMENT ON DOMAIN steward.card_number IS
  'Text that is a payment card number (steward.is_card)';

CREATE DOMAIN steward.country_code AS text CHECK (steward.is_iso_country(VALUE));

COMMENT ON DOMAIN steward.country_code IS
  'Text that is an ISO 3166-1 country code (steward.is_iso_country)';

CREATE DOMAIN steward.currency_code AS text CHECK (steward.is_iso_currency(VALUE));

COMMENT ON DOMAIN steward.currency_code IS
  'Text that is an ISO 4217 currency code (steward.is_iso_currency)';

CREATE DOMAIN steward.slug AS text CHECK (steward.is_slug(VALUE));

COMMENT ON DOMAIN steward.slug IS
  'Text that is a slug (steward.is_slug)';

CREATE DOMAIN steward.semver AS text CHECK (steward.is_semver(VALUE));

COMMENT ON DOMAIN steward.semver IS
  'Text that is a semantic version (steward.is_semver)';
