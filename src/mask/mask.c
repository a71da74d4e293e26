/*-------------------------------------------------------------------------
 *
 * mask.c
 *	  Masking functions: partial masks, redaction, keyed pseudonyms,
 *	  generalization and noise.
 *
 * All are NULL in, NULL out (STRICT).  Those that depend only on their
 * arguments are IMMUTABLE; the keyed ones (mask_hash, pseudo_*) read the
 * superuser-only secret steward.mask_key and are STABLE; the noise ones
 * are VOLATILE.  Text functions count characters, not bytes, so a
 * multibyte string is never cut inside a character.
 *
 * Pseudonyms are HMAC-SHA256 of the value under steward.mask_key
 * (PostgreSQL's own implementation, common/hmac.h): the same value gives
 * the same pseudonym in every table and session, so masked values still
 * join, and nobody without the key can compute or reverse them.  Without a
 * key the keyed functions refuse to run rather than fall back to a plain
 * hash anyone could recompute.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "executor/spi.h"
#include "nodes/parsenodes.h"
#include "storage/lmgr.h"
#include "access/xact.h"
#include "utils/snapmgr.h"
#include "common/hmac.h"
#include "common/int.h"
#include "common/pg_prng.h"
#include "common/sha2.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "catalog/pg_class.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rangetypes.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "pg_steward.h"
#include "common/config.h"

static char *mask_key = NULL;
static bool database_is_copy = false;
static pg_hmac_ctx *hmac_ctx = NULL;
static ResourceOwner hmac_owner = NULL;

/* ----------------------------------------------------------------
 *		Characters
 * ----------------------------------------------------------------
 */

/*
 * advance
 *		The byte offset n characters into s.
 */
static int
advance(const char *s, int len, int n)
{
	int			i = 0;

	while (n-- > 0 && i < len)
		i += pg_mblen(s + i);
	return Min(i, len);
}

/*
 * partial
 *		value with all but its first keep_start and last keep_end characters
 *		replaced by pad; all of it when those would show the whole value.
 */
static text *
partial(const char *s, int len, int keep_start, int keep_end, const char *pad, int padlen)
{
	int			n = pg_mbstrlen_with_len(s, len);
	text	   *result;
	char	   *out;
	int			head;
	int			tail;
	int64		size;
	int			i;

	if ((int64) keep_start + keep_end >= n)
		keep_start = keep_end = 0;	/* never show all of it */
	head = advance(s, len, keep_start);
	tail = len - advance(s, len, n - keep_end);
	size = VARHDRSZ + head + (int64) (n - keep_start - keep_end) * padlen + tail;
	if (size > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the masked value would exceed the maximum size of a text value")));
	result = palloc(size);
	out = VARDATA(result);
	memcpy(out, s, head);
	out += head;
	for (i = keep_start; i < n - keep_end; i++)
	{
		memcpy(out, pad, padlen);
		out += padlen;
	}
	memcpy(out, s + len - tail, tail);
	out += tail;
	SET_VARSIZE(result, out - (char *) result);
	return result;
}

PG_FUNCTION_INFO_V1(steward_mask_partial);

/*
 * steward_mask_partial
 *		mask_partial(value text, keep_start int DEFAULT 1, keep_end int
 *		DEFAULT 0, pad text DEFAULT '*'): each hidden character becomes pad.
 */
Datum
steward_mask_partial(PG_FUNCTION_ARGS)
{
	text	   *value = PG_GETARG_TEXT_PP(0);
	int32		keep_start = PG_GETARG_INT32(1);
	int32		keep_end = PG_GETARG_INT32(2);
	text	   *pad = PG_GETARG_TEXT_PP(3);

	if (keep_start < 0 || keep_end < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("keep_start and keep_end must not be negative")));
	if (VARSIZE_ANY_EXHDR(pad) > 16)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pad must be at most 16 bytes")));
	PG_RETURN_TEXT_P(partial(VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value),
							 Min(keep_start, INT32_MAX / 2), Min(keep_end, INT32_MAX / 2),
							 VARDATA_ANY(pad), VARSIZE_ANY_EXHDR(pad)));
}

PG_FUNCTION_INFO_V1(steward_mask_email);

/*
 * steward_mask_email
 *		mask_email(value text): the first character of the local part, "***"
 *		and the domain ("j***@example.com"); without an "@", the first
 *		character and "***".
 */
Datum
steward_mask_email(PG_FUNCTION_ARGS)
{
	text	   *value = PG_GETARG_TEXT_PP(0);
	const char *s = VARDATA_ANY(value);
	int			len = VARSIZE_ANY_EXHDR(value);
	const char *at = NULL;
	text	   *result;
	char	   *out;
	int			first = 0;
	int			i;

	for (i = len - 1; i >= 0; i--)
		if (s[i] == '@')
		{
			at = s + i;
			break;
		}
	/* the first character, unless it is all there is before the "@" */
	if (len > 0 && at != s)
	{
		first = Min(pg_mblen(s), len);
		if ((at != NULL && s + first == at) || (at == NULL && first == len))
			first = 0;
	}
	result = palloc(VARHDRSZ + first + 3 + (at ? len - (at - s) : 0));
	out = VARDATA(result);
	memcpy(out, s, first);
	out += first;
	memcpy(out, "***", 3);
	out += 3;
	if (at != NULL)
	{
		memcpy(out, at, len - (at - s));
		out += len - (at - s);
	}
	SET_VARSIZE(result, out - (char *) result);
	PG_RETURN_TEXT_P(result);
}

