/*-------------------------------------------------------------------------
 *
 * formats_sql.c
 *	  The format validators of formats.c as SQL functions:
 *	  steward.is_email(), is_url(), is_uuid(), ...
 *
 * Each is IMMUTABLE, PARALLEL SAFE and STRICT and returns whether its text
 * argument has the format; the domains steward.email, steward.url, ...
 * are built on them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "validate/formats.h"

/*
 * A validator of one text argument: steward_<name>(text) returns boolean.
 */
#define STEWARD_FORMAT_FUNCTION(name, call) \
PG_FUNCTION_INFO_V1(steward_##name); \
Datum \
steward_##name(PG_FUNCTION_ARGS) \
{ \
	text	   *t = PG_GETARG_TEXT_PP(0); \
	\
	PG_RETURN_BOOL(call(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t))); \
}

STEWARD_FORMAT_FUNCTION(is_ipv4, fmt_is_ipv4)
STEWARD_FORMAT_FUNCTION(is_ipv6, fmt_is_ipv6)
STEWARD_FORMAT_FUNCTION(is_uri, fmt_is_uri)
STEWARD_FORMAT_FUNCTION(is_uuid, fmt_is_uuid)
STEWARD_FORMAT_FUNCTION(is_e164, fmt_is_e164)
STEWARD_FORMAT_FUNCTION(is_iban, fmt_is_iban)
STEWARD_FORMAT_FUNCTION(is_luhn, fmt_is_luhn)
STEWARD_FORMAT_FUNCTION(is_card, fmt_is_card)
STEWARD_FORMAT_FUNCTION(is_iso_country, fmt_is_iso_country)
STEWARD_FORMAT_FUNCTION(is_iso_currency, fmt_is_iso_currency)
STEWARD_FORMAT_FUNCTION(is_date, fmt_is_date)
STEWARD_FORMAT_FUNCTION(is_time, fmt_is_time)
STEWARD_FORMAT_FUNCTION(is_datetime, fmt_is_datetime)
STEWARD_FORMAT_FUNCTION(is_duration, fmt_is_duration)
STEWARD_FORMAT_FUNCTION(is_slug, fmt_is_slug)
STEWARD_FORMAT_FUNCTION(is_semver, fmt_is_semver)

/*
 * option_flags
 *		The flags an options array names: each element one of `names`
 *		(22023 otherwise, NULL elements included).
 */
static unsigned int
option_flags(ArrayType *options, const char *const *names, const unsigned int *flags,
			 int nnames, const char *function)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	unsigned int result = 0;

	deconstruct_array(options, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		char	   *opt;
		int			j;
		bool		found = false;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("the options of %s() must not contain NULL", function)));
		opt = TextDatumGetCString(elems[i]);
		for (j = 0; j < nnames; j++)
			if (strcmp(opt, names[j]) == 0)
			{
				result |= flags[j];
				found = true;
			}
		if (!found)
		{
			StringInfoData list;

			initStringInfo(&list);
			for (j = 0; j < nnames; j++)
				appendStringInfo(&list, "%s%s", j ? ", " : "", names[j]);
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unrecognized option \"%s\" of %s()", opt, function),
					 errhint("The options are: %s.", list.data)));
		}
	}
	return result;
}

PG_FUNCTION_INFO_V1(steward_is_email);

/*
 * steward_is_email
 *		is_email(value text [, options text[]]): an e-mail address (dot-atom
 *		local part, host name of two or more labels, ASCII); the options
 *		'quoted', 'ip-literal', 'idn', 'single-label' admit more forms.
 */
Datum
steward_is_email(PG_FUNCTION_ARGS)
{
	static const char *const names[] = {"quoted", "ip-literal", "idn", "single-label"};
	static const unsigned int flags[] = {FMT_EMAIL_ALLOW_QUOTED, FMT_EMAIL_ALLOW_IP_LITERAL,
	FMT_EMAIL_ALLOW_IDN, FMT_EMAIL_ALLOW_SINGLE_LABEL};
	text	   *t = PG_GETARG_TEXT_PP(0);
	unsigned int f = 0;

	if (PG_NARGS() > 1)
		f = option_flags(PG_GETARG_ARRAYTYPE_P(1), names, flags, lengthof(names), "is_email");
	PG_RETURN_BOOL(fmt_is_email(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), f));
}

PG_FUNCTION_INFO_V1(steward_is_hostname);

/*
 * steward_is_hostname
 *		is_hostname(value text [, options text[]]): options 'trailing-dot',
 *		'idn'.
 */
Datum
steward_is_hostname(PG_FUNCTION_ARGS)
{
	static const char *const names[] = {"trailing-dot", "idn"};
	static const unsigned int flags[] = {FMT_HOST_ALLOW_TRAILING_DOT, FMT_HOST_ALLOW_IDN};
	text	   *t = PG_GETARG_TEXT_PP(0);
	unsigned int f = 0;

	if (PG_NARGS() > 1)
		f = option_flags(PG_GETARG_ARRAYTYPE_P(1), names, flags, lengthof(names), "is_hostname");
	PG_RETURN_BOOL(fmt_is_hostname(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), f));
}

PG_FUNCTION_INFO_V1(steward_is_url);

/*
 * steward_is_url
 *		is_url(value text [, options text[]]): an absolute http or https URL
 *		with a host; option 'any-scheme'.
 */
Datum
steward_is_url(PG_FUNCTION_ARGS)
{
	static const char *const names[] = {"any-scheme"};
	static const unsigned int flags[] = {FMT_URL_ANY_SCHEME};
	text	   *t = PG_GETARG_TEXT_PP(0);
	unsigned int f = 0;

	if (PG_NARGS() > 1)
		f = option_flags(PG_GETARG_ARRAYTYPE_P(1), names, flags, lengthof(names), "is_url");
	PG_RETURN_BOOL(fmt_is_url(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), f));
}
