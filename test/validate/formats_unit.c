/*-------------------------------------------------------------------------
 *
 * formats_unit.c
 *	  Standalone unit tests for the format validators (src/validate/formats.c).
 *
 * Tables of (validator, flags, input, expected) cases written from the
 * RFCs' grammars and the JSON-Schema-Test-Suite's optional format tests,
 * plus generated cases: length limits, every ISO code, IBAN and Luhn
 * single-character errors, NUL bytes, flag monotonicity and megabyte
 * inputs.  Every input is copied into a heap buffer of exactly its length,
 * so that a sanitizer build catches any read past the end.
 *
 * Build and run from the repository root:
 *	 cc -std=c99 -Wall -Wextra -Werror -O2 -Isrc/validate \
 *		src/validate/formats.c test/validate/formats_unit.c -o /tmp/fu && /tmp/fu
 *
 * Prints each failing case and "N cases, M failed"; exits 1 on failure.
 * "/tmp/fu --corpus DIR" writes the table's inputs to DIR as seeds for the
 * fuzz target test/fuzz/fuzz_formats.c.
 *
 *-------------------------------------------------------------------------
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"

typedef enum
{
	EMAIL, HOST, IPV4, IPV6, URI, URIREF, URL, UUID, E164, IBAN, LUHN, CARD,
	COUNTRY, CURRENCY, DATE, TIME, DATETIME, DURATION, SLUG, SEMVER, JPTR,
	RJPTR, NFUNCS
} Fn;

static const char *const fn_names[NFUNCS] = {
	"email", "hostname", "ipv4", "ipv6", "uri", "uri_reference", "url",
	"uuid", "e164", "iban", "luhn", "card", "iso_country", "iso_currency",
	"date", "time", "datetime", "duration", "slug", "semver", "json_pointer",
	"relative_json_pointer"
};

typedef struct Case
{
	Fn			fn;
	unsigned int flags;
	const char *s;
	size_t		len;
	bool		expect;
	int			line;
} Case;

/* sizeof keeps embedded NUL bytes in the input */
#define T(fn, fl, str, ex)	{fn, fl, str, sizeof(str) - 1, ex, __LINE__}
#define V(fn, str)			T(fn, 0, str, true)
#define X(fn, str)			T(fn, 0, str, false)
#define VF(fn, fl, str)		T(fn, fl, str, true)
#define XF(fn, fl, str)		T(fn, fl, str, false)

#define Q	FMT_EMAIL_ALLOW_QUOTED
#define L	FMT_EMAIL_ALLOW_IP_LITERAL
#define I	FMT_EMAIL_ALLOW_IDN
#define S	FMT_EMAIL_ALLOW_SINGLE_LABEL
#define EALL FMT_EMAIL_ALL
#define TD	FMT_HOST_ALLOW_TRAILING_DOT
#define HI	FMT_HOST_ALLOW_IDN
#define ANY FMT_URL_ANY_SCHEME

