/*-------------------------------------------------------------------------
 *
 * audit.c
 *	  Row-change capture: the audit trigger and its writer.
 *
 * steward.audit_trigger() is an AFTER ROW trigger (INSERT, UPDATE, DELETE)
 * and an AFTER STATEMENT trigger (TRUNCATE) installed by audit_enable().
 * For every change it builds one steward.audit_log record - who (the
 * session context, session_user, current_user), when, where (application,
 * client), which transaction and statement, the row's key and the values -
 * and inserts it in the same transaction, so a rolled-back change leaves
 * no record and a committed one always has its record.
 *
 * The hot path avoids SQL entirely:
 *	 - per table, a cache entry (invalidated by relcache callbacks) holds
 *	   the capture options, the key columns and each column's conversion;
 *	 - the row becomes jsonb directly from the datums (numbers as numbers,
 *	   text as strings, jsonb embedded, other types through their output
 *	   function), with no text round trip;
 *	 - the record goes straight into the month's partition of
 *	   steward.audit_log with ExecSimpleRelationInsert (heap insert,
 *	   constraints and index entries), through an executor state opened
 *	   once per transaction.  No permission check applies: the log is
 *	   append-only for everyone, and only this trigger writes it.
 *
 * The audited table's name comes from the trigger's arguments (set by
 * audit_enable to the table it was enabled on), never from the relation
 * the trigger fires on, which is a partition's (or, under Citus, a shard's).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/brin_revmap.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_am_d.h"
#include "catalog/pg_index.h"
#include "access/skey.h"
#include "catalog/indexing.h"
#include "catalog/pg_trigger.h"
#include "utils/acl.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
/* SHA256_*: see "Record digests" below */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "common/hmac.h"
#include "common/sha2.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "storage/bufmgr.h"
#include "storage/proc.h"
#include "tcop/utility.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "pgtime.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inet.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "port/pg_bswap.h"
#include "utils/numeric.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/xid8.h"

#include "pg_steward.h"
#include "ops/status.h"
#include "audit/audit.h"
#include "common/config.h"
#include "context/context.h"

/* Short names for the columns of steward.audit_log (see audit.h) */
#define AL_ID				STEWARD_AUDIT_ID
#define AL_XACT_AT			STEWARD_AUDIT_XACT_AT
#define AL_STMT_AT			STEWARD_AUDIT_STMT_AT
#define AL_TXID				STEWARD_AUDIT_TXID
#define AL_STMT				STEWARD_AUDIT_STMT
#define AL_OPERATION		STEWARD_AUDIT_OPERATION
#define AL_SCHEMA			STEWARD_AUDIT_SCHEMA
#define AL_TABLE			STEWARD_AUDIT_TABLE
#define AL_ROW_KEY			STEWARD_AUDIT_ROW_KEY
#define AL_OLD				STEWARD_AUDIT_OLD
#define AL_NEW				STEWARD_AUDIT_NEW
#define AL_ACTOR_USER		STEWARD_AUDIT_ACTOR_USER
#define AL_ACTOR_TENANT		STEWARD_AUDIT_ACTOR_TENANT
#define AL_SESSION_ROLE		STEWARD_AUDIT_SESSION_ROLE
#define AL_EFFECTIVE_ROLE	STEWARD_AUDIT_EFFECTIVE_ROLE
#define AL_APPNAME			STEWARD_AUDIT_APPNAME
#define AL_CLIENT_ADDR		STEWARD_AUDIT_CLIENT_ADDR
#define AL_QUERY			STEWARD_AUDIT_QUERY
#define AL_DETAIL			STEWARD_AUDIT_DETAIL
#define AL_ROW_HASH			STEWARD_AUDIT_ROW_HASH
#define AL_REDACTED			STEWARD_AUDIT_REDACTED
#define AL_DIGEST			STEWARD_AUDIT_DIGEST
#define AL_NCOLUMNS			STEWARD_AUDIT_NCOLUMNS

/* How a column's value becomes jsonb */
typedef enum ColumnKind
{
	COL_SKIP,					/* dropped or excluded */
	COL_BOOL,
	COL_INT,					/* int2, int4, int8: a number */
	COL_FLOAT,					/* float4, float8: a number when finite */
	COL_NUMERIC,				/* a number when finite */
	COL_JSONB,					/* embedded */
	COL_STRING,					/* text-like: the string itself */
	COL_DATETIME,				/* date/time types: ISO 8601, whatever DateStyle */
	COL_OUTPUT,					/* anything else: its output function */
	COL_HASH					/* a keyed hash of its output */
} ColumnKind;

typedef struct AuditColumn
{
	ColumnKind	kind;
	Oid			typid;
	Oid			basetype;		/* typid, or a domain's base type */
	int16		typlen;
	bool		typbyval;
	FmgrInfo	output;			/* for COL_OUTPUT and COL_HASH */
	char	   *name;
	int			namelen;
	bool		is_key;			/* one of the key columns */
	ColumnKind	key_kind;		/* kind as a key column (never hashed) */
	/*
	 * COL_DATETIME by value: the text of the last two values (bulk
	 * statements repeat them; an UPDATE alternates old and new)
	 */
	char	   *dt_text[2];		/* MAXDATELEN + 1 bytes each */
	int			dt_len[2];
	Datum		dt_value[2];
	pg_tz	   *dt_zone[2];		/* the time zone it was written in */
	int			dt_next;		/* the entry to replace */
} AuditColumn;

/*
 * What the trigger needs to know about a table; keyed by the trigger's OID
 * (a partition has clones of its parent's trigger)
 */
typedef struct AuditRelInfo
{
	Oid			tgoid;			/* hash key */
	Oid			relid;			/* the relation the trigger fires on */
	Oid			logical_relid;	/* the table audit_enable() was called on */
	char	   *schema_name;	/* its current schema and name */
	char	   *table_name;
	text	   *schema_text;	/* the same, as text datums */
	text	   *table_text;
	bool		valid;
	int			natts;
	AuditColumn *columns;		/* natts of them */
	int		   *jsonb_order;	/* column indexes in jsonb key order */
	int			nkeys;
	AttrNumber *keys;			/* key columns; nkeys == 0: the whole row */
	bool		full_rows;
	bool		skip_unchanged;
	bool		capture_query;
	bool		ops[4];			/* INSERT, UPDATE, DELETE, TRUNCATE captured */
	uint64		hash_seed;		/* row_hash seed: the audited table's name */
	MemoryContext cxt;			/* holds everything above */
} AuditRelInfo;

/* The writer's per-transaction state */
typedef struct AuditWriter
{
	Oid			partition;
	bool		is_default;		/* writing to the default partition */
	Relation	rel;
	EState	   *estate;
	ResultRelInfo *rri;
	TupleTableSlot *slot;		/* for one record */
	TupleTableSlot **slots;		/* for a batch, made as needed */
	int			nslots;
} AuditWriter;

/*
 * Records of a statement's row changes are collected in a batch and written
 * together when the statement ends (or the batch fills), with
 * heap_multi_insert as COPY does: one WAL record and one buffer lock per
 * page instead of per record.  A batch belongs to a frame: the end of a
 * statement (ExecutorFinish, where its AFTER triggers fire) or a COPY FROM.
 * A record joins the innermost frame's batch only when it is made in the
 * frame's own transaction and subtransaction, so that a batch is always
 * written by the (sub)transaction whose changes it records: a subtransaction
 * begun inside the statement (a PL/pgSQL exception block in a trigger)
 * writes its records directly, and an error discards the frame's batch
 * along with the changes.  Changes made outside any frame (the statement
 * that loaded the library, TRUNCATE) are written directly too.
 */
#define AUDIT_BATCH_RECORDS	1000
#define AUDIT_BATCH_BYTES	(256 * 1024)

typedef struct AuditBatch
{
	MemoryContext cxt;			/* holds the records */
	int			nrecords;
	Size		nbytes;
	HeapTuple	records[AUDIT_BATCH_RECORDS];
	struct AuditBatch *next;	/* free list */
} AuditBatch;

typedef struct AuditFrame
{
	LocalTransactionId lxid;	/* the frame's transaction ... */
	SubTransactionId subid;		/* ... and subtransaction */
	AuditBatch *batch;			/* NULL until a record comes */
	struct AuditFrame *outer;
} AuditFrame;

/*
 * The partition of the log for a month, and the partition check_partition
 * found right, as found last: kept until any relcache invalidation (rare
 * next to transactions), so that a transaction does not look them up anew.
 */
static uint64 known_generation = 0;	/* bumped by every invalidation */
static int	known_month = -1;	/* year * 12 + month - 1 */
static Oid	known_partition = InvalidOid;
static Oid	known_checked = InvalidOid;

static HTAB *audit_rels = NULL;
static MemoryContext audit_cache_cxt = NULL;
static MemoryContext audit_event_cxt = NULL;	/* reset for each event */
static AuditWriter *audit_writer = NULL;
static bool audit_writing = false;	/* inserting records */
static AuditFrame *audit_frame = NULL;	/* innermost frame */
static AuditBatch *spare_batches = NULL;
static ExecutorFinish_hook_type prev_ExecutorFinish = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/* Per-backend facts, computed once */
static bool backend_facts_done = false;
static Datum client_addr_datum;
static bool client_addr_null = true;

/* Last role names looked up */
static Oid	cached_role_oids[2] = {InvalidOid, InvalidOid};
static text *cached_role_names[2] = {NULL, NULL};

static char *audit_key = NULL;

/* ----------------------------------------------------------------
 *		The per-table cache
 * ----------------------------------------------------------------
 */

/*
 * audit_relcache_callback
 *		Forget a table's entry when its definition changes (relid), or all
 *		of them (InvalidOid).
 */
static void
audit_relcache_callback(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS status;
	AuditRelInfo *entry;

	/* any change may be a partition of the log created, dropped or altered */
	known_generation++;
	known_month = -1;
	known_checked = InvalidOid;
	if (audit_rels == NULL)
		return;
	hash_seq_init(&status, audit_rels);
	while ((entry = (AuditRelInfo *) hash_seq_search(&status)) != NULL)
	{
		if (relid == InvalidOid || entry->relid == relid || entry->logical_relid == relid)
			entry->valid = false;
	}
}

/*
 * name_in_array
 *		Whether a name[] datum contains name.
 */
static bool
name_in_array(ArrayType *arr, const char *name)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;

	if (arr == NULL)
		return false;
	deconstruct_array(arr, NAMEOID, NAMEDATALEN, false, TYPALIGN_CHAR,
					  &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		if (!nulls[i] && strcmp(NameStr(*DatumGetName(elems[i])), name) == 0)
			return true;
	}
	return false;
}

/*
 * column_kind
 *		How values of a type are converted.
 */
static ColumnKind
column_kind(Oid basetype)
{
	switch (basetype)
	{
		case BOOLOID:
			return COL_BOOL;
		case INT2OID:
		case INT4OID:
		case INT8OID:
			return COL_INT;
		case FLOAT4OID:
		case FLOAT8OID:
			return COL_FLOAT;
		case NUMERICOID:
			return COL_NUMERIC;
		case JSONBOID:
			return COL_JSONB;
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
			return COL_STRING;
		case DATEOID:
		case TIMEOID:
		case TIMETZOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return COL_DATETIME;
		default:
			return COL_OUTPUT;
	}
}