/*
 * mask_digits
 *		Every digit but the last keep_last replaced by '*'; ASCII punctuation
 *		and spaces stay (the layout of a phone or card number).  keep_first
 *		letters at the start stay too (an IBAN's country).  A character
 *		outside ASCII (a digit of another script, a letter) is always hidden,
 *		one '*' for the character.
 */
static text *
mask_digits(text *value, int keep_last, int keep_first_letters)
{
	const char *s = VARDATA_ANY(value);
	int			len = VARSIZE_ANY_EXHDR(value);
	char	   *out = palloc(len + 1);
	int			o = 0;
	int			digits = 0;
	int			seen = 0;
	int			i;

	for (i = 0; i < len; i++)
		if (isdigit((unsigned char) s[i]))
			digits++;
	/* a short number is hidden whole */
	if (digits <= keep_last * 2)
		keep_last = 0;
	for (i = 0; i < len;)
	{
		unsigned char c = (unsigned char) s[i];

		if (!IS_HIGHBIT_SET(c))
		{
			if (i < keep_first_letters && isalpha(c))
				out[o++] = c;
			else if (isdigit(c))
				out[o++] = (seen++ >= digits - keep_last) ? c : '*';
			else if (isalnum(c))
				out[o++] = '*';
			else
				out[o++] = c;
			i++;
		}
		else
		{
			out[o++] = '*';
			i += pg_mblen(s + i);
		}
	}
	return cstring_to_text_with_len(out, Min(o, len));
}

PG_FUNCTION_INFO_V1(steward_mask_phone);

/*
 * steward_mask_phone
 *		mask_phone(value text): every digit but the last two hidden
 *		("+** ** *****67"); the layout stays.
 */
Datum
steward_mask_phone(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(mask_digits(PG_GETARG_TEXT_PP(0), 2, 0));
}

PG_FUNCTION_INFO_V1(steward_mask_card);

/*
 * steward_mask_card
 *		mask_card(value text): every digit but the last four hidden
 *		("**** **** **** 1111").
 */
Datum
steward_mask_card(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(mask_digits(PG_GETARG_TEXT_PP(0), 4, 0));
}

PG_FUNCTION_INFO_V1(steward_mask_iban);

/*
 * steward_mask_iban
 *		mask_iban(value text): the country code and the last four digits
 *		stay ("DE****************3000").
 */
Datum
steward_mask_iban(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(mask_digits(PG_GETARG_TEXT_PP(0), 4, 2));
}

PG_FUNCTION_INFO_V1(steward_mask_redact);

/*
 * steward_mask_redact
 *		mask_redact(value anyelement) returns anyelement: a constant of the
 *		value's type that says nothing about it: 'REDACTED' for text, 0 for
 *		numbers, false, the epoch for dates and times, the nil UUID, an
 *		empty array, JSON null; NULL for other types.
 */
Datum
steward_mask_redact(PG_FUNCTION_ARGS)
{
	Oid			typid = get_fn_expr_argtype(fcinfo->flinfo, 0);
	Oid			base;
	char		category;
	bool		preferred;
	const char *literal = NULL;

	if (!OidIsValid(typid))
		ereport(ERROR,
				(errcode(ERRCODE_INDETERMINATE_DATATYPE),
				 errmsg("could not determine the type of the value to redact")));
	base = getBaseType(typid);
	get_type_category_preferred(base, &category, &preferred);
	switch (base)
	{
		case JSONOID:
		case JSONBOID:
			literal = "null";
			break;
		case UUIDOID:
			literal = "00000000-0000-0000-0000-000000000000";
			break;
		case INETOID:
		case CIDROID:
			literal = "0.0.0.0";
			break;
		case BYTEAOID:
			literal = "";
			break;
		default:
			switch (category)
			{
				case TYPCATEGORY_STRING:
					literal = "REDACTED";
					break;
				case TYPCATEGORY_NUMERIC:
					literal = "0";
					break;
				case TYPCATEGORY_BOOLEAN:
					literal = "false";
					break;
				case TYPCATEGORY_DATETIME:
					/* (with their offsets: the session's time zone must not matter) */
					literal = base == TIMEOID ? "00:00" : base == TIMETZOID ? "00:00+00" :
						"1970-01-01 00:00:00+00";
					if (base == DATEOID)
						literal = "1970-01-01";
					break;
				case TYPCATEGORY_TIMESPAN:
					literal = "0";
					break;
				case TYPCATEGORY_ARRAY:
					literal = "{}";
					break;
			}
	}
	if (literal == NULL)
		PG_RETURN_NULL();
	{
		Oid			infunc;
		Oid			ioparam;

		getTypeInputInfo(typid, &infunc, &ioparam);
		/* through the domain's input, so that its constraints apply */
		return OidInputFunctionCall(infunc, (char *) literal, ioparam, -1);
	}
}

/* ----------------------------------------------------------------
 *		Keyed pseudonyms
 * ----------------------------------------------------------------
 */

