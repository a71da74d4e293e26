/*-------------------------------------------------------------------------
 *
 * versioning.c
 *	  Optimistic concurrency: the row-version trigger.
 *
 * steward.versioning_trigger() is a BEFORE UPDATE row trigger installed by
 * versioning_enable().  An UPDATE must carry the version of the row it
 * read: NEW.version equal to OLD.version (a client that read version 3
 * writes SET ..., version = 3).  The trigger then stores OLD.version + 1.
 * If the row changed in between, OLD.version is newer than what the
 * client sent and the write is refused with SQLSTATE 40001
 * (serialization_failure), which drivers and ORMs treat as "retry"; in
 * mode last_write_wins the version is bumped whatever the client sent.
 *
 * Under READ COMMITTED a concurrent update of the same row makes the
 * second UPDATE wait, then re-run on the newest row version: OLD is that
 * version, so the stale write is caught there too.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "catalog/partition.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/int.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/rls.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "pg_steward.h"
#include "ops/status.h"

PG_FUNCTION_INFO_V1(steward_versioning_trigger);

/*
 * version_value
 *		A version column's value as int64 (NULL: 0, a row written before
 *		versioning was enabled).
 */
static int64
version_value(Datum value, bool isnull, Oid typid)
{
	if (isnull)
		return 0;
	switch (typid)
	{
		case INT2OID:
			return DatumGetInt16(value);
		case INT4OID:
			return DatumGetInt32(value);
		default:
			return DatumGetInt64(value);
	}
}

/*
 * row_description
 *		The row's key as PostgreSQL describes keys in its own errors,
 *		"(id)=(7)": the primary key, else the replica identity index; NULL
 *		when the table has neither or the caller may not see the columns.
 */
static char *
row_description(Relation rel, TupleTableSlot *slot)
{
	Oid			indexoid = RelationGetPrimaryKeyIndex(rel);
	Relation	index;
	Datum		values[INDEX_MAX_KEYS];
	bool		isnull[INDEX_MAX_KEYS];
	char	   *desc;
	int			i;

	if (!OidIsValid(indexoid))
		indexoid = RelationGetReplicaIndex(rel);
	if (!OidIsValid(indexoid))
		return NULL;
	index = index_open(indexoid, AccessShareLock);
	for (i = 0; i < index->rd_index->indnkeyatts; i++)
		values[i] = slot_getattr(slot, index->rd_index->indkey.values[i], &isnull[i]);
	desc = BuildIndexValueDescription(index, values, isnull);
	index_close(index, AccessShareLock);
	return desc;
}

/*
 * steward_versioning_trigger
 *		BEFORE UPDATE FOR EACH ROW; arguments: the version column, the mode.
 */