/*
 * jsonb_key_cmp
 *		jsonb's order of object keys (lengthCompareJsonbString): shorter
 *		first, then bytewise.
 */
static int
jsonb_key_cmp(const void *a, const void *b, void *arg)
{
	const AuditColumn *columns = arg;
	const AuditColumn *ca = &columns[*(const int *) a];
	const AuditColumn *cb = &columns[*(const int *) b];

	if (ca->namelen != cb->namelen)
		return ca->namelen > cb->namelen ? 1 : -1;
	return memcmp(ca->name, cb->name, ca->namelen);
}

/*
 * table_key_columns
 *		The primary key's columns, else the replica identity index's; none
 *		(the whole row is the key) when the table has neither.
 */
static void
table_key_columns(Relation rel, AuditRelInfo *info)
{
	Oid			indexoid = RelationGetPrimaryKeyIndex(rel);
	Relation	index;
	int			i;

	if (!OidIsValid(indexoid))
		indexoid = RelationGetReplicaIndex(rel);
	info->nkeys = 0;
	if (!OidIsValid(indexoid))
		return;
	index = index_open(indexoid, AccessShareLock);
	info->nkeys = index->rd_index->indnkeyatts;
	info->keys = palloc(sizeof(AttrNumber) * info->nkeys);
	for (i = 0; i < info->nkeys; i++)
	{
		info->keys[i] = index->rd_index->indkey.values[i];
		if (info->keys[i] > 0 && info->keys[i] <= info->natts)
			info->columns[info->keys[i] - 1].is_key = true;
	}
	index_close(index, AccessShareLock);
}

/*
 * load_options
 *		Read the table's row of steward.audit_tables (defaults if none) and
 *		apply exclude_columns and hash_columns to the column list.
 */
static void
load_options(Oid logical_relid, Relation rel, AuditRelInfo *info)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1];
	ArrayType  *exclude = NULL;
	ArrayType  *hash = NULL;
	int			i;

	info->full_rows = false;
	info->skip_unchanged = true;
	info->capture_query = false;
	for (i = 0; i < 4; i++)
		info->ops[i] = true;

	if (OidIsValid(logical_relid))
	{
		args[0] = ObjectIdGetDatum(logical_relid);
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");

		/*
		 * The latest committed options, as the trigger itself is the latest
		 * committed one (the relcache reads the catalogs so): a REPEATABLE
		 * READ transaction that began before audit_enable() committed would
		 * otherwise find no options, record with the defaults (columns that
		 * exclude_columns or hash_columns keep out, in full), and leave them
		 * in the cache for the session's later transactions.
		 */
		steward_config_read("steward.audit_tables",
							"SELECT exclude_columns, hash_columns, full_rows, "
							"skip_unchanged, capture_query, "
							"'INSERT' OPERATOR(pg_catalog.=) ANY (operations), "
							"'UPDATE' OPERATOR(pg_catalog.=) ANY (operations), "
							"'DELETE' OPERATOR(pg_catalog.=) ANY (operations), "
							"'TRUNCATE' OPERATOR(pg_catalog.=) ANY (operations) "
							"FROM steward.audit_tables "
							"WHERE relation OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
							1, argtypes, args, 1);
		if (SPI_processed == 1)
		{
			HeapTuple	tup = SPI_tuptable->vals[0];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		isnull;
			Datum		d;
			MemoryContext old = MemoryContextSwitchTo(info->cxt);

			d = SPI_getbinval(tup, desc, 1, &isnull);
			if (!isnull)
				exclude = DatumGetArrayTypePCopy(d);
			d = SPI_getbinval(tup, desc, 2, &isnull);
			if (!isnull)
				hash = DatumGetArrayTypePCopy(d);
			MemoryContextSwitchTo(old);
			d = SPI_getbinval(tup, desc, 3, &isnull);
			info->full_rows = !isnull && DatumGetBool(d);
			d = SPI_getbinval(tup, desc, 4, &isnull);
			info->skip_unchanged = isnull || DatumGetBool(d);
			d = SPI_getbinval(tup, desc, 5, &isnull);
			info->capture_query = !isnull && DatumGetBool(d);
			for (i = 0; i < 4; i++)
			{
				d = SPI_getbinval(tup, desc, 6 + i, &isnull);
				info->ops[i] = !isnull && DatumGetBool(d);
			}
		}
		SPI_finish();
	}

	for (i = 0; i < info->natts; i++)
	{
		AuditColumn *col = &info->columns[i];

		if (col->kind == COL_SKIP)
			continue;
		if (name_in_array(exclude, col->name))
			col->kind = COL_SKIP;
		else if (name_in_array(hash, col->name))
		{
			Oid			outfunc;
			bool		varlena;

			col->kind = COL_HASH;
			getTypeOutputInfo(col->typid, &outfunc, &varlena);
			fmgr_info_cxt(outfunc, &col->output, info->cxt);
		}
	}
}

/*
 * table_hash_seed
 *		The seed of a table's row hashes: a hash of its qualified name.
 */
static uint64
table_hash_seed(const char *schema, const char *table)
{
	char	   *name = psprintf("%s.%s", schema, table);
	uint64		seed = hash_bytes_extended((const unsigned char *) name, strlen(name), 0);

	pfree(name);
	return seed;
}

/*
 * row_hash
 *		The hash of a row key under a table's seed, with jsonb's own
 *		hashing (equal keys hash alike, whatever their numeric scale).
 */
static Datum
row_hash(Datum key, uint64 seed)
{
	return DirectFunctionCall2(jsonb_hash_extended, key, UInt64GetDatum(seed));
}

/*
 * get_audit_info
 *		The cache entry for the relation the trigger fires on, built on
 *		first use and after any change of the table's definition.
 */
/*
 * logical_table
 *		The table audit_enable() was called on: the relation of the root of
 *		the trigger's clone chain (a partition's trigger is a clone of its
 *		parent's).  Never the trigger's arguments, which anyone creating a
 *		trigger could set to another table's name.
 */
static Oid
logical_table(Oid tgoid, Oid relid)
{
	Relation	tgrel = table_open(TriggerRelationId, AccessShareLock);

	/* pg_trigger has no syscache by OID: look it up through its index */
	for (;;)
	{
		ScanKeyData key;
		SysScanDesc scan;
		HeapTuple	tup;
		Oid			parent = InvalidOid;
		bool		found = false;

		ScanKeyInit(&key, Anum_pg_trigger_oid, BTEqualStrategyNumber, F_OIDEQ,
					ObjectIdGetDatum(tgoid));
		scan = systable_beginscan(tgrel, TriggerOidIndexId, true, NULL, 1, &key);
		tup = systable_getnext(scan);
		if (HeapTupleIsValid(tup))
		{
			Form_pg_trigger tg = (Form_pg_trigger) GETSTRUCT(tup);

			relid = tg->tgrelid;
			parent = tg->tgparentid;
			found = true;
		}
		systable_endscan(scan);
		if (!found || !OidIsValid(parent))
			break;
		tgoid = parent;
	}
	table_close(tgrel, AccessShareLock);
	return relid;
}

static AuditRelInfo *
get_audit_info(Relation rel, Trigger *trigger)
{
	Oid			relid = RelationGetRelid(rel);
	Oid			tgoid = trigger->tgoid;
	AuditRelInfo *info;
	bool		found;
	TupleDesc	desc = RelationGetDescr(rel);
	MemoryContext old;
	int			i;
	uint64		generation;

	if (audit_rels == NULL)
	{
		HASHCTL		ctl;

		audit_cache_cxt = AllocSetContextCreate(CacheMemoryContext,
												"steward audit cache",
												ALLOCSET_DEFAULT_SIZES);
		ctl.keysize = sizeof(Oid);	/* the trigger's OID */
		ctl.entrysize = sizeof(AuditRelInfo);
		ctl.hcxt = audit_cache_cxt;
		audit_rels = hash_create("steward audited tables", 64, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}

	info = (AuditRelInfo *) hash_search(audit_rels, &tgoid, HASH_ENTER, &found);
	if (found && info->valid)
		return info;
	if (found && info->cxt != NULL)
		MemoryContextDelete(info->cxt);

	generation = known_generation;
	info->valid = false;
	info->relid = relid;
	info->cxt = AllocSetContextCreate(audit_cache_cxt, "steward audited table",
									  ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(info->cxt);
	info->logical_relid = logical_table(tgoid, relid);
	info->schema_name = get_namespace_name(get_rel_namespace(info->logical_relid));
	info->table_name = get_rel_name(info->logical_relid);
	if (info->schema_name == NULL || info->table_name == NULL)
		elog(ERROR, "cache lookup failed for relation %u", info->logical_relid);
	info->schema_text = cstring_to_text(info->schema_name);
	info->table_text = cstring_to_text(info->table_name);

	info->natts = desc->natts;
	info->columns = palloc0(sizeof(AuditColumn) * desc->natts);
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		AuditColumn *col = &info->columns[i];

		col->name = pstrdup(NameStr(att->attname));
		col->namelen = strlen(col->name);
		col->typid = att->atttypid;
		col->typlen = att->attlen;
		col->typbyval = att->attbyval;
		col->basetype = att->attisdropped ? InvalidOid : getBaseType(att->atttypid);
		col->kind = att->attisdropped ? COL_SKIP : column_kind(col->basetype);
		col->key_kind = col->kind;
		col->is_key = false;
		if (col->kind == COL_DATETIME && col->typbyval)
		{
			col->dt_text[0] = palloc(MAXDATELEN + 1);
			col->dt_text[1] = palloc(MAXDATELEN + 1);
		}
		if (col->kind == COL_OUTPUT)
		{
			Oid			outfunc;
			bool		varlena;

			getTypeOutputInfo(att->atttypid, &outfunc, &varlena);
			fmgr_info_cxt(outfunc, &col->output, info->cxt);
		}
	}
	/*
	 * jsonb sorts an object's keys (shorter first, then bytewise); pushed in
	 * that order, its sort finds them sorted in one pass
	 */
	info->jsonb_order = palloc(sizeof(int) * desc->natts);
	for (i = 0; i < desc->natts; i++)
		info->jsonb_order[i] = i;
	qsort_arg(info->jsonb_order, desc->natts, sizeof(int),
			  jsonb_key_cmp, info->columns);
	table_key_columns(rel, info);
	MemoryContextSwitchTo(old);

	info->hash_seed = table_hash_seed(info->schema_name, info->table_name);

	/* the options are those of the table audit_enable() was called on */
	load_options(info->logical_relid, rel, info);
	/* an invalidation that arrived while loading: load again next time */
	info->valid = (generation == known_generation);
	return info;
}

/* ----------------------------------------------------------------
 *		Rows as jsonb
 * ----------------------------------------------------------------
 */

/*
 * hash_value
 *		HMAC-SHA256 of the text with steward.audit_key (plain SHA-256 when
 *		no key is set), as hex.
 */
static char *
hash_value(const char *text)
{
	pg_hmac_ctx *ctx = pg_hmac_create(PG_SHA256);
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	const char *key = audit_key ? audit_key : "";
	char	   *hex = palloc(PG_SHA256_DIGEST_LENGTH * 2 + 1);

	if (ctx == NULL ||
		pg_hmac_init(ctx, (const uint8 *) key, strlen(key)) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) text, strlen(text)) < 0 ||
		pg_hmac_final(ctx, digest, sizeof(digest)) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not compute a keyed hash")));
	pg_hmac_free(ctx);
	hex_encode((const char *) digest, sizeof(digest), hex);
	hex[PG_SHA256_DIGEST_LENGTH * 2] = '\0';
	return hex;
}