/*
 * keyed_digest
 *		HMAC-SHA256 of data under steward.mask_key (with a domain label, so
 *		that a pseudonym of one kind is not the hash of another).
 */
static void
keyed_digest(const char *label, const char *data, int len, uint8 *out)
{
	pg_hmac_ctx *ctx;

	if (mask_key == NULL || strlen(mask_key) < 16)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("steward.mask_key is not set"),
				 errdetail("Pseudonyms are keyed: without a secret key anyone could compute them from guessed values."),
				 errhint("A superuser sets a key of at least 16 bytes in postgresql.conf or with ALTER SYSTEM SET steward.mask_key.")));
	/*
	 * One context for the backend's life, reused for every value: creating
	 * one per value cost more than the hashing itself.  It belongs to a
	 * resource owner of its own, so that no transaction's end frees it.
	 */
	if (hmac_ctx == NULL)
	{
		ResourceOwner save = CurrentResourceOwner;

		if (hmac_owner == NULL)
			hmac_owner = ResourceOwnerCreate(NULL, "steward mask_key HMAC");
		CurrentResourceOwner = hmac_owner;
		ctx = pg_hmac_create(PG_SHA256);
		CurrentResourceOwner = save;
		if (ctx == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));
		hmac_ctx = ctx;
	}
	ctx = hmac_ctx;
	if (pg_hmac_init(ctx, (const uint8 *) mask_key, strlen(mask_key)) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) label, strlen(label) + 1) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) data, len) < 0 ||
		pg_hmac_final(ctx, out, PG_SHA256_DIGEST_LENGTH) < 0)
		elog(ERROR, "could not compute HMAC-SHA256");
}

static char *
hex(const uint8 *d, int n)
{
	static const char digits[] = "0123456789abcdef";
	char	   *out = palloc(n * 2 + 1);
	int			i;

	for (i = 0; i < n; i++)
	{
		out[i * 2] = digits[d[i] >> 4];
		out[i * 2 + 1] = digits[d[i] & 0xF];
	}
	out[n * 2] = '\0';
	return out;
}

PG_FUNCTION_INFO_V1(steward_mask_hash);

/*
 * steward_mask_hash
 *		mask_hash(value text): HMAC-SHA256 of the value under
 *		steward.mask_key, in hex (64 characters).
 */
Datum
steward_mask_hash(PG_FUNCTION_ARGS)
{
	text	   *value = PG_GETARG_TEXT_PP(0);
	uint8		d[PG_SHA256_DIGEST_LENGTH];

	keyed_digest("hash", VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value), d);
	PG_RETURN_TEXT_P(cstring_to_text(hex(d, PG_SHA256_DIGEST_LENGTH)));
}

PG_FUNCTION_INFO_V1(steward_pseudo_email);

/*
 * steward_pseudo_email
 *		pseudo_email(value text): a valid e-mail address that stands for the
 *		value: 16 hex characters of its keyed hash at one of the domains
 *		reserved for examples (RFC 2606), which never receive mail.  Case of
 *		the value's domain is ignored; of its local part, not.
 */
Datum
steward_pseudo_email(PG_FUNCTION_ARGS)
{
	static const char *const domains[] = {"example.com", "example.net", "example.org"};
	text	   *value = PG_GETARG_TEXT_PP(0);
	const char *s = VARDATA_ANY(value);
	int			len = VARSIZE_ANY_EXHDR(value);
	char	   *norm = palloc(len + 1);
	uint8		d[PG_SHA256_DIGEST_LENGTH];
	char	   *h;
	int			i;
	int			at = -1;

	/* user@Example.COM and user@example.com are one address (the domain
	 * is what follows the last "@", as in mask_email) */
	for (i = 0; i < len; i++)
		if (s[i] == '@')
			at = i;
	for (i = 0; i < len; i++)
		norm[i] = (at >= 0 && i > at) ? pg_ascii_tolower((unsigned char) s[i]) : s[i];
	keyed_digest("email", norm, len, d);
	h = hex(d, 8);
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%s@%s", h, domains[d[31] % lengthof(domains)])));
}

