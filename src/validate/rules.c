/*-------------------------------------------------------------------------
 *
 * rules.c
 *	  Declarative table rules: the C BEFORE trigger behind
 *	  steward.validate_attach() / validate_column(), validate_row() and
 *	  validate_report().
 *
 * A table's rules are rows of steward.validation_config, each a JSON
 * Schema for the row seen as a JSON object of its columns.  The trigger
 * validates each inserted or updated row against every rule of its table
 * (of the partitioned table, for a partition) and refuses a row that fails
 * with 23514, listing every failing field with its path and message
 * (messages never quote values).
 *
 * Per backend and table, a cache holds the compiled rules and the columns
 * in the order JSON Schema sees them (jsonb key order), so that a row is
 * turned into the validator's input without building any jsonb: numbers,
 * strings and booleans point at or wrap the column values.  Writing the
 * configuration (validation_rule_write) sends a relcache invalidation of
 * the table, which empties the cache entries of that table in every
 * backend; a change of the schema registry empties all of them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "pg_steward.h"
#include "common/config.h"
#include "ops/status.h"
#include "validate/jsonschema.h"

/* How a column's value becomes a JSON value (as to_jsonb would make it) */
typedef enum ColumnKind
{
	CK_INT,						/* int2, int4, int8 */
	CK_FLOAT,					/* float4, float8 */
	CK_NUMERIC,
	CK_BOOL,
	CK_TEXT,					/* text, varchar, bpchar, and the like */
	CK_JSONB,
	CK_JSON,
	CK_DATETIME,				/* date, time(tz), timestamp(tz) */
	CK_ARRAY,
	CK_COMPOSITE,
	CK_OTHER					/* the output function's text */
} ColumnKind;

typedef struct RuleColumn
{
	AttrNumber	attnum;
	Oid			typid;			/* the base type of a domain */
	ColumnKind	kind;
	Oid			outfunc;
	char	   *name;
	int			namelen;
} RuleColumn;

typedef struct RuleSet
{
	Oid			relid;			/* hash key: the relation the trigger fires on */
	bool		valid;
	uint32		generation;		/* bumped by each invalidation */
	int			busy;			/* callers using it: not reloaded meanwhile */
	Oid			root;			/* the table the rules belong to */
	char	   *relname;		/* the root, qualified, for messages */
	MemoryContext cxt;
	int			ncols;
	RuleColumn *cols;			/* in jsonb key order */
	int			nrules;
	JsUnit	  **units;
} RuleSet;

static HTAB *rule_sets = NULL;
static Oid	config_relid = InvalidOid;
static Oid	registry_relid = InvalidOid;
static MemoryContext row_cxt = NULL;

/*
 * rules_callback
 *		Relcache invalidation: the rule sets of that table (or its
 *		partitions), all of them for the registry or a full reset.
 */
static void
rules_callback(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS seq;
	RuleSet    *rs;

	/* (no catalog access here: the OIDs were looked up beforehand) */
	if (rule_sets == NULL)
		return;
	hash_seq_init(&seq, rule_sets);
	while ((rs = hash_seq_search(&seq)) != NULL)
		if (!OidIsValid(relid) || relid == rs->relid || relid == rs->root ||
			relid == registry_relid || relid == config_relid)
		{
			rs->valid = false;
			rs->generation++;
		}
}

static void
ruleset_free(RuleSet *rs)
{
	int			i;

	for (i = 0; i < rs->nrules; i++)
		if (rs->units[i])
			js_unit_free(rs->units[i]);
	if (rs->cxt)
		MemoryContextDelete(rs->cxt);
	rs->cxt = NULL;
	rs->nrules = 0;
	rs->units = NULL;
	rs->ncols = 0;
	rs->cols = NULL;
}

static int
column_cmp(const void *a, const void *b)
{
	const RuleColumn *ca = a;
	const RuleColumn *cb = b;

	if (ca->namelen != cb->namelen)
		return ca->namelen < cb->namelen ? -1 : 1;
	return memcmp(ca->name, cb->name, ca->namelen);
}

