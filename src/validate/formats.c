/*-------------------------------------------------------------------------
 *
 * formats.c
 *	  String format validators in plain C99 (see formats.h).
 *
 * No PostgreSQL header, no allocation, no locale: ASCII character classes
 * come from one 256-entry table built at compile time from the RFCs'
 * grammar rules, so that a byte is classified with one load and a mask.
 * Each validator makes one forward pass (a few re-read a short component,
 * never more than twice), rejects over-long input before looking at it
 * where the format has a maximum length, and never reads outside
 * [s, s + len).
 *
 * Reference data (IBAN registry, ISO 3166-1, ISO 4217) is held in sorted
 * tables searched by bisection; the comment on each table says which
 * edition it follows.
 *
 *-------------------------------------------------------------------------
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "formats.h"

typedef unsigned char uchar;

/* ----------------------------------------------------------------------
 * Character classes
 * ----------------------------------------------------------------------
 */
#define CC_DIGIT	0x0001		/* 0-9 */
#define CC_HEX		0x0002		/* 0-9 A-F a-f */
#define CC_ALPHA	0x0004		/* A-Z a-z */
#define CC_LOWER	0x0008		/* a-z */
#define CC_UPPER	0x0010		/* A-Z */
#define CC_LDH		0x0020		/* letter, digit, hyphen (RFC 1123) */
#define CC_ATEXT	0x0040		/* RFC 5322 atext */
#define CC_QTEXT	0x0080		/* RFC 5321 qtextSMTP: %d32-33 / %d35-91 /
								 * %d93-126 */
#define CC_UNRES	0x0100		/* RFC 3986 unreserved: ALPHA DIGIT - . _ ~ */
#define CC_SUBDELIM 0x0200		/* RFC 3986 sub-delims: ! $ & ' ( ) * + , ; = */
#define CC_COLON	0x0400		/* : */
#define CC_AT		0x0800		/* @ */
#define CC_SLASHQ	0x1000		/* / and ? (query and fragment extras) */
#define CC_SCHEME	0x2000		/* RFC 3986 scheme: ALPHA DIGIT + - . */

/* Unions of the classes above that the URI grammar uses */
#define CCM_REGNAME		(CC_UNRES | CC_SUBDELIM)
#define CCM_USERINFO	(CC_UNRES | CC_SUBDELIM | CC_COLON)
#define CCM_SEGMENT_NC	(CC_UNRES | CC_SUBDELIM | CC_AT)
#define CCM_PCHAR		(CC_UNRES | CC_SUBDELIM | CC_COLON | CC_AT)
#define CCM_QUERY		(CCM_PCHAR | CC_SLASHQ)

#define CC_IN(c, lo, hi)	((c) >= (lo) && (c) <= (hi))
#define CC_IS_DIGIT_(c)		CC_IN(c, '0', '9')
#define CC_IS_LOWER_(c)		CC_IN(c, 'a', 'z')
#define CC_IS_UPPER_(c)		CC_IN(c, 'A', 'Z')
#define CC_IS_ALPHA_(c)		(CC_IS_LOWER_(c) || CC_IS_UPPER_(c))
#define CC_IS_HEX_(c) \
	(CC_IS_DIGIT_(c) || CC_IN(c, 'a', 'f') || CC_IN(c, 'A', 'F'))
#define CC_IS_SUBDELIM_(c) \
	((c) == '!' || (c) == '$' || (c) == '&' || (c) == '\'' || \
	 (c) == '(' || (c) == ')' || (c) == '*' || (c) == '+' || \
	 (c) == ',' || (c) == ';' || (c) == '=')
#define CC_IS_UNRES_(c) \
	(CC_IS_ALPHA_(c) || CC_IS_DIGIT_(c) || \
	 (c) == '-' || (c) == '.' || (c) == '_' || (c) == '~')
#define CC_IS_ATEXT_(c) \
	(CC_IS_ALPHA_(c) || CC_IS_DIGIT_(c) || \
	 (c) == '!' || (c) == '#' || (c) == '$' || (c) == '%' || \
	 (c) == '&' || (c) == '\'' || (c) == '*' || (c) == '+' || \
	 (c) == '-' || (c) == '/' || (c) == '=' || (c) == '?' || \
	 (c) == '^' || (c) == '_' || (c) == '`' || (c) == '{' || \
	 (c) == '|' || (c) == '}' || (c) == '~')
#define CC_IS_QTEXT_(c) \
	(CC_IN(c, 32, 33) || CC_IN(c, 35, 91) || CC_IN(c, 93, 126))

/* The class bits of byte c, as a constant expression */
#define CC_CLASSIFY(c) ( \
	(CC_IS_DIGIT_(c) ? CC_DIGIT : 0) | \
	(CC_IS_HEX_(c) ? CC_HEX : 0) | \
	(CC_IS_ALPHA_(c) ? CC_ALPHA : 0) | \
	(CC_IS_LOWER_(c) ? CC_LOWER : 0) | \
	(CC_IS_UPPER_(c) ? CC_UPPER : 0) | \
	((CC_IS_ALPHA_(c) || CC_IS_DIGIT_(c) || (c) == '-') ? CC_LDH : 0) | \
	(CC_IS_ATEXT_(c) ? CC_ATEXT : 0) | \
	(CC_IS_QTEXT_(c) ? CC_QTEXT : 0) | \
	(CC_IS_UNRES_(c) ? CC_UNRES : 0) | \
	(CC_IS_SUBDELIM_(c) ? CC_SUBDELIM : 0) | \
	((c) == ':' ? CC_COLON : 0) | \
	((c) == '@' ? CC_AT : 0) | \
	(((c) == '/' || (c) == '?') ? CC_SLASHQ : 0) | \
	((CC_IS_ALPHA_(c) || CC_IS_DIGIT_(c) || \
	  (c) == '+' || (c) == '-' || (c) == '.') ? CC_SCHEME : 0))

#define CC_ROW4(b) \
	CC_CLASSIFY(b), CC_CLASSIFY((b) + 1), CC_CLASSIFY((b) + 2), \
	CC_CLASSIFY((b) + 3)
#define CC_ROW16(b) \
	CC_ROW4(b), CC_ROW4((b) + 4), CC_ROW4((b) + 8), CC_ROW4((b) + 12)
#define CC_ROW64(b) \
	CC_ROW16(b), CC_ROW16((b) + 16), CC_ROW16((b) + 32), CC_ROW16((b) + 48)

static const uint16_t fmt_cc[256] = {
	CC_ROW64(0), CC_ROW64(64), CC_ROW64(128), CC_ROW64(192)
};

#define IS(c, mask)		((fmt_cc[(uchar) (c)] & (mask)) != 0)
#define DIGITVAL(c)		((int) ((uchar) (c) - '0'))

/* ----------------------------------------------------------------------
 * Shared helpers
 * ----------------------------------------------------------------------
 */

/*
 * utf8_seq
 *		Length (2..4) of the well-formed non-ASCII UTF-8 sequence at p, or 0.
 *
 * RFC 3629 section 4: rejects stray continuation bytes, overlong forms
 * (C0, C1, E0 80..9F, F0 80..8F), surrogates (ED A0..BF), code points past
 * U+10FFFF (F4 90.., F5..FF) and sequences cut short by end.
 */