/* Small lists of fake names and places */
static const char *const first_names[] = {
	"Ada", "Alan", "Amara", "Ana", "Andrea", "Anton", "Aria", "Arjun", "Astrid", "Ben",
	"Bruno", "Camila", "Carlos", "Chen", "Chloe", "Dario", "David", "Elena", "Elif", "Emil",
	"Emma", "Erik", "Eva", "Farah", "Felix", "Fatima", "Grace", "Hana", "Hugo", "Ines",
	"Ivan", "Jakob", "Jana", "Jin", "Jonas", "Julia", "Kai", "Kenji", "Lara", "Leon",
	"Lina", "Luca", "Lucia", "Maja", "Malik", "Marco", "Maria", "Mateo", "Mei", "Mila",
	"Nadia", "Nils", "Noah", "Nora", "Omar", "Oskar", "Paula", "Pedro", "Priya", "Rafael",
	"Rosa", "Sami", "Sara", "Sofia", "Tariq", "Theo", "Una", "Vera", "Yara", "Zoe"
};
static const char *const last_names[] = {
	"Abe", "Alvarez", "Andersen", "Baker", "Bauer", "Berg", "Bianchi", "Brown", "Castro", "Chen",
	"Costa", "Dahl", "Diaz", "Dubois", "Eriksen", "Fischer", "Fontaine", "Garcia", "Gomez", "Gupta",
	"Hansen", "Hoffmann", "Ivanova", "Jensen", "Kaya", "Keller", "Kim", "Klein", "Kowalski", "Lang",
	"Larsen", "Lopez", "Marino", "Martin", "Meyer", "Moreau", "Nakamura", "Navarro", "Nguyen", "Novak",
	"Okafor", "Olsen", "Park", "Patel", "Peters", "Popescu", "Ricci", "Rossi", "Santos", "Schmidt",
	"Silva", "Singh", "Smith", "Sorensen", "Suzuki", "Tanaka", "Torres", "Vogel", "Wagner", "Walker",
	"Weber", "Wong", "Yilmaz", "Young", "Zhang", "Zimmermann"
};
static const char *const cities[] = {
	"Aarhus", "Accra", "Adelaide", "Antwerp", "Asuncion", "Bergen", "Bilbao", "Bologna", "Bordeaux", "Brno",
	"Cork", "Curitiba", "Dresden", "Dundee", "Eindhoven", "Esbjerg", "Faro", "Fukuoka", "Galway", "Ghent",
	"Graz", "Gdansk", "Hamilton", "Hobart", "Incheon", "Izmir", "Jaipur", "Kaunas", "Kyoto", "Leeds",
	"Leipzig", "Lille", "Linz", "Lyon", "Malaga", "Malmo", "Mendoza", "Nantes", "Nagoya", "Odense",
	"Oulu", "Porto", "Poznan", "Quito", "Recife", "Riga", "Rotterdam", "Salzburg", "Seville", "Split",
	"Tampere", "Tartu", "Toulouse", "Trieste", "Turin", "Utrecht", "Valencia", "Vilnius", "Wellington", "Zaragoza"
};

static text *
pick(const char *label, text *value, const char *const *list, int n)
{
	uint8		d[PG_SHA256_DIGEST_LENGTH];
	uint32		x;

	keyed_digest(label, VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value), d);
	x = ((uint32) d[0] << 24) | ((uint32) d[1] << 16) | ((uint32) d[2] << 8) | d[3];
	return cstring_to_text(list[x % n]);
}

PG_FUNCTION_INFO_V1(steward_pseudo_first_name);

Datum
steward_pseudo_first_name(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(pick("first_name", PG_GETARG_TEXT_PP(0), first_names, lengthof(first_names)));
}

PG_FUNCTION_INFO_V1(steward_pseudo_last_name);

Datum
steward_pseudo_last_name(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(pick("last_name", PG_GETARG_TEXT_PP(0), last_names, lengthof(last_names)));
}

PG_FUNCTION_INFO_V1(steward_pseudo_city);

Datum
steward_pseudo_city(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(pick("city", PG_GETARG_TEXT_PP(0), cities, lengthof(cities)));
}

/* ----------------------------------------------------------------
 *		Generalization and noise
 * ----------------------------------------------------------------
 */

/*
 * check_precision
 *		The precisions mask_date takes: date_trunc's units from day up.
 */
static text *
check_precision(text *precision)
{
	static const char *const units[] = {"day", "week", "month", "quarter", "year", "decade", "century"};
	char	   *p = text_to_cstring(precision);
	int			i;

	for (i = 0; i < lengthof(units); i++)
		if (pg_strcasecmp(p, units[i]) == 0)
			return cstring_to_text(units[i]);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unrecognized unit \"%s\" of mask_date()", p),
			 errhint("Units are day, week, month, quarter, year, decade and century.")));
	return NULL;				/* keep compiler quiet */
}

PG_FUNCTION_INFO_V1(steward_mask_date);

/* mask_date's units, as the index of date_units */
static const char *const date_units[] = {"day", "week", "month", "quarter", "year", "decade", "century"};

/*
 * date_unit
 *		The unit a mask_date call names, looked up once per call site
 *		(fn_extra) while the argument stays the same.
 */
static int
date_unit(FunctionCallInfo fcinfo, text *unit)
{
	int		   *cached = (int *) fcinfo->flinfo->fn_extra;
	char	   *p;
	int			i;

	if (cached != NULL && cached[1] == (int) VARSIZE_ANY_EXHDR(unit) &&
		memcmp((char *) (cached + 2), VARDATA_ANY(unit), cached[1]) == 0)
		return cached[0];
	p = text_to_cstring(unit);
	for (i = 0; i < lengthof(date_units); i++)
		if (pg_strcasecmp(p, date_units[i]) == 0)
			break;
	if (i == lengthof(date_units))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unrecognized unit \"%s\" of mask_date()", p),
				 errhint("Units are day, week, month, quarter, year, decade and century.")));
	if (VARSIZE_ANY_EXHDR(unit) < 64)
	{
		cached = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(int) * 2 + 64);
		cached[0] = i;
		cached[1] = VARSIZE_ANY_EXHDR(unit);
		memcpy((char *) (cached + 2), VARDATA_ANY(unit), cached[1]);
		fcinfo->flinfo->fn_extra = cached;
	}
	return i;
}