static ColumnKind
column_kind(Oid typid)
{
	switch (typid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
			return CK_INT;
		case FLOAT4OID:
		case FLOAT8OID:
			return CK_FLOAT;
		case NUMERICOID:
			return CK_NUMERIC;
		case BOOLOID:
			return CK_BOOL;
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
			return CK_TEXT;
		case JSONBOID:
			return CK_JSONB;
		case JSONOID:
			return CK_JSON;
		case DATEOID:
		case TIMEOID:
		case TIMETZOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return CK_DATETIME;
	}
	if (OidIsValid(get_element_type(typid)))
		return CK_ARRAY;
	if (type_is_rowtype(typid))
		return CK_COMPOSITE;
	return CK_OTHER;
}

/*
 * ruleset_load
 *		Read the rules of the table relid belongs to, compile them, and
 *		list relid's columns.
 */
static void
ruleset_load(RuleSet *rs, Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	MemoryContext old;
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1];
	int			i;
	uint32		generation = rs->generation;

	ruleset_free(rs);
	rs->cxt = AllocSetContextCreate(CacheMemoryContext, "steward validation rules",
									ALLOCSET_SMALL_SIZES);
	rs->root = RelationGetRelid(rel);
	if (rel->rd_rel->relispartition)
		rs->root = llast_oid(get_partition_ancestors(rs->root));
	old = MemoryContextSwitchTo(rs->cxt);
	rs->relname = steward_qualified_relname(rs->root);

	/* the columns, in the order of the keys of a jsonb object */
	rs->cols = palloc(sizeof(RuleColumn) * Max(desc->natts, 1));
	rs->ncols = 0;
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		RuleColumn *c;
		bool		varlena;

		if (att->attisdropped || att->attgenerated)
			continue;
		c = &rs->cols[rs->ncols++];
		c->attnum = att->attnum;
		c->typid = getBaseType(att->atttypid);
		c->kind = column_kind(c->typid);
		getTypeOutputInfo(c->typid, &c->outfunc, &varlena);
		c->name = pstrdup(NameStr(att->attname));
		c->namelen = strlen(c->name);
	}
	qsort(rs->cols, rs->ncols, sizeof(RuleColumn), column_cmp);
	MemoryContextSwitchTo(old);

	/* the rules, compiled */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	args[0] = ObjectIdGetDatum(rs->root);

	/*
	 * The latest committed rules, not those of the transaction's snapshot
	 * (a REPEATABLE READ transaction would otherwise cache rules that later
	 * transactions no longer have).
	 */
	steward_config_read("steward.validation_config",
						"SELECT schema FROM steward.validation_config "
						"WHERE relation OPERATOR(pg_catalog.=) $1 ORDER BY id",
						1, argtypes, args, 0);
	old = MemoryContextSwitchTo(rs->cxt);
	rs->units = palloc0(sizeof(JsUnit *) * Max(SPI_processed, 1));
	MemoryContextSwitchTo(old);
	for (i = 0; i < (int) SPI_processed; i++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);

		if (isnull)
			continue;
		rs->units[rs->nrules] = js_compile_owned(DatumGetJsonbP(d), 0);
		rs->nrules++;
	}
	SPI_finish();
	/* an invalidation that arrived while loading: load again next time */
	rs->valid = (rs->generation == generation);
}

/*
 * ruleset_get
 *		The rules (and column list) of the relation rel, from the cache.
 */
static RuleSet *
ruleset_get(Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	RuleSet    *rs;
	bool		found;

	if (rule_sets == NULL)
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(RuleSet);
		ctl.hcxt = CacheMemoryContext;
		rule_sets = hash_create("steward validation rule sets", 16, &ctl,
								HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		steward_register_relcache_callback(rules_callback, (Datum) 0);
	}
	if (!OidIsValid(config_relid) || !OidIsValid(registry_relid))
	{
		Oid			nsp = get_namespace_oid("steward", true);

		if (OidIsValid(nsp))
		{
			config_relid = get_relname_relid("validation_config", nsp);
			registry_relid = get_relname_relid("jsonschema_registry", nsp);
		}
	}
	rs = hash_search(rule_sets, &relid, HASH_ENTER, &found);
	if (!found)
	{
		memset(((char *) rs) + sizeof(Oid), 0, sizeof(RuleSet) - sizeof(Oid));
		rs->valid = false;
	}
	/* one in use further up the stack stays as it is until it is let go */
	if (!rs->valid && rs->busy == 0)
	{
		PG_TRY();
		{
			ruleset_load(rs, rel);
		}
		PG_CATCH();
		{
			ruleset_free(rs);
			rs->valid = false;
			PG_RE_THROW();
		}
		PG_END_TRY();
	}
	return rs;
}