static const Case cases[] = {
	/* ---- email: dot-atom addresses (RFC 5321 section 4.1.2) ---- */
	V(EMAIL, "joe.bloggs@example.com"),
	V(EMAIL, "a@b.co"),
	V(EMAIL, "a@a.a"),
	V(EMAIL, "te~st@example.com"),
	V(EMAIL, "~test@example.com"),
	V(EMAIL, "test~@example.com"),
	V(EMAIL, "te.s.t@example.com"),
	V(EMAIL, "user+tag@example.org"),
	V(EMAIL, "!#$%&'*+-/=?^_`{|}~@example.com"),
	V(EMAIL, "x@sub.domain.example.museum"),
	V(EMAIL, "user@xn--bcher-kva.example"),
	V(EMAIL, "1234567890@example.com"),
	V(EMAIL, "user@example-with-hyphen.com"),
	V(EMAIL, "user@123.example"),
	V(EMAIL, "user@1.2.3.4"),
	V(EMAIL, "USER@EXAMPLE.COM"),
	V(EMAIL, "first.middle.last@a-b.c-d.example"),
	X(EMAIL, ""),
	X(EMAIL, "2962"),
	X(EMAIL, "@"),
	X(EMAIL, "a@"),
	X(EMAIL, "@example.com"),
	X(EMAIL, "user@"),
	X(EMAIL, "user"),
	X(EMAIL, "user@@example.com"),
	X(EMAIL, "us@er@example.com"),
	X(EMAIL, ".test@example.com"),
	X(EMAIL, "test.@example.com"),
	X(EMAIL, "te..st@example.com"),
	X(EMAIL, ".@example.com"),
	X(EMAIL, "joe.bloggs@invalid=domain.com"),
	X(EMAIL, "user@-example.com"),
	X(EMAIL, "user@example-.com"),
	X(EMAIL, "user@example..com"),
	X(EMAIL, "user@.example.com"),
	X(EMAIL, "user@example.com."),
	X(EMAIL, "user@example.-com"),
	X(EMAIL, "user@localhost"),
	X(EMAIL, "user name@example.com"),
	X(EMAIL, "user@exa mple.com"),
	X(EMAIL, " user@example.com"),
	X(EMAIL, "user@example.com "),
	X(EMAIL, "user@example.com\n"),
	X(EMAIL, "user@example.com\0"),
	X(EMAIL, "us\0er@example.com"),
	X(EMAIL, "user@example_domain.com"),
	X(EMAIL, "user(comment)@example.com"),
	X(EMAIL, "user@example.com(comment)"),
	X(EMAIL, "<user@example.com>"),
	X(EMAIL, "user@[127.0.0.1]"),
	X(EMAIL, "\"joe bloggs\"@example.com"),
	X(EMAIL, "user1@oceania.org, user2@oceania.org"),
	X(EMAIL, "user:x@example.com"),
	X(EMAIL, "user\\@example.com"),
	X(EMAIL, "user@example.com:25"),
	X(EMAIL, "us\xc3\xa9r@example.com"),
	X(EMAIL, "user@b\xc3\xbc" "cher.example"),
	/* quoted local parts (RFC 5321 Quoted-string) */
	VF(EMAIL, Q, "\"joe bloggs\"@example.com"),
	VF(EMAIL, Q, "\"joe..bloggs\"@example.com"),
	VF(EMAIL, Q, "\"joe@bloggs\"@example.com"),
	VF(EMAIL, Q, "\"\"@example.com"),
	VF(EMAIL, Q, "\"a\\\"b\"@example.com"),
	VF(EMAIL, Q, "\"a\\\\b\"@example.com"),
	VF(EMAIL, Q, "\"a\\ b\"@example.com"),
	VF(EMAIL, Q, "\"a\\b\"@example.com"),
	VF(EMAIL, Q, "\".leading.and.trailing.\"@example.com"),
	VF(EMAIL, Q, "\"()<>[]:,;@\"@example.com"),
	VF(EMAIL, Q, "plain@example.com"),
	XF(EMAIL, Q, "\"a\"b\"@example.com"),
	XF(EMAIL, Q, "\"abc@example.com"),
	XF(EMAIL, Q, "\"a\\"),
	XF(EMAIL, Q, "\"a\\\"@example.com"),
	XF(EMAIL, Q, "\"a\tb\"@example.com"),
	XF(EMAIL, Q, "\"a\\\tb\"@example.com"),
	XF(EMAIL, Q, "\"a\x7f\"@example.com"),
	XF(EMAIL, Q, "\"a\\\x7f\"@example.com"),
	XF(EMAIL, Q, "\"a\r\nb\"@example.com"),
	XF(EMAIL, Q, "\"a\"\"b\"@example.com"),
	XF(EMAIL, Q, "\"a\".b@example.com"),
	XF(EMAIL, Q, "a.\"b\"@example.com"),
	XF(EMAIL, Q, "\"a\"@"),
	XF(EMAIL, Q, "\"a\"@localhost"),
	XF(EMAIL, Q, "\"\xc3\xa4\"@example.com"),
	XF(EMAIL, EALL, "\"Winston Smith\" <winston.smith@recdep.minitrue> (Records Department)"),
	XF(EMAIL, EALL, "user1@oceania.org, user2@oceania.org"),
	VF(EMAIL, Q | I, "\"\xc3\xa4 b\"@example.com"),
	XF(EMAIL, Q | I, "\"\xc3\"@example.com"),
	/* address literals (RFC 5321 section 4.1.3) */
	VF(EMAIL, L, "joe.bloggs@[127.0.0.1]"),
	VF(EMAIL, L, "joe.bloggs@[IPv6:::1]"),
	VF(EMAIL, L, "a@[IPv6:2001:db8::1]"),
	VF(EMAIL, L, "a@[ipv6:2001:DB8::1]"),
	VF(EMAIL, L, "a@[IPv6:::ffff:192.0.2.1]"),
	VF(EMAIL, L, "a@[IPv6:1:2:3:4:5:6:7:8]"),
	VF(EMAIL, L, "a@[0.0.0.0]"),
	VF(EMAIL, L, "a@example.com"),
	XF(EMAIL, L, "joe.bloggs@[127.0.0.300]"),
	XF(EMAIL, L, "a@[2001:db8::1]"),
	XF(EMAIL, L, "a@[IPv6:1.2.3.4]"),
	XF(EMAIL, L, "a@[IPv6:1::2::3]"),
	XF(EMAIL, L, "a@[IPv4:1.2.3.4]"),
	XF(EMAIL, L, "a@[127.0.0.1"),
	XF(EMAIL, L, "a@127.0.0.1]"),
	XF(EMAIL, L, "a@[]"),
	XF(EMAIL, L, "a@["),
	XF(EMAIL, L, "a@]"),
	XF(EMAIL, L, "a@[IPv6:]"),
	XF(EMAIL, L, "a@[IPv6]"),
	XF(EMAIL, L, "a@[x-tag:abc]"),
	XF(EMAIL, L, "a@[127.0.0.01]"),
	XF(EMAIL, L, "a@[ 127.0.0.1]"),
	XF(EMAIL, L, "a@[127.0.0.1].com"),
	XF(EMAIL, L, "a@[127.0.0.1]]"),
	XF(EMAIL, L, "a@[[127.0.0.1]"),
	XF(EMAIL, L, "a@[IPv6:::1%eth0]"),
	XF(EMAIL, L, "a@[example.com]"),
	/* single-label domains */
	VF(EMAIL, S, "postmaster@localhost"),
	VF(EMAIL, S, "a@b"),
	XF(EMAIL, S, "a@b."),
	XF(EMAIL, S, "a@-b"),
	XF(EMAIL, S, "a@"),
	/* UTF-8 (RFC 6531) */
	VF(EMAIL, I, "\xc3\xbc@example.com"),
	VF(EMAIL, I, "j\xc3\xb6rg@b\xc3\xbc" "cher.example"),
	VF(EMAIL, I, "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a"),
	VF(EMAIL, I, "\xf0\x9f\x98\x80@example.com"),
	VF(EMAIL, I, "\xef\xbf\xbf@example.com"),
	VF(EMAIL, I, "\xf4\x8f\xbf\xbf@example.com"),
	VF(EMAIL, I, "a.\xc3\xa9.b@example.com"),
	VF(EMAIL, I | S, "\xec\x8b\xa4\xeb\xa1\x80@\xed\x85\x8c\xec\x8a\xa4\xed\x8a\xb8"),
	XF(EMAIL, I, "\xec\x8b\xa4\xeb\xa1\x80@\xed\x85\x8c\xec\x8a\xa4\xed\x8a\xb8"),
	XF(EMAIL, I, "\xc3@example.com"),
	XF(EMAIL, I, "\xc0\xaf@example.com"),
	XF(EMAIL, I, "\xc1\xbf@example.com"),
	XF(EMAIL, I, "\xe0\x80\xaf@example.com"),
	XF(EMAIL, I, "\xe0\x9f\xbf@example.com"),
	XF(EMAIL, I, "\xf0\x80\x80\xaf@example.com"),
	XF(EMAIL, I, "\xf0\x8f\xbf\xbf@example.com"),
	XF(EMAIL, I, "\xed\xa0\x80@example.com"),
	XF(EMAIL, I, "\xed\xbf\xbf@example.com"),
	XF(EMAIL, I, "\xf4\x90\x80\x80@example.com"),
	XF(EMAIL, I, "\xf5\x80\x80\x80@example.com"),
	XF(EMAIL, I, "\xf8\x88\x80\x80\x80@example.com"),
	XF(EMAIL, I, "\x80@example.com"),
	XF(EMAIL, I, "\xbf@example.com"),
	XF(EMAIL, I, "\xfe@example.com"),
	XF(EMAIL, I, "\xff@example.com"),
	XF(EMAIL, I, "\xe2\x82@example.com"),
	XF(EMAIL, I, "\xf0\x9f\x98@example.com"),
	XF(EMAIL, I, "a@b.\xc3"),
	XF(EMAIL, I, "a@b.\xe2\x82"),
	XF(EMAIL, I, "a@b.\xf0\x9f\x98"),
	XF(EMAIL, I, "a@\xe2\x82.com"),
	XF(EMAIL, I, "a@b\xc3\xbc-.com"),
	XF(EMAIL, I, "a@\xc3\xa9" "."),
	XF(EMAIL, I, "\xc3\xa9" "..a@example.com"),
	XF(EMAIL, EALL, "a@b\xc3"),
	VF(EMAIL, EALL, "\"q\"@[IPv6:::1]"),
	VF(EMAIL, EALL, "\"\xc3\xa4\"@x"),

	/* ---- hostname (RFC 1123 section 2.1) ---- */
	V(HOST, "www.example.com"),
	V(HOST, "example"),
	V(HOST, "localhost"),
	V(HOST, "a"),
	V(HOST, "0"),
	V(HOST, "1host"),
	V(HOST, "h0stn4me"),
	V(HOST, "hostnam3"),
	V(HOST, "host-name"),
	V(HOST, "xn--4gbwdl.xn--wgbh1c"),
	V(HOST, "a-b-c.d-e"),
	V(HOST, "1.2.3.4"),
	V(HOST, "123"),
	V(HOST, "a.b.c.d.e.f"),
	V(HOST, "EXAMPLE.COM"),
	V(HOST, "a--b.com"),
	V(HOST, "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk.com"),
	X(HOST, "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl.com"),
	X(HOST, ""),
	X(HOST, "."),
	X(HOST, ".."),
	X(HOST, ".example"),
	X(HOST, "example."),
	X(HOST, "example.com."),
	X(HOST, "example..com"),
	X(HOST, "-a-host-name-that-starts-with--"),
	X(HOST, "not_a_valid_host_name"),
	X(HOST, "-hostname"),
	X(HOST, "hostname-"),
	X(HOST, "_hostname"),
	X(HOST, "hostname_"),
	X(HOST, "host_name"),
	X(HOST, "a-vvvvvvvvvvvvvvvveeeeeeeeeeeeeeeerrrrrrrrrrrrrrrryyyyyyyyyyyyyyyy-long-host-name-component"),
	X(HOST, "exa mple.com"),
	X(HOST, "example.com "),
	X(HOST, " example.com"),
	X(HOST, "ex\0ample.com"),
	X(HOST, "example.com\0"),
	X(HOST, "example.-com"),
	X(HOST, "example-.com"),
	X(HOST, "-"),
	X(HOST, "b\xc3\xbc" "cher.example"),
	X(HOST, "ex%61mple.com"),
	X(HOST, "example.com:80"),
	X(HOST, "[::1]"),
	X(HOST, "user@example.com"),
	X(HOST, "a..b"),
	X(HOST, "*.example.com"),
	X(HOST, "example.com/"),
	VF(HOST, TD, "example.com."),
	VF(HOST, TD, "example."),
	VF(HOST, TD, "example.com"),
	VF(HOST, TD, "a."),
	XF(HOST, TD, "."),
	XF(HOST, TD, ".."),
	XF(HOST, TD, "example.com.."),
	XF(HOST, TD, ".example.com."),
	XF(HOST, TD, "example-.com."),
	XF(HOST, TD, "example-."),
	XF(HOST, TD, ""),
	VF(HOST, HI, "b\xc3\xbc" "cher.example"),
	VF(HOST, HI, "\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a"),
	VF(HOST, HI, "\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88"),
	VF(HOST, HI, "\xc3\xbc"),
	VF(HOST, HI, "a\xc2\xa0" "b"),
	VF(HOST, HI, "www.example.com"),
	XF(HOST, HI, "-\xc3\xbc.com"),
	XF(HOST, HI, "\xc3\xbc-.com"),
	XF(HOST, HI, "\xc3.com"),
	XF(HOST, HI, "a\xc3"),
	XF(HOST, HI, "\xc0\xae.com"),
	XF(HOST, HI, "\xe0\x80\xae.com"),
	XF(HOST, HI, "\xed\xb0\x80.com"),
	XF(HOST, HI, "\xf4\x90\x80\x80.com"),
	XF(HOST, HI, "\x80.com"),
	XF(HOST, HI, "\xff.com"),
	/* no IDNA mapping: U+3002 is a character here, not a label separator */
	VF(HOST, HI, "\xe3\x80\x82"),
	XF(HOST, HI, "a_\xc3\xbc"),
	VF(HOST, HI | TD, "b\xc3\xbc" "cher.example."),
	XF(HOST, HI | TD, "b\xc3\xbc" "cher.example.."),

	/* ---- ipv4 ---- */
	V(IPV4, "192.168.0.1"),
	V(IPV4, "0.0.0.0"),
	V(IPV4, "255.255.255.255"),
	V(IPV4, "1.2.3.4"),
	V(IPV4, "10.0.0.255"),
	V(IPV4, "87.10.0.1"),
	V(IPV4, "100.200.250.199"),
	V(IPV4, "249.250.251.252"),
	X(IPV4, ""),
	X(IPV4, "127.0.0.0.1"),
	X(IPV4, "256.256.256.256"),
	X(IPV4, "127.0"),
	X(IPV4, "0x7f000001"),
	X(IPV4, "087.10.0.1"),
	X(IPV4, "01.2.3.4"),
	X(IPV4, "1.2.3.04"),
	X(IPV4, "1.2.3.00"),
	X(IPV4, "1.02.3.4"),
	X(IPV4, "1.2.3"),
	X(IPV4, "1.2.3."),
	X(IPV4, ".1.2.3"),
	X(IPV4, "1..2.3"),
	X(IPV4, "1.2.3.4."),
	X(IPV4, "192.168.1.0/24"),
	X(IPV4, " 1.2.3.4"),
	X(IPV4, "1.2.3.4 "),
	X(IPV4, "1.2.3.256"),
	X(IPV4, "1.2.3.1000"),
	X(IPV4, "300.2.3.4"),
	X(IPV4, "1.2.3.-1"),
	X(IPV4, "1.2.3.+1"),
	X(IPV4, "\xe0\xa7\xa8" "7.0.0.1"),
	X(IPV4, "1.2.3.4\0"),
	X(IPV4, "1.2\0.3.4"),
	X(IPV4, "a.b.c.d"),
	X(IPV4, "1,2,3,4"),
	X(IPV4, "0000.0.0.0"),
	X(IPV4, "1.2.3.4:80"),
	X(IPV4, "::ffff:1.2.3.4"),
	X(IPV4, "4294967295"),

	/* ---- ipv6 (RFC 4291 section 2.2) ---- */
	V(IPV6, "::"),
	V(IPV6, "::1"),
	V(IPV6, "1::"),
	V(IPV6, "1:2:3:4:5:6:7::"),
	V(IPV6, "::2:3:4:5:6:7:8"),
	V(IPV6, "1:2:3:4:5:6:7:8"),
	V(IPV6, "2001:db8::1"),
	V(IPV6, "2001:DB8::1"),
	V(IPV6, "2001:0db8:85a3:0000:0000:8a2e:0370:7334"),
	V(IPV6, "fe80::1"),
	V(IPV6, "::abef"),
	V(IPV6, "::ffff:1.2.3.4"),
	V(IPV6, "::ffff:192.0.2.1"),
	V(IPV6, "1:2:3:4:5:6:1.2.3.4"),
	V(IPV6, "::1.2.3.4"),
	V(IPV6, "1::d6:192.168.0.1"),
	V(IPV6, "1:2::192.168.0.1"),
	V(IPV6, "1:2:3:4:5::1.2.3.4"),
	V(IPV6, "1000:1000:1000:1000:1000:1000:255.255.255.255"),
	V(IPV6, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"),
	V(IPV6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
	V(IPV6, "1:d6::42"),
	V(IPV6, "::42:ff:1"),
	V(IPV6, "0000:0000:0000:0000:0000:0000:0000:0001"),
	V(IPV6, "1::8"),
	V(IPV6, "1:2:3:4:5:6::8"),
	V(IPV6, "1::3:4:5:6:7:8"),
	V(IPV6, "::0:0:0:0:0:0:0"),
	V(IPV6, "0:0:0:0:0:0:0:0"),
	V(IPV6, "a:B:c:D:e:F:0:1"),
	X(IPV6, ""),
	X(IPV6, ":"),
	X(IPV6, ":::"),
	X(IPV6, "::::"),
	X(IPV6, "1::2::3"),
	X(IPV6, "1:2:3:4:5:6:7:8:9"),
	X(IPV6, "1:2:3:4:5:6:7"),
	X(IPV6, "1:2:3:4:5:6:7:1.2.3.4"),
	X(IPV6, "1:2:3:4:5:6::1.2.3.4"),
	X(IPV6, "12345::"),
	X(IPV6, "1:1:1:1:1:1:1:1:1:1:1:1:1:1:1:1"),
	X(IPV6, "::laptop"),
	X(IPV6, ":2:3:4:5:6:7:8"),
	X(IPV6, "1:2:3:4:5:6:7:"),
	X(IPV6, ":1::"),
	X(IPV6, ":2:3:4::8"),
	X(IPV6, "1::2:"),
	X(IPV6, "1:2:3:4:5:::8"),
	X(IPV6, "1"),
	X(IPV6, "127.0.0.1"),
	X(IPV6, "1:2:3:4:1.2.3"),
	X(IPV6, "  ::1"),
	X(IPV6, "::1  "),
	X(IPV6, "fe80::/64"),
	X(IPV6, "fe80::a%eth1"),
	X(IPV6, "[::1]"),
	X(IPV6, "1:2::192.168.256.1"),
	X(IPV6, "1:2::192.168.ff.1"),
	X(IPV6, "1:2::192.168.0.01"),
	X(IPV6, "1:2::192.16\xe0\xa7\xaa.0.1"),
	X(IPV6, "100:100:100:100:100:100:255.255.255.255.255"),
	X(IPV6, "100:100:100:100:100:100:100:255.255.255.255"),
	X(IPV6, "1:2::1.2.3.4:5"),
	X(IPV6, "1.2.3.4::"),
	X(IPV6, "::1.2.3.4.5"),
	X(IPV6, "::1.2.3"),
	X(IPV6, "g::1"),
	X(IPV6, "1:2:3:4:5:6:7:8::"),
	X(IPV6, "::1:2:3:4:5:6:7:8"),
	X(IPV6, "1::2:3:4:5:6:7:8"),
	X(IPV6, "1:2:3:4:5:6:7:8:"),
	X(IPV6, "::1\0"),
	X(IPV6, "1:2:3:4:5:6:7:8\0"),
	X(IPV6, "1:2:3:4:5:6:7:8 "),
	X(IPV6, "00000::1"),
	X(IPV6, "1::1234.1.2.3"),
	X(IPV6, "1::ab.1.2.3"),
	X(IPV6, "::ffff:1.2.3.4:"),

	/* ---- uri (RFC 3986) ---- */
	V(URI, "http://foo.bar/?baz=qux#quux"),
	V(URI, "http://foo.com/blah_(wikipedia)_blah#cite-1"),
	V(URI, "http://foo.bar/?q=Test%20URL-encoded%20stuff"),
	V(URI, "http://xn--nw2a.xn--j6w193g/"),
	V(URI, "http://-.~_!$&'()*+,;=:%40:80%2f::::::@example.com"),
	V(URI, "http://223.255.255.254"),
	V(URI, "ftp://ftp.is.co.za/rfc/rfc1808.txt"),
	V(URI, "http://www.ietf.org/rfc/rfc2396.txt"),
	V(URI, "ldap://[2001:db8::7]/c=GB?objectClass?one"),
	V(URI, "mailto:John.Doe@example.com"),
	V(URI, "news:comp.infosystems.www.servers.unix"),
	V(URI, "tel:+1-816-555-1212"),
	V(URI, "telnet://192.0.2.16:80/"),
	V(URI, "urn:oasis:names:specification:docbook:dtd:xml:4.1.2"),
	V(URI, "foo://example.com:8042/over/there?name=ferret#nose"),
	V(URI, "urn:example:animal:ferret:nose"),
	V(URI, "a:"),
	V(URI, "a:b"),
	V(URI, "file:///etc/hosts"),
	V(URI, "http://example.com:"),
	V(URI, "http://example.com:/"),
	V(URI, "http://[v7.abc:def]/"),
	V(URI, "http://[V1F.x]/"),
	V(URI, "http://[::ffff:1.2.3.4]:80/"),
	V(URI, "http://user:pass@host:8080/p/a/t/h?query#frag"),
	V(URI, "http://example.com/%7Euser"),
	V(URI, "http://example.com/%7euser"),
	V(URI, "HTTP://EXAMPLE.COM/"),
	V(URI, "s+c-h.e.m3:path"),
	V(URI, "http://"),
	V(URI, "http:///path"),
	V(URI, "a:/b"),
	V(URI, "a:b/c:d"),
	V(URI, "a:?q"),
	V(URI, "a:#f"),
	V(URI, "a:b#f?/:@"),
	V(URI, "http://256.256.256.256/"),
	V(URI, "http://example.com/?#"),
	V(URI, "x://@host"),
	V(URI, "x://::@host"),
	V(URI, "mailto:%22a%22@b"),
	V(URI, "a://b/c//d"),
	V(URI, "a:b?c?d/e#f?g/h"),
	V(URI, "http://a/b;c=d,e"),
	V(URI, "http://example.com:65536/"),
	V(URI, "http://example.com:0123456789/"),
	X(URI, ""),
	X(URI, "//foo.bar/?baz=qux#quux"),
	X(URI, "/abc"),
	X(URI, "\\\\WINDOWS\\fileshare"),
	X(URI, "abc"),
	X(URI, "http:// shouldfail.com"),
	X(URI, ":// should fail"),
	X(URI, "bar,baz:foo"),
	X(URI, "1http://x"),
	X(URI, "-a:b"),
	X(URI, "+a:b"),
	X(URI, ".a:b"),
	X(URI, "ht tp://x"),
	X(URI, "http://example.com/a b"),
	X(URI, "http://example.com/%"),
	X(URI, "http://example.com/%2"),
	X(URI, "http://example.com/%zz"),
	X(URI, "http://example.com/%2g"),
	X(URI, "http://example.com/\""),
	X(URI, "http://example.com/<>"),
	X(URI, "http://ex ample.com"),
	X(URI, "http://ex%ample.com"),
	X(URI, "http://[::1"),
	X(URI, "http://[::1]x/"),
	X(URI, "http://[1.2.3.4]/"),
	X(URI, "http://[v.x]/"),
	X(URI, "http://[vz.x]/"),
	X(URI, "http://[v1.]/"),
	X(URI, "http://[v1x]/"),
	X(URI, "http://[v1.a/b]/"),
	X(URI, "http://[]/"),
	X(URI, "http://[fe80::1%25eth0]/"),
	X(URI, "http://example.com:80a/"),
	X(URI, "http://example.com:8:0/"),
	X(URI, "http://a@b@c/"),
	X(URI, "http://exa[mple.com/"),
	X(URI, "http://exa]mple.com/"),
	X(URI, "http://example.com/#frag#frag"),
	X(URI, "http://example.com/^"),
	X(URI, "http://example.com/`"),
	X(URI, "http://example.com/{}"),
	X(URI, "http://example.com/|"),
	X(URI, "http://example.com/\\"),
	X(URI, "http://example.com/\x7f"),
	X(URI, "http://example.com/\0"),
	X(URI, "http://example.com/\xc3\xa9"),
	X(URI, "http://\xc3\xa9.com/"),
	X(URI, "#frag"),
	X(URI, "?q"),
	X(URI, "http://user@[::1"),
	X(URI, "http://[::1]:8o/"),
	X(URI, "http://user:pa ss@x"),
	X(URI, "http://x/\t"),
	X(URI, "http://x/\n"),
	X(URI, ":"),
	X(URI, "a b:c"),

	/* ---- uri-reference (RFC 3986 section 4.1) ---- */
	V(URIREF, "http://foo.bar/?baz=qux#quux"),
	V(URIREF, "//foo.bar/?baz=qux#quux"),
	V(URIREF, "/abc"),
	V(URIREF, "abc"),
	V(URIREF, "#fragment"),
	V(URIREF, ""),
	V(URIREF, "?q"),
	V(URIREF, "./a:b"),
	V(URIREF, "../../x"),
	V(URIREF, "a/b:c"),
	V(URIREF, "."),
	V(URIREF, ".."),
	V(URIREF, "//"),
	V(URIREF, "///"),
	V(URIREF, "//host"),
	V(URIREF, "//user@host:1/p"),
	V(URIREF, "#"),
	V(URIREF, "?"),
	V(URIREF, "a?b:c#d:e"),
	V(URIREF, "%20"),
	V(URIREF, "g;x=1/../y"),
	V(URIREF, "//[::1]/x"),
	V(URIREF, "a@b"),
	V(URIREF, "mailto:x"),
	V(URIREF, "1a/b:c"),
	X(URIREF, "\\\\WINDOWS\\fileshare"),
	X(URIREF, "#frag\\ment"),
	X(URIREF, "a:b c"),
	X(URIREF, "1a:b"),
	X(URIREF, ":x"),
	X(URIREF, "a@b:c"),
	X(URIREF, "a b"),
	X(URIREF, "%"),
	X(URIREF, "%g0"),
	X(URIREF, "#a#b"),
	X(URIREF, "//[::1"),
	X(URIREF, "a]b"),
	X(URIREF, "[x]"),
	X(URIREF, "//host:port/"),
	X(URIREF, "\""),
	X(URIREF, "<a>"),
	X(URIREF, "/a\0b"),
	X(URIREF, "\0"),
	X(URIREF, "//a b/"),

	/* ---- url ---- */
	V(URL, "http://example.com"),
	V(URL, "https://example.com/path?q=1#f"),
	V(URL, "HTTP://EXAMPLE.COM"),
	V(URL, "HtTpS://x"),
	V(URL, "http://[::1]:8080/"),
	V(URL, "http://192.0.2.1/"),
	V(URL, "http://user:pass@example.com/"),
	V(URL, "https://xn--bcher-kva.example/"),
	V(URL, "http://localhost:5432"),
	VF(URL, ANY, "ftp://ftp.example.com/"),
	VF(URL, ANY, "ws://x"),
	VF(URL, ANY, "http://example.com"),
	X(URL, "ftp://ftp.example.com/"),
	X(URL, "mailto:a@b.c"),
	XF(URL, ANY, "mailto:a@b.c"),
	X(URL, "http:example.com"),
	X(URL, "http:/example.com"),
	X(URL, "http://"),
	X(URL, "http:///path"),
	X(URL, "http://:80/"),
	X(URL, "http://user@/"),
	X(URL, "https//example.com"),
	X(URL, "httpx://x"),
	X(URL, "htt://x"),
	X(URL, "httpss://x"),
	X(URL, "//example.com"),
	X(URL, "http://exa mple.com"),
	XF(URL, ANY, "file:///etc/hosts"),
	X(URL, "https:"),
	X(URL, "hxxp://x"),
	X(URL, "example.com"),
	X(URL, ""),
	X(URL, "http://example.com/\0"),
	XF(URL, ANY, "//example.com"),
	XF(URL, ANY, "x:"),

	/* ---- uuid (RFC 9562 section 4) ---- */
	V(UUID, "2EB8AA08-AA98-11EA-B4AA-73B441D16380"),
	V(UUID, "2eb8aa08-aa98-11ea-b4aa-73b441d16380"),
	V(UUID, "2eb8aa08-AA98-11ea-B4Aa-73B441D16380"),
	V(UUID, "00000000-0000-0000-0000-000000000000"),
	V(UUID, "ffffffff-ffff-ffff-ffff-ffffffffffff"),
	V(UUID, "98d80576-482e-427f-8434-7f86890ab222"),
	V(UUID, "99c17cbb-656f-564a-940f-1a4568f03487"),
	V(UUID, "99c17cbb-656f-664a-940f-1a4568f03487"),
	V(UUID, "99c17cbb-656f-f64a-940f-1a4568f03487"),
	V(UUID, "017f22e2-79b0-7cc3-98c4-dc0c0c07398f"),
	X(UUID, "2eb8aa08-aa98-11ea-b4aa-73b441d1638"),
	X(UUID, "2eb8aa08-aa98-11ea-b4ga-73b441d16380"),
	X(UUID, "2eb8aa08aa9811eab4aa73b441d16380"),
	X(UUID, "2eb8aa08aa98-11ea-b4aa73b441d16380"),
	X(UUID, "2eb8-aa08-aa98-11ea-b4aa73b44-1d16380"),
	X(UUID, "2eb8aa08aa9811eab4aa73b441d16380----"),
	X(UUID, "{2eb8aa08-aa98-11ea-b4aa-73b441d16380}"),
	X(UUID, "urn:uuid:2eb8aa08-aa98-11ea-b4aa-73b441d16380"),
	X(UUID, "2eb8aa08-aa98-11ea-b4aa-73b441d163800"),
	X(UUID, "2eb8aa08-aa98-11ea-b4aa-73b441d1638\0"),
	X(UUID, "2eb8aa08_aa98-11ea-b4aa-73b441d16380"),
	X(UUID, " eb8aa08-aa98-11ea-b4aa-73b441d16380"),
	X(UUID, "2eb8aa08-aa98-11ea-b4aa-73b441d1638g"),
	X(UUID, "2eb8aa0-8aa98-11ea-b4aa-73b441d16380"),
	X(UUID, "2eb8aa08-aa98-11ea-b4aa-73b441d1638\xc3"),
	X(UUID, ""),

	/* ---- e164 ---- */
	V(E164, "+14155552671"),
	V(E164, "+442071838750"),
	V(E164, "+12"),
	V(E164, "+123456789012345"),
	V(E164, "+999999999999999"),
	X(E164, "14155552671"),
	X(E164, "+"),
	X(E164, "+1"),
	X(E164, "+0123"),
	X(E164, "+1234567890123456"),
	X(E164, "+1 415 555 2671"),
	X(E164, "+1-415-5552671"),
	X(E164, "++14155552671"),
	X(E164, "+1415555267a"),
	X(E164, "+141555\0"),
	X(E164, "+ 1415"),
	X(E164, "00441234567"),
	X(E164, ""),

	/* ---- iban (ISO 13616; registry examples) ---- */
	V(IBAN, "DE89370400440532013000"),
	V(IBAN, "GB29NWBK60161331926819"),
	V(IBAN, "FR1420041010050500013M02606"),
	V(IBAN, "NO9386011117947"),
	V(IBAN, "BE68539007547034"),
	V(IBAN, "CH9300762011623852957"),
	V(IBAN, "NL91ABNA0417164300"),
	V(IBAN, "LC55HEMM000100010012001200023015"),
	V(IBAN, "RU0304452522540817810538091310419"),
	V(IBAN, "MT84MALT011000012345MTLCAST001S"),
	V(IBAN, "DE02370400440000000024"),
	V(IBAN, "DE97370400440000000060"),
	V(IBAN, "DE98370400440000000042"),
	X(IBAN, "DE99370400440000000024"),	/* mod 97 is 1, but 99 is no check */
	X(IBAN, "DE00370400440000000060"),
	X(IBAN, "DE01370400440000000042"),
	X(IBAN, "DE89 3704 0044 0532 0130 00"),
	X(IBAN, "de89370400440532013000"),
	X(IBAN, "De89370400440532013000"),
	X(IBAN, "DE8937040044053201300"),
	X(IBAN, "DE893704004405320130000"),
	X(IBAN, "DE88370400440532013000"),
	X(IBAN, "DE89370400440532013001"),
	X(IBAN, "DE89370400440532031000"),
	X(IBAN, "XX89370400440532013000"),
	X(IBAN, "GB29nwbk60161331926819"),
	X(IBAN, "GB29NWBK6016133192681!"),
	X(IBAN, "GB29NWBK60161331926819 "),
	X(IBAN, " GB29NWBK60161331926819"),
	X(IBAN, "US64SVBKUS6S3300958879"),
	X(IBAN, "DEA9370400440532013000"),
	X(IBAN, "DE8937040044053201300\0"),
	X(IBAN, "DE89370400440532013000\0"),
	X(IBAN, "D"),
	X(IBAN, ""),
	X(IBAN, "1289370400440532013000"),

	/* ---- luhn ---- */
	V(LUHN, "4111111111111111"),
	V(LUHN, "79927398713"),
	V(LUHN, "0000000000000000"),
	V(LUHN, "00"),
	V(LUHN, "18"),
	V(LUHN, "059"),
	V(LUHN, "5555555555554444"),
	V(LUHN, "378282246310005"),
	V(LUHN, "6011111111111117"),
	V(LUHN, "3530111333300000"),
	V(LUHN, "4012888888881881"),
	V(LUHN, "371449635398431"),
	V(LUHN, "30569309025904"),
	V(LUHN, "49927398716"),
	V(LUHN, "1234567812345670"),
	V(LUHN, "490154203237518"),
	X(LUHN, "79927398710"),
	X(LUHN, "4111111111111112"),
	X(LUHN, "0"),
	X(LUHN, "1"),
	X(LUHN, ""),
	X(LUHN, "19"),
	X(LUHN, "4111 1111 1111 1111"),
	X(LUHN, "411111111111111a"),
	X(LUHN, "-4111111111111111"),
	X(LUHN, "49927398717"),
	X(LUHN, "1234567812345678"),
	X(LUHN, "\0" "4111111111111111"),
	X(LUHN, "4111111111111111\0"),

	/* ---- card ---- */
	V(CARD, "4111111111111111"),
	V(CARD, "4111 1111 1111 1111"),
	V(CARD, "4111-1111-1111-1111"),
	V(CARD, "378282246310005"),
	V(CARD, "3782 822463 10005"),
	V(CARD, "3782-822463-10005"),
	V(CARD, "5555555555554444"),
	V(CARD, "4012888888881881"),
	V(CARD, "6011111111111117"),
	V(CARD, "4222222222222"),
	V(CARD, "000000000000"),
	V(CARD, "400000000002"),
	V(CARD, "4000000000000000006"),
	V(CARD, "4 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 6"),
	V(CARD, "4-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1"),
	X(CARD, "4111111111111112"),
	X(CARD, "4111  1111 1111 1111"),
	X(CARD, "4111--1111-1111-1111"),
	X(CARD, "4111 1111-1111 1111"),
	X(CARD, "4111-1111 1111-1111"),
	X(CARD, " 4111111111111111"),
	X(CARD, "4111111111111111 "),
	X(CARD, "-4111111111111111"),
	X(CARD, "4111111111111111-"),
	X(CARD, "40000000006"),
	X(CARD, "40000000000000000002"),
	X(CARD, "4111.1111.1111.1111"),
	X(CARD, "4111_1111_1111_1111"),
	X(CARD, "4111\t1111\t1111\t1111"),
	X(CARD, ""),
	X(CARD, "4111111111111111\0"),
	X(CARD, "4111 1111 1111 111\0"),
	X(CARD, "            "),
	X(CARD, "------------"),
	X(CARD, "4 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 2"),

	/* ---- iso_country ---- */
	V(COUNTRY, "US"),
	V(COUNTRY, "DE"),
	V(COUNTRY, "GB"),
	V(COUNTRY, "AX"),
	V(COUNTRY, "SS"),
	V(COUNTRY, "BQ"),
	V(COUNTRY, "CW"),
	V(COUNTRY, "SX"),
	V(COUNTRY, "AD"),
	V(COUNTRY, "ZW"),
	V(COUNTRY, "USA"),
	V(COUNTRY, "DEU"),
	V(COUNTRY, "GBR"),
	V(COUNTRY, "ALA"),
	V(COUNTRY, "SSD"),
	V(COUNTRY, "BES"),
	V(COUNTRY, "ABW"),
	V(COUNTRY, "ZWE"),
	X(COUNTRY, "UK"),
	X(COUNTRY, "EU"),
	X(COUNTRY, "XK"),
	X(COUNTRY, "XKX"),
	X(COUNTRY, "AN"),
	X(COUNTRY, "ANT"),
	X(COUNTRY, "YU"),
	X(COUNTRY, "SCG"),
	X(COUNTRY, "CS"),
	X(COUNTRY, "DDR"),
	X(COUNTRY, "SUN"),
	X(COUNTRY, "TP"),
	X(COUNTRY, "AA"),
	X(COUNTRY, "ZZ"),
	X(COUNTRY, "us"),
	X(COUNTRY, "Us"),
	X(COUNTRY, "usa"),
	X(COUNTRY, "U"),
	X(COUNTRY, "USAA"),
	X(COUNTRY, ""),
	X(COUNTRY, "U\0"),
	X(COUNTRY, "US\0"),
	X(COUNTRY, "\0US"),
	X(COUNTRY, "US "),
	X(COUNTRY, "U1"),
	X(COUNTRY, "GB-ENG"),

	/* ---- iso_currency ---- */
	V(CURRENCY, "USD"),
	V(CURRENCY, "EUR"),
	V(CURRENCY, "JPY"),
	V(CURRENCY, "CHF"),
	V(CURRENCY, "XAU"),
	V(CURRENCY, "XDR"),
	V(CURRENCY, "XTS"),
	V(CURRENCY, "XXX"),
	V(CURRENCY, "CHE"),
	V(CURRENCY, "CHW"),
	V(CURRENCY, "BOV"),
	V(CURRENCY, "UYW"),
	V(CURRENCY, "VED"),
	V(CURRENCY, "VES"),
	V(CURRENCY, "SLE"),
	V(CURRENCY, "ZWG"),
	V(CURRENCY, "XCG"),
	V(CURRENCY, "ANG"),
	V(CURRENCY, "CUC"),
	V(CURRENCY, "MRU"),
	V(CURRENCY, "STN"),
	V(CURRENCY, "AED"),
	X(CURRENCY, "HRK"),
	X(CURRENCY, "SLL"),
	X(CURRENCY, "ZWL"),
	X(CURRENCY, "DEM"),
	X(CURRENCY, "FRF"),
	X(CURRENCY, "VEF"),
	X(CURRENCY, "MRO"),
	X(CURRENCY, "STD"),
	X(CURRENCY, "BYR"),
	X(CURRENCY, "LTL"),
	X(CURRENCY, "EEK"),
	X(CURRENCY, "BTC"),
	X(CURRENCY, "XYZ"),
	X(CURRENCY, "usd"),
	X(CURRENCY, "Usd"),
	X(CURRENCY, "US"),
	X(CURRENCY, "USDD"),
	X(CURRENCY, "EU"),
	X(CURRENCY, ""),
	X(CURRENCY, "US\0"),
	X(CURRENCY, "USD\0"),

	/* ---- date (RFC 3339 full-date) ---- */
	V(DATE, "1963-06-19"),
	V(DATE, "2020-01-31"),
	V(DATE, "2021-02-28"),
	V(DATE, "2020-02-29"),
	V(DATE, "2000-02-29"),
	V(DATE, "2024-02-29"),
	V(DATE, "1600-02-29"),
	V(DATE, "0004-02-29"),
	V(DATE, "0000-02-29"),
	V(DATE, "0000-01-01"),
	V(DATE, "9999-12-31"),
	V(DATE, "2020-03-31"),
	V(DATE, "2020-04-30"),
	V(DATE, "2020-05-31"),
	V(DATE, "2020-06-30"),
	V(DATE, "2020-07-31"),
	V(DATE, "2020-08-31"),
	V(DATE, "2020-09-30"),
	V(DATE, "2020-10-31"),
	V(DATE, "2020-11-30"),
	V(DATE, "2020-12-31"),
	X(DATE, "1900-02-29"),
	X(DATE, "2100-02-29"),
	X(DATE, "2021-02-29"),
	X(DATE, "0001-02-29"),
	X(DATE, "2020-02-30"),
	X(DATE, "2020-01-32"),
	X(DATE, "2020-03-32"),
	X(DATE, "2020-04-31"),
	X(DATE, "2020-05-32"),
	X(DATE, "2020-06-31"),
	X(DATE, "2020-07-32"),
	X(DATE, "2020-08-32"),
	X(DATE, "2020-09-31"),
	X(DATE, "2020-10-32"),
	X(DATE, "2020-11-31"),
	X(DATE, "2020-12-32"),
	X(DATE, "2020-13-01"),
	X(DATE, "2020-00-01"),
	X(DATE, "2020-01-00"),
	X(DATE, "2020-99-99"),
	X(DATE, "06/19/1963"),
	X(DATE, "2013-350"),
	X(DATE, "1998-1-20"),
	X(DATE, "1998-01-1"),
	X(DATE, "19980120"),
	X(DATE, "1963-06-1\xe0\xa7\xaa"),
	X(DATE, "2023-W01"),
	X(DATE, "2023-W13-2"),
	X(DATE, "2022W527"),
	X(DATE, "1963-06-19 "),
	X(DATE, " 1963-06-19"),
	X(DATE, "1963-06-19T"),
	X(DATE, "1963/06/19"),
	X(DATE, "+1963-06-19"),
	X(DATE, "196a-06-19"),
	X(DATE, "1963-06-19\0"),
	X(DATE, "2020-02-2\0"),
	X(DATE, "1963-6-19"),
	X(DATE, "12020-01-01"),
	X(DATE, ""),

	/* ---- time (RFC 3339 full-time) ---- */
	V(TIME, "08:30:06Z"),
	V(TIME, "08:30:06z"),
	V(TIME, "23:59:60Z"),
	V(TIME, "23:59:60+00:00"),
	V(TIME, "22:59:60-01:00"),
	V(TIME, "01:29:60+01:30"),
	V(TIME, "23:29:60+23:30"),
	V(TIME, "15:59:60-08:00"),
	V(TIME, "00:29:60-23:30"),
	V(TIME, "08:30:06.283185Z"),
	V(TIME, "12:00:00.52+23:59"),
	V(TIME, "08:30:06+00:20"),
	V(TIME, "08:30:06-08:00"),
	V(TIME, "00:00:00Z"),
	V(TIME, "23:59:59-23:59"),
	V(TIME, "23:59:60.999Z"),
	V(TIME, "00:00:00-00:00"),
	V(TIME, "12:00:00.0000000000001Z"),
	V(TIME, "00:00:60+00:01"),
	X(TIME, "008:030:006Z"),
	X(TIME, "8:3:6Z"),
	X(TIME, "8:0030:6Z"),
	X(TIME, "22:59:60Z"),
	X(TIME, "23:58:60Z"),
	X(TIME, "23:59:60+01:00"),
	X(TIME, "23:59:60+00:30"),
	X(TIME, "22:59:60+00:00"),
	X(TIME, "23:59:60-01:00"),
	X(TIME, "00:00:60Z"),
	X(TIME, "24:00:00Z"),
	X(TIME, "00:60:00Z"),
	X(TIME, "00:00:61Z"),
	X(TIME, "12:00:00.52+24:00"),
	X(TIME, "12:00:00.52-23:60"),
	X(TIME, "01:02:03Z+00:30"),
	X(TIME, "01:02:03+00:30Z"),
	X(TIME, "08:30:06 PST"),
	X(TIME, "01:01:01,1111"),
	X(TIME, "12:00:00"),
	X(TIME, "12:00:00.52"),
	X(TIME, "12:00:00."),
	X(TIME, "12:00:00.Z"),
	X(TIME, "12:00:00.52+"),
	X(TIME, "12:00:00.52+0"),
	X(TIME, "12:00:00+0000"),
	X(TIME, "12:00:00+00"),
	X(TIME, "12:00:00+00:00:00"),
	X(TIME, "12:00:00+0:00"),
	X(TIME, "08:30:06#00:20"),
	X(TIME, "ab:cd:ef"),
	X(TIME, "1\xe0\xa7\xa8:00:00Z"),
	X(TIME, "12:00Z"),
	X(TIME, "12:00:00ZZ"),
	X(TIME, "T12:00:00Z"),
	X(TIME, "12:00:00Z "),
	X(TIME, "12:00:00\0"),
	X(TIME, "12:00:00Z\0"),
	X(TIME, "12:00:00.5\0Z"),
	X(TIME, "-12:00:00Z"),
	X(TIME, "99:99:99Z"),
	X(TIME, "12-00-00Z"),
	X(TIME, "12:00:00+01-00"),
	X(TIME, ""),

	/* ---- date-time (RFC 3339) ---- */
	V(DATETIME, "1963-06-19T08:30:06.283185Z"),
	V(DATETIME, "1963-06-19T08:30:06Z"),
	V(DATETIME, "1937-01-01T12:00:27.87+00:20"),
	V(DATETIME, "1990-12-31T15:59:50.123-08:00"),
	V(DATETIME, "1998-12-31T23:59:60Z"),
	V(DATETIME, "1998-12-31T15:59:60.123-08:00"),
	V(DATETIME, "1963-06-19t08:30:06.283185z"),
	V(DATETIME, "2000-02-29T00:00:00Z"),
	X(DATETIME, "1998-12-31T23:59:61Z"),
	X(DATETIME, "1998-12-31T23:58:60Z"),
	X(DATETIME, "1998-12-31T22:59:60Z"),
	X(DATETIME, "1990-02-31T15:59:59.123-08:00"),
	X(DATETIME, "1990-12-31T15:59:59-24:00"),
	X(DATETIME, "06/19/1963 08:30:06 PST"),
	X(DATETIME, "2013-350T01:01:01"),
	X(DATETIME, "1963-6-19T08:30:06.283185Z"),
	X(DATETIME, "1963-06-1T08:30:06.283185Z"),
	X(DATETIME, "1963-06-1\xe0\xa7\xaaT00:00:00Z"),
	X(DATETIME, "1963-06-11T0\xe0\xa7\xaa:00:00Z"),
	X(DATETIME, "1963-06-19 08:30:06Z"),
	X(DATETIME, "1963-06-19T08:30:06"),
	X(DATETIME, "1963-06-19"),
	X(DATETIME, "1963-06-19T"),
	X(DATETIME, "1963-06-19T08:30Z"),
	X(DATETIME, "1963-06-19X08:30:06Z"),
	X(DATETIME, "1963-06-19TT08:30:06Z"),
	X(DATETIME, "1900-02-29T00:00:00Z"),
	X(DATETIME, "1963-06-19T08:30:06Z\0"),
	X(DATETIME, "1963-06-19\0" "08:30:06Z"),
	X(DATETIME, ""),

	/* ---- duration (RFC 3339 appendix A) ---- */
	V(DURATION, "P4DT12H30M5S"),
	V(DURATION, "P4Y"),
	V(DURATION, "PT0S"),
	V(DURATION, "P0D"),
	V(DURATION, "P1M"),
	V(DURATION, "PT1M"),
	V(DURATION, "PT36H"),
	V(DURATION, "P1DT12H"),
	V(DURATION, "P2W"),
	V(DURATION, "P0W"),
	V(DURATION, "P1Y2M3DT4H5M6S"),
	V(DURATION, "P1Y2M"),
	V(DURATION, "P1Y1D"),
	V(DURATION, "PT1H5S"),
	V(DURATION, "PT1M1S"),
	V(DURATION, "P1MT1M"),
	V(DURATION, "P123456789012345678901234567890Y"),
	X(DURATION, "PT1D"),
	X(DURATION, "P"),
	X(DURATION, "P1YT"),
	X(DURATION, "PT"),
	X(DURATION, "P2D1Y"),
	X(DURATION, "P1D2H"),
	X(DURATION, "P2S"),
	X(DURATION, "P1Y2W"),
	X(DURATION, "P2W1D"),
	X(DURATION, "P2WT1H"),
	X(DURATION, "P\xe0\xa7\xa8Y"),
	X(DURATION, "P1"),
	X(DURATION, ""),
	X(DURATION, "1Y"),
	X(DURATION, "p1Y"),
	X(DURATION, "P1y"),
	X(DURATION, "PT1h"),
	X(DURATION, "Pt1H"),
	X(DURATION, "P1.5Y"),
	X(DURATION, "P1,5Y"),
	X(DURATION, "PT1.5S"),
	X(DURATION, "P-1Y"),
	X(DURATION, "P+1Y"),
	X(DURATION, "-P1Y"),
	X(DURATION, "P1Y1Y"),
	X(DURATION, "PT1S1M"),
	X(DURATION, "PT1M1H"),
	X(DURATION, "P1M1Y"),
	X(DURATION, "P1D1M"),
	X(DURATION, "PTT1H"),
	X(DURATION, "P1YTT1H"),
	X(DURATION, "PT1HT1M"),
	X(DURATION, "P1Y "),
	X(DURATION, " P1Y"),
	X(DURATION, "P1Y\0"),
	X(DURATION, "PW"),
	X(DURATION, "PY"),
	X(DURATION, "P1DT"),
	X(DURATION, "PT1W"),
	X(DURATION, "P1X"),
	X(DURATION, "P0000-00-01T00:00:00"),

	/* ---- slug ---- */
	V(SLUG, "a"),
	V(SLUG, "hello"),
	V(SLUG, "hello-world"),
	V(SLUG, "my-post-2"),
	V(SLUG, "2024"),
	V(SLUG, "a-b-c"),
	V(SLUG, "a1-b2"),
	V(SLUG, "x-1"),
	X(SLUG, ""),
	X(SLUG, "-"),
	X(SLUG, "--"),
	X(SLUG, "-a"),
	X(SLUG, "a-"),
	X(SLUG, "a--b"),
	X(SLUG, "Hello"),
	X(SLUG, "hello_world"),
	X(SLUG, "hello world"),
	X(SLUG, "h\xc3\xa9llo"),
	X(SLUG, "a.b"),
	X(SLUG, "a/b"),
	X(SLUG, "a\0b"),
	X(SLUG, "a\0"),

	/* ---- semver (Semantic Versioning 2.0.0, with semver.org's examples) ---- */
	V(SEMVER, "0.0.4"),
	V(SEMVER, "1.2.3"),
	V(SEMVER, "10.20.30"),
	V(SEMVER, "1.1.2-prerelease+meta"),
	V(SEMVER, "1.1.2+meta"),
	V(SEMVER, "1.1.2+meta-valid"),
	V(SEMVER, "1.0.0-alpha"),
	V(SEMVER, "1.0.0-beta"),
	V(SEMVER, "1.0.0-alpha.beta"),
	V(SEMVER, "1.0.0-alpha.beta.1"),
	V(SEMVER, "1.0.0-alpha.1"),
	V(SEMVER, "1.0.0-alpha0.valid"),
	V(SEMVER, "1.0.0-alpha.0valid"),
	V(SEMVER, "1.0.0-alpha-a.b-c-somethinglong+build.1-aef.1-its-okay"),
	V(SEMVER, "1.0.0-rc.1+build.1"),
	V(SEMVER, "2.0.0-rc.1+build.123"),
	V(SEMVER, "1.2.3-beta"),
	V(SEMVER, "10.2.3-DEV-SNAPSHOT"),
	V(SEMVER, "1.2.3-SNAPSHOT-123"),
	V(SEMVER, "1.0.0"),
	V(SEMVER, "2.0.0"),
	V(SEMVER, "1.1.7"),
	V(SEMVER, "2.0.0+build.1848"),
	V(SEMVER, "2.0.1-alpha.1227"),
	V(SEMVER, "1.0.0-alpha+beta"),
	V(SEMVER, "1.2.3----RC-SNAPSHOT.12.9.1--.12+788"),
	V(SEMVER, "1.2.3----R-S.12.9.1--.12+meta"),
	V(SEMVER, "1.2.3----RC-SNAPSHOT.12.9.1--.12"),
	V(SEMVER, "1.0.0+0.build.1-rc.10000aaa-kk-0.1"),
	V(SEMVER, "99999999999999999999999.999999999999999999.99999999999999999"),
	V(SEMVER, "1.0.0-0A.is.legal"),
	V(SEMVER, "1.0.0+001"),
	V(SEMVER, "1.0.0-0"),
	V(SEMVER, "0.0.0"),
	X(SEMVER, "1"),
	X(SEMVER, "1.2"),
	X(SEMVER, "1.2.3-0123"),
	X(SEMVER, "1.2.3-0123.0123"),
	X(SEMVER, "1.1.2+.123"),
	X(SEMVER, "+invalid"),
	X(SEMVER, "-invalid"),
	X(SEMVER, "-invalid+invalid"),
	X(SEMVER, "-invalid.01"),
	X(SEMVER, "alpha"),
	X(SEMVER, "alpha.beta"),
	X(SEMVER, "alpha.beta.1"),
	X(SEMVER, "alpha.1"),
	X(SEMVER, "alpha+beta"),
	X(SEMVER, "alpha_beta"),
	X(SEMVER, "alpha."),
	X(SEMVER, "alpha.."),
	X(SEMVER, "beta"),
	X(SEMVER, "1.0.0-alpha_beta"),
	X(SEMVER, "-alpha."),
	X(SEMVER, "1.0.0-alpha.."),
	X(SEMVER, "1.0.0-alpha..1"),
	X(SEMVER, "1.0.0-alpha...1"),
	X(SEMVER, "1.0.0-alpha....1"),
	X(SEMVER, "01.1.1"),
	X(SEMVER, "1.01.1"),
	X(SEMVER, "1.1.01"),
	X(SEMVER, "1.2.3.DEV"),
	X(SEMVER, "1.2-SNAPSHOT"),
	X(SEMVER, "1.2.31.2.3----RC-SNAPSHOT.12.09.1--..12+788"),
	X(SEMVER, "1.2-RC-SNAPSHOT"),
	X(SEMVER, "-1.0.3-gamma+b7718"),
	X(SEMVER, "+justmeta"),
	X(SEMVER, "9.8.7+meta+meta"),
	X(SEMVER, "9.8.7-whatever+meta+meta"),
	X(SEMVER, "99999999999999999999999.999999999999999999.99999999999999999----RC-SNAPSHOT.12.09.1--------------------------------..12"),
	X(SEMVER, "v1.0.0"),
	X(SEMVER, "1.0.0-"),
	X(SEMVER, "1.0.0+"),
	X(SEMVER, "1.0.0-+"),
	X(SEMVER, "1.0.0-a+"),
	X(SEMVER, "1.0.0 "),
	X(SEMVER, "1.0.0\0"),
	X(SEMVER, "1.0.0-a.\0"),
	X(SEMVER, "1.0.0-a."),
	X(SEMVER, "1.0.0+a."),
	X(SEMVER, "1.0.0-00"),
	X(SEMVER, "1.0.0-01"),
	X(SEMVER, "1.0"),
	X(SEMVER, "1..0"),
	X(SEMVER, "1.0.0.0"),
	X(SEMVER, ""),

	/* ---- json-pointer (RFC 6901) ---- */
	V(JPTR, ""),
	V(JPTR, "/"),
	V(JPTR, "/foo"),
	V(JPTR, "/foo/0"),
	V(JPTR, "/a~1b"),
	V(JPTR, "/c%d"),
	V(JPTR, "/e^f"),
	V(JPTR, "/g|h"),
	V(JPTR, "/i\\j"),
	V(JPTR, "/k\"l"),
	V(JPTR, "/ "),
	V(JPTR, "/m~0n"),
	V(JPTR, "/foo/bar~0/baz~1/%a"),
	V(JPTR, "/foo//bar"),
	V(JPTR, "/foo/bar/"),
	V(JPTR, "/foo/-"),
	V(JPTR, "/foo/-/bar"),
	V(JPTR, "/~1~0~0~1~1"),
	V(JPTR, "/~1.1"),
	V(JPTR, "/~0.1"),
	V(JPTR, "//"),
	V(JPTR, "/a\0b"),
	V(JPTR, "/\xc3\xbc"),
	V(JPTR, "/\xf0\x9f\x98\x80"),
	V(JPTR, "/#"),
	X(JPTR, "/foo/bar~"),
	X(JPTR, "/~0~"),
	X(JPTR, "/~-1"),
	X(JPTR, "/~~"),
	X(JPTR, "/~2"),
	X(JPTR, "/~"),
	X(JPTR, "/~a"),
	X(JPTR, "~0"),
	X(JPTR, "#"),
	X(JPTR, "#/"),
	X(JPTR, "#a"),
	X(JPTR, "a"),
	X(JPTR, "0"),
	X(JPTR, "a/a"),
	X(JPTR, " /"),
	X(JPTR, "\0/"),
	X(JPTR, "/\xc3"),
	X(JPTR, "/\xff"),
	X(JPTR, "/\x80"),
	X(JPTR, "/\xed\xa0\x80"),
	X(JPTR, "/\xc0\xaf"),
	X(JPTR, "/\xf4\x90\x80\x80"),

	/* ---- relative-json-pointer ---- */
	V(RJPTR, "1"),
	V(RJPTR, "0/foo/bar"),
	V(RJPTR, "2/0/baz/1/zip"),
	V(RJPTR, "0#"),
	V(RJPTR, "120/foo/bar"),
	V(RJPTR, "0"),
	V(RJPTR, "10#"),
	V(RJPTR, "0/"),
	V(RJPTR, "0/~0"),
	X(RJPTR, "/foo/bar"),
	X(RJPTR, "-1/foo/bar"),
	X(RJPTR, "+1/foo/bar"),
	X(RJPTR, "0##"),
	X(RJPTR, "01/a"),
	X(RJPTR, "01#"),
	X(RJPTR, ""),
	X(RJPTR, "#"),
	X(RJPTR, "0#/a"),
	X(RJPTR, "1/a~"),
	X(RJPTR, "a"),
	X(RJPTR, "0a"),
	X(RJPTR, "1 /a"),
	X(RJPTR, "00"),
	X(RJPTR, "0-1"),
	X(RJPTR, "0+1#"),
	X(RJPTR, "0\0"),
	X(RJPTR, "1/\xc3"),
};

static int	n_cases;
static int	n_failed;

/*
 * call
 *		Run validator fn on [s, s + len).
 */
static bool
call(Fn fn, unsigned int flags, const char *s, size_t len)
{
	switch (fn)
	{
		case EMAIL:
			return fmt_is_email(s, len, flags);
		case HOST:
			return fmt_is_hostname(s, len, flags);
		case IPV4:
			return fmt_is_ipv4(s, len);
		case IPV6:
			return fmt_is_ipv6(s, len);
		case URI:
			return fmt_is_uri(s, len);
		case URIREF:
			return fmt_is_uri_reference(s, len);
		case URL:
			return fmt_is_url(s, len, flags);
		case UUID:
			return fmt_is_uuid(s, len);
		case E164:
			return fmt_is_e164(s, len);
		case IBAN:
			return fmt_is_iban(s, len);
		case LUHN:
			return fmt_is_luhn(s, len);
		case CARD:
			return fmt_is_card(s, len);
		case COUNTRY:
			return fmt_is_iso_country(s, len);
		case CURRENCY:
			return fmt_is_iso_currency(s, len);
		case DATE:
			return fmt_is_date(s, len);
		case TIME:
			return fmt_is_time(s, len);
		case DATETIME:
			return fmt_is_datetime(s, len);
		case DURATION:
			return fmt_is_duration(s, len);
		case SLUG:
			return fmt_is_slug(s, len);
		case SEMVER:
			return fmt_is_semver(s, len);
		case JPTR:
			return fmt_is_json_pointer(s, len);
		case RJPTR:
			return fmt_is_relative_json_pointer(s, len);
		case NFUNCS:
			break;
	}
	abort();
}

/*
 * print_escaped
 *		Print at most 100 bytes of s, escaping anything but printable ASCII.
 */
static void
print_escaped(const char *s, size_t len)
{
	size_t		i;

	putchar('"');
	for (i = 0; i < len && i < 100; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c >= 32 && c < 127)
			putchar(c);
		else
			printf("\\x%02x", c);
	}
	putchar('"');
	if (len > 100)
		printf("... (%zu bytes)", len);
}

/*
 * check
 *		Run one case on a heap copy of exactly len bytes, so that a sanitizer
 *		sees any read past the end, and report a mismatch.
 */
static void
check(Fn fn, unsigned int flags, const char *s, size_t len, bool expect,
	  const char *what, int line)
{
	char	   *copy = malloc(len ? len : 1);
	bool		got;

	if (copy == NULL)
	{
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	if (len)
		memcpy(copy, s, len);
	got = call(fn, flags, copy, len);
	free(copy);
	n_cases++;
	if (got != expect)
	{
		n_failed++;
		printf("FAIL %s:%d fmt_is_%s(flags=0x%x, ", what, line,
			   fn_names[fn], flags);
		print_escaped(s, len);
		printf(") = %s, expected %s\n", got ? "true" : "false",
			   expect ? "true" : "false");
	}
}

/* ---------------------------------------------------------------------- */

/*
 * test_table
 *		The hand-written cases, plus for each valid one (except JSON
 *		pointers, whose grammar admits NUL) the same string with a NUL byte
 *		in place of each byte, before it and after it: NUL is in no other
 *		format's alphabet.
 */
static void
test_table(void)
{
	size_t		i;
	size_t		j;
	char		buf[512];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		const Case *c = &cases[i];

		check(c->fn, c->flags, c->s, c->len, c->expect, "table", c->line);
		if (!c->expect || c->fn == JPTR || c->fn == RJPTR ||
			c->len + 1 > sizeof(buf))
			continue;
		for (j = 0; j < c->len; j++)
		{
			memcpy(buf, c->s, c->len);
			buf[j] = '\0';
			check(c->fn, c->flags, buf, c->len, false, "nul-replace", c->line);
		}
		buf[0] = '\0';
		memcpy(buf + 1, c->s, c->len);
		check(c->fn, c->flags, buf, c->len + 1, false, "nul-prefix", c->line);
		memcpy(buf, c->s, c->len);
		buf[c->len] = '\0';
		check(c->fn, c->flags, buf, c->len + 1, false, "nul-suffix", c->line);
	}
}

/*
 * test_flag_monotonic
 *		Each e-mail, host name and URL flag only widens what is accepted:
 *		a case valid under some flags is valid under every superset.
 */
static void
test_flag_monotonic(void)
{
	size_t		i;
	unsigned int f;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		const Case *c = &cases[i];
		unsigned int all;

		if (!c->expect)
			continue;
		if (c->fn == EMAIL)
			all = FMT_EMAIL_ALL;
		else if (c->fn == HOST)
			all = FMT_HOST_ALL;
		else if (c->fn == URL)
			all = FMT_URL_ANY_SCHEME;
		else
			continue;
		for (f = 0; f <= all; f++)
			if ((f & c->flags) == c->flags)
				check(c->fn, f, c->s, c->len, true, "flag-superset", c->line);
	}
}