Datum
steward_versioning_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Trigger    *trigger;
	Relation	rel;
	TupleDesc	desc;
	TupleTableSlot *oldslot;
	TupleTableSlot *newslot;
	HeapTuple	newtup;
	Datum	   *values;
	bool	   *nulls;
	int			attnum;
	Oid			typid;
	bool		oldnull;
	bool		newnull;
	int64		oldver;
	int64		newver;
	int64		next;
	bool		reject;
	Datum		value;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("steward.versioning_trigger() must be called as a trigger")));
	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("steward.versioning_trigger() must be a BEFORE UPDATE row trigger")));
	trigger = trigdata->tg_trigger;
	if (trigger->tgnargs != 2)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("steward.versioning_trigger() takes the version column and the mode"),
				 errhint("Use steward.versioning_enable().")));

	rel = trigdata->tg_relation;
	desc = RelationGetDescr(rel);
	oldslot = trigdata->tg_trigslot;
	newslot = trigdata->tg_newslot;

	attnum = SPI_fnumber(desc, trigger->tgargs[0]);
	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("version column \"%s\" of relation \"%s\" does not exist",
						trigger->tgargs[0], RelationGetRelationName(rel)),
				 errhint("Run steward.versioning_enable() again with the column's new name.")));
	typid = TupleDescAttr(desc, attnum - 1)->atttypid;
	if (typid != INT2OID && typid != INT4OID && typid != INT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("version column \"%s\" of relation \"%s\" must be smallint, integer or bigint",
						trigger->tgargs[0], RelationGetRelationName(rel))));
	if (strcmp(trigger->tgargs[1], "reject") == 0)
		reject = true;
	else if (strcmp(trigger->tgargs[1], "last_write_wins") == 0)
		reject = false;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown versioning mode \"%s\"", trigger->tgargs[1])));

	/* (the null flag is set by slot_getattr: not in the same expression) */
	value = slot_getattr(oldslot, attnum, &oldnull);
	oldver = version_value(value, oldnull, typid);
	value = slot_getattr(newslot, attnum, &newnull);
	newver = version_value(value, newnull, typid);

	/* (a NULL version is version 0: an update may carry 0 for it) */
	if (reject && ((newnull && !oldnull) || (!newnull && oldver != newver)))
	{
		char	   *key = row_description(rel, oldslot);
		Oid			named = RelationGetRelid(rel);
		char	   *relname;

		/*
		 * The row's version only for those who may read it (UPDATE on the
		 * column alone does not let one read it; nor does a row that row
		 * security would hide from SELECT).
		 */
		bool		may_read = (pg_attribute_aclcheck(RelationGetRelid(rel), attnum, GetUserId(),
													  ACL_SELECT) == ACLCHECK_OK ||
								pg_class_aclcheck(RelationGetRelid(rel), GetUserId(),
												  ACL_SELECT) == ACLCHECK_OK) &&
			check_enable_rls(RelationGetRelid(rel), InvalidOid, true) != RLS_ENABLED;

		/* a partition's row is a row of the partitioned table */
		if (rel->rd_rel->relispartition)
			named = llast_oid(get_partition_ancestors(named));
		relname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(named)),
											 get_rel_name(named));
		steward_status_count_now(named, STATUS_VERSION_CONFLICTS, 1);

		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 key ?
				 errmsg("row %s of table %s was changed by another transaction", key, relname) :
				 errmsg("a row of table %s was changed by another transaction", relname),
				 !may_read ?
				 errdetail("The update carries a version that is not the row's.") :
				 newnull ?
				 errdetail("The row is at version " INT64_FORMAT "; this update carries no version.", oldver) :
				 errdetail("The row is at version " INT64_FORMAT "; this update was made from version " INT64_FORMAT ".",
						   oldver, newver),
				 errhint("Read the row again and retry the update with its current version.")));
	}

	/* the next version, in the column's type */
	if (pg_add_s64_overflow(oldver, 1, &next) ||
		(typid == INT2OID && next > PG_INT16_MAX) ||
		(typid == INT4OID && next > PG_INT32_MAX))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("version column \"%s\" of relation \"%s\" is out of range",
						trigger->tgargs[0], RelationGetRelationName(rel))));
	switch (typid)
	{
		case INT2OID:
			value = Int16GetDatum((int16) next);
			break;
		case INT4OID:
			value = Int32GetDatum((int32) next);
			break;
		default:
			value = Int64GetDatum(next);
			break;
	}
	/* the new row, with the next version */
	slot_getallattrs(newslot);
	values = palloc(sizeof(Datum) * desc->natts);
	nulls = palloc(sizeof(bool) * desc->natts);
	memcpy(values, newslot->tts_values, sizeof(Datum) * desc->natts);
	memcpy(nulls, newslot->tts_isnull, sizeof(bool) * desc->natts);
	values[attnum - 1] = value;
	nulls[attnum - 1] = false;
	newtup = heap_form_tuple(desc, values, nulls);
	return PointerGetDatum(newtup);
}

PG_FUNCTION_INFO_V1(steward_trigger_arguments);

/*
 * steward_trigger_arguments
 *		trigger_arguments(tgargs bytea, tgnargs int2) returns text[]
 *
 * A trigger's arguments from pg_trigger.tgargs: tgnargs strings, each
 * ended by a zero byte, in the database's encoding (for the views that
 * read the events capabilities' configuration back from their triggers).
 */
Datum
steward_trigger_arguments(PG_FUNCTION_ARGS)
{
	bytea	   *args = PG_GETARG_BYTEA_PP(0);
	int			nargs = PG_GETARG_INT16(1);
	const char *p = VARDATA_ANY(args);
	const char *end = p + VARSIZE_ANY_EXHDR(args);
	Datum	   *elems;
	int			n = 0;

	if (nargs < 0)
		nargs = 0;
	elems = palloc(sizeof(Datum) * Max(nargs, 1));
	while (n < nargs && p < end)
	{
		const char *zero = memchr(p, '\0', end - p);
		int			len = zero ? (int) (zero - p) : (int) (end - p);

		elems[n++] = PointerGetDatum(cstring_to_text_with_len(p, len));
		p += len + 1;
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}
