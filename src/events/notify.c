/*-------------------------------------------------------------------------
 *
 * notify.c
 *	  Change notifications: the trigger behind steward.notify_enable().
 *
 * steward.notify_trigger() is an AFTER INSERT/UPDATE/DELETE row trigger
 * (and an AFTER TRUNCATE statement trigger) that queues a NOTIFY with a
 * JSON payload: the operation, the table, the row's key, the names of the
 * columns an UPDATE changed, and the new values of the columns listed at
 * notify_enable().  NOTIFY is transactional: listeners hear of a change
 * only when, and if, its transaction commits.
 *
 * A payload never exceeds PostgreSQL's limit (NOTIFY_PAYLOAD_MAX_LENGTH,
 * 8000 bytes): one that would is reduced to the key and "truncated": true,
 * and one whose key alone is too long to the table and "truncated": true -
 * the change is always announced, and never fails because of its size.
 *
 * Trigger arguments: the channel, then the listed columns.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/genam.h"
#include "access/detoast.h"
#include "access/htup_details.h"
#include "catalog/partition.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "pg_steward.h"
#include "ops/status.h"

/*
 * The longest payload NOTIFY takes: commands/async.c refuses one of
 * NOTIFY_PAYLOAD_MAX_LENGTH (BLCKSZ - NAMEDATALEN - 128) bytes or more,
 * and keeps that definition private.
 */
#define STEWARD_NOTIFY_MAX	(BLCKSZ - NAMEDATALEN - 128 - 1)

/* What a trigger caches between rows (fn_extra): the table it names */
typedef struct NotifyCache
{
	Oid			relid;			/* the relation the trigger fires on */
	Oid			named;			/* the partitioned table's for a partition */
	char	   *schema;			/* the partitioned table's for a partition */
	char	   *table;
} NotifyCache;

PG_FUNCTION_INFO_V1(steward_notify_trigger);

/*
 * append_json_value
 *		A column's value as JSON: numbers and booleans as such, json and
 *		jsonb as they are, anything else as the string of its output.
 */
static void
append_json_value(StringInfo buf, Datum value, bool isnull, Oid typid)
{
	Oid			base = getBaseType(typid);
	Oid			outfunc;
	bool		varlena;
	char	   *text;

	if (isnull)
	{
		appendStringInfoString(buf, "null");
		return;
	}
	if (base == BOOLOID)
	{
		appendStringInfoString(buf, DatumGetBool(value) ? "true" : "false");
		return;
	}
	getTypeOutputInfo(typid, &outfunc, &varlena);
	text = OidOutputFunctionCall(outfunc, value);
	switch (base)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case OIDOID:
		case JSONOID:
		case JSONBOID:
			appendStringInfoString(buf, text);
			return;
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
			/* NaN and infinities are not JSON numbers */
			if (strspn(text, "0123456789+-.eE") == strlen(text) && strpbrk(text, "0123456789"))
			{
				appendStringInfoString(buf, text);
				return;
			}
			break;
		default:
			break;
	}
	escape_json(buf, text);
}

/*
 * append_key
 *		The row's key as a JSON object: the primary key's columns, else the
 *		replica identity index's; "null" when the table has neither.
 */
static void
append_key(StringInfo buf, Relation rel, TupleTableSlot *slot)
{
	Oid			indexoid = RelationGetPrimaryKeyIndex(rel);
	Relation	index;
	TupleDesc	desc = RelationGetDescr(rel);
	int			i;

	if (!OidIsValid(indexoid))
		indexoid = RelationGetReplicaIndex(rel);
	if (!OidIsValid(indexoid))
	{
		appendStringInfoString(buf, "null");
		return;
	}
	index = index_open(indexoid, AccessShareLock);
	appendStringInfoChar(buf, '{');
	for (i = 0; i < index->rd_index->indnkeyatts; i++)
	{
		AttrNumber	attno = index->rd_index->indkey.values[i];
		Form_pg_attribute att = TupleDescAttr(desc, attno - 1);
		bool		isnull;
		Datum		value = slot_getattr(slot, attno, &isnull);

		if (i > 0)
			appendStringInfoString(buf, ", ");
		escape_json(buf, NameStr(att->attname));
		appendStringInfoString(buf, ": ");
		append_json_value(buf, value, isnull, att->atttypid);
	}
	appendStringInfoChar(buf, '}');
	index_close(index, AccessShareLock);
}

/*
 * steward_notify_trigger
 *		AFTER ROW INSERT/UPDATE/DELETE and AFTER STATEMENT TRUNCATE;
 *		arguments: the channel, then the columns whose values are sent.
 */
