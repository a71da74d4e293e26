/*-------------------------------------------------------------------------
 *
 * fuzz_formats.c
 *	  libFuzzer target for the format validators (src/validate/formats.c).
 *
 * The first input byte picks the flags for the validators that take some;
 * the rest is the string.  Every validator runs on it, and the results are
 * checked against invariants and against independent implementations where
 * one is cheap: inet_pton for IP addresses, a plain UTF-8 decoder and the
 * RFC 6901 rules for JSON pointers, the split between date and time for
 * date-time, and relations between validators (an IPv4 address is a host
 * name, an IPv6 address fits a URI's brackets, a flag only ever widens).
 * A violated invariant aborts with a message.
 *
 * Build and run (clang):
 *	 clang -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined \
 *		-Isrc/validate src/validate/formats.c test/fuzz/fuzz_formats.c \
 *		-o /tmp/fuzz_formats && /tmp/fuzz_formats -max_total_time=180
 *
 * Built with -DFUZZ_STANDALONE (any compiler), it instead runs each file
 * named on the command line through the same checks, to replay a crash.
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200112L

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"

#define SCRATCH 600

#define CHECK(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "invariant failed at line %d: %s\n", \
					__LINE__, #cond); \
			abort(); \
		} \
	} while (0)

typedef bool (*PlainFn) (const char *s, size_t len);

/*
 * with_affixes
 *		Build prefix + s + suffix in buf (of SCRATCH bytes); return its
 *		length, or 0 if it does not fit.
 */
static size_t
with_affixes(char *buf, const char *prefix, const char *s, size_t len,
			 const char *suffix)
{
	size_t		pl = strlen(prefix);
	size_t		sl = strlen(suffix);

	if (pl + len + sl > SCRATCH)
		return 0;
	memcpy(buf, prefix, pl);
	memcpy(buf + pl, s, len);
	memcpy(buf + pl + len, suffix, sl);
	return pl + len + sl;
}

/*
 * only_bytes
 *		Whether every byte of s is in the set.
 */
static bool
only_bytes(const char *s, size_t len, const char *set)
{
	size_t		i;

	for (i = 0; i < len; i++)
		if (s[i] == '\0' || strchr(set, s[i]) == NULL)
			return false;
	return true;
}

/*
 * has_byte
 *		Whether c occurs in s.
 */
static bool
has_byte(const char *s, size_t len, char c)
{
	return memchr(s, c, len) != NULL;
}

/*
 * utf8_valid
 *		An independent UTF-8 check: decode each sequence and reject
 *		overlong forms, surrogates and code points past U+10FFFF.
 */
static bool
utf8_valid(const unsigned char *s, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		unsigned char c = s[i];
		size_t		n;
		uint32_t	cp;
		uint32_t	min;
		size_t		k;

		if (c < 0x80)
		{
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0)
		{
			n = 2;
			cp = c & 0x1F;
			min = 0x80;
		}
		else if ((c & 0xF0) == 0xE0)
		{
			n = 3;
			cp = c & 0x0F;
			min = 0x800;
		}
		else if ((c & 0xF8) == 0xF0)
		{
			n = 4;
			cp = c & 0x07;
			min = 0x10000;
		}
		else
			return false;
		if (len - i < n)
			return false;
		for (k = 1; k < n; k++)
		{
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n;
	}
	return true;
}

/*
 * all_ascii
 *		Whether s has no byte above 0x7F.
 */
static bool
all_ascii(const char *s, size_t len)
{
	size_t		i;

	for (i = 0; i < len; i++)
		if ((unsigned char) s[i] > 0x7F)
			return false;
	return true;
}

/*
 * ref_json_pointer
 *		RFC 6901 checked the obvious way.
 */
static bool
ref_json_pointer(const char *s, size_t len)
{
	size_t		i;

	if (len > 0 && s[0] != '/')
		return false;
	for (i = 0; i < len; i++)
		if (s[i] == '~' && (i + 1 == len || (s[i + 1] != '0' && s[i + 1] != '1')))
			return false;
	return utf8_valid((const unsigned char *) s, len);
}

/*
 * pton_ok
 *		inet_pton's verdict on s (which must hold no NUL byte).
 */