static size_t
utf8_seq(const uchar *p, const uchar *end)
{
	uchar		c = p[0];
	size_t		avail = (size_t) (end - p);
	uchar		lo = 0x80;
	uchar		hi = 0xBF;

	if (c >= 0xC2 && c <= 0xDF)
		return (avail >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF)
	{
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
		if (avail >= 3 && p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80)
			return 3;
		return 0;
	}
	if (c >= 0xF0 && c <= 0xF4)
	{
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
		if (avail >= 4 && p[1] >= lo && p[1] <= hi &&
			(p[2] & 0xC0) == 0x80 && (p[3] & 0xC0) == 0x80)
			return 4;
		return 0;
	}
	return 0;
}

/*
 * two_digits
 *		Value of the two ASCII digits at p, or -1.
 */
static inline int
two_digits(const uchar *p)
{
	if (!IS(p[0], CC_DIGIT) || !IS(p[1], CC_DIGIT))
		return -1;
	return DIGITVAL(p[0]) * 10 + DIGITVAL(p[1]);
}

/*
 * ipv4_ok
 *		RFC 3986 IPv4address: dec-octet "." dec-octet "." dec-octet "."
 *		dec-octet, each 0..255 with no leading zero.
 */
static bool
ipv4_ok(const uchar *p, size_t len)
{
	size_t		i = 0;
	int			parts = 0;

	if (len < 7 || len > 15)
		return false;
	for (;;)
	{
		size_t		start = i;
		int			val = 0;

		while (i < len && i - start < 3 && IS(p[i], CC_DIGIT))
			val = val * 10 + DIGITVAL(p[i++]);
		if (i == start || val > 255 || (i - start > 1 && p[start] == '0'))
			return false;
		parts++;
		if (i == len)
			return parts == 4;
		if (p[i] != '.' || parts == 4)
			return false;
		i++;
	}
}

/*
 * ipv6_ok
 *		RFC 4291 section 2.2 / RFC 3986 IPv6address.
 *
 * Groups of 1..4 hex digits separated by ":", one "::" standing for one or
 * more zero groups, and optionally a dotted-quad in place of the last two
 * groups.  Without "::" there must be exactly eight groups' worth; with it
 * at most seven.  This count is equivalent to the nine alternatives of the
 * RFC 3986 ABNF.
 */
static bool
ipv6_ok(const uchar *p, size_t len)
{
	size_t		i = 0;
	int			groups = 0;
	bool		compressed = false;

	/* the longest form is 6 groups of 4 plus a 15-octet dotted quad */
	if (len < 2 || len > 45)
		return false;
	if (p[0] == ':')
	{
		if (p[1] != ':')
			return false;
		compressed = true;
		i = 2;
		if (i == len)
			return true;
	}
	for (;;)
	{
		size_t		start = i;

		while (i < len && i - start < 4 && IS(p[i], CC_HEX))
			i++;
		if (i == start)
			return false;
		if (i < len && p[i] == '.')
		{
			/* an embedded IPv4 address, which must end the string */
			if (groups > 6 || !ipv4_ok(p + start, len - start))
				return false;
			groups += 2;
			break;
		}
		groups++;
		if (i == len)
			break;
		if (p[i] != ':' || groups == 8)
			return false;
		i++;
		if (i == len)
			return false;		/* a single trailing colon */
		if (p[i] == ':')
		{
			if (compressed)
				return false;
			compressed = true;
			i++;
			if (i == len)
				break;
		}
	}
	return compressed ? groups <= 7 : groups == 8;
}

/*
 * hostname_ok
 *		RFC 1123 section 2.1 host name (see fmt_is_hostname); with idn,
 *		well-formed UTF-8 sequences count as letters.  need_dot asks for at
 *		least two labels.  A trailing dot must have been removed by the
 *		caller.
 */
static bool
hostname_ok(const uchar *p, size_t len, bool idn, bool need_dot)
{
	const uchar *end = p + len;
	size_t		i = 0;
	size_t		label = 0;
	bool		dotted = false;

	if (len == 0 || len > 253)
		return false;
	while (i < len)
	{
		uchar		c = p[i];

		if (IS(c, CC_LDH))
		{
			if (c == '-' && label == 0)
				return false;
			label++;
			i++;
		}
		else if (c == '.')
		{
			if (label == 0 || p[i - 1] == '-')
				return false;
			dotted = true;
			label = 0;
			i++;
			continue;
		}
		else if (c >= 0x80 && idn)
		{
			size_t		n = utf8_seq(p + i, end);

			if (n == 0)
				return false;
			label += n;
			i += n;
		}
		else
			return false;
		if (label > 63)
			return false;
	}
	if (label == 0 || p[len - 1] == '-')
		return false;
	return dotted || !need_dot;
}

/* ----------------------------------------------------------------------
 * E-mail addresses and host names
 * ----------------------------------------------------------------------
 */

/*
 * fmt_is_email
 *		An addr-spec as RFC 5321 section 4.1.2 (Mailbox) defines it, which
 *		is RFC 5322 section 3.4.1 without comments and folding white space.
 *
 * Local-part: a Dot-string of RFC 5322 atext (no leading, trailing or
 * doubled dot) or, with FMT_EMAIL_ALLOW_QUOTED, a Quoted-string of
 * qtextSMTP and quoted-pairSMTP (backslash and any printable ASCII); at
 * most 64 octets including quotes (RFC 5321 section 4.5.3.1.1).  Domain:
 * host name labels (RFC 5321 sub-domain) of at most 63 octets, at most 253
 * octets in all, no trailing dot, two labels or more unless
 * FMT_EMAIL_ALLOW_SINGLE_LABEL (a single-label domain is grammatical but
 * not deliverable on the Internet, and a bare word such as "2962@x" is
 * usually a typing error).  With FMT_EMAIL_ALLOW_IP_LITERAL the domain may
 * be an address-literal "[" IPv4 "]" or "[IPv6:" IPv6 "]" ("IPv6" in any
 * case, as ABNF strings are case-insensitive); the dotted quad follows
 * fmt_is_ipv4 (no leading zeros, where RFC 5321's Snum would allow them),
 * and General-address-literals are refused, since no tag besides IPv6 is
 * registered.  The whole address is at most 254 octets (the 256-octet
 * RFC 5321 path less its angle brackets).  FMT_EMAIL_ALLOW_IDN admits
 * well-formed UTF-8 sequences as atext, qtext and domain label characters
 * (RFC 6531 section 3.3, RFC 6532 section 3.2); lengths count octets.
 */