/*
 * Rows become jsonb objects written directly in jsonb's binary format
 * (utils/jsonb.h), as convertToJsonb would write them from a JsonbValue
 * tree - byte for byte, since record digests and row hashes cover the
 * binary form, and a value parsed back from its text (a restore) must give
 * the same bytes.  An object is a header (the number of pairs, JB_FOBJECT),
 * one JEntry per key and then per value (a length, or every
 * JB_OFFSET_STRIDE-th entry the end offset, with the value's type), the
 * keys' bytes, then the values' bytes; numerics and nested containers are
 * aligned to 4 bytes, the padding counted in their length.  Keys are in
 * jsonb's order (shorter first, then bytewise: info->jsonb_order) and
 * unique (column names).  A jsonb column's value is embedded as its
 * container's bytes, which are position-independent once aligned.
 */
typedef struct JsonbField
{
	const char *key;
	int			keylen;
	uint32		type;			/* JENTRY_ISSTRING, ... */
	const char *data;			/* string, numeric or container bytes */
	int			len;
} JsonbField;

/*
 * field_string
 *		Set a field's value to a string.
 */
static inline void
field_string(JsonbField *f, const char *str, int len)
{
	f->type = JENTRY_ISSTRING;
	f->data = str;
	f->len = len;
}

/*
 * field_numeric
 *		Set a field's value to a number (a numeric with a 4-byte header, as
 *		DatumGetNumeric and numeric_in give).
 */
static inline void
field_numeric(JsonbField *f, Numeric n)
{
	f->type = JENTRY_ISNUMERIC;
	f->data = VARDATA(n);
	f->len = VARSIZE(n) - VARHDRSZ;
}

/*
 * field_numeric_datum
 *		field_numeric for a numeric datum, read in place when it is neither
 *		external nor compressed (a short header is rewritten as a 4-byte one
 *		by fields_to_jsonb, as DatumGetNumeric's copy would have it).
 */
static inline void
field_numeric_datum(JsonbField *f, Datum value)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(value);

	/* (an external TOAST pointer has a 1-byte header too: VARATT_IS_SHORT) */
	if (VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v))
	{
		field_numeric(f, DatumGetNumeric(value));
		return;
	}
	f->type = JENTRY_ISNUMERIC;
	f->data = VARDATA_ANY(v);
	f->len = VARSIZE_ANY_EXHDR(v);
}

/*
 * column_field
 *		A column's value as a jsonb field value: numbers as numbers (but NaN
 *		and infinities as strings), booleans, jsonb embedded, text-like
 *		types as their string, date/time types in ISO 8601, hashed columns
 *		as their keyed hash, anything else through its output function.
 */
static void
column_field(AuditColumn *col, ColumnKind kind, Datum value, bool isnull,
			 JsonbField *f)
{
	if (isnull)
	{
		f->type = JENTRY_ISNULL;
		f->data = NULL;
		f->len = 0;
		return;
	}

	switch (kind)
	{
		case COL_BOOL:
			f->type = DatumGetBool(value) ? JENTRY_ISBOOL_TRUE : JENTRY_ISBOOL_FALSE;
			f->data = NULL;
			f->len = 0;
			break;
		case COL_INT:
			switch (col->basetype)
			{
				case INT2OID:
					field_numeric(f, int64_to_numeric(DatumGetInt16(value)));
					break;
				case INT4OID:
					field_numeric(f, int64_to_numeric(DatumGetInt32(value)));
					break;
				default:
					field_numeric(f, int64_to_numeric(DatumGetInt64(value)));
					break;
			}
			break;
		case COL_FLOAT:
			{
				bool		f4 = (col->basetype == FLOAT4OID);
				double		d = f4 ? (double) DatumGetFloat4(value) : DatumGetFloat8(value);

				if (isfinite(d))
				{
					/* float4 through float4_numeric: 1.1, not 1.10000002384186 */
					field_numeric(f, DatumGetNumeric(f4 ?
													 DirectFunctionCall1(float4_numeric, value) :
													 DirectFunctionCall1(float8_numeric, value)));
				}
				else
				{
					char	   *str = DatumGetCString(DirectFunctionCall1(float8out,
																		  Float8GetDatum(d)));

					field_string(f, str, strlen(str));
				}
			}
			break;
		case COL_NUMERIC:
			field_numeric_datum(f, value);
			{
				/*
				 * NaN and infinities are strings.  numeric_is_nan/_inf read
				 * only a numeric's first header word: give them an aligned
				 * copy of it.
				 */
				union
				{
					int32		vl_len;
					char		bytes[VARHDRSZ + sizeof(uint16)];
				}			head;

				SET_VARSIZE(&head, VARHDRSZ + f->len);
				memset(head.bytes + VARHDRSZ, 0, sizeof(uint16));
				memcpy(head.bytes + VARHDRSZ, f->data, Min(f->len, (int) sizeof(uint16)));
				if (numeric_is_nan((Numeric) &head) || numeric_is_inf((Numeric) &head))
				{
					char	   *str = DatumGetCString(DirectFunctionCall1(numeric_out, value));

					field_string(f, str, strlen(str));
				}
			}
			break;
		case COL_JSONB:
			{
				struct varlena *v = (struct varlena *) DatumGetPointer(value);
				uint32		header;
				Jsonb	   *jb;

				/* a container is embedded as its bytes, read in place */
				if (!VARATT_IS_EXTERNAL(v) && !VARATT_IS_COMPRESSED(v))
				{
					memcpy(&header, VARDATA_ANY(v), sizeof(header));
					if ((header & JB_FSCALAR) == 0)
					{
						f->type = JENTRY_ISCONTAINER;
						f->data = VARDATA_ANY(v);
						f->len = VARSIZE_ANY_EXHDR(v);
						break;
					}
				}
				jb = DatumGetJsonbP(value);
				if (JB_ROOT_IS_SCALAR(jb))
				{
					JsonbValue	scalar;

					(void) JsonbExtractScalar(&jb->root, &scalar);
					switch (scalar.type)
					{
						case jbvString:
							field_string(f, scalar.val.string.val, scalar.val.string.len);
							break;
						case jbvNumeric:
							field_numeric(f, scalar.val.numeric);
							break;
						case jbvBool:
							f->type = scalar.val.boolean ? JENTRY_ISBOOL_TRUE : JENTRY_ISBOOL_FALSE;
							f->data = NULL;
							f->len = 0;
							break;
						default:
							f->type = JENTRY_ISNULL;
							f->data = NULL;
							f->len = 0;
							break;
					}
				}
				else
				{
					f->type = JENTRY_ISCONTAINER;
					f->data = (const char *) &jb->root;
					f->len = VARSIZE(jb) - VARHDRSZ;
				}
			}
			break;
		case COL_STRING:
			{
				text	   *t = DatumGetTextPP(value);

				field_string(f, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
			}
			break;
		case COL_DATETIME:
			if (col->dt_text[0] != NULL)
			{
				int			e;

				for (e = 0; e < 2; e++)
					if (col->dt_zone[e] == session_timezone && col->dt_value[e] == value)
						break;
				if (e == 2)
				{
					e = col->dt_next;
					col->dt_next = 1 - e;
					col->dt_zone[e] = NULL;
					JsonEncodeDateTime(col->dt_text[e], value, col->basetype, NULL);
					col->dt_len[e] = strlen(col->dt_text[e]);
					col->dt_value[e] = value;
					col->dt_zone[e] = session_timezone;
				}
				field_string(f, col->dt_text[e], col->dt_len[e]);
			}
			else
			{
				char	   *str = JsonEncodeDateTime(NULL, value, col->basetype, NULL);

				field_string(f, str, strlen(str));
			}
			break;
		case COL_HASH:
			{
				char	   *h = hash_value(OutputFunctionCall(&col->output, value));

				field_string(f, h, strlen(h));
			}
			break;
		default:
			{
				char	   *str = OutputFunctionCall(&col->output, value);

				field_string(f, str, strlen(str));
			}
			break;
	}
}

/*
 * fields_to_jsonb
 *		The jsonb object of n fields, in jsonb's key order.
 */
static Jsonb *
fields_to_jsonb(const JsonbField *fields, int n)
{
	Size		size = VARHDRSZ + sizeof(uint32) + 2 * n * sizeof(JEntry);
	char	   *buf;
	JEntry	   *entries;
	uint32		totallen = 0;
	Size		pos;
	int			i;

	for (i = 0; i < n; i++)
		size += fields[i].keylen + fields[i].len + 3 + VARHDRSZ;
	if (size > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("total size of jsonb object elements exceeds the maximum of %u bytes",
						JENTRY_OFFLENMASK)));
	buf = palloc(size);
	*(uint32 *) (buf + VARHDRSZ) = (uint32) n | JB_FOBJECT;
	entries = (JEntry *) (buf + VARHDRSZ + sizeof(uint32));
	pos = VARHDRSZ + sizeof(uint32) + 2 * n * sizeof(JEntry);

	for (i = 0; i < n; i++)
	{
		uint32		meta = (uint32) fields[i].keylen;

		memcpy(buf + pos, fields[i].key, fields[i].keylen);
		pos += fields[i].keylen;
		totallen += fields[i].keylen;
		if ((i % JB_OFFSET_STRIDE) == 0)
			meta = totallen | JENTRY_HAS_OFF;
		entries[i] = meta;
	}
	for (i = 0; i < n; i++)
	{
		const JsonbField *f = &fields[i];
		uint32		len = f->len;
		uint32		meta;

		if (f->type == JENTRY_ISNUMERIC || f->type == JENTRY_ISCONTAINER)
		{
			Size		padded = INTALIGN(pos);

			memset(buf + pos, 0, padded - pos);
			len += padded - pos;
			pos = padded;
		}
		if (f->type == JENTRY_ISNUMERIC)
		{
			/* the numeric's payload, behind a 4-byte varlena header */
			SET_VARSIZE(buf + pos, VARHDRSZ + f->len);
			pos += VARHDRSZ;
			len += VARHDRSZ;
		}
		if (f->len > 0)
			memcpy(buf + pos, f->data, f->len);
		pos += f->len;
		totallen += len;
		if (totallen > JENTRY_OFFLENMASK)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("total size of jsonb object elements exceeds the maximum of %u bytes",
							JENTRY_OFFLENMASK)));
		meta = f->type | len;
		if (((i + n) % JB_OFFSET_STRIDE) == 0)
			meta = f->type | totallen | JENTRY_HAS_OFF;
		entries[n + i] = meta;
	}
	/* the whole object's size, as convertJsonbObject checks it */
	if (pos - VARHDRSZ > JENTRY_OFFLENMASK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("total size of jsonb object elements exceeds the maximum of %u bytes",
						JENTRY_OFFLENMASK)));
	SET_VARSIZE(buf, pos);
	return (Jsonb *) buf;
}

/*
 * row_to_jsonb
 *		The row's columns as a jsonb object.  With changed_only, only the
 *		columns flagged in changed[].
 */
/*
 * scratch
 *		Per-backend arrays for n columns, kept and grown as tables need:
 *		fields for an object under construction (used by one object at a
 *		time: fields_to_jsonb copies them), and a changed row's values.
 */