static bool
pton_ok(int af, const char *s, size_t len)
{
	char		buf[64];
	unsigned char out[16];

	if (len >= sizeof(buf) || has_byte(s, len, '\0'))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(af, buf, out) == 1;
}

static void
check_email_host(const char *s, size_t len, unsigned int flags)
{
	char		buf[SCRATCH];
	size_t		n;
	bool		e0 = fmt_is_email(s, len, 0);
	bool		ef = fmt_is_email(s, len, flags & FMT_EMAIL_ALL);
	bool		eall = fmt_is_email(s, len, FMT_EMAIL_ALL);
	bool		h0 = fmt_is_hostname(s, len, 0);
	bool		hf = fmt_is_hostname(s, len, flags & FMT_HOST_ALL);
	bool		hall = fmt_is_hostname(s, len, FMT_HOST_ALL);
	unsigned int f;

	/* flags only widen */
	CHECK(!e0 || ef);
	CHECK(!ef || eall);
	CHECK(!h0 || hf);
	CHECK(!hf || hall);
	if (ef)
		for (f = 0; f <= FMT_EMAIL_ALL; f++)
			if ((f & flags & FMT_EMAIL_ALL) == (flags & FMT_EMAIL_ALL))
				CHECK(fmt_is_email(s, len, f));

	if (eall)
	{
		CHECK(len >= 3 && len <= 254);
		CHECK(has_byte(s, len, '@'));
		CHECK(!has_byte(s, len, '\0'));
		CHECK(utf8_valid((const unsigned char *) s, len));
	}
	if (ef && !(flags & FMT_EMAIL_ALLOW_IDN))
		CHECK(all_ascii(s, len));
	if (e0)
	{
		const char *at = memchr(s, '@', len);
		size_t		dlen = len - (size_t) (at + 1 - s);

		CHECK(only_bytes(s, len,
						 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
						 "0123456789!#$%&'*+-/=?^_`{|}~.@"));
		CHECK(at - s <= 64);
		CHECK(fmt_is_hostname(at + 1, dlen, 0));
		CHECK(has_byte(at + 1, dlen, '.'));
		CHECK(s[0] != '.' && at[-1] != '.');
	}

	if (hall)
	{
		CHECK(len >= 1 && len <= 254);
		CHECK(utf8_valid((const unsigned char *) s, len));
	}
	if (h0)
	{
		CHECK(len <= 253);
		CHECK(only_bytes(s, len,
						 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
						 "0123456789-."));
		CHECK(s[0] != '-' && s[0] != '.' && s[len - 1] != '-' && s[len - 1] != '.');
		/* the FQDN form */
		n = with_affixes(buf, "", s, len, ".");
		CHECK(n == 0 || fmt_is_hostname(buf, n, FMT_HOST_ALLOW_TRAILING_DOT));
		CHECK(n == 0 || !fmt_is_hostname(buf, n, 0));
		/* a host name is a URL host */
		n = with_affixes(buf, "http://", s, len, ":8080/x?y#z");
		CHECK(n == 0 || fmt_is_url(buf, n, 0));
		/* and, with a dot and a short enough local part, a mail domain */
		n = with_affixes(buf, "a@", s, len, "");
		CHECK(n == 0 || n > 254 ||
			  fmt_is_email(buf, n, 0) == has_byte(s, len, '.'));
	}
	if (hf && !(flags & FMT_HOST_ALLOW_IDN))
		CHECK(all_ascii(s, len));
}