bool
fmt_is_email(const char *s, size_t len, unsigned int flags)
{
	const uchar *start = (const uchar *) s;
	const uchar *end = start + len;
	const uchar *p = start;
	bool		idn = (flags & FMT_EMAIL_ALLOW_IDN) != 0;

	if (len < 3 || len > 254)
		return false;

	/* local part */
	if (*p == '"')
	{
		if (!(flags & FMT_EMAIL_ALLOW_QUOTED))
			return false;
		p++;
		for (;;)
		{
			if (p >= end)
				return false;
			if (*p == '"')
			{
				p++;
				break;
			}
			if (*p == '\\')
			{
				if (end - p < 2 || p[1] < 32 || p[1] > 126)
					return false;
				p += 2;
			}
			else if (IS(*p, CC_QTEXT))
				p++;
			else if (*p >= 0x80 && idn)
			{
				size_t		n = utf8_seq(p, end);

				if (n == 0)
					return false;
				p += n;
			}
			else
				return false;
		}
	}
	else
	{
		bool		need_atext = true;	/* at the start or after a dot */

		for (;;)
		{
			if (p >= end)
				return false;
			if (IS(*p, CC_ATEXT))
			{
				p++;
				need_atext = false;
			}
			else if (*p == '.')
			{
				if (need_atext)
					return false;
				need_atext = true;
				p++;
			}
			else if (*p >= 0x80 && idn)
			{
				size_t		n = utf8_seq(p, end);

				if (n == 0)
					return false;
				p += n;
				need_atext = false;
			}
			else
				break;
		}
		if (need_atext)
			return false;
	}
	if (p >= end || *p != '@' || p - start > 64)
		return false;
	p++;
	if (p >= end)
		return false;

	/* domain */
	if (*p == '[')
	{
		const uchar *lit = p + 1;
		size_t		litlen;

		if (!(flags & FMT_EMAIL_ALLOW_IP_LITERAL) || end[-1] != ']')
			return false;
		litlen = (size_t) (end - 1 - lit);
		if (litlen > 5 &&
			(lit[0] == 'I' || lit[0] == 'i') &&
			(lit[1] == 'P' || lit[1] == 'p') &&
			(lit[2] == 'V' || lit[2] == 'v') &&
			lit[3] == '6' && lit[4] == ':')
			return ipv6_ok(lit + 5, litlen - 5);
		return ipv4_ok(lit, litlen);
	}
	return hostname_ok(p, (size_t) (end - p), idn,
					   !(flags & FMT_EMAIL_ALLOW_SINGLE_LABEL));
}

/*
 * fmt_is_hostname
 *		A host name per RFC 1123 section 2.1 (RFC 952 relaxed to allow a
 *		leading digit): labels of 1..63 letters, digits and hyphens, not
 *		starting or ending with a hyphen, separated by dots, at most 253
 *		octets.
 *
 * A single label ("localhost") and all-digit labels are valid, as in the
 * RFC.  A trailing dot (the absolute FQDN form) is invalid unless
 * FMT_HOST_ALLOW_TRAILING_DOT, and then it is not counted in the 253 and
 * "." alone is still invalid.  FMT_HOST_ALLOW_IDN admits U-labels as
 * well-formed UTF-8, each multi-byte sequence acting as a letter; lengths
 * are octets of the UTF-8 form and no IDNA2008 (RFC 5890-5893) rule is
 * applied, so "xn--" labels are not decoded.
 */
bool
fmt_is_hostname(const char *s, size_t len, unsigned int flags)
{
	const uchar *p = (const uchar *) s;

	if (len > 254)
		return false;
	if (len > 1 && p[len - 1] == '.' && (flags & FMT_HOST_ALLOW_TRAILING_DOT))
		len--;
	return hostname_ok(p, len, (flags & FMT_HOST_ALLOW_IDN) != 0, false);
}

/* ----------------------------------------------------------------------
 * IP addresses
 * ----------------------------------------------------------------------
 */

/*
 * fmt_is_ipv4
 *		Dotted-quad IPv4 address, RFC 3986 section 3.2.2 IPv4address
 *		(RFC 791 numbers in the usual text form): four decimal parts
 *		0..255, no leading zeros ("01" is refused, as other tools read it
 *		as octal), no other form (hex, fewer parts, CIDR suffix).
 */
bool
fmt_is_ipv4(const char *s, size_t len)
{
	return ipv4_ok((const uchar *) s, len);
}

/*
 * fmt_is_ipv6
 *		IPv6 address in the text forms of RFC 4291 section 2.2 (RFC 3986
 *		IPv6address): eight groups of 1..4 hex digits in either case, "::"
 *		at most once for one or more zero groups, optionally ending in a
 *		dotted quad (as fmt_is_ipv4) in place of the last two groups.  Zone
 *		ids (RFC 6874 "%eth0"), prefix lengths and brackets are refused.
 */
bool
fmt_is_ipv6(const char *s, size_t len)
{
	return ipv6_ok((const uchar *) s, len);
}

/* ----------------------------------------------------------------------
 * URIs (RFC 3986)
 * ----------------------------------------------------------------------
 */

/*
 * The parts of a URI reference that fmt_is_url needs.
 */
typedef struct UriParts
{
	bool		has_scheme;
	bool		has_authority;
	const uchar *scheme;
	size_t		scheme_len;
	size_t		host_len;
} UriParts;

/*
 * uri_scan
 *		Skip characters of the classes in mask and pct-encoded octets
 *		("%" HEXDIG HEXDIG); return the first position that is neither.
 */
static const uchar *
uri_scan(const uchar *p, const uchar *end, uint16_t mask)
{
	while (p < end)
	{
		if (IS(*p, mask))
			p++;
		else if (*p == '%' && end - p >= 3 &&
				 IS(p[1], CC_HEX) && IS(p[2], CC_HEX))
			p += 3;
		else
			break;
	}
	return p;
}

/*
 * ip_literal_ok
 *		RFC 3986 IP-literal without its brackets: IPv6address or IPvFuture
 *		("v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ), any case).
 */
static bool
ip_literal_ok(const uchar *p, const uchar *end)
{
	const uchar *q;

	if (p < end && (*p == 'v' || *p == 'V'))
	{
		q = p + 1;
		while (q < end && IS(*q, CC_HEX))
			q++;
		if (q == p + 1 || q >= end || *q != '.')
			return false;
		q++;
		if (q >= end)
			return false;
		while (q < end && IS(*q, CCM_USERINFO))
			q++;
		return q == end;
	}
	return ipv6_ok(p, (size_t) (end - p));
}

/*
 * uri_authority
 *		Parse RFC 3986 authority = [ userinfo "@" ] host [ ":" port ] from p,
 *		which follows "//".  Returns the end of the authority (the first
 *		"/", "?", "#" or end), or NULL if it is malformed.  The host is an
 *		IP-literal or a reg-name; a reg-name's alphabet includes every
 *		IPv4address, so dotted quads need no separate branch (and
 *		"999.1.1.1" is a valid reg-name, as in the RFC).
 */