/*
 * fill
 *		Write n copies of c at p; return p + n.
 */
static char *
fill(char *p, char c, size_t n)
{
	memset(p, c, n);
	return p + n;
}

/*
 * test_lengths
 *		The octet limits: 63-octet labels, 253-octet names, 64-octet local
 *		parts, 254-octet addresses.
 */
static void
test_lengths(void)
{
	char		buf[600];
	char	   *p;
	int			k;

	/* label of 63 and 64 */
	p = fill(buf, 'a', 63);
	check(HOST, 0, buf, (size_t) (p - buf), true, "label 63", __LINE__);
	memcpy(p, ".com", 4);
	check(HOST, 0, buf, (size_t) (p - buf) + 4, true, "label 63.com", __LINE__);
	p = fill(buf, 'a', 64);
	check(HOST, 0, buf, (size_t) (p - buf), false, "label 64", __LINE__);
	memcpy(p, ".com", 4);
	check(HOST, 0, buf, (size_t) (p - buf) + 4, false, "label 64.com", __LINE__);

	/* 253 octets: 3 labels of 63 and one of 61 */
	p = buf;
	for (k = 0; k < 3; k++)
	{
		p = fill(p, 'a' + k, 63);
		*p++ = '.';
	}
	p = fill(p, 'd', 61);
	check(HOST, 0, buf, 253, true, "name 253", __LINE__);
	check(HOST, TD, buf, 253, true, "name 253", __LINE__);
	*p = '.';
	check(HOST, 0, buf, 254, false, "name 253 + dot", __LINE__);
	check(HOST, TD, buf, 254, true, "name 253 + trailing dot", __LINE__);
	check(HOST, TD | HI, buf, 254, true, "name 253 + trailing dot", __LINE__);
	buf[253] = 'd';
	check(HOST, 0, buf, 254, false, "name 254", __LINE__);
	buf[254] = '.';
	check(HOST, TD, buf, 255, false, "name 254 + trailing dot", __LINE__);
	check(HOST, TD, buf, 254, false, "name 254", __LINE__);

	/* many one-octet labels: 127 labels = 253 octets */
	for (k = 0; k < 127; k++)
	{
		buf[2 * k] = 'a';
		buf[2 * k + 1] = '.';
	}
	check(HOST, 0, buf, 253, true, "127 labels", __LINE__);
	check(HOST, 0, buf, 255, false, "128 labels", __LINE__);
	check(HOST, TD, buf, 254, true, "127 labels + dot", __LINE__);

	/* IDN labels count octets: 31 x U+00FC is 62 octets, 32 is 64 */
	p = buf;
	for (k = 0; k < 31; k++)
	{
		*p++ = '\xc3';
		*p++ = '\xbc';
	}
	check(HOST, HI, buf, 62, true, "idn label 62 octets", __LINE__);
	*p++ = 'a';
	check(HOST, HI, buf, 63, true, "idn label 63 octets", __LINE__);
	*p++ = 'a';
	check(HOST, HI, buf, 64, false, "idn label 64 octets", __LINE__);

	/* local part of 64 and 65 */
	p = fill(buf, 'l', 64);
	memcpy(p, "@example.com", 12);
	check(EMAIL, 0, buf, 76, true, "local 64", __LINE__);
	p = fill(buf, 'l', 65);
	memcpy(p, "@example.com", 12);
	check(EMAIL, 0, buf, 77, false, "local 65", __LINE__);
	check(EMAIL, EALL, buf, 77, false, "local 65", __LINE__);
	/* quoted local part of 64 octets including the quotes, and 65 */
	buf[0] = '"';
	fill(buf + 1, 'q', 62);
	buf[63] = '"';
	memcpy(buf + 64, "@example.com", 12);
	check(EMAIL, Q, buf, 76, true, "quoted local 64", __LINE__);
	buf[0] = '"';
	fill(buf + 1, 'q', 63);
	buf[64] = '"';
	memcpy(buf + 65, "@example.com", 12);
	check(EMAIL, Q, buf, 77, false, "quoted local 65", __LINE__);
	/* a local part of 64 two-octet characters is 128 octets */
	p = buf;
	for (k = 0; k < 32; k++)
	{
		*p++ = '\xc3';
		*p++ = '\xa9';
	}
	memcpy(p, "@example.com", 12);
	check(EMAIL, I, buf, 76, true, "idn local 64 octets", __LINE__);
	p = buf;
	for (k = 0; k < 33; k++)
	{
		*p++ = '\xc3';
		*p++ = '\xa9';
	}
	memcpy(p, "@example.com", 12);
	check(EMAIL, I, buf, 78, false, "idn local 66 octets", __LINE__);

	/* whole address 254 and 255: 64 + "@" + 63 "." 63 "." 61 = 254 */
	p = fill(buf, 'l', 64);
	*p++ = '@';
	p = fill(p, 'a', 63);
	*p++ = '.';
	p = fill(p, 'b', 63);
	*p++ = '.';
	p = fill(p, 'c', 61);
	check(EMAIL, 0, buf, (size_t) (p - buf), true, "address 254", __LINE__);
	*p++ = 'c';
	check(EMAIL, 0, buf, (size_t) (p - buf), false, "address 255", __LINE__);
	check(EMAIL, EALL, buf, (size_t) (p - buf), false, "address 255", __LINE__);
	/* domain label of 64 in an address */
	p = fill(buf, 'l', 3);
	*p++ = '@';
	p = fill(p, 'a', 64);
	memcpy(p, ".com", 4);
	check(EMAIL, 0, buf, (size_t) (p - buf) + 4, false, "email label 64", __LINE__);
	p[-1] = '.';
	memcpy(p, "com", 3);
	check(EMAIL, 0, buf, (size_t) (p - buf) + 3, true, "email label 63", __LINE__);
}