static void
check_ip(const char *s, size_t len)
{
	char		buf[SCRATCH];
	size_t		n;
	bool		v4 = fmt_is_ipv4(s, len);
	bool		v6 = fmt_is_ipv6(s, len);

	/* differential: glibc's inet_pton refuses leading zeros too */
	CHECK(v4 == pton_ok(AF_INET, s, len));
	CHECK(v6 == pton_ok(AF_INET6, s, len));

	if (v4)
	{
		CHECK(len >= 7 && len <= 15);
		CHECK(only_bytes(s, len, "0123456789."));
		CHECK(!v6);
		CHECK(fmt_is_hostname(s, len, 0));
		n = with_affixes(buf, "::ffff:", s, len, "");
		CHECK(fmt_is_ipv6(buf, n));
		n = with_affixes(buf, "1:2:3:4:5:6:", s, len, "");
		CHECK(fmt_is_ipv6(buf, n));
		n = with_affixes(buf, "a@[", s, len, "]");
		CHECK(fmt_is_email(buf, n, FMT_EMAIL_ALLOW_IP_LITERAL));
		CHECK(!fmt_is_email(buf, n, 0));
		n = with_affixes(buf, "http://", s, len, "/");
		CHECK(fmt_is_url(buf, n, 0));
	}
	if (v6)
	{
		CHECK(len >= 2 && len <= 45);
		CHECK(only_bytes(s, len, "0123456789abcdefABCDEF:."));
		n = with_affixes(buf, "x://[", s, len, "]:1/");
		CHECK(fmt_is_uri(buf, n));
		CHECK(fmt_is_url(buf, n, FMT_URL_ANY_SCHEME));
		n = with_affixes(buf, "a@[IPv6:", s, len, "]");
		CHECK(fmt_is_email(buf, n, FMT_EMAIL_ALLOW_IP_LITERAL));
	}
}