static int	scratch_size = 0;
static JsonbField *scratch_fields;
static Datum *scratch_values[2];
static bool *scratch_nulls[2];
static bool *scratch_changed;

static void
scratch_ensure(int n)
{
	if (n <= scratch_size)
		return;
	n = Max(n, 32);
	if (scratch_size > 0)
	{
		pfree(scratch_fields);
		pfree(scratch_values[0]);
		pfree(scratch_values[1]);
		pfree(scratch_nulls[0]);
		pfree(scratch_nulls[1]);
		pfree(scratch_changed);
	}
	scratch_fields = MemoryContextAlloc(TopMemoryContext, sizeof(JsonbField) * n);
	scratch_values[0] = MemoryContextAlloc(TopMemoryContext, sizeof(Datum) * n);
	scratch_values[1] = MemoryContextAlloc(TopMemoryContext, sizeof(Datum) * n);
	scratch_nulls[0] = MemoryContextAlloc(TopMemoryContext, sizeof(bool) * n);
	scratch_nulls[1] = MemoryContextAlloc(TopMemoryContext, sizeof(bool) * n);
	scratch_changed = MemoryContextAlloc(TopMemoryContext, sizeof(bool) * n);
	scratch_size = n;
}

static Jsonb *
row_to_jsonb(AuditRelInfo *info, int natts, const Datum *values, const bool *nulls,
			 const bool *changed)
{
	JsonbField *fields;
	int			n = 0;
	int			k;

	scratch_ensure(info->natts);
	fields = scratch_fields;
	for (k = 0; k < info->natts; k++)
	{
		int			i = info->jsonb_order[k];
		AuditColumn *col = &info->columns[i];

		if (i >= natts || col->kind == COL_SKIP)
			continue;
		if (changed != NULL && !changed[i])
			continue;
		fields[n].key = col->name;
		fields[n].keylen = col->namelen;
		column_field(col, col->kind, values[i], nulls[i], &fields[n]);
		n++;
	}
	return fields_to_jsonb(fields, n);
}

/*
 * row_key
 *		The key columns of the row as a jsonb object (excluded and hashed
 *		key columns are still recorded as they are: the key identifies the
 *		row); the whole row when the table has no key.
 */
static Jsonb *
row_key(AuditRelInfo *info, int natts, const Datum *values, const bool *nulls)
{
	JsonbField *fields;
	int			n = 0;
	int			k;

	if (info->nkeys == 0)
		return row_to_jsonb(info, natts, values, nulls, NULL);

	scratch_ensure(info->natts);
	fields = scratch_fields;
	for (k = 0; k < info->natts; k++)
	{
		int			i = info->jsonb_order[k];
		AuditColumn *col = &info->columns[i];

		if (!col->is_key || i >= natts)
			continue;
		fields[n].key = col->name;
		fields[n].keylen = col->namelen;
		column_field(col, col->key_kind, values[i], nulls[i], &fields[n]);
		n++;
	}
	return fields_to_jsonb(fields, n);
}

/*
 * changed_columns
 *		Flag the columns whose values differ (binary comparison); returns
 *		how many did.
 */
static int
changed_columns(AuditRelInfo *info, int natts,
				const Datum *oldval, const bool *oldnull,
				const Datum *newval, const bool *newnull, bool *changed)
{
	int			n = 0;
	int			i;

	for (i = 0; i < natts; i++)
	{
		changed[i] = false;
		if (i >= info->natts || info->columns[i].kind == COL_SKIP)
			continue;
		if (oldnull[i] != newnull[i])
			changed[i] = true;
		else if (!oldnull[i])
			changed[i] = !datumIsEqual(oldval[i], newval[i], info->columns[i].typbyval,
									   info->columns[i].typlen);
		if (changed[i])
			n++;
	}
	return n;
}

/* ----------------------------------------------------------------
 *		The writer
 * ----------------------------------------------------------------
 */

/*
 * partition_for
 *		The partition of steward.audit_log for a transaction's start time:
 *		audit_log_yYYYYmMM (UTC) when it exists, else the default partition.
 */
static Oid
partition_for(TimestampTz ts)
{
	Oid			nsp;
	pg_time_t	t = timestamptz_to_time_t(ts);
	struct pg_tm *tm = pg_gmtime(&t);
	int			month = (tm->tm_year + 1900) * 12 + tm->tm_mon;
	char		name[NAMEDATALEN];
	Oid			relid;
	uint64		generation = known_generation;

	if (month == known_month)
		return known_partition;
	nsp = get_namespace_oid("steward", false);
	snprintf(name, sizeof(name), "audit_log_y%04dm%02d",
			 tm->tm_year + 1900, tm->tm_mon + 1);
	relid = get_relname_relid(name, nsp);
	if (OidIsValid(relid) && get_rel_relispartition(relid))
	{
		/* kept unless an invalidation came during the look-ups */
		if (generation == known_generation)
		{
			known_month = month;
			known_partition = relid;
		}
		return relid;
	}
	relid = get_relname_relid("audit_log_default", nsp);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("steward.audit_log_default does not exist"),
				 errhint("Reinstall pg_steward, or create it with CREATE TABLE steward.audit_log_default PARTITION OF steward.audit_log DEFAULT.")));
	if (generation == known_generation)
	{
		known_month = month;
		known_partition = relid;
	}
	return relid;
}

/*
 * steward_audit_has_month_partition
 *		Whether this transaction's month has its own partition (records
 *		would otherwise go to the default partition).
 */
bool
steward_audit_has_month_partition(void)
{
	Oid			def = get_relname_relid("audit_log_default", get_namespace_oid("steward", false));

	return partition_for(GetCurrentTransactionStartTimestamp()) != def;
}

/*
 * check_partition
 *		The partition must be a plain table with exactly the log's columns,
 *		in the log's order: records are written into it directly.
 */
static void
check_partition(Relation rel)
{
	Oid			parent = get_relname_relid("audit_log", get_namespace_oid("steward", false));
	Relation	prel;
	TupleDesc	pdesc;
	TupleDesc	desc = RelationGetDescr(rel);
	bool		ok;
	int			i;

	if (RelationGetRelid(rel) == known_checked)
		return;
	if (rel->rd_rel->relkind != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("partition %s of steward.audit_log is not a plain table",
						RelationGetRelationName(rel))));
	prel = relation_open(parent, AccessShareLock);
	pdesc = RelationGetDescr(prel);
	ok = (desc->natts == AL_NCOLUMNS && pdesc->natts == AL_NCOLUMNS);
	for (i = 0; ok && i < AL_NCOLUMNS; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);
		Form_pg_attribute b = TupleDescAttr(pdesc, i);

		ok = !a->attisdropped && !b->attisdropped &&
			a->atttypid == b->atttypid &&
			strcmp(NameStr(a->attname), NameStr(b->attname)) == 0;
	}
	relation_close(prel, AccessShareLock);
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("partition %s of steward.audit_log does not have the log's columns in the log's order",
						RelationGetRelationName(rel)),
				 errhint("Partitions of the log must be created as the log's own (steward.audit_maintain()); the installed SQL objects and the library must match.")));
	known_checked = RelationGetRelid(rel);
}

/*
 * get_writer
 *		The transaction's writer: the partition opened, its indexes, an
 *		executor state.  Opened under the top transaction's resource owner
 *		so that a subtransaction's end does not close them.
 */
static void close_writer(void);

static AuditWriter *
get_writer(void)
{
	ResourceOwner save_owner = CurrentResourceOwner;
	MemoryContext old;
	AuditWriter *w;
	RangeTblEntry *rte;

	/*
	 * A writer on the default partition looks again each time: the month's
	 * partition may have been created since (audit_maintain() in this very
	 * transaction), and the default partition no longer accepts this month.
	 */
	if (audit_writer != NULL && audit_writer->is_default &&
		partition_for(GetCurrentTransactionStartTimestamp()) != audit_writer->partition)
		close_writer();
	if (audit_writer != NULL)
		return audit_writer;

	old = MemoryContextSwitchTo(TopTransactionContext);
	CurrentResourceOwner = TopTransactionResourceOwner;
	PG_TRY();
	{
		w = palloc0(sizeof(AuditWriter));
		w->partition = partition_for(GetCurrentTransactionStartTimestamp());
		w->is_default = (w->partition ==
						 get_relname_relid("audit_log_default", get_namespace_oid("steward", false)));
		w->rel = table_open(w->partition, RowExclusiveLock);
		w->estate = CreateExecutorState();
		rte = makeNode(RangeTblEntry);
		rte->rtekind = RTE_RELATION;
		rte->relid = w->partition;
		rte->relkind = w->rel->rd_rel->relkind;
		rte->rellockmode = RowExclusiveLock;
		ExecInitRangeTable(w->estate, list_make1(rte));
		w->rri = makeNode(ResultRelInfo);
		InitResultRelInfo(w->rri, w->rel, 1, NULL, 0);
		ExecOpenIndices(w->rri, false);
		w->slot = table_slot_create(w->rel, &w->estate->es_tupleTable);
		check_partition(w->rel);
	}
	PG_FINALLY();
	{
		CurrentResourceOwner = save_owner;
		MemoryContextSwitchTo(old);
	}
	PG_END_TRY();

	audit_writer = w;
	return w;
}

/*
 * close_writer
 *		Release the writer (the lock on the partition stays until the end
 *		of the transaction).
 */
static void
close_writer(void)
{
	ResourceOwner save_owner = CurrentResourceOwner;

	CurrentResourceOwner = TopTransactionResourceOwner;
	for (int i = 0; i < audit_writer->nslots; i++)
		ExecDropSingleTupleTableSlot(audit_writer->slots[i]);
	ExecCloseIndices(audit_writer->rri);
	ExecResetTupleTable(audit_writer->estate->es_tupleTable, false);
	table_close(audit_writer->rel, NoLock);
	FreeExecutorState(audit_writer->estate);
	CurrentResourceOwner = save_owner;
	audit_writer = NULL;
}

/*
 * audit_xact_callback
 *		Close the writer before commit (so that nothing leaks); after an
 *		abort the resource owner and memory context have already cleaned up.
 */
static void
audit_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			if (audit_writer != NULL)
				close_writer();
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			audit_writer = NULL;
			break;
		default:
			break;
	}
}

/*
 * role_cache_callback
 *		A role renamed or dropped: forget the cached names.
 */
static void
role_cache_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	cached_role_oids[0] = cached_role_oids[1] = InvalidOid;
}

/*
 * role_name
 *		The name of a role as text, from a two-entry cache (session and
 *		current roles rarely change within a transaction).  The cached
 *		values live in TopMemoryContext.
 */
static Datum
role_name(Oid roleid, int slot)
{
	if (cached_role_oids[slot] != roleid)
	{
		char	   *name = GetUserNameFromId(roleid, false);
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		if (cached_role_names[slot] != NULL)
			pfree(cached_role_names[slot]);
		cached_role_names[slot] = cstring_to_text(name);
		MemoryContextSwitchTo(old);
		cached_role_oids[slot] = roleid;
	}
	return PointerGetDatum(cached_role_names[slot]);
}

/*
 * backend_facts
 *		Facts that do not change during the session: the client address.
 */