/*
 * column_json
 *		A column value as the JsonbValue to_jsonb() would make of it
 *		(strings and numbers point into the datum; containers are jsonb).
 */
static void
column_json(const RuleColumn *c, Datum value, bool isnull, JsonbValue *v)
{
	if (isnull)
	{
		v->type = jbvNull;
		return;
	}
	switch (c->kind)
	{
		case CK_INT:
			v->type = jbvNumeric;
			v->val.numeric = int64_to_numeric(c->typid == INT2OID ? DatumGetInt16(value) :
											  c->typid == INT4OID ? DatumGetInt32(value) :
											  DatumGetInt64(value));
			return;
		case CK_FLOAT:
			{
				double		f = c->typid == FLOAT4OID ? DatumGetFloat4(value) : DatumGetFloat8(value);

				if (isnan(f) || isinf(f))
					break;		/* a string, as to_jsonb makes it */

				/*
				 * As to_jsonb: the shortest text that reads back as the same
				 * float (0.1::real is 0.1, not 0.100000001490116).
				 */
				v->type = jbvNumeric;
				v->val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in,
																	 CStringGetDatum(OidOutputFunctionCall(c->outfunc, value)),
																	 ObjectIdGetDatum(InvalidOid),
																	 Int32GetDatum(-1)));
				return;
			}
		case CK_NUMERIC:
			{
				Numeric		n = DatumGetNumeric(value);

				if (numeric_is_nan(n) || numeric_is_inf(n))
					break;
				v->type = jbvNumeric;
				v->val.numeric = n;
				return;
			}
		case CK_BOOL:
			v->type = jbvBool;
			v->val.boolean = DatumGetBool(value);
			return;
		case CK_TEXT:
			{
				text	   *t = DatumGetTextPP(value);

				v->type = jbvString;
				v->val.string.val = VARDATA_ANY(t);
				v->val.string.len = VARSIZE_ANY_EXHDR(t);
				return;
			}
		case CK_JSONB:
			{
				Jsonb	   *jb = DatumGetJsonbP(value);

				if (JB_ROOT_IS_SCALAR(jb))
				{
					JsonbValue *s = getIthJsonbValueFromContainer(&jb->root, 0);

					*v = *s;
				}
				else
				{
					v->type = jbvBinary;
					v->val.binary.data = &jb->root;
					v->val.binary.len = VARSIZE(jb) - VARHDRSZ;
				}
				return;
			}
		case CK_DATETIME:
			{
				char		buf[MAXDATELEN + 1];
				char	   *s = JsonEncodeDateTime(buf, value, c->typid, NULL);

				v->type = jbvString;
				v->val.string.val = pstrdup(s);
				v->val.string.len = strlen(s);
				return;
			}
		case CK_JSON:
		case CK_ARRAY:
		case CK_COMPOSITE:
			{
				Datum		json;
				Jsonb	   *jb;

				if (c->kind == CK_JSON)
					json = value;
				else if (c->kind == CK_ARRAY)
					json = DirectFunctionCall1(array_to_json, value);
				else
					json = DirectFunctionCall1(row_to_json, value);
				jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
														CStringGetDatum(TextDatumGetCString(json))));
				if (JB_ROOT_IS_SCALAR(jb))
					*v = *getIthJsonbValueFromContainer(&jb->root, 0);
				else
				{
					v->type = jbvBinary;
					v->val.binary.data = &jb->root;
					v->val.binary.len = VARSIZE(jb) - VARHDRSZ;
				}
				return;
			}
		case CK_OTHER:
			break;
	}
	{
		char	   *s = OidOutputFunctionCall(c->outfunc, value);

		v->type = jbvString;
		v->val.string.val = s;
		v->val.string.len = strlen(s);
	}
}

