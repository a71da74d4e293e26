/*-------------------------------------------------------------------------
 *
 * formats.h
 *	  String format validators: e-mail addresses, host names, IP addresses,
 *	  URIs, UUIDs, dates and times, IBANs, payment cards, ISO codes, ...
 *
 * These are plain C99 and use neither PostgreSQL headers, nor malloc, nor
 * the C library's locale-dependent character classes, so they build and
 * are unit-tested and fuzzed outside the server.
 *
 * Every validator takes a pointer and a length: the string need not be
 * NUL-terminated and may contain any bytes, NUL included; a NUL byte or any
 * other byte outside the format's alphabet simply makes the string invalid.
 * Every validator runs in time linear in len (most stop after a few hundred
 * bytes whatever len is), uses no recursion, reads nothing outside
 * [s, s + len) and returns true only when the whole string is valid.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STEWARD_FORMATS_H
#define STEWARD_FORMATS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Flags for fmt_is_email.  With no flag, an address is a dot-atom local
 * part, "@", and a host name of two or more labels, all in ASCII.
 */
#define FMT_EMAIL_ALLOW_QUOTED			0x0001	/* "john doe"@example.com */
#define FMT_EMAIL_ALLOW_IP_LITERAL		0x0002	/* a@[192.0.2.1], a@[IPv6:::1] */
#define FMT_EMAIL_ALLOW_IDN				0x0004	/* UTF-8 in local part and domain */
#define FMT_EMAIL_ALLOW_SINGLE_LABEL	0x0008	/* postmaster@localhost */
#define FMT_EMAIL_ALL					0x000F

/*
 * Flags for fmt_is_hostname.
 */
#define FMT_HOST_ALLOW_TRAILING_DOT		0x0001	/* "example.com." (FQDN form) */
#define FMT_HOST_ALLOW_IDN				0x0002	/* UTF-8 labels */
#define FMT_HOST_ALL					0x0003

/*
 * Flags for fmt_is_url.
 */
#define FMT_URL_ANY_SCHEME				0x0001	/* not only http and https */

/*
 * fmt_is_email: an RFC 5321 / 5322 addr-spec.  Local part a dot-atom (or,
 * with FMT_EMAIL_ALLOW_QUOTED, an RFC 5321 quoted string) of at most 64
 * octets; domain a host name (labels of letters, digits and inner hyphens,
 * 1..63 octets each, at most 253 octets, at least two labels unless
 * FMT_EMAIL_ALLOW_SINGLE_LABEL, no trailing dot) or, with
 * FMT_EMAIL_ALLOW_IP_LITERAL, "[IPv4]" or "[IPv6:IPv6]"; whole address at
 * most 254 octets.  FMT_EMAIL_ALLOW_IDN admits well-formed UTF-8 (RFC 6531);
 * lengths still count octets.  JSON Schema's "email" corresponds to
 * FMT_EMAIL_ALLOW_QUOTED | FMT_EMAIL_ALLOW_IP_LITERAL |
 * FMT_EMAIL_ALLOW_SINGLE_LABEL, "idn-email" to FMT_EMAIL_ALL.
 */
extern bool fmt_is_email(const char *s, size_t len, unsigned int flags);

/*
 * fmt_is_hostname: an RFC 1123 host name: dot-separated labels of 1..63
 * letters, digits and hyphens, not starting or ending with a hyphen, at
 * most 253 octets.  A single label is valid.  A trailing dot is invalid
 * unless FMT_HOST_ALLOW_TRAILING_DOT (then it is not counted in the 253).
 * FMT_HOST_ALLOW_IDN admits well-formed UTF-8 in labels (lengths in
 * octets of the UTF-8 form; Punycode and IDNA2008 rules are not checked).
 */
extern bool fmt_is_hostname(const char *s, size_t len, unsigned int flags);

/*
 * fmt_is_ipv4: dotted-quad IPv4 address (RFC 3986 IPv4address): exactly
 * four decimal parts 0..255 without leading zeros.
 */
extern bool fmt_is_ipv4(const char *s, size_t len);

/*
 * fmt_is_ipv6: RFC 4291 section 2.2 text form (RFC 3986 IPv6address):
 * eight groups of 1..4 hex digits, "::" at most once, optional trailing
 * dotted-quad.  No zone id, prefix length or brackets.
 */