/*
 * steward_mask_date
 *		mask_date(value date, unit text DEFAULT 'year'): the first day of its
 *		year (month, ...), computed on the Julian day (no timestamp round
 *		trip: a masked view calls it for every row).
 */
Datum
steward_mask_date(PG_FUNCTION_ARGS)
{
	DateADT		d = PG_GETARG_DATEADT(0);
	int			unit = date_unit(fcinfo, PG_GETARG_TEXT_PP(1));
	int			year;
	int			month;
	int			day;
	int			jd;

	if (DATE_NOT_FINITE(d))
		PG_RETURN_DATEADT(d);
	jd = d + POSTGRES_EPOCH_JDATE;
	j2date(jd, &year, &month, &day);
	switch (unit)
	{
		case 0:					/* day */
			break;
		case 1:					/* week: back to Monday (ISO) */
			jd -= (j2day(jd) + 6) % 7;
			PG_RETURN_DATEADT(jd - POSTGRES_EPOCH_JDATE);
		case 2:					/* month */
			day = 1;
			break;
		case 3:					/* quarter */
			month = ((month - 1) / 3) * 3 + 1;
			day = 1;
			break;
		case 4:					/* year */
			month = day = 1;
			break;
		case 5:					/* decade, as date_trunc: year / 10 * 10 */
			year = year > 0 ? (year / 10) * 10 : -((8 - (year - 1)) / 10) * 10;
			month = day = 1;
			break;
		case 6:					/* century, as date_trunc */
			year = year > 0 ? ((year + 99) / 100) * 100 - 99 : -((99 - (year - 1)) / 100) * 100 + 1;
			month = day = 1;
			break;
	}
	PG_RETURN_DATEADT(date2j(year, month, day) - POSTGRES_EPOCH_JDATE);
}

PG_FUNCTION_INFO_V1(steward_mask_timestamptz);

/*
 * steward_mask_timestamptz
 *		mask_date(value timestamptz, precision text DEFAULT 'year'): the
 *		start of its year (...), in the session's time zone.
 */
Datum
steward_mask_timestamptz(PG_FUNCTION_ARGS)
{
	TimestampTz ts = PG_GETARG_TIMESTAMPTZ(0);
	text	   *unit = check_precision(PG_GETARG_TEXT_PP(1));

	if (TIMESTAMP_NOT_FINITE(ts))
		PG_RETURN_TIMESTAMPTZ(ts);
	return DirectFunctionCall2(timestamptz_trunc, PointerGetDatum(unit), TimestampTzGetDatum(ts));
}

PG_FUNCTION_INFO_V1(steward_mask_number);

/*
 * steward_mask_number
 *		mask_number(value numeric, step numeric): the lower bound of its
 *		bucket, floor(value / step) * step.
 */
Datum
steward_mask_number(PG_FUNCTION_ARGS)
{
	Numeric		value = PG_GETARG_NUMERIC(0);
	Numeric		step = PG_GETARG_NUMERIC(1);
	Datum		q;

	if (numeric_is_nan(step) || numeric_is_inf(step) ||
		DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(step),
										  NumericGetDatum(int64_to_numeric(0)))) <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("step must be a positive number")));
	if (numeric_is_nan(value) || numeric_is_inf(value))
		PG_RETURN_NUMERIC(value);
	q = DirectFunctionCall2(numeric_div_trunc, NumericGetDatum(value), NumericGetDatum(step));
	/* toward minus infinity, not zero */
	if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(value),
										  DirectFunctionCall2(numeric_mul, q, NumericGetDatum(step)))) < 0)
		q = DirectFunctionCall2(numeric_sub, q, NumericGetDatum(int64_to_numeric(1)));
	return DirectFunctionCall2(numeric_mul, q, NumericGetDatum(step));
}

PG_FUNCTION_INFO_V1(steward_mask_int_range);

/*
 * steward_mask_int_range
 *		mask_int_range(value integer, step integer) returns int4range: the
 *		bucket [lo, lo + step) the value falls in.
 */
Datum
steward_mask_int_range(PG_FUNCTION_ARGS)
{
	int64		value = PG_GETARG_INT32(0);
	int64		step = PG_GETARG_INT32(1);
	int64		lo;
	int64		hi;
	char	   *literal;
	Oid			infunc;
	Oid			ioparam;

	if (step <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("step must be a positive integer")));
	lo = value >= 0 ? (value / step) * step : -((-value + step - 1) / step) * step;
	hi = lo + step;
	if (lo < PG_INT32_MIN)
		lo = PG_INT32_MIN;
	literal = hi > PG_INT32_MAX ? psprintf("[" INT64_FORMAT ",)", lo) :
		psprintf("[" INT64_FORMAT "," INT64_FORMAT ")", lo, hi);
	getTypeInputInfo(INT4RANGEOID, &infunc, &ioparam);
	return OidInputFunctionCall(infunc, literal, ioparam, -1);
}

PG_FUNCTION_INFO_V1(steward_mask_noise);

/*
 * steward_mask_noise
 *		mask_noise(value numeric, ratio float8): value times a random factor
 *		in [1 - ratio, 1 + ratio].
 */