/*
 * iban_check_digits
 *		Check digits for country cc and bban by long division over the
 *		decimal expansion, done here differently from formats.c (blocks of
 *		digits, not one character at a time).
 */
static int
iban_check_digits(const char *cc, const char *bban)
{
	char		digits[200];
	size_t		n = 0;
	const char *parts[3];
	int			k;
	unsigned long r = 0;
	size_t		i;

	parts[0] = bban;
	parts[1] = cc;
	parts[2] = "00";
	for (k = 0; k < 3; k++)
	{
		const char *q;

		for (q = parts[k]; *q; q++)
		{
			if (*q >= 'A' && *q <= 'Z')
				n += (size_t) sprintf(digits + n, "%d", *q - 'A' + 10);
			else
				digits[n++] = *q;
		}
	}
	for (i = 0; i < n; i += 7)
	{
		size_t		m;

		for (m = i; m < n && m < i + 7; m++)
			r = r * 10 + (unsigned long) (digits[m] - '0');
		r %= 97;
	}
	return (int) (98 - r);
}

/* ISO 3166-1 alpha-2, from Debian iso-codes 4.15 (249) */
static const char *const ref_alpha2[] = {
	"AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU",
	"AW", "AX", "AZ", "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL",
	"BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA", "CC",
	"CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU", "CV",
	"CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", "EG",
	"EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD",
	"GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT",
	"GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM",
	"IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH",
	"KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK",
	"LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH",
	"MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW",
	"MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR",
	"NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PN", "PR",
	"PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC",
	"SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
	"ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL",
	"TM", "TN", "TO", "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY",
	"UZ", "VA", "VC", "VE", "VG", "VI", "VN", "VU", "WF", "WS", "YE", "YT", "ZA",
	"ZM", "ZW",
	NULL
};