static const uchar *
uri_authority(const uchar *p, const uchar *end, UriParts *u)
{
	const uchar *aend = p;
	const uchar *at;
	const uchar *q;

	while (aend < end && *aend != '/' && *aend != '?' && *aend != '#')
		aend++;

	/* userinfo */
	at = memchr(p, '@', (size_t) (aend - p));
	if (at != NULL)
	{
		if (uri_scan(p, at, CCM_USERINFO) != at)
			return NULL;
		p = at + 1;
	}

	/* host */
	if (p < aend && *p == '[')
	{
		const uchar *close = memchr(p, ']', (size_t) (aend - p));

		if (close == NULL || !ip_literal_ok(p + 1, close))
			return NULL;
		u->host_len = (size_t) (close + 1 - p);
		p = close + 1;
	}
	else
	{
		q = uri_scan(p, aend, CCM_REGNAME);
		u->host_len = (size_t) (q - p);
		p = q;
	}

	/* port = *DIGIT */
	if (p < aend)
	{
		if (*p != ':')
			return NULL;
		p++;
		while (p < aend && IS(*p, CC_DIGIT))
			p++;
		if (p != aend)
			return NULL;
	}
	u->has_authority = true;
	return aend;
}

/*
 * uri_parse
 *		Parse an RFC 3986 URI-reference (section 4.1), or only a URI when
 *		need_scheme, filling *u.
 *
 * After the scheme (ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"), the
 * hier-part or relative-part is "//" authority path-abempty, or a path;
 * all path forms then reduce to *( pchar / "/" ), except that a relative
 * reference's first segment must not contain ":" (path-noscheme), and
 * "//" at the start always introduces an authority.  Query and fragment
 * are *( pchar / "/" / "?" ).
 */
static bool
uri_parse(const uchar *p, const uchar *end, bool need_scheme, UriParts *u)
{
	const uchar *q;

	memset(u, 0, sizeof(*u));

	/* scheme */
	if (p < end && IS(*p, CC_ALPHA))
	{
		q = p + 1;
		while (q < end && IS(*q, CC_SCHEME))
			q++;
		if (q < end && *q == ':')
		{
			u->has_scheme = true;
			u->scheme = p;
			u->scheme_len = (size_t) (q - p);
			p = q + 1;
		}
	}
	if (need_scheme && !u->has_scheme)
		return false;

	/* hier-part / relative-part */
	if (end - p >= 2 && p[0] == '/' && p[1] == '/')
	{
		p = uri_authority(p + 2, end, u);
		if (p == NULL)
			return false;
	}
	else if (!u->has_scheme)
	{
		/* path-noscheme: the first segment is segment-nz-nc */
		p = uri_scan(p, end, CCM_SEGMENT_NC);
		if (p < end && *p == ':')
			return false;
	}
	/*
	 * The rest of the path, then the query: the query's alphabet is the
	 * path's plus "?", and a "?" can only start the query, so one scan
	 * covers both.  The fragment has the query's alphabet.
	 */
	p = uri_scan(p, end, CCM_QUERY);
	if (p < end && *p == '#')
		p = uri_scan(p + 1, end, CCM_QUERY);
	return p == end;
}

/*
 * fmt_is_uri
 *		An RFC 3986 section 3 URI: scheme ":" hier-part [ "?" query ]
 *		[ "#" fragment ], with the full grammar (userinfo, IP-literal with
 *		IPv6 or IPvFuture, reg-name, port, the four path forms,
 *		pct-encoded as "%" and two hex digits).  ASCII only: an IRI
 *		(RFC 3987) must be converted first.  The fragment is allowed, as
 *		JSON Schema's "uri" format expects; absolute-URI (section 4.3) is
 *		the same without it.
 */
bool
fmt_is_uri(const char *s, size_t len)
{
	UriParts	u;

	return uri_parse((const uchar *) s, (const uchar *) s + len, true, &u);
}

/*
 * fmt_is_uri_reference
 *		An RFC 3986 section 4.1 URI-reference: a URI, or a relative
 *		reference (network-path "//host/...", absolute path, relative path
 *		whose first segment has no ":", or empty) with optional query and
 *		fragment.
 */
bool
fmt_is_uri_reference(const char *s, size_t len)
{
	UriParts	u;

	return uri_parse((const uchar *) s, (const uchar *) s + len, false, &u);
}

/*
 * fmt_is_url
 *		A web address: an RFC 3986 URI (as fmt_is_uri) whose scheme is
 *		"http" or "https" in any case (RFC 9110 section 4.2) and whose
 *		hier-part has an authority with a non-empty host (RFC 9110 refuses
 *		an empty host).  With FMT_URL_ANY_SCHEME any scheme is accepted but
 *		the authority and host are still required, so "mailto:a@b" is not
 *		a URL while "ftp://host/" is.
 */
bool
fmt_is_url(const char *s, size_t len, unsigned int flags)
{
	UriParts	u;

	if (!uri_parse((const uchar *) s, (const uchar *) s + len, true, &u))
		return false;
	if (!u.has_authority || u.host_len == 0)
		return false;
	if (flags & FMT_URL_ANY_SCHEME)
		return true;
	if (u.scheme_len == 4 || u.scheme_len == 5)
	{
		const uchar *c = u.scheme;

		if ((c[0] | 0x20) == 'h' && (c[1] | 0x20) == 't' &&
			(c[2] | 0x20) == 't' && (c[3] | 0x20) == 'p')
			return u.scheme_len == 4 || (c[4] | 0x20) == 's';
	}
	return false;
}

/* ----------------------------------------------------------------------
 * Identifiers
 * ----------------------------------------------------------------------
 */

/*
 * fmt_is_uuid
 *		The RFC 9562 section 4 (formerly RFC 4122 section 3) string form:
 *		8-4-4-4-12 hex digits with hyphens, upper or lower case.  Any
 *		version and variant, nil and max included; no braces, no
 *		"urn:uuid:" prefix, no hyphen-less form.
 */
bool
fmt_is_uuid(const char *s, size_t len)
{
	size_t		i;

	if (len != 36)
		return false;
	for (i = 0; i < 36; i++)
	{
		if (i == 8 || i == 13 || i == 18 || i == 23)
		{
			if (s[i] != '-')
				return false;
		}
		else if (!IS(s[i], CC_HEX))
			return false;
	}
	return true;
}

/*
 * fmt_is_e164
 *		An ITU-T E.164 international number in its "+" form: "+", a
 *		country code digit 1..9, and 1..14 more digits (2..15 in all).  No
 *		spaces or other punctuation.
 */