Datum
steward_mask_noise(PG_FUNCTION_ARGS)
{
	Numeric		value = PG_GETARG_NUMERIC(0);
	float8		ratio = PG_GETARG_FLOAT8(1);
	float8		factor;

	if (isnan(ratio) || ratio < 0 || ratio > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ratio must be between 0 and 1")));
	if (numeric_is_nan(value) || numeric_is_inf(value))
		PG_RETURN_NUMERIC(value);
	factor = 1.0 + ratio * (2.0 * pg_prng_double(&pg_global_prng_state) - 1.0);
	return DirectFunctionCall2(numeric_mul, NumericGetDatum(value),
							   DirectFunctionCall1(float8_numeric, Float8GetDatum(factor)));
}

PG_FUNCTION_INFO_V1(steward_mask_noise_date);

/*
 * steward_mask_noise_date
 *		mask_noise_date(value timestamptz, spread interval): value moved by a
 *		random amount within [-spread, +spread].
 */
Datum
steward_mask_noise_date(PG_FUNCTION_ARGS)
{
	TimestampTz ts = PG_GETARG_TIMESTAMPTZ(0);
	Interval   *spread = PG_GETARG_INTERVAL_P(1);
	float8		usecs;
	int64		shift;

	usecs = (float8) spread->time + (float8) spread->day * USECS_PER_DAY +
		(float8) spread->month * DAYS_PER_MONTH * USECS_PER_DAY;
	if (usecs < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("spread must not be negative")));
	if (TIMESTAMP_NOT_FINITE(ts))
		PG_RETURN_TIMESTAMPTZ(ts);
	shift = (int64) (usecs * (2.0 * pg_prng_double(&pg_global_prng_state) - 1.0));
	if (pg_add_s64_overflow(ts, shift, &ts) || !IS_VALID_TIMESTAMP(ts))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	PG_RETURN_TIMESTAMPTZ(ts);
}

/*
 * check_mask_key
 *		A secret (see steward_check_secret_setting) of at least 16 bytes.
 */
static bool
check_mask_key(char **newval, void **extra, GucSource source)
{
	if (!steward_check_secret_setting(newval, extra, source))
		return false;
	if ((*newval)[0] != '\0' && strlen(*newval) < 16)
	{
		GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
		GUC_check_errmsg("steward.mask_key must be at least 16 bytes long");
		return false;
	}
	return true;
}

/*
 * steward_mask_init
 *		The secret key of the keyed pseudonyms.
 */
void
steward_mask_init(void)
{
	DefineCustomBoolVariable("steward.database_is_copy",
							 "Marks a database as a copy, where steward.anonymize_table() may overwrite data.",
							 "Set it on the copy: ALTER DATABASE ... SET steward.database_is_copy = on.",
							 &database_is_copy, false,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);
	DefineCustomStringVariable("steward.mask_key",
							   "Secret key of the keyed pseudonyms (mask_hash, pseudo_*); at least 16 bytes.",
							   "Only superusers can set or read it.",
							   &mask_key, "",
							   PGC_SUSET,
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							   check_mask_key, NULL, NULL);
}

PG_FUNCTION_INFO_V1(steward_mask_config_write);

/*
 * steward_mask_config_write
 *		mask_config_write(relation regclass, column_name name, mask text,
 *		unmasked_roles name[], unmasked_context_roles text[]) returns void:
 *		store a masking rule (NULL mask: remove the column's rule; NULL
 *		column too: every rule of the table).  The caller must own the
 *		table; the row is written as the owner of the configuration.
 */
Datum
steward_mask_config_write(PG_FUNCTION_ARGS)
{
	Oid			relid;
	Datum		args[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	Oid			argtypes[6] = {REGCLASSOID, NAMEOID, TEXTOID, NAMEARRAYOID, TEXTARRAYOID, NAMEOID};
	int			i;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("table must not be NULL")));
	relid = PG_GETARG_OID(0);
	steward_check_table_owner(relid, false);
	for (i = 0; i < 5; i++)
	{
		nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
		args[i] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
	}
	if (!PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(1) || PG_ARGISNULL(3) || PG_ARGISNULL(4))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("column and role lists of a masking rule must not be NULL")));
		args[5] = DirectFunctionCall1(namein,
									  CStringGetDatum(GetUserNameFromId(GetUserId(), false)));
		steward_config_exec("mask_config",
							"INSERT INTO steward.mask_config AS c (relation, column_name, mask, "
							"unmasked_roles, unmasked_context_roles, created_by) "
							"VALUES ($1, $2, $3, $4::pg_catalog.text[]::pg_catalog.regrole[], $5, $6) "
							"ON CONFLICT (relation, column_name) DO UPDATE SET mask = excluded.mask, "
							"unmasked_roles = excluded.unmasked_roles, "
							"unmasked_context_roles = excluded.unmasked_context_roles, "
							"created_by = excluded.created_by, created_at = pg_catalog.now()",
							6, argtypes, args, nulls);
	}
	else
		steward_config_exec("mask_config",
							"DELETE FROM steward.mask_config c "
							"WHERE c.relation OPERATOR(pg_catalog.=) $1 "
							"AND ($2 IS NULL OR c.column_name OPERATOR(pg_catalog.=) $2)",
							2, argtypes, args, nulls);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(steward_mask_view_write);