/*
 * row_object
 *		The keys and values of a row as the object the rules validate:
 *		2 * n JsonbValues, keys first (jsonb order), then values; `present`
 *		(if not NULL) leaves out the columns it marks false.
 */
static JsonbValue *
row_object(RuleSet *rs, Datum *values, bool *nulls, const bool *present,
		   const JsonbValue *direct, int *n)
{
	JsonbValue *kv = palloc(sizeof(JsonbValue) * 2 * Max(rs->ncols, 1));
	int			count = 0;
	int			i;

	for (i = 0; i < rs->ncols; i++)
		if (present == NULL || present[i])
			count++;
	*n = count;
	count = 0;
	for (i = 0; i < rs->ncols; i++)
	{
		RuleColumn *c = &rs->cols[i];
		int			a = c->attnum - 1;

		if (present != NULL && !present[i])
			continue;
		kv[count].type = jbvString;
		kv[count].val.string.val = c->name;
		kv[count].val.string.len = c->namelen;
		if (direct != NULL && direct[i].type != jbvNull)
			kv[*n + count] = direct[i];	/* a JSON value given as it is */
		else
			column_json(c, values[a], nulls[a], &kv[*n + count]);
		count++;
	}
	return kv;
}

/*
 * row_errors
 *		Validate an object against every rule: NIL when valid, otherwise
 *		every error (the fast check first; errors only for a failing row).
 */
static List *
row_errors(RuleSet *rs, int n, JsonbValue *kv)
{
	List	   *errors = NIL;
	int			i;
	bool		ok = true;

	for (i = 0; i < rs->nrules && ok; i++)
		ok = js_validate_object(rs->units[i], n, kv, NULL);
	if (ok)
		return NIL;
	for (i = 0; i < rs->nrules; i++)
		(void) js_validate_object(rs->units[i], n, kv, &errors);
	return errors;
}

PG_FUNCTION_INFO_V1(steward_validate_trigger);

/*
 * steward_validate_trigger
 *		BEFORE INSERT OR UPDATE row trigger installed by validate_attach()
 *		and validate_column(): the new row must satisfy every rule of its
 *		table; 23514 listing every failing field otherwise.
 */
Datum
steward_validate_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	HeapTuple	tuple;
	Relation	rel;
	RuleSet    *rs;
	MemoryContext old;
	List	   *errors;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) || TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("steward.validate_trigger() must be a BEFORE INSERT OR UPDATE row trigger"),
				 errhint("Use steward.validate_attach() or steward.validate_column().")));
	rel = trigdata->tg_relation;
	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? trigdata->tg_newtuple : trigdata->tg_trigtuple;
	rs = ruleset_get(rel);
	if (rs->nrules == 0)
		return PointerGetDatum(tuple);

	if (row_cxt == NULL)
		row_cxt = AllocSetContextCreate(TopMemoryContext, "steward validation row",
										ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(row_cxt);
	rs->busy++;
	PG_TRY();
	{
		TupleDesc	desc = RelationGetDescr(rel);
		Datum	   *values = palloc(sizeof(Datum) * desc->natts);
		bool	   *nulls = palloc(sizeof(bool) * desc->natts);
		JsonbValue *kv;
		int			n;

		heap_deform_tuple(tuple, desc, values, nulls);
		kv = row_object(rs, values, nulls, NULL, NULL, &n);
		MemoryContextSwitchTo(old);
		errors = row_errors(rs, n, kv);
		if (errors != NIL)
		{
			StringInfoData detail;
			ListCell   *lc;

			initStringInfo(&detail);
			foreach(lc, errors)
			{
				JsError    *e = lfirst(lc);

				/* keys that come from the data show as "*": they may be personal */
				appendStringInfo(&detail, "%s%s: %s", detail.len ? "; " : "",
								 e->safe_path[0] ? e->safe_path : "(row)", e->message);
			}
			steward_status_count_now(rs->root, STATUS_VALIDATION_FAILURES, 1);
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("row of table %s violates its validation rules (%d error%s)",
							rs->relname, list_length(errors), list_length(errors) == 1 ? "" : "s"),
					 errdetail("%s", detail.data),
					 errhint("steward.validate_row() lists the errors as rows; steward.validation_rules shows the rules."),
					 errtable(rel)));
		}
	}
	PG_FINALLY();
	{
		rs->busy--;
		MemoryContextSwitchTo(old);
		MemoryContextReset(row_cxt);
	}
	PG_END_TRY();
	return PointerGetDatum(tuple);
}