bool
fmt_is_e164(const char *s, size_t len)
{
	size_t		i;

	if (len < 3 || len > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return false;
	for (i = 2; i < len; i++)
		if (!IS(s[i], CC_DIGIT))
			return false;
	return true;
}

/*
 * The SWIFT IBAN registry as of 2025: country code and IBAN length for each
 * of its 89 entries (the latest additions being BI, DJ, FK, HN, MN, OM and
 * YE), sorted by code.  Territories that the
 * registry folds into a country's entry (Aland in FI, the French overseas
 * territories in FR, ...) use that country's prefix and are not listed.
 */
typedef struct IbanCountry
{
	char		code[2];
	unsigned char length;
} IbanCountry;

static const IbanCountry iban_countries[] = {
	{"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28},
	{"BA", 20}, {"BE", 16}, {"BG", 22}, {"BH", 22}, {"BI", 27},
	{"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28},
	{"CZ", 24}, {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28},
	{"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FK", 18},
	{"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23},
	{"GL", 18}, {"GR", 27}, {"GT", 28}, {"HN", 28}, {"HR", 21},
	{"HU", 28}, {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26},
	{"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28},
	{"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21},
	{"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19},
	{"MN", 20}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NI", 28},
	{"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24}, {"PL", 28},
	{"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22},
	{"RU", 33}, {"SA", 24}, {"SC", 31}, {"SD", 18}, {"SE", 24},
	{"SI", 19}, {"SK", 24}, {"SM", 27}, {"SO", 23}, {"ST", 25},
	{"SV", 28}, {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29},
	{"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30}
};

#define IBAN_MIN_LENGTH 15		/* NO */
#define IBAN_MAX_LENGTH 33		/* RU */

/*
 * iban_length
 *		The IBAN length for the registry country code at p, or 0.
 */
static int
iban_length(const uchar *p)
{
	size_t		lo = 0;
	size_t		hi = sizeof(iban_countries) / sizeof(iban_countries[0]);

	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;
		const char *c = iban_countries[mid].code;
		int			cmp = (p[0] != (uchar) c[0]) ?
			(int) p[0] - (uchar) c[0] : (int) p[1] - (uchar) c[1];

		if (cmp == 0)
			return iban_countries[mid].length;
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/*
 * mod97_step
 *		Fold one IBAN character into a running ISO 7064 mod 97-10 value: a
 *		digit is itself, a letter A..Z is 10..35.  The value is reduced
 *		modulo 97 only when it passes 10^15 (r * 100 + 35 stays far below
 *		2^64), so a whole IBAN needs two or three divisions, not 30.
 */
static inline uint64_t
mod97_step(uint64_t r, uchar c)
{
	if (IS(c, CC_DIGIT))
		r = r * 10 + (uint64_t) (c - '0');
	else
		r = r * 100 + (uint64_t) (c - 'A' + 10);
	return r < UINT64_C(1000000000000000) ? r : r % 97;
}

/*
 * fmt_is_iban
 *		An International Bank Account Number (ISO 13616-1) in electronic
 *		format: two uppercase letters naming a country of the SWIFT IBAN
 *		registry, two check digits 02..98, a BBAN of uppercase letters and
 *		digits, exactly the registry's length for that country, and the
 *		ISO 7064 MOD 97-10 check (the BBAN, then country and check digits,
 *		letters as 10..35, taken as a number, is 1 modulo 97) computed a
 *		character at a time.
 *
 * The printed form with spaces every four characters is refused: callers
 * strip spaces first, so that stored values have a single spelling.  The
 * BBAN's per-country structure (which positions are digits) is not
 * checked.
 */
bool
fmt_is_iban(const char *s, size_t len)
{
	const uchar *p = (const uchar *) s;
	uint64_t	r = 0;
	int			check;
	size_t		i;

	if (len < IBAN_MIN_LENGTH || len > IBAN_MAX_LENGTH)
		return false;
	if (!IS(p[0], CC_UPPER) || !IS(p[1], CC_UPPER) ||
		(size_t) iban_length(p) != len)
		return false;
	check = two_digits(p + 2);
	if (check < 2 || check > 98)
		return false;
	for (i = 4; i < len; i++)
	{
		if (!IS(p[i], CC_UPPER | CC_DIGIT))
			return false;
		r = mod97_step(r, p[i]);
	}
	for (i = 0; i < 4; i++)
		r = mod97_step(r, p[i]);
	return r % 97 == 1;
}

/*
 * fmt_is_luhn
 *		Two or more ASCII digits whose last is the Luhn check digit of the
 *		others (ISO/IEC 7812-1 annex B; the "mod 10" of card numbers, IMEIs
 *		and many national identifiers).  Any length above one is accepted.
 */
bool
fmt_is_luhn(const char *s, size_t len)
{
	static const uchar doubled[10] = {0, 2, 4, 6, 8, 1, 3, 5, 7, 9};
	unsigned int sum = 0;
	bool		dbl = false;
	size_t		i;

	if (len < 2)
		return false;
	for (i = len; i-- > 0;)
	{
		if (!IS(s[i], CC_DIGIT))
			return false;
		sum += dbl ? doubled[DIGITVAL(s[i])] : (unsigned int) DIGITVAL(s[i]);
		if (sum >= 10)
			sum -= 10;
		dbl = !dbl;
	}
	return sum == 0;
}

/*
 * fmt_is_card
 *		A payment card number (ISO/IEC 7812-1 primary account number):
 *		12..19 digits passing the Luhn check.  The digits may be grouped by
 *		single spaces or by single hyphens (not both in one number), with
 *		no separator at either end and groups of any size ("4111 1111 1111
 *		1111", "3782-822463-10005").  Issuer prefixes are not checked.
 */
bool
fmt_is_card(const char *s, size_t len)
{
	static const uchar doubled[10] = {0, 2, 4, 6, 8, 1, 3, 5, 7, 9};
	unsigned int sum = 0;
	bool		dbl = false;
	int			digits = 0;
	char		sep = 0;
	size_t		i;

	/* 19 digits with a separator between every two at most */
	if (len < 12 || len > 37)
		return false;
	for (i = len; i-- > 0;)
	{
		uchar		c = (uchar) s[i];

		if (IS(c, CC_DIGIT))
		{
			sum += dbl ? doubled[DIGITVAL(c)] : (unsigned int) DIGITVAL(c);
			if (sum >= 10)
				sum -= 10;
			dbl = !dbl;
			digits++;
		}
		else if (c == ' ' || c == '-')
		{
			/* not at either end, not doubled, one kind only */
			if (i == 0 || i == len - 1 || !IS(s[i + 1], CC_DIGIT) ||
				(sep != 0 && c != sep))
				return false;
			sep = (char) c;
		}
		else
			return false;
	}
	return digits >= 12 && digits <= 19 && sum == 0;
}

/* ----------------------------------------------------------------------
 * ISO code lists
 * ----------------------------------------------------------------------
 */

/*
 * code_in_table
 *		Whether the width-byte code at p (width 2 or 3) is one of the n
 *		sorted entries of table (entries are concatenated, width bytes
 *		each).
 */
static bool
code_in_table(const uchar *p, const char *table, size_t n, size_t width)
{
	size_t		lo = 0;
	size_t		hi = n;

	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;
		const char *entry = table + mid * width;
		int			cmp = (int) p[0] - (uchar) entry[0];

		if (cmp == 0)
			cmp = (int) p[1] - (uchar) entry[1];
		if (cmp == 0 && width == 3)
			cmp = (int) p[2] - (uchar) entry[2];

		if (cmp == 0)
			return true;
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

/*
 * ISO 3166-1 officially assigned codes (249 countries and territories: the
 * 2020 edition with its later online updates), sorted.  Exceptionally or
 * transitionally reserved codes (UK, EU, AN, ...) and user-assigned ones
 * (XK, AA, ZZ, ...) are not included.
 */
static const char iso3166_alpha2[] =
	"AD" "AE" "AF" "AG" "AI" "AL" "AM" "AO" "AQ" "AR" "AS" "AT" "AU"
	"AW" "AX" "AZ" "BA" "BB" "BD" "BE" "BF" "BG" "BH" "BI" "BJ" "BL"
	"BM" "BN" "BO" "BQ" "BR" "BS" "BT" "BV" "BW" "BY" "BZ" "CA" "CC"
	"CD" "CF" "CG" "CH" "CI" "CK" "CL" "CM" "CN" "CO" "CR" "CU" "CV"
	"CW" "CX" "CY" "CZ" "DE" "DJ" "DK" "DM" "DO" "DZ" "EC" "EE" "EG"
	"EH" "ER" "ES" "ET" "FI" "FJ" "FK" "FM" "FO" "FR" "GA" "GB" "GD"
	"GE" "GF" "GG" "GH" "GI" "GL" "GM" "GN" "GP" "GQ" "GR" "GS" "GT"
	"GU" "GW" "GY" "HK" "HM" "HN" "HR" "HT" "HU" "ID" "IE" "IL" "IM"
	"IN" "IO" "IQ" "IR" "IS" "IT" "JE" "JM" "JO" "JP" "KE" "KG" "KH"
	"KI" "KM" "KN" "KP" "KR" "KW" "KY" "KZ" "LA" "LB" "LC" "LI" "LK"
	"LR" "LS" "LT" "LU" "LV" "LY" "MA" "MC" "MD" "ME" "MF" "MG" "MH"
	"MK" "ML" "MM" "MN" "MO" "MP" "MQ" "MR" "MS" "MT" "MU" "MV" "MW"
	"MX" "MY" "MZ" "NA" "NC" "NE" "NF" "NG" "NI" "NL" "NO" "NP" "NR"
	"NU" "NZ" "OM" "PA" "PE" "PF" "PG" "PH" "PK" "PL" "PM" "PN" "PR"
	"PS" "PT" "PW" "PY" "QA" "RE" "RO" "RS" "RU" "RW" "SA" "SB" "SC"
	"SD" "SE" "SG" "SH" "SI" "SJ" "SK" "SL" "SM" "SN" "SO" "SR" "SS"
	"ST" "SV" "SX" "SY" "SZ" "TC" "TD" "TF" "TG" "TH" "TJ" "TK" "TL"
	"TM" "TN" "TO" "TR" "TT" "TV" "TW" "TZ" "UA" "UG" "UM" "US" "UY"
	"UZ" "VA" "VC" "VE" "VG" "VI" "VN" "VU" "WF" "WS" "YE" "YT" "ZA"
	"ZM" "ZW";

static const char iso3166_alpha3[] =
	"ABW" "AFG" "AGO" "AIA" "ALA" "ALB" "AND" "ARE" "ARG" "ARM" "ASM" "ATA"
	"ATF" "ATG" "AUS" "AUT" "AZE" "BDI" "BEL" "BEN" "BES" "BFA" "BGD" "BGR"
	"BHR" "BHS" "BIH" "BLM" "BLR" "BLZ" "BMU" "BOL" "BRA" "BRB" "BRN" "BTN"
	"BVT" "BWA" "CAF" "CAN" "CCK" "CHE" "CHL" "CHN" "CIV" "CMR" "COD" "COG"
	"COK" "COL" "COM" "CPV" "CRI" "CUB" "CUW" "CXR" "CYM" "CYP" "CZE" "DEU"
	"DJI" "DMA" "DNK" "DOM" "DZA" "ECU" "EGY" "ERI" "ESH" "ESP" "EST" "ETH"
	"FIN" "FJI" "FLK" "FRA" "FRO" "FSM" "GAB" "GBR" "GEO" "GGY" "GHA" "GIB"
	"GIN" "GLP" "GMB" "GNB" "GNQ" "GRC" "GRD" "GRL" "GTM" "GUF" "GUM" "GUY"
	"HKG" "HMD" "HND" "HRV" "HTI" "HUN" "IDN" "IMN" "IND" "IOT" "IRL" "IRN"
	"IRQ" "ISL" "ISR" "ITA" "JAM" "JEY" "JOR" "JPN" "KAZ" "KEN" "KGZ" "KHM"
	"KIR" "KNA" "KOR" "KWT" "LAO" "LBN" "LBR" "LBY" "LCA" "LIE" "LKA" "LSO"
	"LTU" "LUX" "LVA" "MAC" "MAF" "MAR" "MCO" "MDA" "MDG" "MDV" "MEX" "MHL"
	"MKD" "MLI" "MLT" "MMR" "MNE" "MNG" "MNP" "MOZ" "MRT" "MSR" "MTQ" "MUS"
	"MWI" "MYS" "MYT" "NAM" "NCL" "NER" "NFK" "NGA" "NIC" "NIU" "NLD" "NOR"
	"NPL" "NRU" "NZL" "OMN" "PAK" "PAN" "PCN" "PER" "PHL" "PLW" "PNG" "POL"
	"PRI" "PRK" "PRT" "PRY" "PSE" "PYF" "QAT" "REU" "ROU" "RUS" "RWA" "SAU"
	"SDN" "SEN" "SGP" "SGS" "SHN" "SJM" "SLB" "SLE" "SLV" "SMR" "SOM" "SPM"
	"SRB" "SSD" "STP" "SUR" "SVK" "SVN" "SWE" "SWZ" "SXM" "SYC" "SYR" "TCA"
	"TCD" "TGO" "THA" "TJK" "TKL" "TKM" "TLS" "TON" "TTO" "TUN" "TUR" "TUV"
	"TWN" "TZA" "UGA" "UKR" "UMI" "URY" "USA" "UZB" "VAT" "VCT" "VEN" "VGB"
	"VIR" "VNM" "VUT" "WLF" "WSM" "YEM" "ZAF" "ZMB" "ZWE";

/*
 * ISO 4217 list A.1 (current currency and funds codes), alphabetic codes
 * sorted: the list as published 2024-06-25 (179 codes: after HRK, SLL and
 * ZWL were dropped and ZWG added) plus XCG (Caribbean guilder, in use from
 * 2025-03-31).  ANG, which XCG replaces, stays until the list drops it.
 * The list includes the fund codes (BOV, CHE, CHW, CLF, COU, MXV, USN,
 * UYI, UYW), the precious metals (XAU, XAG, XPD, XPT), the SDR (XDR), the
 * bond market and ADB units (XBA..XBD, XSU, XUA), and the codes for
 * testing (XTS) and for "no currency" (the triple-X code), which A.1 lists
 * too.
 */
static const char iso4217_alpha[] =
	"AED" "AFN" "ALL" "AMD" "ANG" "AOA" "ARS" "AUD" "AWG" "AZN" "BAM" "BBD"
	"BDT" "BGN" "BHD" "BIF" "BMD" "BND" "BOB" "BOV" "BRL" "BSD" "BTN" "BWP"
	"BYN" "BZD" "CAD" "CDF" "CHE" "CHF" "CHW" "CLF" "CLP" "CNY" "COP" "COU"
	"CRC" "CUC" "CUP" "CVE" "CZK" "DJF" "DKK" "DOP" "DZD" "EGP" "ERN" "ETB"
	"EUR" "FJD" "FKP" "GBP" "GEL" "GHS" "GIP" "GMD" "GNF" "GTQ" "GYD" "HKD"
	"HNL" "HTG" "HUF" "IDR" "ILS" "INR" "IQD" "IRR" "ISK" "JMD" "JOD" "JPY"
	"KES" "KGS" "KHR" "KMF" "KPW" "KRW" "KWD" "KYD" "KZT" "LAK" "LBP" "LKR"
	"LRD" "LSL" "LYD" "MAD" "MDL" "MGA" "MKD" "MMK" "MNT" "MOP" "MRU" "MUR"
	"MVR" "MWK" "MXN" "MXV" "MYR" "MZN" "NAD" "NGN" "NIO" "NOK" "NPR" "NZD"
	"OMR" "PAB" "PEN" "PGK" "PHP" "PKR" "PLN" "PYG" "QAR" "RON" "RSD" "RUB"
	"RWF" "SAR" "SBD" "SCR" "SDG" "SEK" "SGD" "SHP" "SLE" "SOS" "SRD" "SSP"
	"STN" "SVC" "SYP" "SZL" "THB" "TJS" "TMT" "TND" "TOP" "TRY" "TTD" "TWD"
	"TZS" "UAH" "UGX" "USD" "USN" "UYI" "UYU" "UYW" "UZS" "VED" "VES" "VND"
	"VUV" "WST" "XAF" "XAG" "XAU" "XBA" "XBB" "XBC" "XBD" "XCD" "XCG" "XDR"
	"XOF" "XPD" "XPF" "XPT" "XSU" "XTS" "XUA" "XXX" "YER" "ZAR" "ZMW" "ZWG";

#define TABLE_ENTRIES(t, w)		((sizeof(t) - 1) / (w))

/*
 * fmt_is_iso_country
 *		An ISO 3166-1 alpha-2 or alpha-3 country code that is officially
 *		assigned (249 of each), in uppercase as the standard writes them.
 */
bool
fmt_is_iso_country(const char *s, size_t len)
{
	const uchar *p = (const uchar *) s;

	if (len == 2 && IS(p[0], CC_UPPER) && IS(p[1], CC_UPPER))
		return code_in_table(p, iso3166_alpha2,
							 TABLE_ENTRIES(iso3166_alpha2, 2), 2);
	if (len == 3 && IS(p[0], CC_UPPER) && IS(p[1], CC_UPPER) &&
		IS(p[2], CC_UPPER))
		return code_in_table(p, iso3166_alpha3,
							 TABLE_ENTRIES(iso3166_alpha3, 3), 3);
	return false;
}

/*
 * fmt_is_iso_currency
 *		An ISO 4217 alphabetic currency code from list A.1 (see the table
 *		above for which edition and which codes), uppercase.  Historic
 *		codes (list A.3, e.g. DEM, HRK) are refused.
 */
bool
fmt_is_iso_currency(const char *s, size_t len)
{
	const uchar *p = (const uchar *) s;

	if (len != 3 || !IS(p[0], CC_UPPER) || !IS(p[1], CC_UPPER) ||
		!IS(p[2], CC_UPPER))
		return false;
	return code_in_table(p, iso4217_alpha, TABLE_ENTRIES(iso4217_alpha, 3), 3);
}

/* ----------------------------------------------------------------------
 * Dates, times and durations (RFC 3339)
 * ----------------------------------------------------------------------
 */

/*
 * date_ok
 *		RFC 3339 full-date in the 10 octets at p (section 5.6 grammar,
 *		section 5.7 day limits, appendix C leap years).
 */
static bool
date_ok(const uchar *p)
{
	static const int mdays[13] = {
		0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int			century = two_digits(p);
	int			yy = two_digits(p + 2);
	int			month;
	int			day;
	int			year;

	if (century < 0 || yy < 0 || p[4] != '-' || p[7] != '-')
		return false;
	month = two_digits(p + 5);
	day = two_digits(p + 8);
	if (month < 1 || month > 12 || day < 1 || day > mdays[month])
		return false;
	year = century * 100 + yy;
	if (month == 2 && day == 29 &&
		!(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
		return false;
	return true;
}

/*
 * time_ok
 *		RFC 3339 full-time (section 5.6) in the len octets at p: partial-time
 *		HH:MM:SS with an optional fraction "." 1*DIGIT, then time-offset
 *		"Z" / "z" / ("+" / "-") HH:MM.  Hour 0..23, minute 0..59, second
 *		0..60, offset hour 0..23 and minute 0..59.  Second 60 is accepted
 *		only when the time, moved to UTC by the offset, is 23:59:60: leap
 *		seconds are inserted at the end of a UTC day (section 5.7).
 */
static bool
time_ok(const uchar *p, size_t len)
{
	int			hour;
	int			minute;
	int			second;
	int			offset = 0;
	size_t		i;

	if (len < 9)				/* HH:MM:SSZ */
		return false;
	hour = two_digits(p);
	minute = two_digits(p + 3);
	second = two_digits(p + 6);
	if (p[2] != ':' || p[5] != ':' ||
		hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
		second < 0 || second > 60)
		return false;
	i = 8;
	if (p[i] == '.')
	{
		size_t		start = ++i;

		while (i < len && IS(p[i], CC_DIGIT))
			i++;
		if (i == start || i == len)
			return false;
	}
	if (p[i] == 'Z' || p[i] == 'z')
	{
		if (len - i != 1)
			return false;
	}
	else if (p[i] == '+' || p[i] == '-')
	{
		int			ohour;
		int			ominute;

		if (len - i != 6)
			return false;
		ohour = two_digits(p + i + 1);
		ominute = two_digits(p + i + 4);
		if (p[i + 3] != ':' || ohour < 0 || ohour > 23 ||
			ominute < 0 || ominute > 59)
			return false;
		offset = ohour * 60 + ominute;
		if (p[i] == '-')
			offset = -offset;
	}
	else
		return false;

	if (second == 60)
	{
		/* local time minus the offset is UTC; 1439 minutes is 23:59 */
		int			utc = hour * 60 + minute - offset;

		utc = (utc + 2 * 1440) % 1440;
		if (utc != 23 * 60 + 59)
			return false;
	}
	return true;
}

/*
 * fmt_is_date
 *		RFC 3339 section 5.6 full-date YYYY-MM-DD: exactly four, two and
 *		two ASCII digits, a month 01..12 and a day that exists in that month
 *		of the proleptic Gregorian calendar (February 29 only in years
 *		divisible by 4 but not by 100, or by 400: 2000 and 2024, not 1900).
 *		Year 0000 is allowed, as in the grammar.
 */
bool
fmt_is_date(const char *s, size_t len)
{
	return len == 10 && date_ok((const uchar *) s);
}

/*
 * fmt_is_time
 *		RFC 3339 section 5.6 full-time (see time_ok): "08:30:06Z",
 *		"23:59:60.5+00:00", "15:59:60-08:00".  The offset is required.
 */
bool
fmt_is_time(const char *s, size_t len)
{
	return time_ok((const uchar *) s, len);
}

/*
 * fmt_is_datetime
 *		RFC 3339 section 5.6 date-time: full-date, "T" (or "t", which
 *		section 5.6 allows), full-time.  The space separator that the
 *		section's NOTE allows "by mutual agreement" is refused, and so is a
 *		missing offset.
 */
bool
fmt_is_datetime(const char *s, size_t len)
{
	const uchar *p = (const uchar *) s;

	if (len < 20 || (p[10] != 'T' && p[10] != 't'))
		return false;
	return date_ok(p) && time_ok(p + 11, len - 11);
}

/*
 * fmt_is_duration
 *		An RFC 3339 appendix A (ISO 8601 section 4.4.3.2) duration: "P",
 *		then either dur-week ("P2W", alone) or date elements nY nM nD in
 *		this order, optionally followed by "T" and time elements nH nM nS in
 *		this order; each element is 1*DIGIT and a designator.
 *
 * At least one element is required, "T" must be followed by at least one,
 * no element may repeat or appear out of order, and there are no
 * fractions, signs or lowercase designators.  Elements may be skipped
 * ("P1Y1D", "PT1H5S"): ISO 8601 allows omitting any zero element, which
 * the appendix's nested ABNF, read literally, would not.
 */
bool
fmt_is_duration(const char *s, size_t len)
{
	const uchar *p = (const uchar *) s;
	size_t		i = 1;
	int			last = -1;		/* rank of the previous element */
	bool		in_time = false;
	bool		any = false;

	if (len < 3 || p[0] != 'P')
		return false;
	while (i < len)
	{
		size_t		start = i;
		int			rank;

		if (p[i] == 'T')
		{
			if (in_time)
				return false;
			in_time = true;
			any = false;
			i++;
			continue;
		}
		while (i < len && IS(p[i], CC_DIGIT))
			i++;
		if (i == start || i == len)
			return false;
		switch (p[i++])
		{
			case 'Y':
				rank = in_time ? -1 : 0;
				break;
			case 'M':
				rank = in_time ? 4 : 1;
				break;
			case 'D':
				rank = in_time ? -1 : 2;
				break;
			case 'W':
				/* weeks stand alone */
				return !in_time && last < 0 && i == len;
			case 'H':
				rank = in_time ? 3 : -1;
				break;
			case 'S':
				rank = in_time ? 5 : -1;
				break;
			default:
				return false;
		}
		if (rank <= last)
			return false;
		last = rank;
		any = true;
	}
	return any;
}

/* ----------------------------------------------------------------------
 * Other textual formats
 * ----------------------------------------------------------------------
 */

/*
 * fmt_is_slug
 *		A URL slug: one or more words of lowercase ASCII letters and
 *		digits joined by single hyphens ("hello-world-2"), with no hyphen
 *		at either end.  No length limit.
 */
bool
fmt_is_slug(const char *s, size_t len)
{
	size_t		i;

	if (len == 0 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (i = 0; i < len; i++)
	{
		if (IS(s[i], CC_LOWER | CC_DIGIT))
			continue;
		if (s[i] != '-' || s[i + 1] == '-')
			return false;		/* s[i + 1] exists: s[len - 1] is no hyphen */
	}
	return true;
}

/*
 * semver_number
 *		Length of the numeric identifier at p ("0" or a digit 1..9 and more
 *		digits), or 0.
 */
static size_t
semver_number(const uchar *p, const uchar *end)
{
	const uchar *q = p;

	while (q < end && IS(*q, CC_DIGIT))
		q++;
	if (q == p || (q - p > 1 && *p == '0'))
		return 0;
	return (size_t) (q - p);
}

/*
 * fmt_is_semver
 *		A version per Semantic Versioning 2.0.0 (its BNF exactly):
 *		MAJOR.MINOR.PATCH as numeric identifiers without leading zeros,
 *		optionally "-" and dot-separated pre-release identifiers (non-empty
 *		[0-9A-Za-z-]; all-digit ones without leading zeros), optionally "+"
 *		and dot-separated build identifiers (non-empty [0-9A-Za-z-],
 *		leading zeros allowed).  No "v" prefix; numbers of any size.
 */
bool
fmt_is_semver(const char *s, size_t len)
{
	const uchar *p = (const uchar *) s;
	const uchar *end = p + len;
	int			part;

	for (part = 0; part < 3; part++)
	{
		size_t		n = semver_number(p, end);

		if (n == 0)
			return false;
		p += n;
		if (part < 2)
		{
			if (p >= end || *p != '.')
				return false;
			p++;
		}
	}
	if (p < end && *p == '-')
	{
		do
		{
			const uchar *id = ++p;
			bool		numeric = true;

			while (p < end && IS(*p, CC_LDH))
			{
				if (!IS(*p, CC_DIGIT))
					numeric = false;
				p++;
			}
			if (p == id || (numeric && p - id > 1 && *id == '0'))
				return false;
		} while (p < end && *p == '.');
	}
	if (p < end && *p == '+')
	{
		do
		{
			const uchar *id = ++p;

			while (p < end && IS(*p, CC_LDH))
				p++;
			if (p == id)
				return false;
		} while (p < end && *p == '.');
	}
	return p == end;
}

/*
 * json_pointer_ok
 *		RFC 6901 section 3 json-pointer = *( "/" reference-token ) over the
 *		len octets at p: "~" only as "~0" or "~1"; any other character,
 *		NUL included, may appear, but octets above 0x7F must form
 *		well-formed UTF-8 (the grammar is over Unicode characters).
 */
static bool
json_pointer_ok(const uchar *p, size_t len)
{
	const uchar *end = p + len;

	if (len > 0 && *p != '/')
		return false;
	while (p < end)
	{
		if (*p < 0x80)
		{
			if (*p == '~' && (end - p < 2 || (p[1] != '0' && p[1] != '1')))
				return false;
			p += (*p == '~') ? 2 : 1;
		}
		else
		{
			size_t		n = utf8_seq(p, end);

			if (n == 0)
				return false;
			p += n;
		}
	}
	return true;
}

/*
 * fmt_is_json_pointer
 *		An RFC 6901 JSON Pointer: empty (the whole document) or "/"-led
 *		reference tokens where "~" appears only as "~0" or "~1", in
 *		well-formed UTF-8.  Not the URI fragment form ("#/a").
 */
bool
fmt_is_json_pointer(const char *s, size_t len)
{
	return json_pointer_ok((const uchar *) s, len);
}

/*
 * fmt_is_relative_json_pointer
 *		A Relative JSON Pointer as JSON Schema draft 2020-12 references it
 *		(draft-bhutton-relative-json-pointer-00, section 3, without index
 *		manipulation): a non-negative integer without leading zeros, then
 *		either "#" or a JSON Pointer (possibly empty): "0", "1/a/b", "2#".
 */
bool
fmt_is_relative_json_pointer(const char *s, size_t len)
{
	const uchar *p = (const uchar *) s;
	size_t		n = semver_number(p, p + len);

	if (n == 0)
		return false;
	if (len - n == 1 && p[n] == '#')
		return true;
	return json_pointer_ok(p + n, len - n);
}