/* ISO 3166-1 alpha-3, from Debian iso-codes 4.15 (249) */
static const char *const ref_alpha3[] = {
	"ABW", "AFG", "AGO", "AIA", "ALA", "ALB", "AND", "ARE", "ARG", "ARM", "ASM", "ATA",
	"ATF", "ATG", "AUS", "AUT", "AZE", "BDI", "BEL", "BEN", "BES", "BFA", "BGD", "BGR",
	"BHR", "BHS", "BIH", "BLM", "BLR", "BLZ", "BMU", "BOL", "BRA", "BRB", "BRN", "BTN",
	"BVT", "BWA", "CAF", "CAN", "CCK", "CHE", "CHL", "CHN", "CIV", "CMR", "COD", "COG",
	"COK", "COL", "COM", "CPV", "CRI", "CUB", "CUW", "CXR", "CYM", "CYP", "CZE", "DEU",
	"DJI", "DMA", "DNK", "DOM", "DZA", "ECU", "EGY", "ERI", "ESH", "ESP", "EST", "ETH",
	"FIN", "FJI", "FLK", "FRA", "FRO", "FSM", "GAB", "GBR", "GEO", "GGY", "GHA", "GIB",
	"GIN", "GLP", "GMB", "GNB", "GNQ", "GRC", "GRD", "GRL", "GTM", "GUF", "GUM", "GUY",
	"HKG", "HMD", "HND", "HRV", "HTI", "HUN", "IDN", "IMN", "IND", "IOT", "IRL", "IRN",
	"IRQ", "ISL", "ISR", "ITA", "JAM", "JEY", "JOR", "JPN", "KAZ", "KEN", "KGZ", "KHM",
	"KIR", "KNA", "KOR", "KWT", "LAO", "LBN", "LBR", "LBY", "LCA", "LIE", "LKA", "LSO",
	"LTU", "LUX", "LVA", "MAC", "MAF", "MAR", "MCO", "MDA", "MDG", "MDV", "MEX", "MHL",
	"MKD", "MLI", "MLT", "MMR", "MNE", "MNG", "MNP", "MOZ", "MRT", "MSR", "MTQ", "MUS",
	"MWI", "MYS", "MYT", "NAM", "NCL", "NER", "NFK", "NGA", "NIC", "NIU", "NLD", "NOR",
	"NPL", "NRU", "NZL", "OMN", "PAK", "PAN", "PCN", "PER", "PHL", "PLW", "PNG", "POL",
	"PRI", "PRK", "PRT", "PRY", "PSE", "PYF", "QAT", "REU", "ROU", "RUS", "RWA", "SAU",
	"SDN", "SEN", "SGP", "SGS", "SHN", "SJM", "SLB", "SLE", "SLV", "SMR", "SOM", "SPM",
	"SRB", "SSD", "STP", "SUR", "SVK", "SVN", "SWE", "SWZ", "SXM", "SYC", "SYR", "TCA",
	"TCD", "TGO", "THA", "TJK", "TKL", "TKM", "TLS", "TON", "TTO", "TUN", "TUR", "TUV",
	"TWN", "TZA", "UGA", "UKR", "UMI", "URY", "USA", "UZB", "VAT", "VCT", "VEN", "VGB",
	"VIR", "VNM", "VUT", "WLF", "WSM", "YEM", "ZAF", "ZMB", "ZWE",
	NULL
};