/*
 * open_table
 *		The table a validation function names, opened for reading; the
 *		caller must be allowed to SELECT from it.
 */
static Relation
open_table(Oid relid)
{
	Relation	rel = table_open(relid, AccessShareLock);

	if (rel->rd_rel->relkind != RELKIND_RELATION &&
		rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table", RelationGetRelationName(rel))));
	return rel;
}

static void
put_error(ReturnSetInfo *rsinfo, Datum key, bool keynull, JsError *e, int offset)
{
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};
	int			i = 0;

	if (offset)
	{
		values[i] = key;
		nulls[i] = keynull;
		i++;
	}
	values[i++] = CStringGetTextDatum(e->instance_path);
	values[i++] = CStringGetTextDatum(e->schema_path);
	values[i++] = CStringGetTextDatum(e->keyword);
	values[i++] = CStringGetTextDatum(e->message);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * input_value
 *		text read by the input function of a column's type (domains
 *		checked) into *value; false if the type refuses it.  Only a data
 *		exception or a constraint violation (the classes 22 and 23) counts
 *		as refusal: anything else (a cancel, out of memory) is raised.
 */
static bool
input_value(Oid typid, int32 typmod, char *text, Datum *value)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	Oid			infunc;
	Oid			ioparam;
	volatile bool ok = true;

	getTypeInputInfo(typid, &infunc, &ioparam);
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		*value = OidInputFunctionCall(infunc, text, ioparam, typmod);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (ERRCODE_TO_CATEGORY(edata->sqlerrcode) != ERRCODE_DATA_EXCEPTION &&
			ERRCODE_TO_CATEGORY(edata->sqlerrcode) != ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION)
			ReThrowError(edata);
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

/*
 * candidate_errors
 *		The errors of a candidate row (see steward_validate_row).
 */
static List *
candidate_errors(RuleSet *rs, Relation rel, Jsonb *candidate)
{
	TupleDesc	desc;
	Datum	   *values;
	bool	   *nulls;
	bool	   *present;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	List	   *errors = NIL;
	JsonbValue *kv;
	JsonbValue *direct;
	int			n;
	int			i;

	desc = RelationGetDescr(rel);
	values = palloc0(sizeof(Datum) * desc->natts);
	nulls = palloc(sizeof(bool) * desc->natts);
	present = palloc0(sizeof(bool) * Max(rs->ncols, 1));
	direct = palloc(sizeof(JsonbValue) * Max(rs->ncols, 1));
	for (i = 0; i < rs->ncols; i++)
		direct[i].type = jbvNull;
	memset(nulls, true, sizeof(bool) * desc->natts);

	it = JsonbIteratorInit(&candidate->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		RuleColumn key;
		RuleColumn *c;
		JsonbValue	val;
		JsError    *e;

		if (tok != WJB_KEY)
			continue;
		key.name = v.val.string.val;
		key.namelen = v.val.string.len;
		tok = JsonbIteratorNext(&it, &val, true);
		c = bsearch(&key, rs->cols, rs->ncols, sizeof(RuleColumn), column_cmp);
		e = NULL;
		if (c == NULL)
		{
			char	   *name = pnstrdup(key.name, key.namelen);
			int			attnum = SPI_fnumber(desc, name);
			StringInfoData path;

			initStringInfo(&path);
			js_pointer_append(&path, key.name, key.namelen);
			e = palloc(sizeof(JsError));
			e->instance_path = path.data;
			e->safe_path = path.data;
			e->schema_path = "";
			e->keyword = "column";
			if (attnum > 0 && TupleDescAttr(desc, attnum - 1)->attgenerated)
				e->message = pstrdup("is a generated column: the table computes it");
			else
				e->message = psprintf("is not a column of table %s", rs->relname);
		}
		else if (val.type == jbvNull)
			present[c - rs->cols] = true;
		else if (val.type == jbvBinary && (c->kind == CK_ARRAY || c->kind == CK_COMPOSITE))
		{
			/*
			 * An array or object for an array or composite column: the
			 * rules see it as given (as to_jsonb would show the converted
			 * value); its items are not converted one by one.
			 */
			present[c - rs->cols] = true;
			direct[c - rs->cols] = val;
		}
		else
		{
			/* the value in the column's type, as an INSERT would take it */
			Form_pg_attribute att = TupleDescAttr(desc, c->attnum - 1);
			char	   *text;

			if (val.type == jbvString)
				text = pnstrdup(val.val.string.val, val.val.string.len);
			else if (val.type == jbvBinary)
				text = JsonbToCString(NULL, val.val.binary.data, val.val.binary.len);
			else
			{
				JsonbValue	scalar = val;
				Jsonb	   *jb = JsonbValueToJsonb(&scalar);

				text = JsonbToCString(NULL, &jb->root, VARSIZE(jb));
			}
			if (input_value(att->atttypid, att->atttypmod, text, &values[c->attnum - 1]))
			{
				nulls[c->attnum - 1] = false;
				present[c - rs->cols] = true;
			}
			else
			{
				StringInfoData path;

				initStringInfo(&path);
				js_pointer_append(&path, c->name, c->namelen);
				e = palloc(sizeof(JsError));
				e->instance_path = path.data;
				e->safe_path = path.data;
				e->schema_path = "";
				e->keyword = "column";
				e->message = psprintf("must be a valid %s", format_type_be(att->atttypid));
			}
		}
		if (e)
			errors = lappend(errors, e);
	}

	kv = row_object(rs, values, nulls, present, direct, &n);
	errors = list_concat(errors, row_errors(rs, n, kv));
	return errors;
}

