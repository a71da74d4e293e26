/*-------------------------------------------------------------------------
 *
 * ddl.c
 *	  Administrative operations: DDL, GRANT and REVOKE, into the audit log.
 *
 * steward.audit_ddl() is the function of two event triggers,
 * ddl_command_end (what was created or altered, GRANT/REVOKE included) and
 * sql_drop (what was dropped).  Each affected object becomes one DDL record
 * in steward.audit_log: the command tag, the object's type and identity,
 * who (context, session and effective roles), when, and the statement.
 * Left out, as noise: objects in temporary schemas and TOAST tables, the
 * member objects an extension script creates or DROP EXTENSION removes
 * (the CREATE/DROP EXTENSION itself is recorded), and dropped objects that
 * went only because of an internal or automatic dependency (an index with
 * its table); objects dropped by CASCADE are recorded.  GRANT and REVOKE
 * carry no object identity in the event trigger's data: their statement
 * (the query column) says what they changed.  Until the month has a
 * partition of its own in the log, DDL is reported to the server log.  steward.audit_ddl (a superuser-only setting, on
 * by default) turns the capture off.
 *
 * Like the row trigger, it writes with the audit writer (src/audit/audit.c),
 * so an ordinary role's DDL is recorded without any privilege on the log,
 * and a rolled-back DDL leaves no record.  Event triggers do not fire for
 * shared objects (roles, databases, tablespaces).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "commands/event_trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "tcop/cmdtag.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "pg_steward.h"
#include "audit/audit.h"

static bool audit_ddl = true;

/*
 * push_pair
 *		Append "key": value (a string, or null) to a jsonb object.
 */
static void
push_pair(JsonbParseState **state, const char *key, const char *value)
{
	JsonbValue	k;
	JsonbValue	v;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	pushJsonbValue(state, WJB_KEY, &k);
	if (value == NULL)
		v.type = jbvNull;
	else
	{
		v.type = jbvString;
		v.val.string.val = (char *) value;
		v.val.string.len = strlen(value);
	}
	pushJsonbValue(state, WJB_VALUE, &v);
}

/*
 * spi_text
 *		A column of the current SPI row as a C string, or NULL.
 */
static char *
spi_text(HeapTuple tuple, TupleDesc desc, int col)
{
	return SPI_getvalue(tuple, desc, col);
}

PG_FUNCTION_INFO_V1(steward_audit_ddl);

/*
 * steward_audit_ddl
 *		Event trigger for ddl_command_end and sql_drop.
 */
Datum
steward_audit_ddl(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	const char *tag;
	bool		drop;
	const char *sql;
	uint64		i;
	Oid			nsp;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("steward.audit_ddl() must be called as an event trigger")));
	if (!audit_ddl)
		PG_RETURN_VOID();

	/* nothing to write to while the extension itself is being dropped */
	nsp = get_namespace_oid("steward", true);
	if (!OidIsValid(nsp) || !OidIsValid(get_relname_relid("audit_log", nsp)))
		PG_RETURN_VOID();

	trigdata = (EventTriggerData *) fcinfo->context;
	tag = GetCommandTagName(trigdata->tag);
	drop = (strcmp(trigdata->event, "sql_drop") == 0);

	/*
	 * The members of a dropped extension are left out (the DROP EXTENSION
	 * is recorded): they come back with normal dependencies too.
	 *
	 * These queries run with the search_path of whoever issued the DDL:
	 * every operator and type is schema-qualified, or a role could plant
	 * look-alikes (an "=" that is always false) on its path and have its
	 * own DDL filtered out unrecorded.
	 */
	if (drop && trigdata->tag == CMDTAG_DROP_EXTENSION)
		sql = "SELECT object_type, schema_name, object_identity, original::pg_catalog.text "
			"FROM pg_catalog.pg_event_trigger_dropped_objects() "
			"WHERE original";
	else if (drop)
		sql = "SELECT object_type, schema_name, object_identity, original::pg_catalog.text "
			"FROM pg_catalog.pg_event_trigger_dropped_objects() "
			"WHERE NOT is_temporary AND (original OR normal) "
			"AND (schema_name IS NULL OR schema_name OPERATOR(pg_catalog.<>) 'pg_toast')";
	else
		sql = "SELECT object_type, schema_name, object_identity, NULL::pg_catalog.text "
			"FROM pg_catalog.pg_event_trigger_ddl_commands() "
			"WHERE NOT in_extension "
			"AND (schema_name IS NULL OR (NOT (schema_name OPERATOR(pg_catalog.~~) 'pg\\_temp%') "
			"AND schema_name OPERATOR(pg_catalog.<>) 'pg_toast'))";

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute(sql, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the event trigger's objects");

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *object_type = spi_text(tuple, desc, 1);
		char	   *schema = spi_text(tuple, desc, 2);
		char	   *identity = spi_text(tuple, desc, 3);
		char	   *original = spi_text(tuple, desc, 4);
		JsonbParseState *state = NULL;
		JsonbValue *detail;

		pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
		push_pair(&state, "command_tag", tag);
		push_pair(&state, "object_type", object_type);
		push_pair(&state, "object_identity", identity);
		if (drop)
			push_pair(&state, "cascaded", strcmp(original, "true") == 0 ? "false" : "true");
		detail = pushJsonbValue(&state, WJB_END_OBJECT, NULL);

		/*
		 * Before the month has a partition of its own (right after CREATE
		 * EXTENSION, or while pg_restore rebuilds a database) DDL goes to
		 * the server log: records in the default partition would make the
		 * month's partition impossible to create.
		 */
		if (!steward_audit_has_month_partition())
		{
			ereport(LOG,
					(errmsg("pg_steward audit: %s %s %s by %s (the audit log has no partition for this month yet)",
							tag, object_type ? object_type : "", identity ? identity : "",
							GetUserNameFromId(GetUserId(), false))));
			continue;
		}

		steward_audit_event_write("DDL", schema, NULL, debug_query_string,
								  JsonbPGetDatum(JsonbValueToJsonb(detail)));
	}
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * steward_audit_ddl_init
 *		The steward.audit_ddl setting; called by _PG_init.
 */
void
steward_audit_ddl_init(void)
{
	DefineCustomBoolVariable("steward.audit_ddl",
							 "Record DDL, GRANT and REVOKE in the audit log.",
							 NULL,
							 &audit_ddl, true,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);
}
