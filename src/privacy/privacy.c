/*-------------------------------------------------------------------------
 *
 * privacy.c
 *	  Privacy (GDPR): writing the subject, link, personal-data, hold and
 *	  retention configuration on behalf of a table's owner, and the keyed
 *	  hash under which erasures and requests name a person.
 *
 * The configuration tables are readable by everyone and writable by nobody
 * directly (see src/common/config.c): each writer here checks, with the
 * caller's identity, that the caller owns the table the row is about, then
 * writes as the configuration's owner.  The SQL of every writer is fixed;
 * only values travel as parameters.
 *
 * An erasure receipt must not hold the key of the person erased (the
 * receipt would itself be personal data), yet a DBA must be able to erase
 * that person again after restoring an old backup.  The receipt holds
 * HMAC-SHA256(steward.privacy_key, subject, key): without the key nobody
 * can test a guessed identifier against it; with it, erasure_replay()
 * hashes the keys of the restored table and finds the erased ones.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hmac.h"
#include "common/sha2.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "pg_steward.h"
#include "common/config.h"

static char *privacy_key = NULL;

/*
 * privacy_write
 *		Shared body of the configuration writers.  Argument 0 is the table
 *		the row is about (the caller must own it); arguments 1..nkeys-1 name
 *		the row; when argument nkeys is NULL the row is removed (remove_sql),
 *		else written (upsert_sql).  Both statements get every argument as
 *		$1..$n, and the acting role's name as $n+1.
 *
 *		The upsert carries the declaration's own conditions (a WHERE on the
 *		INSERT's SELECT, and on its DO UPDATE): the SQL wrappers check the
 *		same with precise messages, but these functions can be called
 *		directly, so they must not write what the wrappers would refuse.  A
 *		refused upsert writes nothing and raises refusal (42501).
 */
static void
privacy_write(FunctionCallInfo fcinfo, const char *table, int nkeys,
			  const char *upsert_sql, const char *remove_sql, const char *refusal)
{
	int			nargs = PG_NARGS();
	Datum		args[FUNC_MAX_ARGS];
	Oid			types[FUNC_MAX_ARGS];
	char		nulls[FUNC_MAX_ARGS];
	int			i;

	Assert(nargs < FUNC_MAX_ARGS && nkeys < nargs);
	for (i = 0; i < nargs; i++)
	{
		types[i] = get_fn_expr_argtype(fcinfo->flinfo, i);
		if (PG_ARGISNULL(i))
		{
			if (i < nkeys)
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("argument %d must not be NULL", i + 1)));
			nulls[i] = 'n';
			args[i] = (Datum) 0;
		}
		else
		{
			nulls[i] = ' ';
			args[i] = PG_GETARG_DATUM(i);
		}
	}
	steward_check_table_owner(DatumGetObjectId(args[0]), false);

	types[nargs] = NAMEOID;
	nulls[nargs] = ' ';
	args[nargs] = DirectFunctionCall1(namein,
									  CStringGetDatum(GetUserNameFromId(GetUserId(), false)));

	if (PG_ARGISNULL(nkeys))
		steward_config_exec(table, remove_sql, nargs + 1, types, args, nulls);
	else if (steward_config_exec(table, upsert_sql, nargs + 1, types, args, nulls) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s", refusal),
				 errhint("Use the documented function (see docs/privacy.md), which says what is wrong.")));
}

PG_FUNCTION_INFO_V1(steward_subject_write);

/*
 * subject_write(root_table regclass, name text, key_column name)
 *		Define (or redefine) a subject; NULL key_column removes it and its
 *		links.
 */