PG_FUNCTION_INFO_V1(steward_validate_row);

/*
 * steward_validate_row
 *		validate_row(relation regclass, candidate jsonb) returns table
 *		(instance_path, schema_path, keyword, message): the errors the rules
 *		of the table would raise for a row made of the candidate's keys
 *		(each converted to its column's type; columns it leaves out are not
 *		validated), without writing anything.  A key that is no column, or
 *		a value its column's type does not take, is an error row too.
 */
Datum
steward_validate_row(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			relid;
	Jsonb	   *candidate;
	Relation	rel;
	RuleSet    *rs;
	List	   *volatile errors = NIL;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("table and candidate row must not be NULL")));
	relid = PG_GETARG_OID(0);
	candidate = PG_GETARG_JSONB_P(1);
	if (JB_ROOT_IS_SCALAR(candidate) || !JB_ROOT_IS_OBJECT(candidate))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the candidate row must be a JSON object of column names and values")));
	if (pg_class_aclcheck(relid, GetUserId(), ACL_INSERT | ACL_UPDATE) != ACLCHECK_OK &&
		pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", get_rel_name(relid))));
	rel = open_table(relid);
	rs = ruleset_get(rel);
	rs->busy++;
	PG_TRY();
	{
		errors = candidate_errors(rs, rel, candidate);
	}
	PG_FINALLY();
	{
		rs->busy--;
	}
	PG_END_TRY();
	foreach(lc, errors)
		put_error(rsinfo, (Datum) 0, true, lfirst(lc), 0);
	table_close(rel, AccessShareLock);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(steward_validate_report);

/*
 * row_key_json
 *		The key that names a row of the report: its primary key's columns,
 *		or its ctid (and, in a partitioned table, its partition).
 */
static Datum
row_key_json(Relation rel, List *key_cols, Datum *values, bool *nulls, Datum ctid,
			 Oid tableoid)
{
	StringInfoData key;
	TupleDesc	desc = RelationGetDescr(rel);

	initStringInfo(&key);
	appendStringInfoChar(&key, '{');
	if (key_cols != NIL)
	{
		ListCell   *kc;

		foreach(kc, key_cols)
		{
			int			att = lfirst_int(kc);
			Form_pg_attribute fa = TupleDescAttr(desc, att - 1);

			if (key.len > 1)
				appendStringInfoString(&key, ", ");
			escape_json(&key, NameStr(fa->attname));
			appendStringInfoString(&key, ": ");
			if (nulls[att - 1])
				appendStringInfoString(&key, "null");
			else
			{
				Oid			out;
				bool		varlena;
				char	   *text;

				getTypeOutputInfo(fa->atttypid, &out, &varlena);
				text = OidOutputFunctionCall(out, values[att - 1]);
				if (column_kind(getBaseType(fa->atttypid)) == CK_INT)
					appendStringInfoString(&key, text);
				else
					escape_json(&key, text);
			}
		}
	}
	else
	{
		appendStringInfoString(&key, "\"ctid\": ");
		escape_json(&key, OidOutputFunctionCall(F_TIDOUT, ctid));
		if (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
		{
			appendStringInfoString(&key, ", \"partition\": ");
			escape_json(&key, steward_qualified_relname(tableoid));
		}
	}
	appendStringInfoChar(&key, '}');
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(key.data));
}

/*
 * steward_validate_report
 *		validate_report(relation regclass, max_rows bigint DEFAULT NULL)
 *		returns table (row_key jsonb, instance_path, schema_path, keyword,
 *		message): the existing rows (the first max_rows read, or all) that
 *		the table's rules refuse, with their key (the primary key's columns,
 *		or the ctid), one row per error.  The rows are read with the
 *		caller's privileges and row-level security.
 */
Datum
steward_validate_report(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			relid;
	int64		max_rows;
	Relation	rel;
	RuleSet    *rs;
	StringInfoData sql;
	List	   *key_cols = NIL;
	TupleDesc	desc;
	int		   *column_of;		/* attnum - 1 -> query column, 0: none */
	int			ncolumns = 2;	/* ctid, tableoid */
	MemoryContext per_row;
	int			a;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("table must not be NULL")));
	relid = PG_GETARG_OID(0);
	max_rows = PG_ARGISNULL(1) ? -1 : PG_GETARG_INT64(1);
	if (!PG_ARGISNULL(1) && max_rows < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_rows must not be negative")));
	/* the privilege first, before any lock */
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", get_rel_name(relid))));
	rel = open_table(relid);
	rs = ruleset_get(rel);
	if (rs->nrules == 0)
	{
		table_close(rel, AccessShareLock);
		return (Datum) 0;
	}
	desc = RelationGetDescr(rel);

	/* the key that names a row: the primary key, or the ctid */
	{
		Oid			pk = RelationGetPrimaryKeyIndex(rel);

		if (OidIsValid(pk))
		{
			Relation	idx = index_open(pk, AccessShareLock);
			int			i;

			for (i = 0; i < idx->rd_index->indnkeyatts; i++)
				key_cols = lappend_int(key_cols, idx->rd_index->indkey.values[i]);
			index_close(idx, AccessShareLock);
		}
	}

	/* the columns by name (a "*" would skip dropped ones) */
	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT ctid, tableoid");
	column_of = palloc0(sizeof(int) * Max(desc->natts, 1));
	for (a = 0; a < desc->natts; a++)
	{
		if (TupleDescAttr(desc, a)->attisdropped)
			continue;
		appendStringInfo(&sql, ", %s", quote_identifier(NameStr(TupleDescAttr(desc, a)->attname)));
		column_of[a] = ++ncolumns;
	}
	appendStringInfo(&sql, " FROM %s", steward_qualified_relname(relid));

	per_row = AllocSetContextCreate(CurrentMemoryContext, "steward validate_report row",
									ALLOCSET_DEFAULT_SIZES);
	rs->busy++;
	PG_TRY();
	{
		Portal		portal;
		int64		seen = 0;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		portal = SPI_cursor_open_with_args(NULL, sql.data, 0, NULL, NULL, NULL, true, 0);
		while (max_rows < 0 || seen < max_rows)
		{
			uint64		i;

			SPI_cursor_fetch(portal, true, 1000);
			if (SPI_processed == 0)
				break;
			for (i = 0; i < SPI_processed && (max_rows < 0 || seen < max_rows); i++)
			{
				HeapTuple	tup = SPI_tuptable->vals[i];
				TupleDesc	tdesc = SPI_tuptable->tupdesc;
				MemoryContext old = MemoryContextSwitchTo(per_row);
				Datum	   *values = palloc(sizeof(Datum) * desc->natts);
				bool	   *nulls = palloc(sizeof(bool) * desc->natts);
				JsonbValue *kv;
				List	   *errors;
				int			n;

				CHECK_FOR_INTERRUPTS();
				seen++;
				for (a = 0; a < desc->natts; a++)
				{
					if (column_of[a] == 0)
					{
						values[a] = (Datum) 0;
						nulls[a] = true;
					}
					else
						values[a] = SPI_getbinval(tup, tdesc, column_of[a], &nulls[a]);
				}
				kv = row_object(rs, values, nulls, NULL, NULL, &n);
				errors = row_errors(rs, n, kv);
				if (errors != NIL)
				{
					bool		isnull;
					Datum		ctid = SPI_getbinval(tup, tdesc, 1, &isnull);
					Oid			tableoid = DatumGetObjectId(SPI_getbinval(tup, tdesc, 2, &isnull));
					ListCell   *lc;
					Datum		keyd;

					MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
					keyd = row_key_json(rel, key_cols, values, nulls, ctid, tableoid);
					foreach(lc, errors)
						put_error(rsinfo, keyd, false, lfirst(lc), 1);
				}
				MemoryContextSwitchTo(old);
				MemoryContextReset(per_row);
			}
			SPI_freetuptable(SPI_tuptable);
		}
		SPI_cursor_close(portal);
		SPI_finish();
	}
	PG_FINALLY();
	{
		rs->busy--;
	}
	PG_END_TRY();
	MemoryContextDelete(per_row);
	table_close(rel, AccessShareLock);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(steward_validation_rule_write);

/*
 * steward_validation_rule_write
 *		validation_rule_write(relation regclass, column_name name, rule text,
 *		args jsonb, schema jsonb) returns void: store (or, with a NULL
 *		schema, remove) a rule; the caller must own the table.  The schema
 *		is compiled first, so an invalid one is refused (22023).
 */
Datum
steward_validation_rule_write(PG_FUNCTION_ARGS)
{
	Oid			relid;
	Datum		args[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	Oid			argtypes[6] = {REGCLASSOID, NAMEOID, TEXTOID, JSONBOID, JSONBOID, NAMEOID};

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("table and rule must not be NULL")));
	relid = PG_GETARG_OID(0);
	steward_check_table_owner(relid, false);
	args[0] = ObjectIdGetDatum(relid);
	args[1] = PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1);
	nulls[1] = PG_ARGISNULL(1) ? 'n' : ' ';
	args[2] = PG_GETARG_DATUM(2);
	args[3] = PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3);
	nulls[3] = PG_ARGISNULL(3) ? 'n' : ' ';
	if (!PG_ARGISNULL(4))
	{
		JsUnit	   *unit = js_compile_owned(PG_GETARG_JSONB_P(4), 0);

		js_unit_free(unit);
		args[4] = PG_GETARG_DATUM(4);
		args[5] = DirectFunctionCall1(namein,
									  CStringGetDatum(GetUserNameFromId(GetUserId(), false)));
		steward_config_exec("validation_config",
							"INSERT INTO steward.validation_config AS c (relation, column_name, "
							"rule, args, schema, created_by) VALUES ($1, $2, $3, $4, $5, $6) "
							"ON CONFLICT (relation, column_name, rule) DO UPDATE SET "
							"args = excluded.args, schema = excluded.schema, "
							"created_by = excluded.created_by, created_at = pg_catalog.now()",
							6, argtypes, args, nulls);
	}
	else
		steward_config_exec("validation_config",
							"DELETE FROM steward.validation_config c "
							"WHERE c.relation OPERATOR(pg_catalog.=) $1 "
							"AND ($2 IS NULL OR c.column_name OPERATOR(pg_catalog.=) $2) "
							"AND ($3 OPERATOR(pg_catalog.=) '*' OR c.rule OPERATOR(pg_catalog.=) $3)",
							3, argtypes, args, nulls);
	CacheInvalidateRelcacheByRelid(relid);
	PG_RETURN_VOID();
}