static void
check_uri(const char *s, size_t len, unsigned int flags)
{
	bool		uri = fmt_is_uri(s, len);
	bool		ref = fmt_is_uri_reference(s, len);
	bool		url0 = fmt_is_url(s, len, 0);
	bool		urlf = fmt_is_url(s, len, flags & FMT_URL_ANY_SCHEME);
	bool		urlany = fmt_is_url(s, len, FMT_URL_ANY_SCHEME);
	size_t		i;
	bool		scheme_like = false;

	CHECK(!uri || ref);
	CHECK(!url0 || urlf);
	CHECK(!urlf || urlany);
	CHECK(!urlany || uri);
	if (url0)
		CHECK(len >= 8 && (s[4] == ':' || s[5] == ':'));
	if (ref)
	{
		/* printable ASCII without space and the excluded delimiters */
		CHECK(only_bytes(s, len,
						 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
						 "0123456789-._~!$&'()*+,;=:@/?#%[]") || len == 0);
	}

	/* a reference that starts like a scheme is a URI or nothing */
	if (len > 0 && ((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z'))
	{
		for (i = 1; i < len; i++)
		{
			char		c = s[i];

			if (c == ':')
			{
				scheme_like = true;
				break;
			}
			if (!((c | 0x20) >= 'a' && (c | 0x20) <= 'z') &&
				!(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.')
				break;
		}
	}
	if (scheme_like)
		CHECK(ref == uri);
	else
		CHECK(!uri);
}

static void
check_identifiers(const char *s, size_t len)
{
	char		buf[SCRATCH];
	size_t		n;
	size_t		i;
	bool		luhn = fmt_is_luhn(s, len);
	bool		card = fmt_is_card(s, len);

	if (fmt_is_uuid(s, len))
	{
		CHECK(len == 36);
		CHECK(s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-');
		CHECK(only_bytes(s, len, "0123456789abcdefABCDEF-"));
	}
	if (fmt_is_e164(s, len))
	{
		CHECK(len >= 3 && len <= 16 && s[0] == '+' && s[1] != '0');
		CHECK(only_bytes(s + 1, len - 1, "0123456789"));
	}
	if (fmt_is_iban(s, len))
	{
		CHECK(len >= 15 && len <= 33);
		CHECK(only_bytes(s, len, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"));
		CHECK(fmt_is_iso_country(s, 2) || (s[0] == 'X' && s[1] == 'K'));
	}
	if (luhn)
	{
		CHECK(len >= 2 && only_bytes(s, len, "0123456789"));
		CHECK(card == (len >= 12 && len <= 19));
	}
	if (card)
	{
		CHECK(len >= 12 && len <= 37);
		CHECK(only_bytes(s, len, "0123456789 -"));
		/* the digits alone are a Luhn-valid number */
		for (i = 0, n = 0; i < len; i++)
			if (s[i] >= '0' && s[i] <= '9')
				buf[n++] = s[i];
		CHECK(n >= 12 && n <= 19 && fmt_is_luhn(buf, n));
		CHECK(!(has_byte(s, len, ' ') && has_byte(s, len, '-')));
	}
	if (only_bytes(s, len, "0123456789") && len >= 2)
		CHECK(card == (luhn && len >= 12 && len <= 19));
	if (fmt_is_iso_country(s, len))
		CHECK((len == 2 || len == 3) && only_bytes(s, len, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
	if (fmt_is_iso_currency(s, len))
		CHECK(len == 3 && only_bytes(s, len, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
}

static void
check_dates(const char *s, size_t len)
{
	bool		date = fmt_is_date(s, len);
	bool		time = fmt_is_time(s, len);
	bool		dt = fmt_is_datetime(s, len);

	if (date)
	{
		CHECK(len == 10 && s[4] == '-' && s[7] == '-');
		CHECK(only_bytes(s, len, "0123456789-"));
	}
	if (time)
	{
		CHECK(len >= 9 && s[2] == ':' && s[5] == ':');
		CHECK(only_bytes(s, len, "0123456789:.+-Zz"));
		if (s[6] == '6')
			CHECK(s[7] == '0');
	}
	/* date-time is exactly date, T or t, time */
	if (len >= 11 && (s[10] == 'T' || s[10] == 't'))
		CHECK(dt == (fmt_is_date(s, 10) && fmt_is_time(s + 11, len - 11)));
	else
		CHECK(!dt);

	if (fmt_is_duration(s, len))
	{
		CHECK(len >= 3 && s[0] == 'P');
		CHECK(only_bytes(s, len, "0123456789PYMWDTHS"));
		CHECK(s[len - 1] != 'T' && s[len - 1] != 'P');
	}
}

static void
check_text(const char *s, size_t len)
{
	char		buf[SCRATCH];
	size_t		n;
	bool		jp = fmt_is_json_pointer(s, len);
	bool		rjp = fmt_is_relative_json_pointer(s, len);

	if (fmt_is_slug(s, len))
	{
		CHECK(len >= 1);
		CHECK(only_bytes(s, len, "abcdefghijklmnopqrstuvwxyz0123456789-"));
		CHECK(s[0] != '-' && s[len - 1] != '-');
		CHECK(fmt_is_uri_reference(s, len));
		if (len <= 63)
			CHECK(fmt_is_hostname(s, len, 0));
	}
	if (fmt_is_semver(s, len))
	{
		CHECK(len >= 5 && s[0] >= '0' && s[0] <= '9');
		CHECK(only_bytes(s, len,
						 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
						 "0123456789-.+"));
	}

	/* differential for RFC 6901, and the relative form built on it */
	CHECK(jp == ref_json_pointer(s, len));
	n = with_affixes(buf, "0", s, len, "");
	if (n > 0)
		CHECK(fmt_is_relative_json_pointer(buf, n) == (jp || (len == 1 && s[0] == '#')));
	n = with_affixes(buf, "17", s, len, "");
	if (n > 0 && !(len > 0 && s[0] >= '0' && s[0] <= '9'))
		CHECK(fmt_is_relative_json_pointer(buf, n) == (jp || (len == 1 && s[0] == '#')));
	if (rjp)
		CHECK(s[0] >= '0' && s[0] <= '9');
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int flags = 0;
	const char *s = (const char *) data;
	size_t		len = size;

	if (size > 0)
	{
		flags = data[0];
		s++;
		len--;
	}
	check_email_host(s, len, flags);
	check_ip(s, len);
	check_uri(s, len, flags);
	check_identifiers(s, len);
	check_dates(s, len);
	check_text(s, len);
	return 0;
}

#ifdef FUZZ_STANDALONE
/*
 * Replay the files named on the command line.
 */
int
main(int argc, char **argv)
{
	int			i;

	for (i = 1; i < argc; i++)
	{
		FILE	   *f = fopen(argv[i], "rb");
		unsigned char *buf;
		long		size;

		if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
			fseek(f, 0, SEEK_SET) != 0)
		{
			perror(argv[i]);
			return 2;
		}
		buf = malloc((size_t) size + 1);
		if (buf == NULL || fread(buf, 1, (size_t) size, f) != (size_t) size)
		{
			perror(argv[i]);
			return 2;
		}
		fclose(f);
		LLVMFuzzerTestOneInput(buf, (size_t) size);
		free(buf);
	}
	printf("%d inputs replayed\n", argc - 1);
	return 0;
}
#endif