static void
backend_facts(void)
{
	LOCAL_FCINFO(fcinfo, 0);
	Datum		d;

	if (backend_facts_done)
		return;
	InitFunctionCallInfoData(*fcinfo, NULL, 0, InvalidOid, NULL, NULL);
	d = inet_client_addr(fcinfo);
	if (!fcinfo->isnull)
	{
		inet	   *copy = MemoryContextAlloc(TopMemoryContext, VARSIZE(DatumGetInetPP(d)));

		memcpy(copy, DatumGetInetPP(d), VARSIZE(DatumGetInetPP(d)));
		client_addr_datum = InetPGetDatum(copy);
		client_addr_null = false;
	}
	backend_facts_done = true;
}

/* ----------------------------------------------------------------
 *		Record digests (tamper evidence)
 * ----------------------------------------------------------------
 *
 * A record's digest is computed for every record written, so it avoids
 * what makes PostgreSQL's generic cryptohash/HMAC functions (and OpenSSL's
 * EVP interface) costly per call: a context set up and torn down, with an
 * algorithm fetch and resource owner bookkeeping.  SHA-256 runs on a
 * context on the stack (OpenSSL's SHA256_* functions: deprecated in
 * OpenSSL 3 in favour of EVP, still there, and the same code underneath),
 * and HMAC (RFC 2104) starts from the states after the key's inner and
 * outer pads, prepared once per key.
 */
static char *pads_key = NULL;	/* the key the pad states were made for */
static SHA256_CTX ipad_state;
static SHA256_CTX opad_state;

/*
 * sha256
 *		SHA-256 of data.
 */
static void
sha256(const void *data, size_t len, uint8 *out)
{
	SHA256_CTX	c;

	if (SHA256_Init(&c) != 1 || SHA256_Update(&c, data, len) != 1 ||
		SHA256_Final(out, &c) != 1)
		elog(ERROR, "could not compute SHA-256");
}

/*
 * hmac_begin
 *		Start an HMAC-SHA256 with steward.audit_key in c: the inner hash,
 *		after the key's inner pad.
 */
static void
hmac_begin(SHA256_CTX *c)
{
	const char *key = audit_key ? audit_key : "";

	if (pads_key == NULL || strcmp(pads_key, key) != 0)
	{
		uint8		k[64];
		uint8		ipad[64];
		uint8		opad[64];
		size_t		klen = strlen(key);
		int			i;

		memset(k, 0, sizeof(k));
		if (klen > 64)
			sha256(key, klen, k);
		else
			memcpy(k, key, klen);
		for (i = 0; i < 64; i++)
		{
			ipad[i] = k[i] ^ 0x36;
			opad[i] = k[i] ^ 0x5c;
		}
		if (SHA256_Init(&ipad_state) != 1 || SHA256_Update(&ipad_state, ipad, 64) != 1 ||
			SHA256_Init(&opad_state) != 1 || SHA256_Update(&opad_state, opad, 64) != 1)
			elog(ERROR, "could not compute SHA-256");
		explicit_bzero(k, sizeof(k));
		explicit_bzero(ipad, sizeof(ipad));
		explicit_bzero(opad, sizeof(opad));
		if (pads_key != NULL)
			pfree(pads_key);
		pads_key = MemoryContextStrdup(TopMemoryContext, key);
	}
	*c = ipad_state;
}

/*
 * hmac_end
 *		Finish the HMAC begun in c into out (32 bytes).
 */
static void
hmac_end(SHA256_CTX *c, uint8 *out)
{
	uint8		inner[PG_SHA256_DIGEST_LENGTH];

	if (SHA256_Final(inner, c) != 1)
		elog(ERROR, "could not compute SHA-256");
	*c = opad_state;
	if (SHA256_Update(c, inner, sizeof(inner)) != 1 || SHA256_Final(out, c) != 1)
		elog(ERROR, "could not compute SHA-256");
	explicit_bzero(c, sizeof(*c));
}

/* The encoded record, hashed in one call */
static StringInfo digest_buf = NULL;

/*
 * digest_add
 *		Append one field to the encoded record: a presence byte, then a
 *		length and the bytes, so that no two different records encode alike.
 */
static inline void
digest_add(const void *data, uint32 len, bool present)
{
	char	   *p;
	uint32		nlen = pg_hton32(len);

	if ((Size) digest_buf->len + 5 + len >= (Size) digest_buf->maxlen)
		enlargeStringInfo(digest_buf, 5 + len);
	p = digest_buf->data + digest_buf->len;
	*p = present ? 1 : 0;
	if (present)
	{
		memcpy(p + 1, &nlen, 4);
		memcpy(p + 5, data, len);
		digest_buf->len += 5 + len;
	}
	else
		digest_buf->len += 1;
}

/*
 * jsonb_value_digest
 *		SHA-256 of a jsonb value's binary form: what a record's digest covers
 *		for old_values and new_values, and what redaction keeps (as hex).
 *		The binary form is canonical (keys sorted and unique, numbers
 *		normalized), the same for a value built here and one parsed back
 *		from its text by a restore, and much cheaper to hash than the text.
 */
static void
jsonb_value_digest(Datum value, uint8 *out)
{
	Jsonb	   *jb = DatumGetJsonbP(value);

	sha256(VARDATA(jb), VARSIZE(jb) - VARHDRSZ, out);
}

/*
 * jsonb_value_hash
 *		jsonb_value_digest as hex.
 */
static char *
jsonb_value_hash(Datum value)
{
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *hex = palloc(PG_SHA256_DIGEST_LENGTH * 2 + 1);

	jsonb_value_digest(value, digest);
	hex_encode((const char *) digest, sizeof(digest), hex);
	hex[PG_SHA256_DIGEST_LENGTH * 2] = '\0';
	return hex;
}

/*
 * record_digest
 *		The digest of a record: HMAC-SHA256 with steward.audit_key (with an
 *		empty key when none is set, which detects accidents, not attacks)
 *		over every column but row_hash (derived) and the digest itself.
 *		old_values and new_values enter as the SHA-256 of their binary form
 *		- or, for a redacted one, as the hash kept in "redacted" - so
 *		redaction keeps the digest valid; the other jsonb columns (the key,
 *		the detail) enter as their binary form.
 */
static bytea *
record_digest(Datum *values, bool *nulls)
{
	Jsonb	   *redacted = nulls[AL_REDACTED] ? NULL : DatumGetJsonbP(values[AL_REDACTED]);
	bytea	   *result = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	SHA256_CTX	c;
	int			i;

	if (digest_buf == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		digest_buf = makeStringInfo();
		MemoryContextSwitchTo(old);
	}
	resetStringInfo(digest_buf);
	for (i = 0; i < AL_NCOLUMNS; i++)
	{
		switch (i)
		{
			case AL_ROW_HASH:
			case AL_REDACTED:
			case AL_DIGEST:
				break;
			case AL_ID:
			case AL_XACT_AT:
			case AL_STMT_AT:
			case AL_TXID:
				{
					uint64		v = nulls[i] ? 0 : pg_hton64((uint64) DatumGetInt64(values[i]));

					digest_add(&v, sizeof(v), !nulls[i]);
				}
				break;
			case AL_STMT:
				{
					uint32		v = nulls[i] ? 0 : pg_hton32((uint32) DatumGetInt32(values[i]));

					digest_add(&v, sizeof(v), !nulls[i]);
				}
				break;
			case AL_OLD:
			case AL_NEW:
				{
					const char *name = (i == AL_OLD) ? "old_values" : "new_values";
					JsonbValue	buf;
					JsonbValue *kept = redacted ?
					getKeyJsonValueFromContainer(&redacted->root, name, strlen(name), &buf) : NULL;
					uint8		h[PG_SHA256_DIGEST_LENGTH];

					if (kept != NULL && kept->type == jbvString &&
						kept->val.string.len == PG_SHA256_DIGEST_LENGTH * 2 &&
						strspn(pnstrdup(kept->val.string.val, kept->val.string.len),
							   "0123456789abcdef") == PG_SHA256_DIGEST_LENGTH * 2)
					{
						hex_decode(kept->val.string.val, kept->val.string.len, (char *) h);
						digest_add(h, sizeof(h), true);
					}
					else if (kept != NULL)
						digest_add("", 0, true);	/* not a hash: cannot match */
					else if (!nulls[i])
					{
						jsonb_value_digest(values[i], h);
						digest_add(h, sizeof(h), true);
					}
					else
						digest_add(NULL, 0, false);
				}
				break;
			case AL_ROW_KEY:
			case AL_DETAIL:
				if (nulls[i])
					digest_add(NULL, 0, false);
				else
				{
					Jsonb	   *jb = DatumGetJsonbP(values[i]);

					digest_add(VARDATA(jb), VARSIZE(jb) - VARHDRSZ, true);
				}
				break;
			case AL_CLIENT_ADDR:
				if (nulls[i])
					digest_add(NULL, 0, false);
				else
				{
					char	   *str = DatumGetCString(DirectFunctionCall1(inet_out, values[i]));

					digest_add(str, strlen(str), true);
				}
				break;
			default:			/* text columns */
				if (nulls[i])
					digest_add(NULL, 0, false);
				else
				{
					text	   *t = DatumGetTextPP(values[i]);

					digest_add(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), true);
				}
				break;
		}
	}
	hmac_begin(&c);
	if (SHA256_Update(&c, digest_buf->data, digest_buf->len) != 1)
		elog(ERROR, "could not compute SHA-256");
	hmac_end(&c, (uint8 *) VARDATA(result));
	SET_VARSIZE(result, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	/* a huge query text would otherwise stay allocated */
	if (digest_buf->maxlen > 65536)
	{
		pfree(digest_buf->data);
		pfree(digest_buf);
		digest_buf = NULL;
	}
	return result;
}

/*
 * next_event_id
 *		A new event id: milliseconds since 2000-01-01 (41 bits), the
 *		backend's slot (12 bits) and a counter (10 bits) - unique without a
 *		shared sequence (no contention, nothing to restore after pg_dump,
 *		no clash with restored ids, which are older), and in time order.
 *		More than 1,024 records in one millisecond borrow the next ones.
 */
static int64
next_event_id(void)
{
	static int64 last_ms = 0;
	static int	counter = 0;
	int64		ms = GetCurrentTimestamp() / 1000;

	if (ms <= last_ms)
	{
		ms = last_ms;
		if (++counter >= 1024)
		{
			ms = ++last_ms;
			counter = 0;
		}
	}
	else
	{
		last_ms = ms;
		counter = 0;
	}
	return (ms << 22) | ((int64) (MyBackendId & 0xFFF) << 10) | counter;
}

/*
 * fill_record
 *		Complete a record: values/nulls hold the event-specific columns
 *		(operation, schema, table, key, old, new, query, detail); this fills
 *		in who, when, where and which, and the digest.
 */