/* ISO 4217 list A.1 published 2024-06-25 (179) plus XCG */
static const char *const ref_currency[] = {
	"AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD",
	"BDT", "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP",
	"BYN", "BZD", "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU",
	"CRC", "CUC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB",
	"EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD",
	"HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY",
	"KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR",
	"LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR",
	"MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD",
	"OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB",
	"RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP",
	"STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD",
	"TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND",
	"VUV", "WST", "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR",
	"XOF", "XPD", "XPF", "XPT", "XSU", "XTS", "XUA", "XXX", "YER", "ZAR", "ZMW", "ZWG",
	NULL
};

/* IBAN registry country and length (89), cross-checked with ibantools 4.5 */
static const char *const ref_iban[] = {
	"AD24", "AE23", "AL28", "AT20", "AZ28", "BA20", "BE16", "BG22", "BH22", "BI27",
	"BR29", "BY28", "CH21", "CR22", "CY28", "CZ24", "DE22", "DJ27", "DK18", "DO28",
	"EE20", "EG29", "ES24", "FI18", "FK18", "FO18", "FR27", "GB22", "GE22", "GI23",
	"GL18", "GR27", "GT28", "HN28", "HR21", "HU28", "IE22", "IL23", "IQ23", "IS26",
	"IT27", "JO30", "KW30", "KZ20", "LB28", "LC32", "LI21", "LT20", "LU20", "LV21",
	"LY25", "MC27", "MD24", "ME22", "MK19", "MN20", "MR27", "MT31", "MU30", "NI28",
	"NL18", "NO15", "OM23", "PK24", "PL28", "PS29", "PT25", "QA29", "RO24", "RS22",
	"RU33", "SA24", "SC31", "SD18", "SE24", "SI19", "SK24", "SM27", "SO23", "ST25",
	"SV28", "TL23", "TN24", "TR26", "UA29", "VA22", "VG24", "XK20", "YE30",
	NULL
};