/*
 * steward_mask_view_write
 *		mask_view_write(relation regclass, view regclass, stored boolean)
 *		returns void: remember (or, with NULL view, forget) a table's masked
 *		view and whether it reads stored masks; the caller must own the
 *		table.
 */
Datum
steward_mask_view_write(PG_FUNCTION_ARGS)
{
	Oid			relid;
	Datum		args[3];
	char		nulls[3] = {' ', ' ', ' '};
	Oid			argtypes[3] = {REGCLASSOID, REGCLASSOID, BOOLOID};

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("table must not be NULL")));
	relid = PG_GETARG_OID(0);
	steward_check_table_owner(relid, false);
	args[0] = ObjectIdGetDatum(relid);
	if (!PG_ARGISNULL(1))
	{
		Oid			view = PG_GETARG_OID(1);

		/* only a view of the table's owner can be its masked view */
		if (get_rel_relkind(view) != RELKIND_VIEW ||
			!pg_class_ownercheck(view, GetUserId()))
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("\"%s\" is not a view of the table's owner", get_rel_name(view) ? get_rel_name(view) : "?")));
		args[1] = PG_GETARG_DATUM(1);
		args[2] = BoolGetDatum(!PG_ARGISNULL(2) && PG_GETARG_BOOL(2));
		steward_config_exec("mask_views",
							"INSERT INTO steward.mask_views AS v (relation, view, view_schema, stored) "
							"SELECT $1, $2, n.nspname, $3 FROM pg_catalog.pg_class c "
							"JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
							"WHERE c.oid OPERATOR(pg_catalog.=) $2 "
							"ON CONFLICT (relation) DO UPDATE SET view = excluded.view, "
							"view_schema = excluded.view_schema, stored = excluded.stored",
							3, argtypes, args, nulls);
	}
	else
		steward_config_exec("mask_views",
							"DELETE FROM steward.mask_views v WHERE v.relation OPERATOR(pg_catalog.=) $1",
							1, argtypes, args, nulls);
	PG_RETURN_VOID();
}

/*
 * ACLs of masked views saved when an ALTER TABLE begins (mask_before_ddl),
 * for the views the statement may drop with CASCADE; kept in backend
 * memory (a temporary table would need the TEMPORARY privilege and would
 * forbid PREPARE TRANSACTION) and valid for that transaction only.
 */
typedef struct SavedAcl
{
	Oid			relid;			/* hash key: the masked table */
	LocalTransactionId lxid;
	Acl		   *acl;
} SavedAcl;

static HTAB *saved_acls = NULL;

PG_FUNCTION_INFO_V1(steward_mask_save_acl);

/*
 * steward_mask_save_acl
 *		mask_save_acl(relation regclass, acl aclitem[]) returns void.
 */