static void
fill_record(Datum *values, bool *nulls)
{
	const StewardContext *ctx = steward_context_get();

	backend_facts();

	values[AL_ID] = Int64GetDatum(next_event_id());
	nulls[AL_ID] = false;
	values[AL_XACT_AT] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	nulls[AL_XACT_AT] = false;
	values[AL_STMT_AT] = TimestampTzGetDatum(GetCurrentStatementStartTimestamp());
	nulls[AL_STMT_AT] = false;
	values[AL_TXID] = Int64GetDatum((int64) U64FromFullTransactionId(GetTopFullTransactionId()));
	nulls[AL_TXID] = false;
	if (nulls[AL_STMT])
	{
		values[AL_STMT] = Int32GetDatum((int32) GetCurrentCommandId(false));
		nulls[AL_STMT] = false;
	}

	nulls[AL_ACTOR_USER] = (ctx == NULL || ctx->user_id == NULL);
	if (!nulls[AL_ACTOR_USER])
		values[AL_ACTOR_USER] = PointerGetDatum(ctx->user_id);
	nulls[AL_ACTOR_TENANT] = (ctx == NULL || ctx->tenant_id == NULL);
	if (!nulls[AL_ACTOR_TENANT])
		values[AL_ACTOR_TENANT] = PointerGetDatum(ctx->tenant_id);

	values[AL_SESSION_ROLE] = role_name(GetSessionUserId(), 0);
	nulls[AL_SESSION_ROLE] = false;
	values[AL_EFFECTIVE_ROLE] = role_name(GetUserId(), 1);
	nulls[AL_EFFECTIVE_ROLE] = false;

	nulls[AL_APPNAME] = (application_name == NULL || application_name[0] == '\0');
	if (!nulls[AL_APPNAME])
	{
		/* kept as text while application_name stays the same */
		static char *appname_seen = NULL;
		static text *appname_text = NULL;

		if (appname_seen == NULL || strcmp(appname_seen, application_name) != 0)
		{
			if (appname_seen != NULL)
			{
				pfree(appname_seen);
				pfree(appname_text);
			}
			appname_seen = MemoryContextStrdup(TopMemoryContext, application_name);
			appname_text = MemoryContextAlloc(TopMemoryContext,
											  VARHDRSZ + strlen(application_name));
			SET_VARSIZE(appname_text, VARHDRSZ + strlen(application_name));
			memcpy(VARDATA(appname_text), application_name, strlen(application_name));
		}
		values[AL_APPNAME] = PointerGetDatum(appname_text);
	}
	values[AL_CLIENT_ADDR] = client_addr_datum;
	nulls[AL_CLIENT_ADDR] = client_addr_null;

	values[AL_DIGEST] = PointerGetDatum(record_digest(values, nulls));
	nulls[AL_DIGEST] = false;
}

static bool writer_batchable(AuditWriter *w);
static AuditBatch *batch_get(void);
static void batch_add(AuditBatch *b, Datum *values, bool *nulls);
static void batch_write(AuditBatch *b);
static void batch_release(AuditBatch *b);

/*
 * check_not_writing
 *		A record written while writing records (a trigger or an index
 *		expression that someone put on the log writes to an audited table)
 *		would reuse the writer's slots and memory.
 */
static void
check_not_writing(void)
{
	if (audit_writing)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot write an audit record while writing another one"),
				 errhint("Remove triggers and expression indexes that were added to steward.audit_log.")));
}

/*
 * steward_audit_write
 *		Insert one record into steward.audit_log now (see fill_record for
 *		what values/nulls hold).
 */
static void
steward_audit_write(Datum *values, bool *nulls)
{
	AuditWriter *w;
	TupleTableSlot *slot;
	MemoryContext old;

	w = get_writer();
	if (writer_batchable(w))
	{
		/* a batch of one, written now */
		AuditBatch *b = batch_get();

		PG_TRY();
		{
			batch_add(b, values, nulls);
			batch_write(b);
		}
		PG_FINALLY();
		{
			batch_release(b);
		}
		PG_END_TRY();
		return;
	}
	slot = w->slot;
	fill_record(values, nulls);
	check_not_writing();

	ExecClearTuple(slot);
	memcpy(slot->tts_values, values, sizeof(Datum) * AL_NCOLUMNS);
	memcpy(slot->tts_isnull, nulls, sizeof(bool) * AL_NCOLUMNS);
	ExecStoreVirtualTuple(slot);

	w->estate->es_output_cid = GetCurrentCommandId(true);
	old = MemoryContextSwitchTo(GetPerTupleMemoryContext(w->estate));
	audit_writing = true;
	PG_TRY();
	{
		ExecSimpleRelationInsert(w->rri, w->estate, slot);
	}
	PG_FINALLY();
	{
		audit_writing = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);
	ResetPerTupleExprContext(w->estate);
}

/* ----------------------------------------------------------------
 *		Batches (see AuditBatch)
 * ----------------------------------------------------------------
 */

/*
 * writer_batchable
 *		Whether records go into the writer's partition in batches: not when
 *		someone added triggers or CHECK constraints to it, which
 *		ExecSimpleRelationInsert honours record by record.
 */
static bool
writer_batchable(AuditWriter *w)
{
	return w->rri->ri_TrigDesc == NULL &&
		(w->rel->rd_att->constr == NULL || w->rel->rd_att->constr->num_check == 0);
}

/*
 * batch_release
 *		Empty a batch and put it back on the free list.
 */
static void
batch_release(AuditBatch *b)
{
	b->nrecords = 0;
	b->nbytes = 0;
	MemoryContextReset(b->cxt);
	b->next = spare_batches;
	spare_batches = b;
}

/*
 * batch_get
 *		An empty batch, from the free list when there is one.
 */
static AuditBatch *
batch_get(void)
{
	AuditBatch *b = spare_batches;

	if (b != NULL)
	{
		spare_batches = b->next;
		return b;
	}
	b = MemoryContextAlloc(TopMemoryContext, sizeof(AuditBatch));
	b->cxt = AllocSetContextCreate(TopMemoryContext, "steward audit batch",
								   ALLOCSET_DEFAULT_SIZES);
	b->nrecords = 0;
	b->nbytes = 0;
	b->next = NULL;
	return b;
}

/*
 * only_brin_indexes
 *		Whether every index of the writer's partition is a BRIN index
 *		without a predicate (the log's own are).
 */
static bool
only_brin_indexes(ResultRelInfo *rri)
{
	for (int j = 0; j < rri->ri_NumIndices; j++)
	{
		if (rri->ri_IndexRelationDescs[j] == NULL ||
			!rri->ri_IndexRelationInfo[j]->ii_ReadyForInserts)
			continue;			/* skipped, as ExecInsertIndexTuples does */
		if (rri->ri_IndexRelationDescs[j]->rd_rel->relam != BRIN_AM_OID ||
			rri->ri_IndexRelationInfo[j]->ii_Predicate != NIL)
			return false;
	}
	return true;
}

/*
 * brin_range_summarized
 *		Whether a BRIN index has a summary (or a summarization in progress)
 *		for the page range starting at heapBlk.
 */
static bool
brin_range_summarized(BrinRevmap *revmap, BlockNumber heapBlk)
{
	Buffer		buf = InvalidBuffer;
	OffsetNumber off;
	BrinTuple  *tup;

	tup = brinGetTupleForHeapBlock(revmap, heapBlk, &buf, &off, NULL,
								   BUFFER_LOCK_SHARE, NULL);
	if (tup != NULL)
		LockBuffer(buf, BUFFER_LOCK_UNLOCK);
	if (BufferIsValid(buf))
		ReleaseBuffer(buf);
	return tup != NULL;
}

/*
 * brin_index_batch
 *		Index entries for a batch just inserted (slots[0..n-1] hold the
 *		records and their TIDs), when every index is a BRIN index.
 *
 * BRIN inserts nothing for a page range without a summary (brininsert
 * looks the range up, finds nothing and returns), and records fill the
 * log's last range, which has none until autovacuum summarizes it once
 * full.  Looking each range of the batch up once, instead of once per
 * record and index, gives the same index: the records are already in the
 * heap when we look, so a summarization that begins after the look-up
 * scans them, and one that began before left a placeholder, which the
 * look-up finds (the records of that range are then inserted one by one).
 * The first record of a range is always inserted, for brininsert's
 * autosummarize request for the range before it.
 */
static void
brin_index_batch(AuditWriter *w, int n)
{
	ResultRelInfo *rri = w->rri;
	ExprContext *econtext = GetPerTupleExprContext(w->estate);
	Datum		values[INDEX_MAX_KEYS];
	bool		isnull[INDEX_MAX_KEYS];

	for (int j = 0; j < rri->ri_NumIndices; j++)
	{
		Relation	idx = rri->ri_IndexRelationDescs[j];
		IndexInfo  *ii = rri->ri_IndexRelationInfo[j];
		BlockNumber pages_per_range;
		BrinRevmap *revmap;
		BlockNumber range = InvalidBlockNumber;
		bool		summarized = false;

		/* an index being built concurrently (not ready): as ExecInsertIndexTuples */
		if (idx == NULL || !ii->ii_ReadyForInserts)
			continue;
		revmap = brinRevmapInitialize(idx, &pages_per_range, NULL);

		for (int i = 0; i < n; i++)
		{
			ItemPointer tid = &w->slots[i]->tts_tid;
			BlockNumber blk = ItemPointerGetBlockNumber(tid);
			BlockNumber start = blk - blk % pages_per_range;

			if (start != range)
			{
				range = start;
				summarized = brin_range_summarized(revmap, start);
			}
			if (!summarized &&
				!(blk == start && ItemPointerGetOffsetNumber(tid) == FirstOffsetNumber))
				continue;
			econtext->ecxt_scantuple = w->slots[i];
			FormIndexDatum(ii, w->slots[i], w->estate, values, isnull);
			index_insert(idx, values, isnull, tid, w->rel, UNIQUE_CHECK_NO, false, ii);
			ResetPerTupleExprContext(w->estate);
		}
		brinRevmapTerminate(revmap);
	}
}

/*
 * batch_write
 *		Insert a batch's records into the log (the transaction's partition,
 *		its indexes) and empty it.  The records share their transaction's
 *		start time, so the partition's bound is checked once; they were
 *		built with every NOT NULL column set, and the partition has no
 *		triggers or CHECK constraints (current_batch).
 */
static void
batch_write(AuditBatch *b)
{
	AuditWriter *w;
	int			n = b->nrecords;
	int			i;
	MemoryContext old;

	if (n == 0)
		return;
	check_not_writing();
	w = get_writer();
	if (w->nslots < n)
	{
		/* the writer's, like the writer: see get_writer */
		MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);
		ResourceOwner save_owner = CurrentResourceOwner;

		CurrentResourceOwner = TopTransactionResourceOwner;
		if (w->slots == NULL)
			w->slots = palloc(sizeof(TupleTableSlot *) * AUDIT_BATCH_RECORDS);
		while (w->nslots < n)
			w->slots[w->nslots++] = MakeSingleTupleTableSlot(RelationGetDescr(w->rel),
															  &TTSOpsHeapTuple);
		CurrentResourceOwner = save_owner;
		MemoryContextSwitchTo(old);
	}

	audit_writing = true;
	old = MemoryContextSwitchTo(b->cxt);	/* what the insert allocates goes with the batch */
	PG_TRY();
	{
		/* the slots own the records: heap_multi_insert need not copy them */
		for (i = 0; i < n; i++)
			ExecStoreHeapTuple(b->records[i], w->slots[i], true);
		if (w->rel->rd_rel->relispartition)
			ExecPartitionCheck(w->rri, w->slots[0], w->estate, true);
		table_multi_insert(w->rel, w->slots, n, GetCurrentCommandId(true),
						   TABLE_INSERT_SKIP_FSM, NULL);
		if (only_brin_indexes(w->rri))
			brin_index_batch(w, n);
		else if (w->rri->ri_NumIndices > 0)
		{
			for (i = 0; i < n; i++)
			{
				list_free(ExecInsertIndexTuples(w->rri, w->slots[i], w->estate,
												false, false, NULL, NIL));
				ResetPerTupleExprContext(w->estate);
			}
		}
	}
	PG_FINALLY();
	{
		MemoryContextSwitchTo(old);
		audit_writing = false;
		for (i = 0; i < n; i++)
			ExecClearTuple(w->slots[i]);
		b->nrecords = 0;
		b->nbytes = 0;
		MemoryContextReset(b->cxt);
	}
	PG_END_TRY();
}