static const char *const iban_examples[] = {
	"DE89370400440532013000", "GB29NWBK60161331926819",
	"FR1420041010050500013M02606", "NO9386011117947", "BE68539007547034",
	"CH9300762011623852957", "NL91ABNA0417164300",
	"AL47212110090000000235698741", "AD1200012030200359100100",
	"AT611904300234573201", "ES9121000418450200051332",
	"IT60X0542811101000000123456", "LC55HEMM000100010012001200023015",
	"RU0304452522540817810538091310419", "MT84MALT011000012345MTLCAST001S",
	"SC18SSCB11010000000000001497USD", "BR1800360305000010009795493C1",
	"KW81CBKU0000000000001234560101", "PL61109010140000071219812874",
	"SE4550000000058398257466", "DK5000400440116243", "FI2112345600000785",
	"IE29AIBK93115212345678", "PT50000201231234567890154",
	"GR1601101250000000012300695", "MU17BOMM0101101030300200000MUR",
	"JO94CBJO0010000000000131000302", "QA58DOHB00001234567890ABCDEFG",
	"SA0380000000608010167519", "AE070331234567890123456",
	"TR330006100519786457841326", "UA213223130000026007233566001",
	"XK051212012345678906", "VA59001123000012345678",
	"BH67BMAG00001299123456", "EG380019000500000000263180002",
	"LY83002048000020100120361", "SD2129010501234001",
	"IQ98NBIQ850123456789012", "BY13NBRB3600900000002Z00AB00",
	"SV62CENR00000000000000700025", "ST68000100010051845310112",
	"TL380080012345678910157", "SO211000001001000100141",
	"MN121234123456789123", "NI45BAPR00000013000003558124",
	"OM810180000001299123456", "YE15CBYE0001018861234567891234",
	"FK88SC123456789012", "HN88CABF00000000000250005469",
	"BI4210000100010000332045181", "DJ2100010000000154000100186",
	"LB62099900000001001901229114", "IS140159260076545510730339",
	"HU42117730161111101800000000", "CZ6508000000192000145399",
	NULL
};

/*
 * test_iban
 *		Every registry example; every single-digit substitution and every
 *		adjacent transposition of distinct digits in the BBAN or in the
 *		check digits (ISO 7064 MOD 97-10 catches them all); and for each
 *		registry country an IBAN of its exact length (valid) and of one
 *		character less and more (invalid), with check digits computed here.
 */