Datum
steward_subject_write(PG_FUNCTION_ARGS)
{
	privacy_write(fcinfo, "subjects", 2,
				  "INSERT INTO steward.subjects AS s (name, root_table, key_column, defined_by, defined_at) "
				  "SELECT $2, $1, $3, $4, pg_catalog.now() "
				  "WHERE EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) $1 "
				  "AND a.attname OPERATOR(pg_catalog.=) $3 AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) "
				  "ON CONFLICT ON CONSTRAINT subjects_pkey DO UPDATE "
				  "SET root_table = excluded.root_table, key_column = excluded.key_column, "
				  "defined_by = excluded.defined_by, defined_at = excluded.defined_at "
	/* moving a subject to another root needs the old root's owner: drop it first */
				  "WHERE s.root_table OPERATOR(pg_catalog.=) excluded.root_table",
				  "WITH d AS (DELETE FROM steward.subjects s "
				  "WHERE s.name OPERATOR(pg_catalog.=) $2 AND s.root_table OPERATOR(pg_catalog.=) $1 "
				  "RETURNING s.name) "
				  "DELETE FROM steward.subject_links l USING d "
				  "WHERE l.subject OPERATOR(pg_catalog.=) d.name",
				  "cannot define this subject: it exists on another table, or the key column does not exist");
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(steward_subject_link_write);

/*
 * subject_link_write(relation regclass, subject text, column_name name,
 *		via regclass, via_column name, json_path text[])
 *		Declare a link without a foreign key; NULL via removes it.
 */
Datum
steward_subject_link_write(PG_FUNCTION_ARGS)
{
	privacy_write(fcinfo, "subject_links", 3,
				  "INSERT INTO steward.subject_links AS l "
				  "(subject, relation, column_name, via, via_column, json_path, defined_by, defined_at) "
				  "SELECT $2, $1, $3, $4, $5, $6, $7, pg_catalog.now() "
	/* a table joins a subject's map only with the consent of the root's owner */
				  "WHERE EXISTS (SELECT FROM steward.subjects s JOIN pg_catalog.pg_class c "
				  "ON c.oid OPERATOR(pg_catalog.=) s.root_table "
				  "WHERE s.name OPERATOR(pg_catalog.=) $2 AND pg_catalog.pg_has_role($7, c.relowner, 'USAGE')) "
				  "AND $1 OPERATOR(pg_catalog.<>) $4 "
				  "AND EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) $1 "
				  "AND a.attname OPERATOR(pg_catalog.=) $3 AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) "
				  "AND EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) $4 "
				  "AND a.attname OPERATOR(pg_catalog.=) $5 AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) "
				  "AND ($6 IS NULL OR (pg_catalog.cardinality($6) OPERATOR(pg_catalog.>) 0 "
				  "AND pg_catalog.array_position($6, NULL) IS NULL)) "
				  "ON CONFLICT ON CONSTRAINT subject_links_pkey DO UPDATE "
				  "SET via = excluded.via, via_column = excluded.via_column, json_path = excluded.json_path, "
				  "defined_by = excluded.defined_by, defined_at = excluded.defined_at",
				  "DELETE FROM steward.subject_links l "
				  "WHERE l.subject OPERATOR(pg_catalog.=) $2 AND l.relation OPERATOR(pg_catalog.=) $1 "
				  "AND l.column_name OPERATOR(pg_catalog.=) $3",
				  "cannot declare this link: only the owner of the subject's root table may, between existing columns of two different tables");
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(steward_personal_data_write);

/*
 * personal_data_write(relation regclass, column_name name, category text,
 *		on_erase text, mask regproc)
 *		Declare a column's personal data; NULL category removes it.
 */
Datum
steward_personal_data_write(PG_FUNCTION_ARGS)
{
	privacy_write(fcinfo, "personal_columns", 2,
				  "INSERT INTO steward.personal_columns AS p "
				  "(relation, column_name, category, on_erase, mask, declared_by, declared_at) "
	/* the mask is stored by name (a regproc column would block pg_upgrade) */
				  "SELECT $1, $2, $3, $4, (SELECT pg_catalog.format('%I.%I', n.nspname, p.proname) "
				  "FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n "
				  "ON n.oid OPERATOR(pg_catalog.=) p.pronamespace WHERE p.oid OPERATOR(pg_catalog.=) $5), "
				  "$6, pg_catalog.now() "
				  "WHERE EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) $1 "
				  "AND a.attname OPERATOR(pg_catalog.=) $2 AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) "
				  "AND pg_catalog.btrim($3) OPERATOR(pg_catalog.<>) '' "
	/* an erasure runs the mask as whoever erases: only pg_steward's own */
				  "AND ($5 IS NULL OR EXISTS (SELECT FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n "
				  "ON n.oid OPERATOR(pg_catalog.=) p.pronamespace WHERE p.oid OPERATOR(pg_catalog.=) $5 "
				  "AND n.nspname OPERATOR(pg_catalog.=) 'steward' AND p.pronargs OPERATOR(pg_catalog.=) 1 "
				  "AND p.proname OPERATOR(pg_catalog.=) ANY ('{mask_email,mask_phone,mask_card,mask_iban,"
				  "mask_redact,mask_hash,pseudo_email,pseudo_first_name,pseudo_last_name,pseudo_city}'::pg_catalog.name[]))) "
				  "ON CONFLICT ON CONSTRAINT personal_columns_pkey DO UPDATE "
				  "SET category = excluded.category, on_erase = excluded.on_erase, mask = excluded.mask, "
				  "declared_by = excluded.declared_by, declared_at = excluded.declared_at",
				  "DELETE FROM steward.personal_columns p "
				  "WHERE p.relation OPERATOR(pg_catalog.=) $1 AND p.column_name OPERATOR(pg_catalog.=) $2",
				  "cannot declare this personal data: no such column, an empty category, or a mask that is not one of pg_steward's one-argument masking functions");
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(steward_subject_hold_write);

/*
 * subject_hold_write(relation regclass, reason text, keep interval,
 *		age_column name, until_column name, action text)
 *		Put a table under a legal hold; NULL reason lifts it.
 */
Datum
steward_subject_hold_write(PG_FUNCTION_ARGS)
{
	privacy_write(fcinfo, "subject_holds", 1,
				  "INSERT INTO steward.subject_holds AS h "
				  "(relation, reason, keep, age_column, until_column, action, declared_by, declared_at) "
				  "SELECT $1, $2, $3, $4, $5, $6, $7, pg_catalog.now() "
				  "WHERE pg_catalog.btrim($2) OPERATOR(pg_catalog.<>) '' "
				  "AND ($3 IS NULL) OPERATOR(pg_catalog.=) ($4 IS NULL) AND NOT ($3 IS NOT NULL AND $5 IS NOT NULL) "
				  "AND ($3 IS NULL OR $3 OPERATOR(pg_catalog.>=) '0'::pg_catalog.interval) "
				  "AND ($4 IS NULL OR EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) $1 "
				  "AND a.attname OPERATOR(pg_catalog.=) $4 AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped "
				  "AND a.atttypid IN ('pg_catalog.date'::pg_catalog.regtype, 'pg_catalog.timestamp'::pg_catalog.regtype, "
				  "'pg_catalog.timestamptz'::pg_catalog.regtype))) "
				  "AND ($5 IS NULL OR EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) $1 "
				  "AND a.attname OPERATOR(pg_catalog.=) $5 AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped "
				  "AND a.atttypid IN ('pg_catalog.date'::pg_catalog.regtype, 'pg_catalog.timestamp'::pg_catalog.regtype, "
				  "'pg_catalog.timestamptz'::pg_catalog.regtype))) "
				  "ON CONFLICT ON CONSTRAINT subject_holds_pkey DO UPDATE "
				  "SET reason = excluded.reason, keep = excluded.keep, age_column = excluded.age_column, "
				  "until_column = excluded.until_column, action = excluded.action, "
				  "declared_by = excluded.declared_by, declared_at = excluded.declared_at",
				  "DELETE FROM steward.subject_holds h WHERE h.relation OPERATOR(pg_catalog.=) $1",
				  "cannot declare this hold: it needs a reason, and keep with a date or timestamp age_column, or a date or timestamp until_column, or neither");
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(steward_retention_write);

/*
 * retention_write(relation regclass, age_column name, keep interval,
 *		action text, batch_size integer)
 *		Set a table's retention policy; NULL age_column removes it.
 */
Datum
steward_retention_write(PG_FUNCTION_ARGS)
{
	privacy_write(fcinfo, "retention_policies", 1,
				  "INSERT INTO steward.retention_policies AS r "
				  "(relation, age_column, keep, action, batch_size, defined_by, defined_at) "
				  "SELECT $1, $2, $3, $4, $5, $6, pg_catalog.now() "
				  "WHERE $3 OPERATOR(pg_catalog.>) '0'::pg_catalog.interval AND EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) $1 "
				  "AND a.attname OPERATOR(pg_catalog.=) $2 AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped "
				  "AND a.atttypid IN ('pg_catalog.date'::pg_catalog.regtype, 'pg_catalog.timestamp'::pg_catalog.regtype, "
				  "'pg_catalog.timestamptz'::pg_catalog.regtype)) "
				  "ON CONFLICT ON CONSTRAINT retention_policies_pkey DO UPDATE "
				  "SET age_column = excluded.age_column, keep = excluded.keep, action = excluded.action, "
				  "batch_size = excluded.batch_size, "
				  "defined_by = excluded.defined_by, defined_at = excluded.defined_at",
				  "DELETE FROM steward.retention_policies r WHERE r.relation OPERATOR(pg_catalog.=) $1",
				  "cannot set this retention policy: it needs a date or timestamp column and a positive keep");
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(steward_retention_note);

/*
 * retention_note(relation regclass, status text, rows bigint,
 *		batches bigint, error text)
 *		Record a retention run's state: status running with no batch yet
 *		starts a run; running again reports progress; done or failed ends it
 *		and adds its rows to the total.
 */
Datum
steward_retention_note(PG_FUNCTION_ARGS)
{
	privacy_write(fcinfo, "retention_runs", 1,
				  "INSERT INTO steward.retention_runs AS r "
				  "(relation, started_at, finished_at, status, rows, batches, error, runs, total_rows) "
				  "SELECT $1, pg_catalog.now(), "
				  "CASE WHEN $2 OPERATOR(pg_catalog.=) 'running' THEN NULL ELSE pg_catalog.now() END, "
				  "$2, $3, $4, $5, 1, "
				  "CASE WHEN $2 OPERATOR(pg_catalog.=) 'running' THEN 0 ELSE $3 END "
				  "WHERE $2 OPERATOR(pg_catalog.=) ANY ('{running,done,failed}'::pg_catalog.text[]) "
				  "AND $3 OPERATOR(pg_catalog.>=) 0 AND $4 OPERATOR(pg_catalog.>=) 0 "
				  "ON CONFLICT ON CONSTRAINT retention_runs_pkey DO UPDATE SET "
				  "started_at = CASE WHEN $2 OPERATOR(pg_catalog.=) 'running' AND $4 OPERATOR(pg_catalog.=) 0 "
				  "THEN pg_catalog.now() ELSE r.started_at END, "
				  "finished_at = CASE WHEN $2 OPERATOR(pg_catalog.=) 'running' THEN NULL ELSE pg_catalog.now() END, "
				  "status = $2, rows = $3, batches = $4, error = $5, "
				  "runs = r.runs OPERATOR(pg_catalog.+) CASE WHEN $2 OPERATOR(pg_catalog.=) 'running' "
				  "AND $4 OPERATOR(pg_catalog.=) 0 THEN 1 ELSE 0 END, "
				  "total_rows = r.total_rows OPERATOR(pg_catalog.+) CASE WHEN $2 OPERATOR(pg_catalog.<>) 'running' "
				  "THEN $3 ELSE 0 END",
				  "DELETE FROM steward.retention_runs r WHERE r.relation OPERATOR(pg_catalog.=) $1",
				  "cannot record this retention run: its status is running, done or failed, with counts not below zero");
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(steward_privacy_key_hash);

/*
 * privacy_key_hash(subject text, key text) returns text
 *		HMAC-SHA256 of subject and key under steward.privacy_key, in hex.
 *		The subject's name is part of the message (with a terminator), so
 *		customer 42 and employee 42 hash differently.
 */
Datum
steward_privacy_key_hash(PG_FUNCTION_ARGS)
{
	text	   *subject = PG_GETARG_TEXT_PP(0);
	text	   *key = PG_GETARG_TEXT_PP(1);
	pg_hmac_ctx *ctx;
	uint8		d[PG_SHA256_DIGEST_LENGTH];
	char		out[PG_SHA256_DIGEST_LENGTH * 2 + 1];
	static const char digits[] = "0123456789abcdef";
	static const uint8 zero = 0;
	int			i;

	if (privacy_key == NULL || strlen(privacy_key) < 16)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("steward.privacy_key is not set"),
				 errdetail("Erasure receipts and requests name a person by a keyed hash of the key; without a secret anyone could test guessed identifiers against them."),
				 errhint("A superuser sets a key of at least 16 bytes in postgresql.conf or with ALTER SYSTEM SET steward.privacy_key, then reloads.")));

	ctx = pg_hmac_create(PG_SHA256);
	if (ctx == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	if (pg_hmac_init(ctx, (const uint8 *) privacy_key, strlen(privacy_key)) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) VARDATA_ANY(subject), VARSIZE_ANY_EXHDR(subject)) < 0 ||
		pg_hmac_update(ctx, &zero, 1) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key)) < 0 ||
		pg_hmac_final(ctx, d, sizeof(d)) < 0)
	{
		pg_hmac_free(ctx);
		elog(ERROR, "could not compute HMAC-SHA256");
	}
	pg_hmac_free(ctx);
	for (i = 0; i < PG_SHA256_DIGEST_LENGTH; i++)
	{
		out[i * 2] = digits[d[i] >> 4];
		out[i * 2 + 1] = digits[d[i] & 0xF];
	}
	out[PG_SHA256_DIGEST_LENGTH * 2] = '\0';
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

/*
 * check_privacy_key
 *		A secret (see steward_check_secret_setting) of at least 16 bytes.
 */
static bool
check_privacy_key(char **newval, void **extra, GucSource source)
{
	if (!steward_check_secret_setting(newval, extra, source))
		return false;
	if ((*newval)[0] != '\0' && strlen(*newval) < 16)
	{
		GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
		GUC_check_errmsg("steward.privacy_key must be at least 16 bytes long");
		return false;
	}
	return true;
}

/*
 * steward_privacy_init
 *		The secret key of erasure receipts and request records.
 */
void
steward_privacy_init(void)
{
	DefineCustomStringVariable("steward.privacy_key",
							   "Secret key of the hashes that name erased persons in erasure receipts; at least 16 bytes.",
							   "Only superusers can set or read it. Keep it across restores: erasure_replay() needs it.",
							   &privacy_key, "",
							   PGC_SUSET,
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							   check_privacy_key, NULL, NULL);
}