Datum
steward_mask_save_acl(PG_FUNCTION_ARGS)
{
	Oid			relid;
	SavedAcl   *s;
	bool		found;

	if (PG_ARGISNULL(0))
		PG_RETURN_VOID();
	relid = PG_GETARG_OID(0);
	/* the grants of the caller's own views only (anyone's ALTER TABLE asks) */
	if (!pg_class_ownercheck(relid, GetUserId()))
		PG_RETURN_VOID();
	if (saved_acls == NULL)
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(SavedAcl);
		ctl.hcxt = TopMemoryContext;
		saved_acls = hash_create("steward saved view ACLs", 16, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	s = hash_search(saved_acls, &relid, HASH_ENTER, &found);
	if (found && s->acl)
		pfree(s->acl);
	s->lxid = MyProc->lxid;
	s->acl = NULL;
	if (!PG_ARGISNULL(1))
	{
		Acl		   *acl = PG_GETARG_ACL_P(1);

		s->acl = MemoryContextAlloc(TopMemoryContext, VARSIZE(acl));
		memcpy(s->acl, acl, VARSIZE(acl));
	}
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(steward_mask_saved_acl);

/*
 * steward_mask_saved_acl
 *		mask_saved_acl(relation regclass) returns aclitem[]: what was saved
 *		for it in this transaction, or NULL.
 */
Datum
steward_mask_saved_acl(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	SavedAcl   *s;

	if (saved_acls == NULL)
		PG_RETURN_NULL();
	s = hash_search(saved_acls, &relid, HASH_FIND, NULL);
	if (s == NULL || s->acl == NULL || s->lxid != MyProc->lxid)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(DatumGetPointer(datumCopy(PointerGetDatum(s->acl), false, -1)));
}

/*
 * Tables whose masked view mask_apply is regenerating in this transaction:
 * the ALTER TABLEs it runs itself (stored mask columns) must not regenerate
 * the view again from the event trigger.  Backend memory, valid for the
 * transaction that set it (an error leaves nothing behind for the next).
 */
#define MASK_BUSY_MAX 16

static struct
{
	Oid			relid;
	LocalTransactionId lxid;
}			mask_busy[MASK_BUSY_MAX];

PG_FUNCTION_INFO_V1(steward_mask_busy);

/*
 * steward_mask_busy
 *		mask_busy(relation regclass, busy boolean) returns boolean: with
 *		busy NULL, whether mask_apply is regenerating the table's view in
 *		this transaction; otherwise mark it (the caller must own the table)
 *		or clear it, and return the new state.
 */
Datum
steward_mask_busy(PG_FUNCTION_ARGS)
{
	Oid			relid;
	int			i;
	int			free_slot = -1;

	if (PG_ARGISNULL(0))
		PG_RETURN_BOOL(false);
	relid = PG_GETARG_OID(0);
	for (i = 0; i < MASK_BUSY_MAX; i++)
	{
		if (mask_busy[i].relid == relid && mask_busy[i].lxid == MyProc->lxid)
			break;
		if (free_slot < 0 &&
			(mask_busy[i].relid == InvalidOid || mask_busy[i].lxid != MyProc->lxid))
			free_slot = i;
	}
	if (PG_ARGISNULL(1))
		PG_RETURN_BOOL(i < MASK_BUSY_MAX);
	if (!PG_GETARG_BOOL(1))
	{
		if (i < MASK_BUSY_MAX)
			mask_busy[i].relid = InvalidOid;
		PG_RETURN_BOOL(false);
	}
	steward_check_table_owner(relid, false);
	if (i < MASK_BUSY_MAX)
		PG_RETURN_BOOL(true);
	if (free_slot < 0)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many masked views regenerated at once")));
	mask_busy[free_slot].relid = relid;
	mask_busy[free_slot].lxid = MyProc->lxid;
	PG_RETURN_BOOL(true);
}

PG_FUNCTION_INFO_V1(steward_mask_lock_view);

/*
 * steward_mask_lock_view
 *		Event trigger function (ddl_command_start of ALTER TABLE): lock the
 *		masked view of the table being altered before the ALTER TABLE locks
 *		the table.  Readers lock the view first, then the table; the
 *		ALTER TABLE locks the table, and the view when the event trigger at
 *		its end regenerates the view: in that order a reader that arrives
 *		while the ALTER TABLE waits for another reader deadlocks with it.
 *		Locking the view first gives both the same order.  Only for the
 *		table's owner (or a superuser), whose ALTER TABLE regenerates the
 *		view: anyone else's would fail, and must not lock the view meanwhile.
 */
Datum
steward_mask_lock_view(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	Node	   *stmt;
	RangeVar   *rv = NULL;
	Oid			relid;
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1];

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("steward.mask_lock_view() is an event trigger function")));
	trigdata = (EventTriggerData *) fcinfo->context;
	stmt = trigdata->parsetree;
	if (IsA(stmt, AlterTableStmt))
		rv = ((AlterTableStmt *) stmt)->relation;
	else if (IsA(stmt, RenameStmt))
		rv = ((RenameStmt *) stmt)->relation;
	else if (IsA(stmt, AlterObjectSchemaStmt))
		rv = ((AlterObjectSchemaStmt *) stmt)->relation;
	if (rv == NULL)
		PG_RETURN_VOID();
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (!OidIsValid(relid) || !pg_class_ownercheck(relid, GetUserId()))
		PG_RETURN_VOID();

	args[0] = ObjectIdGetDatum(relid);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT v.view::pg_catalog.oid FROM steward.mask_views v "
							  "WHERE v.relation OPERATOR(pg_catalog.=) $1",
							  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read steward.mask_views");
	if (SPI_processed == 1)
	{
		bool		isnull;
		Oid			view = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
														  SPI_tuptable->tupdesc, 1, &isnull));

		if (!isnull && get_rel_relkind(view) == RELKIND_VIEW)
			LockRelationOid(view, AccessExclusiveLock);
	}
	SPI_finish();
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(steward_unmasked);

/*
 * steward_unmasked
 *		unmasked(relation regclass, column_name name) returns boolean:
 *		whether the current role (a member of an unmasked role) or the
 *		session context (an unmasked context role) sees the real value of a
 *		masked column; false without a rule (fails closed).  The rule is read
 *		as last committed (like the privileges PostgreSQL checks), not with
 *		the reader's snapshot: a REPEATABLE READ transaction that began
 *		before a rule was narrowed gets the narrower rule.  In a parallel
 *		query, where no newer snapshot may be taken, the query's snapshot is
 *		used.
 */
Datum
steward_unmasked(PG_FUNCTION_ARGS)
{
	Oid			argtypes[2] = {REGCLASSOID, NAMEOID};
	Datum		args[2];
	bool		result = false;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_BOOL(false);
	args[0] = PG_GETARG_DATUM(0);
	args[1] = PG_GETARG_DATUM(1);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	steward_config_read("steward.mask_config",
						"SELECT EXISTS (SELECT FROM pg_catalog.unnest(c.unmasked_roles) u(r) "
						"JOIN pg_catalog.pg_roles g ON g.oid OPERATOR(pg_catalog.=) u.r::pg_catalog.oid "
						"WHERE pg_catalog.pg_has_role(CURRENT_USER, g.oid, 'MEMBER')) "
						"OR EXISTS (SELECT FROM pg_catalog.unnest(c.unmasked_context_roles) u(r) "
						"WHERE steward.has_role(u.r)) "
						"FROM steward.mask_config c WHERE c.relation OPERATOR(pg_catalog.=) $1 "
						"AND c.column_name OPERATOR(pg_catalog.=) $2",
						2, argtypes, args, 1);
	if (SPI_processed == 1)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		result = !isnull && DatumGetBool(d);
	}
	SPI_finish();
	PG_RETURN_BOOL(result);
}