static void
test_iban(void)
{
	const char *const *e;
	char		buf[128];
	char		bban[48];
	int			k;

	for (e = iban_examples; *e; e++)
	{
		size_t		len = strlen(*e);
		size_t		i;
		char		d;

		check(IBAN, 0, *e, len, true, "iban example", __LINE__);
		for (i = 2; i < len; i++)
		{
			if ((*e)[i] < '0' || (*e)[i] > '9')
				continue;
			for (d = '0'; d <= '9'; d++)
			{
				if (d == (*e)[i])
					continue;
				memcpy(buf, *e, len);
				buf[i] = d;
				check(IBAN, 0, buf, len, false, "iban substitution", __LINE__);
			}
		}
		for (i = 2; i + 1 < len; i++)
		{
			if (i == 3)
				continue;		/* check digit next to the BBAN */
			if ((*e)[i] < '0' || (*e)[i] > '9' ||
				(*e)[i + 1] < '0' || (*e)[i + 1] > '9' ||
				(*e)[i] == (*e)[i + 1])
				continue;
			memcpy(buf, *e, len);
			buf[i] = (*e)[i + 1];
			buf[i + 1] = (*e)[i];
			check(IBAN, 0, buf, len, false, "iban transposition", __LINE__);
		}
		/* lowercase BBAN letters, and the printed form with spaces */
		for (i = 4; i < len; i++)
		{
			if ((*e)[i] >= 'A' && (*e)[i] <= 'Z')
			{
				memcpy(buf, *e, len);
				buf[i] = (char) ((*e)[i] + 32);
				check(IBAN, 0, buf, len, false, "iban lowercase", __LINE__);
			}
		}
		{
			size_t		n = 0;

			for (i = 0; i < len; i++)
			{
				if (i > 0 && i % 4 == 0)
					buf[n++] = ' ';
				buf[n++] = (*e)[i];
			}
			check(IBAN, 0, buf, n, false, "iban printed form", __LINE__);
		}
	}

	for (k = 0; ref_iban[k]; k++)
	{
		char		cc[3];
		int			want = atoi(ref_iban[k] + 2);
		int			delta;

		cc[0] = ref_iban[k][0];
		cc[1] = ref_iban[k][1];
		cc[2] = '\0';
		for (delta = -1; delta <= 1; delta++)
		{
			int			blen = want - 4 + delta;
			int			j;

			/* a BBAN of digits and a letter, to exercise both */
			for (j = 0; j < blen; j++)
				bban[j] = (char) ('0' + (j * 7 + k) % 10);
			bban[blen - 1] = 'K';
			bban[blen] = '\0';
			sprintf(buf, "%s%02d%s", cc, iban_check_digits(cc, bban), bban);
			check(IBAN, 0, buf, (size_t) (want + delta), delta == 0,
				  delta == 0 ? "iban registry length" : "iban wrong length",
				  __LINE__);
		}
	}
	/* non-registry countries with well-formed check digits */
	{
		static const char *const others[] = {"US", "CA", "AU", "JP", "CN", "IN", "MA", "DZ", "AX", "GP", NULL};

		for (k = 0; others[k]; k++)
		{
			sprintf(bban, "%s", "12345678901234567890");
			sprintf(buf, "%s%02d%s", others[k],
					iban_check_digits(others[k], bban), bban);
			check(IBAN, 0, buf, strlen(buf), false, "iban non-registry", __LINE__);
		}
	}
}

static const char *const luhn_valid[] = {
	"4111111111111111", "79927398713", "5555555555554444", "378282246310005",
	"6011111111111117", "3530111333300000", "4012888888881881",
	"371449635398431", "30569309025904", "49927398716", "1234567812345670",
	"490154203237518", "4222222222222", "5105105105105100",
	"6331101999990016", "4000000000000000006", NULL
};

/*
 * test_luhn
 *		Luhn catches every single-digit error: each digit of each valid
 *		number changed to each other digit must fail, for fmt_is_luhn and
 *		(at 12..19 digits) fmt_is_card, also in grouped form.
 */
static void
test_luhn(void)
{
	const char *const *e;
	char		buf[64];
	char		grouped[64];

	for (e = luhn_valid; *e; e++)
	{
		size_t		len = strlen(*e);
		bool		card_len = len >= 12 && len <= 19;
		size_t		i;
		size_t		n;
		char		d;

		check(LUHN, 0, *e, len, true, "luhn", __LINE__);
		check(CARD, 0, *e, len, card_len, "card", __LINE__);
		for (i = 0, n = 0; i < len; i++)
		{
			if (i > 0 && i % 4 == 0)
				grouped[n++] = ' ';
			grouped[n++] = (*e)[i];
		}
		check(CARD, 0, grouped, n, card_len, "card grouped", __LINE__);
		for (i = 0; i < len; i++)
		{
			for (d = '0'; d <= '9'; d++)
			{
				if (d == (*e)[i])
					continue;
				memcpy(buf, *e, len);
				buf[i] = d;
				check(LUHN, 0, buf, len, false, "luhn substitution", __LINE__);
				if (card_len)
					check(CARD, 0, buf, len, false, "card substitution", __LINE__);
			}
		}
	}
}

/*
 * in_list
 *		Whether code is in the NULL-terminated list.
 */
static bool
in_list(const char *const *list, const char *code)
{
	for (; *list; list++)
		if (strcmp(*list, code) == 0)
			return true;
	return false;
}

/*
 * test_iso_exhaustive
 *		Every two- and three-letter uppercase code is accepted exactly when
 *		the reference list above (taken from other sources than
 *		formats.c) has it; the lowercase form never is.
 */
static void
test_iso_exhaustive(void)
{
	char		code[4];
	char		lower[4];
	int			a;
	int			b;
	int			c;
	int			count2 = 0;
	int			count3 = 0;
	int			countc = 0;

	for (a = 0; a < 26; a++)
		for (b = 0; b < 26; b++)
		{
			bool		want;

			code[0] = (char) ('A' + a);
			code[1] = (char) ('A' + b);
			code[2] = '\0';
			want = in_list(ref_alpha2, code);
			count2 += want;
			check(COUNTRY, 0, code, 2, want, "alpha-2", __LINE__);
			lower[0] = (char) ('a' + a);
			lower[1] = (char) ('a' + b);
			check(COUNTRY, 0, lower, 2, false, "alpha-2 lowercase", __LINE__);
			for (c = 0; c < 26; c++)
			{
				code[2] = (char) ('A' + c);
				code[3] = '\0';
				want = in_list(ref_alpha3, code);
				count3 += want;
				check(COUNTRY, 0, code, 3, want, "alpha-3", __LINE__);
				want = in_list(ref_currency, code);
				countc += want;
				check(CURRENCY, 0, code, 3, want, "currency", __LINE__);
			}
		}
	n_cases++;
	if (count2 != 249 || count3 != 249 || countc != 180)
	{
		n_failed++;
		printf("FAIL reference lists: %d alpha-2, %d alpha-3, %d currencies\n",
			   count2, count3, countc);
	}
}

/*
 * test_big
 *		Megabyte inputs: every validator must answer (and quickly) for long
 *		runs of one byte, and for long but valid values where the format has
 *		no length limit.
 */
static void
test_big(void)
{
	size_t		big = 4 * 1024 * 1024;
	char	   *buf = malloc(big);
	int			fn;
	static const char fillers[] = {'a', '0', '/', '.', ':', '-', '\0', '\xff', '%', '"', '['};
	size_t		k;

	if (buf == NULL)
	{
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	for (k = 0; k < sizeof(fillers); k++)
	{
		memset(buf, fillers[k], big);
		for (fn = 0; fn < NFUNCS; fn++)
		{
			bool		want = false;

			if (fillers[k] == 'a' && (fn == SLUG || fn == URIREF))
				want = true;
			if (fillers[k] == '0' && (fn == LUHN || fn == SLUG || fn == URIREF))
				want = true;
			if (fillers[k] == '/' && (fn == JPTR || fn == URIREF))
				want = true;
			if ((fillers[k] == '.' || fillers[k] == '-') && fn == URIREF)
				want = true;
			check((Fn) fn, fn == EMAIL ? FMT_EMAIL_ALL : fn == HOST ? FMT_HOST_ALL : 0,
				  buf, big, want, "big", fillers[k]);
		}
	}

	/* long valid values of unbounded formats */
	memset(buf, '1', big);
	memcpy(buf + big - 4, ".0.0", 4);
	check(SEMVER, 0, buf, big, true, "big semver", __LINE__);
	memcpy(buf, "1.0.0-", 6);
	memset(buf + 6, 'x', big - 6);
	check(SEMVER, 0, buf, big, true, "big semver prerelease", __LINE__);
	memcpy(buf, "P", 1);
	memset(buf + 1, '9', big - 2);
	buf[big - 1] = 'D';
	check(DURATION, 0, buf, big, true, "big duration", __LINE__);
	memcpy(buf, "12:00:00.", 9);
	memset(buf + 9, '5', big - 10);
	buf[big - 1] = 'Z';
	check(TIME, 0, buf, big, true, "big fraction", __LINE__);
	memcpy(buf, "http://example.com/", 19);
	memset(buf + 19, 'p', big - 19);
	check(URI, 0, buf, big, true, "big uri", __LINE__);
	check(URL, 0, buf, big, true, "big url", __LINE__);
	buf[big - 1] = ' ';
	check(URI, 0, buf, big, false, "big uri, space at end", __LINE__);
	for (k = 0; k + 3 <= big; k += 3)
		memcpy(buf + k, "%41", 3);
	check(URIREF, 0, buf, k, true, "big pct-encoded", __LINE__);
	check(URIREF, 0, buf, k - 1, false, "big pct-encoded, cut", __LINE__);
	for (k = 0; k + 4 <= big; k += 4)
		memcpy(buf + k, "/\xf0\x9f\x98", 4);
	check(JPTR, 0, buf, k, false, "big json pointer, cut sequences", __LINE__);
	for (k = 0; k + 5 <= big; k += 5)
		memcpy(buf + k, "/\xf0\x9f\x98\x80", 5);
	check(JPTR, 0, buf, k, true, "big json pointer, emoji", __LINE__);
	for (k = 0; k + 4 <= big; k += 4)
		memcpy(buf + k, "a-b-", 4);
	check(SLUG, 0, buf, k - 1, true, "big slug", __LINE__);
	free(buf);
}

/*
 * write_corpus
 *		Write each table case to dir as a seed for test/fuzz/fuzz_formats.c:
 *		the flags byte, then the input.
 */
static int
write_corpus(const char *dir)
{
	size_t		i;
	char		path[4096];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		FILE	   *f;
		unsigned char flags = (unsigned char) cases[i].flags;

		snprintf(path, sizeof(path), "%s/case-%04d", dir, (int) i);
		f = fopen(path, "wb");
		if (f == NULL ||
			fwrite(&flags, 1, 1, f) != 1 ||
			fwrite(cases[i].s, 1, cases[i].len, f) != cases[i].len ||
			fclose(f) != 0)
		{
			perror(path);
			return 2;
		}
	}
	printf("%d seeds written to %s\n", (int) i, dir);
	return 0;
}

/*
 * main
 *		Run every test; with "--corpus DIR", write fuzzing seeds instead.
 */
int
main(int argc, char **argv)
{
	int			ntable = (int) (sizeof(cases) / sizeof(cases[0]));

	if (argc == 3 && strcmp(argv[1], "--corpus") == 0)
		return write_corpus(argv[2]);

	test_table();
	test_flag_monotonic();
	test_lengths();
	test_iban();
	test_luhn();
	test_iso_exhaustive();
	test_big();

	printf("%d hand-written cases, %d generated\n", ntable, n_cases - ntable);
	printf("%d cases, %d failed\n", n_cases, n_failed);
	return n_failed ? 1 : 0;
}