Datum
steward_notify_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Trigger    *trigger;
	Relation	rel;
	TupleDesc	desc;
	TriggerEvent event;
	const char *op;
	Oid			named;
	char	   *schema;
	char	   *table;
	StringInfoData head;
	StringInfoData key;
	StringInfoData rest;
	StringInfoData payload;
	TupleTableSlot *slot = NULL;
	NotifyCache *cache;
	bool		oversize = false;
	int			i;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("steward.notify_trigger() must be called as a trigger")));
	trigger = trigdata->tg_trigger;
	event = trigdata->tg_event;
	if (!TRIGGER_FIRED_AFTER(event) || trigger->tgnargs < 1 ||
		(TRIGGER_FIRED_FOR_STATEMENT(event) && !TRIGGER_FIRED_BY_TRUNCATE(event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("steward.notify_trigger() must be an AFTER row trigger (or a TRUNCATE statement trigger) with a channel argument"),
				 errhint("Use steward.notify_enable().")));

	rel = trigdata->tg_relation;
	desc = RelationGetDescr(rel);

	/* a partition's changes are changes of the partitioned table */
	cache = (NotifyCache *) fcinfo->flinfo->fn_extra;
	if (cache == NULL || cache->relid != RelationGetRelid(rel))
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		named = RelationGetRelid(rel);
		if (rel->rd_rel->relispartition)
			named = llast_oid(get_partition_ancestors(named));
		if (cache == NULL)
			cache = palloc(sizeof(NotifyCache));
		cache->relid = RelationGetRelid(rel);
		cache->named = named;
		cache->schema = get_namespace_name(get_rel_namespace(named));
		cache->table = get_rel_name(named);
		fcinfo->flinfo->fn_extra = cache;
		MemoryContextSwitchTo(old);
	}
	schema = cache->schema;
	table = cache->table;

	if (TRIGGER_FIRED_BY_INSERT(event))
	{
		op = "INSERT";
		slot = trigdata->tg_trigslot;
	}
	else if (TRIGGER_FIRED_BY_UPDATE(event))
	{
		op = "UPDATE";
		slot = trigdata->tg_newslot;
	}
	else if (TRIGGER_FIRED_BY_DELETE(event))
	{
		op = "DELETE";
		slot = trigdata->tg_trigslot;
	}
	else
		op = "TRUNCATE";

	initStringInfo(&head);
	appendStringInfo(&head, "{\"op\": \"%s\", \"schema\": ", op);
	escape_json(&head, schema);
	appendStringInfoString(&head, ", \"table\": ");
	escape_json(&head, table);

	initStringInfo(&key);
	initStringInfo(&rest);
	if (slot != NULL)
	{
		appendStringInfoString(&key, ", \"key\": ");
		append_key(&key, rel, TRIGGER_FIRED_BY_UPDATE(event) ? trigdata->tg_trigslot : slot);

		if (TRIGGER_FIRED_BY_UPDATE(event))
		{
			TupleTableSlot *oldslot = trigdata->tg_trigslot;
			bool		first = true;

			slot_getallattrs(oldslot);
			slot_getallattrs(slot);
			appendStringInfoString(&rest, ", \"changed\": [");
			for (i = 0; i < desc->natts; i++)
			{
				Form_pg_attribute att = TupleDescAttr(desc, i);

				if (att->attisdropped)
					continue;
				if (oldslot->tts_isnull[i] == slot->tts_isnull[i] &&
					(slot->tts_isnull[i] ||
					 datumIsEqual(oldslot->tts_values[i], slot->tts_values[i],
								  att->attbyval, att->attlen)))
					continue;
				if (!first)
					appendStringInfoString(&rest, ", ");
				escape_json(&rest, NameStr(att->attname));
				first = false;
			}
			appendStringInfoChar(&rest, ']');
			/* an UPDATE that changed nothing is no change */
			if (first)
				return PointerGetDatum(NULL);
		}
		if (trigger->tgnargs > 1 && !TRIGGER_FIRED_BY_DELETE(event))
		{
			appendStringInfoString(&rest, ", \"values\": {");
			for (i = 1; i < trigger->tgnargs; i++)
			{
				int			attno = SPI_fnumber(desc, trigger->tgargs[i]);
				bool		isnull;
				Datum		value;

				if (i > 1)
					appendStringInfoString(&rest, ", ");
				escape_json(&rest, trigger->tgargs[i]);
				appendStringInfoString(&rest, ": ");
				if (attno <= 0 || TupleDescAttr(desc, attno - 1)->attisdropped)
				{
					/* a listed column dropped since: said, not an error */
					appendStringInfoString(&rest, "null");
					continue;
				}
				value = slot_getattr(slot, attno, &isnull);
				/* a value that cannot fit is not converted at all */
				if (!isnull && TupleDescAttr(desc, attno - 1)->attlen == -1 &&
					toast_raw_datum_size(value) > STEWARD_NOTIFY_MAX)
				{
					oversize = true;
					break;
				}
				append_json_value(&rest, value, isnull, TupleDescAttr(desc, attno - 1)->atttypid);
				if (rest.len > STEWARD_NOTIFY_MAX)
				{
					oversize = true;
					break;
				}
			}
			appendStringInfoChar(&rest, '}');
		}
	}

	/* the whole payload, or the key only, or the table only */
	initStringInfo(&payload);
	appendBinaryStringInfo(&payload, head.data, head.len);
	if (!oversize && head.len + key.len + rest.len + 1 <= STEWARD_NOTIFY_MAX)
	{
		appendBinaryStringInfo(&payload, key.data, key.len);
		appendBinaryStringInfo(&payload, rest.data, rest.len);
	}
	else if (head.len + key.len + 20 <= STEWARD_NOTIFY_MAX)
	{
		appendBinaryStringInfo(&payload, key.data, key.len);
		appendStringInfoString(&payload, ", \"truncated\": true");
	}
	else
		appendStringInfoString(&payload, ", \"truncated\": true");
	appendStringInfoChar(&payload, '}');

	Async_Notify(trigger->tgargs[0], payload.data);
	steward_status_count(cache->named, STATUS_NOTIFICATIONS, 1);
	return PointerGetDatum(NULL);
}