/*
 * batch_add
 *		Complete a record and add it to a batch, which is written when full.
 */
static void
batch_add(AuditBatch *b, Datum *values, bool *nulls)
{
	AuditWriter *w = get_writer();
	MemoryContext old;
	HeapTuple	tuple;

	fill_record(values, nulls);
	old = MemoryContextSwitchTo(b->cxt);
	tuple = heap_form_tuple(RelationGetDescr(w->rel), values, nulls);
	MemoryContextSwitchTo(old);
	b->records[b->nrecords++] = tuple;
	b->nbytes += tuple->t_len;
	if (b->nrecords >= AUDIT_BATCH_RECORDS || b->nbytes >= AUDIT_BATCH_BYTES)
		batch_write(b);
}

/*
 * current_batch
 *		The batch a record of the current change joins, or NULL when it must
 *		be written at once (no frame, or a (sub)transaction other than the
 *		frame's).
 */
static AuditBatch *
current_batch(void)
{
	AuditFrame *f = audit_frame;

	AuditWriter *w;

	if (f == NULL || f->lxid != MyProc->lxid ||
		f->subid != GetCurrentSubTransactionId())
		return NULL;

	/*
	 * Triggers or CHECK constraints someone added to the log's partition
	 * are honoured record by record (ExecSimpleRelationInsert); batches
	 * skip them.
	 */
	w = get_writer();
	if (!writer_batchable(w))
		return NULL;
	if (f->batch == NULL)
		f->batch = batch_get();
	return f->batch;
}

/*
 * frame_push, frame_pop
 *		Open a frame; close it, writing its batch (write) or discarding it
 *		(an error).
 */
static AuditFrame *spare_frames = NULL;

static AuditFrame *
frame_push(void)
{
	AuditFrame *frame = spare_frames;

	/* not on the stack of a function that longjmps past it (PG_TRY) */
	if (frame != NULL)
		spare_frames = frame->outer;
	else
		frame = MemoryContextAlloc(TopMemoryContext, sizeof(AuditFrame));
	frame->lxid = MyProc->lxid;
	frame->subid = GetCurrentSubTransactionId();
	frame->batch = NULL;
	frame->outer = audit_frame;
	audit_frame = frame;
	return frame;
}

static void
frame_pop(AuditFrame *frame, bool write)
{
	AuditBatch *b = frame->batch;

	audit_frame = frame->outer;
	frame->batch = NULL;
	frame->outer = spare_frames;
	spare_frames = frame;
	if (b == NULL)
		return;
	PG_TRY();
	{
		if (write)
			batch_write(b);
	}
	PG_FINALLY();
	{
		batch_release(b);
	}
	PG_END_TRY();
}

/*
 * audit_executor_finish
 *		A statement's AFTER triggers fire in ExecutorFinish: the records they
 *		made are written when it returns.
 */
static void
audit_executor_finish(QueryDesc *queryDesc)
{
	AuditFrame *frame = frame_push();

	PG_TRY();
	{
		if (prev_ExecutorFinish)
			prev_ExecutorFinish(queryDesc);
		else
			standard_ExecutorFinish(queryDesc);
	}
	PG_CATCH();
	{
		frame_pop(frame, false);
		PG_RE_THROW();
	}
	PG_END_TRY();
	frame_pop(frame, true);
}

/*
 * audit_process_utility
 *		COPY FROM fires its AFTER triggers itself: the same for it.
 */
static void
audit_process_utility(PlannedStmt *pstmt, const char *queryString,
					  bool readOnlyTree, ProcessUtilityContext context,
					  ParamListInfo params, QueryEnvironment *queryEnv,
					  DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;
	bool		copy_from = IsA(parsetree, CopyStmt) && ((CopyStmt *) parsetree)->is_from;
	AuditFrame *frame = copy_from ? frame_push() : NULL;

	PG_TRY();
	{
		if (prev_ProcessUtility)
			prev_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
									params, queryEnv, dest, qc);
	}
	PG_CATCH();
	{
		if (frame != NULL)
			frame_pop(frame, false);
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (frame != NULL)
		frame_pop(frame, true);
}

/*
 * steward_audit_write_once
 *		Write one record and close the writer again: for one-off events
 *		(DDL, reads, configuration changes), which may be followed in the
 *		same transaction by DDL on the log's partition itself (pg_restore
 *		creates a partition, then its indexes).  The row trigger keeps the
 *		writer open for the transaction instead.
 */
static void
steward_audit_write_once(Datum *values, bool *nulls)
{
	EState	   *estate;

	/*
	 * A query level of its own for the AFTER triggers someone added to the
	 * log (ExecSimpleRelationInsert queues their events): a DDL record is
	 * written from an event trigger, outside any query, where queuing one
	 * fails ("AfterTriggerSaveEvent() called outside of query").  As
	 * logical replication's apply does.  The events fire with an executor
	 * state of their own: a trigger may write a record itself, and close
	 * the writer.  An error unwinds the level with the (sub)transaction.
	 */
	AfterTriggerBeginQuery();
	steward_audit_write(values, nulls);
	estate = CreateExecutorState();
	AfterTriggerEndQuery(estate);
	ExecCloseResultRelations(estate);
	ExecResetTupleTable(estate->es_tupleTable, false);
	FreeExecutorState(estate);
	if (audit_writer != NULL)
		close_writer();
}

/*
 * steward_audit_event_write
 *		Record a one-off event (see audit.h); detail is a jsonb datum, or 0.
 */
void
steward_audit_event_write(const char *operation, const char *schema,
						  const char *table, const char *query, Datum detail)
{
	Datum		values[AL_NCOLUMNS];
	bool		nulls[AL_NCOLUMNS];

	memset(nulls, true, sizeof(nulls));
	values[AL_OPERATION] = CStringGetTextDatum(operation);
	nulls[AL_OPERATION] = false;
	if (schema != NULL)
	{
		values[AL_SCHEMA] = CStringGetTextDatum(schema);
		nulls[AL_SCHEMA] = false;
	}
	if (table != NULL)
	{
		values[AL_TABLE] = CStringGetTextDatum(table);
		nulls[AL_TABLE] = false;
	}
	if (query != NULL)
	{
		values[AL_QUERY] = CStringGetTextDatum(query);
		nulls[AL_QUERY] = false;
	}
	if (detail != (Datum) 0)
	{
		values[AL_DETAIL] = detail;
		nulls[AL_DETAIL] = false;
	}
	steward_audit_write_once(values, nulls);
}

/* ----------------------------------------------------------------
 *		The trigger
 * ----------------------------------------------------------------
 */

/*
 * operation_text
 *		INSERT, UPDATE, DELETE or TRUNCATE as a text datum, made once.
 */
static Datum
operation_text(const char *op)
{
	static const char *const ops[] = {"INSERT", "UPDATE", "DELETE", "TRUNCATE"};
	static text *texts[4];
	int			i;

	for (i = 0; i < 4; i++)
	{
		if (strcmp(op, ops[i]) != 0)
			continue;
		if (texts[i] == NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

			texts[i] = cstring_to_text(op);
			MemoryContextSwitchTo(old);
		}
		return PointerGetDatum(texts[i]);
	}
	return CStringGetTextDatum(op);
}

PG_FUNCTION_INFO_V1(steward_audit_trigger);

/*
 * steward_audit_trigger
 *		AFTER ROW INSERT/UPDATE/DELETE and AFTER STATEMENT TRUNCATE.
 *		Arguments: the audited table's schema and name.
 */
Datum
steward_audit_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Trigger    *trigger;
	Relation	rel;
	TupleDesc	desc;
	AuditRelInfo *info;
	Datum		values[AL_NCOLUMNS];
	bool		nulls[AL_NCOLUMNS];
	TriggerEvent event;
	MemoryContext old;
	AuditBatch *batch;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("steward.audit_trigger() must be called as a trigger")));
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("steward.audit_trigger() must be an AFTER trigger")));
	trigger = trigdata->tg_trigger;

	rel = trigdata->tg_relation;
	desc = RelationGetDescr(rel);
	event = trigdata->tg_event;

	info = get_audit_info(rel, trigger);

	/* per-event allocations go away with the next event */
	if (audit_event_cxt == NULL)
		audit_event_cxt = AllocSetContextCreate(TopMemoryContext, "steward audit event",
												ALLOCSET_DEFAULT_SIZES);
	MemoryContextReset(audit_event_cxt);
	old = MemoryContextSwitchTo(audit_event_cxt);

	memset(nulls, true, sizeof(nulls));
	values[AL_SCHEMA] = PointerGetDatum(info->schema_text);
	nulls[AL_SCHEMA] = false;
	values[AL_TABLE] = PointerGetDatum(info->table_text);
	nulls[AL_TABLE] = false;
	if (info->capture_query && debug_query_string != NULL)
	{
		values[AL_QUERY] = CStringGetTextDatum(debug_query_string);
		nulls[AL_QUERY] = false;
	}

	/* operations not chosen with audit_enable(operations => ...) */
	if ((TRIGGER_FIRED_BY_INSERT(event) && !info->ops[0]) ||
		(TRIGGER_FIRED_BY_UPDATE(event) && !info->ops[1]) ||
		(TRIGGER_FIRED_BY_DELETE(event) && !info->ops[2]) ||
		(TRIGGER_FIRED_BY_TRUNCATE(event) && !info->ops[3]))
	{
		MemoryContextSwitchTo(old);
		return PointerGetDatum(NULL);
	}

	if (TRIGGER_FIRED_BY_TRUNCATE(event))
	{
		values[AL_OPERATION] = operation_text("TRUNCATE");
		nulls[AL_OPERATION] = false;
	}
	else if (TRIGGER_FIRED_FOR_ROW(event))
	{
		HeapTuple	oldtup = trigdata->tg_trigtuple;
		HeapTuple	newtup = trigdata->tg_newtuple;
		int			natts = desc->natts;
		Datum	   *ov;
		bool	   *on;

		/* the command that made the change, from the tuple itself */
		values[AL_STMT] = Int32GetDatum((int32) (TRIGGER_FIRED_BY_DELETE(event) ?
												 HeapTupleHeaderGetCmax(oldtup->t_data) :
												 HeapTupleHeaderGetCmin((newtup ? newtup : oldtup)->t_data)));
		nulls[AL_STMT] = false;

		/* each tuple is taken apart once */
		scratch_ensure(Max(natts, info->natts));	/* before any use */
		ov = scratch_values[0];
		on = scratch_nulls[0];
		heap_deform_tuple(oldtup, desc, ov, on);
		if (TRIGGER_FIRED_BY_INSERT(event))
		{
			values[AL_OPERATION] = operation_text("INSERT");
			values[AL_ROW_KEY] = JsonbPGetDatum(row_key(info, natts, ov, on));
			values[AL_NEW] = JsonbPGetDatum(row_to_jsonb(info, natts, ov, on, NULL));
			nulls[AL_NEW] = false;
		}
		else if (TRIGGER_FIRED_BY_DELETE(event))
		{
			values[AL_OPERATION] = operation_text("DELETE");
			values[AL_ROW_KEY] = JsonbPGetDatum(row_key(info, natts, ov, on));
			values[AL_OLD] = JsonbPGetDatum(row_to_jsonb(info, natts, ov, on, NULL));
			nulls[AL_OLD] = false;
		}
		else
		{
			Datum	   *nv = scratch_values[1];
			bool	   *nn = scratch_nulls[1];
			bool	   *changed = scratch_changed;
			int			nchanged;

			heap_deform_tuple(newtup, desc, nv, nn);
			nchanged = changed_columns(info, natts, ov, on, nv, nn, changed);
			if (nchanged == 0 && info->skip_unchanged)
			{
				MemoryContextSwitchTo(old);
				return PointerGetDatum(NULL);
			}
			values[AL_OPERATION] = operation_text("UPDATE");
			values[AL_ROW_KEY] = JsonbPGetDatum(row_key(info, natts, ov, on));
			values[AL_OLD] = JsonbPGetDatum(row_to_jsonb(info, natts, ov, on,
														 info->full_rows ? NULL : changed));
			values[AL_NEW] = JsonbPGetDatum(row_to_jsonb(info, natts, nv, nn,
														 info->full_rows ? NULL : changed));
			nulls[AL_OLD] = nulls[AL_NEW] = false;
		}
		nulls[AL_OPERATION] = false;
		nulls[AL_ROW_KEY] = false;
		values[AL_ROW_HASH] = row_hash(values[AL_ROW_KEY], info->hash_seed);
		nulls[AL_ROW_HASH] = false;
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("steward.audit_trigger() must be a row trigger, or a statement trigger for TRUNCATE")));

	steward_status_count(info->logical_relid, STATUS_AUDIT_ROWS, 1);
	if (TRIGGER_FIRED_FOR_ROW(event) && (batch = current_batch()) != NULL)
		batch_add(batch, values, nulls);
	else
		steward_audit_write(values, nulls);

	MemoryContextSwitchTo(old);
	/* give back what a huge row took (the context keeps one small block) */
	MemoryContextReset(audit_event_cxt);
	return PointerGetDatum(NULL);
}