extern bool fmt_is_ipv6(const char *s, size_t len);

/*
 * fmt_is_uri: an RFC 3986 URI (absolute, with scheme; fragment allowed),
 * ASCII only.
 */
extern bool fmt_is_uri(const char *s, size_t len);

/*
 * fmt_is_uri_reference: an RFC 3986 URI-reference: a URI or a relative
 * reference (section 4.1), including the empty string.
 */
extern bool fmt_is_uri_reference(const char *s, size_t len);

/*
 * fmt_is_url: an RFC 3986 URI with scheme http or https (any case, or any
 * scheme with FMT_URL_ANY_SCHEME) and an authority with a non-empty host.
 */
extern bool fmt_is_url(const char *s, size_t len, unsigned int flags);

/*
 * fmt_is_uuid: RFC 9562 (RFC 4122) string form 8-4-4-4-12 hex digits,
 * either case, any version and variant; no braces, no "urn:uuid:".
 */
extern bool fmt_is_uuid(const char *s, size_t len);

/*
 * fmt_is_e164: ITU-T E.164 number: "+" and 2..15 digits, the first 1..9.
 */
extern bool fmt_is_e164(const char *s, size_t len);

/*
 * fmt_is_iban: ISO 13616 IBAN in electronic format (no spaces, uppercase):
 * country code from the SWIFT IBAN registry with that country's length,
 * check digits 02..98, alphanumeric BBAN, ISO 7064 mod 97-10 check.
 */
extern bool fmt_is_iban(const char *s, size_t len);

/*
 * fmt_is_luhn: two or more ASCII digits whose Luhn (ISO/IEC 7812-1 annex B)
 * check digit is right.
 */
extern bool fmt_is_luhn(const char *s, size_t len);

/*
 * fmt_is_card: payment card number (ISO/IEC 7812): 12..19 digits, Luhn
 * valid, optionally grouped by single spaces or single hyphens (one kind
 * per number, not at either end).
 */
extern bool fmt_is_card(const char *s, size_t len);

/*
 * fmt_is_iso_country: officially assigned ISO 3166-1 alpha-2 or alpha-3
 * code, uppercase.
 */
extern bool fmt_is_iso_country(const char *s, size_t len);

/*
 * fmt_is_iso_currency: ISO 4217 alphabetic code from list A.1 (current
 * currencies and funds, including the X-codes such as XAU, XDR, XTS and
 * the "no currency" code), uppercase.
 */
extern bool fmt_is_iso_currency(const char *s, size_t len);

/*
 * fmt_is_date: RFC 3339 full-date YYYY-MM-DD, a real Gregorian date.
 */
extern bool fmt_is_date(const char *s, size_t len);

/*
 * fmt_is_time: RFC 3339 full-time HH:MM:SS[.frac] followed by "Z", "z" or
 * +HH:MM / -HH:MM.  Second 60 only where the time in UTC is 23:59:60.
 */
extern bool fmt_is_time(const char *s, size_t len);

/*
 * fmt_is_datetime: RFC 3339 date-time: full-date "T" (or "t") full-time.
 */
extern bool fmt_is_datetime(const char *s, size_t len);

/*
 * fmt_is_duration: RFC 3339 appendix A (ISO 8601) duration such as
 * P1Y2M3DT4H5M6S or P2W: integer elements only, in order, at least one.
 */
extern bool fmt_is_duration(const char *s, size_t len);

/*
 * fmt_is_slug: lowercase ASCII letters and digits in words joined by
 * single hyphens ("my-post-2").
 */
extern bool fmt_is_slug(const char *s, size_t len);

/*
 * fmt_is_semver: a Semantic Versioning 2.0.0 version ("1.0.0-rc.1+build.5").
 */
extern bool fmt_is_semver(const char *s, size_t len);

/*
 * fmt_is_json_pointer: an RFC 6901 JSON Pointer in well-formed UTF-8.
 */
extern bool fmt_is_json_pointer(const char *s, size_t len);

/*
 * fmt_is_relative_json_pointer: a relative JSON Pointer
 * (draft-handrews-relative-json-pointer-01 as referenced by JSON Schema):
 * a non-negative integer, then "#" or a JSON Pointer.
 */
extern bool fmt_is_relative_json_pointer(const char *s, size_t len);

#endif							/* STEWARD_FORMATS_H */