/*
 * steward_audit_init
 *		Settings and callbacks; called by _PG_init.
 */
void
steward_audit_init(void)
{
	DefineCustomStringVariable("steward.audit_key",
							   "Key for the keyed hashes of audited columns (hash_columns).",
							   "Only superusers can set or read it.",
							   &audit_key, "",
							   PGC_SUSET,
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							   steward_check_secret_setting, NULL, NULL);
	RegisterXactCallback(audit_xact_callback, NULL);
	prev_ExecutorFinish = ExecutorFinish_hook;
	ExecutorFinish_hook = audit_executor_finish;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = audit_process_utility;
	CacheRegisterSyscacheCallback(AUTHOID, role_cache_callback, (Datum) 0);
	steward_register_relcache_callback(audit_relcache_callback, (Datum) 0);
}

/*
 * array_json
 *		A text[] or name[] datum as JSON text (via array_to_json).
 */
static char *
array_json(Datum arr)
{
	return text_to_cstring(DatumGetTextPP(DirectFunctionCall1(array_to_json, arr)));
}

/*
 * is_audit_log
 *		Whether relid is steward.audit_log or one of its partitions.
 */
static bool
is_audit_log(Oid relid)
{
	Oid			log = get_relname_relid("audit_log", get_namespace_oid("steward", false));

	if (relid == log)
		return true;
	return get_rel_relispartition(relid) &&
		list_member_oid(get_partition_ancestors(relid), log);
}

PG_FUNCTION_INFO_V1(steward_audit_config_write);

/*
 * steward_audit_config_write
 *		audit_config_write(relation regclass, operations text[],
 *						   exclude_columns name[], hash_columns name[],
 *						   full_rows boolean, skip_unchanged boolean,
 *						   capture_query boolean) returns void
 *
 * Record a table's audit options (NULL operations: forget them), and log
 * the change itself as an AUDIT ENABLE / AUDIT DISABLE event.  The caller
 * must own the table; the configuration is written as its owner (see
 * src/common/config.c) and the event by the trigger's own writer.
 */
Datum
steward_audit_config_write(PG_FUNCTION_ARGS)
{
	Oid			relid;
	bool		enable = !PG_ARGISNULL(1);
	Datum		args[8];
	char		nulls[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	Oid			argtypes[8] = {REGCLASSOID, TEXTARRAYOID, NAMEARRAYOID, NAMEARRAYOID,
	BOOLOID, BOOLOID, BOOLOID, NAMEOID};
	Datum		detail = (Datum) 0;
	int			i;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("table must not be NULL")));
	relid = PG_GETARG_OID(0);
	steward_check_table_owner(relid, false);
	if (enable && is_audit_log(relid))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot audit %s", steward_qualified_relname(relid)),
				 errdetail("Each audit record would be recorded again, without end.")));

	args[0] = ObjectIdGetDatum(relid);
	if (enable)
	{
		for (i = 1; i <= 6; i++)
		{
			if (PG_ARGISNULL(i))
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("audit options must not be NULL")));
			args[i] = PG_GETARG_DATUM(i);
		}
		args[7] = DirectFunctionCall1(namein,
									  CStringGetDatum(GetUserNameFromId(GetUserId(), false)));
		steward_config_exec("audit_tables",
							"INSERT INTO steward.audit_tables AS t (relation, operations, "
							"exclude_columns, hash_columns, full_rows, skip_unchanged, "
							"capture_query, enabled_by, enabled_at) "
							"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, pg_catalog.now()) "
							"ON CONFLICT (relation) DO UPDATE SET operations = excluded.operations, "
							"exclude_columns = excluded.exclude_columns, "
							"hash_columns = excluded.hash_columns, full_rows = excluded.full_rows, "
							"skip_unchanged = excluded.skip_unchanged, "
							"capture_query = excluded.capture_query, "
							"enabled_by = excluded.enabled_by, enabled_at = excluded.enabled_at",
							8, argtypes, args, nulls);
	}
	else
	{
		Oid			disable = DatumGetObjectId(DirectFunctionCall1(to_regprocedure,
																   CStringGetTextDatum("steward.audit_disable(regclass)")));

		/* turning audit off needs the explicit privilege, however it is asked */
		if (!OidIsValid(disable) ||
			pg_proc_aclcheck(disable, GetUserId(), ACL_EXECUTE) != ACLCHECK_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to disable auditing of %s",
							steward_qualified_relname(relid)),
					 errhint("Turning audit off needs EXECUTE on steward.audit_disable(regclass).")));
		steward_config_exec("audit_tables",
							"DELETE FROM steward.audit_tables t "
							"WHERE t.relation OPERATOR(pg_catalog.=) $1",
							1, argtypes, args, nulls);
	}

	/* the change of configuration is itself an audited event */
	if (enable)
	{
		/* the options, so that narrowing the capture is visible too */
		detail = DirectFunctionCall1(jsonb_in,
									 CStringGetDatum(psprintf("{\"operations\": %s, \"exclude_columns\": %s, \"hash_columns\": %s, \"full_rows\": %s, \"skip_unchanged\": %s, \"capture_query\": %s}",
															  array_json(args[1]), array_json(args[2]), array_json(args[3]),
															  DatumGetBool(args[4]) ? "true" : "false",
															  DatumGetBool(args[5]) ? "true" : "false",
															  DatumGetBool(args[6]) ? "true" : "false")));
	}
	steward_audit_event_write(enable ? "AUDIT ENABLE" : "AUDIT DISABLE",
							  get_namespace_name(get_rel_namespace(relid)),
							  get_rel_name(relid), debug_query_string, detail);

	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(steward_audit_row_hash);

/*
 * steward_audit_row_hash
 *		audit_row_hash(schema_name text, table_name text, key jsonb)
 *			returns bigint
 */
Datum
steward_audit_row_hash(PG_FUNCTION_ARGS)
{
	char	   *schema = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *table = text_to_cstring(PG_GETARG_TEXT_PP(1));

	return row_hash(PG_GETARG_DATUM(2), table_hash_seed(schema, table));
}

PG_FUNCTION_INFO_V1(steward_audit_record_digest);

/*
 * steward_audit_record_digest
 *		audit_record_digest(r steward.audit_log) returns bytea
 *
 * The digest a record should carry, recomputed from its columns (what
 * audit_verify() compares with the stored digest).  Not executable by
 * PUBLIC: with the key it would let anyone sign forged records.
 */
Datum
steward_audit_record_digest(PG_FUNCTION_ARGS)
{
	HeapTupleHeader rec = PG_GETARG_HEAPTUPLEHEADER(0);
	Datum		values[AL_NCOLUMNS];
	bool		nulls[AL_NCOLUMNS];
	int			i;

	for (i = 0; i < AL_NCOLUMNS; i++)
		values[i] = GetAttributeByNum(rec, i + 1, &nulls[i]);
	PG_RETURN_BYTEA_P(record_digest(values, nulls));
}

PG_FUNCTION_INFO_V1(steward_audit_key_hmac);

/*
 * steward_audit_key_hmac
 *		audit_key_hmac(data bytea) returns bytea
 *
 * HMAC-SHA256 of data with steward.audit_key, for the seals.  Not
 * executable by PUBLIC.
 */
Datum
steward_audit_key_hmac(PG_FUNCTION_ARGS)
{
	bytea	   *data = PG_GETARG_BYTEA_PP(0);
	bytea	   *result = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);

	SHA256_CTX	c;

	hmac_begin(&c);
	if (SHA256_Update(&c, VARDATA_ANY(data), VARSIZE_ANY_EXHDR(data)) != 1)
		elog(ERROR, "could not compute SHA-256");
	hmac_end(&c, (uint8 *) VARDATA(result));
	SET_VARSIZE(result, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	PG_RETURN_BYTEA_P(result);
}

PG_FUNCTION_INFO_V1(steward_audit_event);

/*
 * steward_audit_event
 *		audit_event(operation text, schema_name text, table_name text,
 *					detail jsonb) returns void
 *
 * Record an event of pg_steward's own maintenance functions (redaction,
 * sealing).  Not executable by PUBLIC: records are facts, not messages.
 */
Datum
steward_audit_event(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("operation must not be NULL")));
	steward_audit_event_write(TextDatumGetCString(PG_GETARG_DATUM(0)),
							  PG_ARGISNULL(1) ? NULL : TextDatumGetCString(PG_GETARG_DATUM(1)),
							  PG_ARGISNULL(2) ? NULL : TextDatumGetCString(PG_GETARG_DATUM(2)),
							  NULL,
							  PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3));
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(steward_audit_value_hash);

/*
 * steward_audit_value_hash
 *		audit_value_hash(value jsonb) returns text
 *
 * The hash of a jsonb value as record digests cover it (audit_redact keeps
 * it for the values it replaces).
 */
Datum
steward_audit_value_hash(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(jsonb_value_hash(PG_GETARG_DATUM(0))));
}
