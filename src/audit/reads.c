/*-------------------------------------------------------------------------
 *
 * reads.c
 *	  Sensitive reads: who read which audited table, with which statement
 *	  and how many rows.
 *
 * steward.audit_reads(table) marks a table whose reads are recorded.  An
 * ExecutorEnd hook looks at every finished statement's range table: each
 * marked table the statement read (directly or through a view, a function,
 * an INSERT ... SELECT) gives one record per statement, not per row -
 * operation SELECT, the statement, who, when, and the rows the statement
 * returned or processed.  A ProcessUtility hook does the same for
 * COPY table TO, which reads without the executor.
 *
 * The hooks are installed whenever the library is loaded, but only a
 * library loaded by shared_preload_libraries is loaded in every session
 * before its first query, so audit_reads() refuses to mark a table
 * otherwise: a session that never called pg_steward would read unseen.
 * On a hot standby, in a parallel operation or in a read-only transaction
 * (pg_dump's, for one) nothing can be written: reads are reported to the
 * server log instead.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "pg_steward.h"
#include "ops/status.h"
#include "audit/audit.h"
#include "common/config.h"

static bool preloaded = false;

/* The read-audited tables: a set of OIDs, reloaded when marked stale */
static HTAB *read_tables = NULL;
static bool read_tables_valid = false;
static bool read_tables_loading = false;
static uint64 read_tables_generation = 0;	/* bumped by every invalidation */
static Oid	config_relid = InvalidOid;	/* steward.audit_read_tables */

static ExecutorEnd_hook_type prev_ExecutorEnd = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/*
 * reads_relcache_callback
 *		Any change of an audited table's definition, an invalidation of the
 *		configuration table (audit_reads_write() sends one on purpose), or
 *		a full reset makes the set stale.
 */
static void
reads_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == config_relid ||
		(read_tables != NULL && hash_search(read_tables, &relid, HASH_FIND, NULL) != NULL))
	{
		read_tables_valid = false;
		read_tables_generation++;
	}
}

/*
 * load_read_tables
 *		(Re)load the set from steward.audit_read_tables; an empty set when
 *		the extension is not installed in this database.
 */
static void
load_read_tables(void)
{
	HASHCTL		ctl;
	Oid			nsp;
	uint64		i;
	uint64		generation = read_tables_generation;

	if (read_tables == NULL)
	{
		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(Oid);
		ctl.hcxt = TopMemoryContext;
		read_tables = hash_create("steward read-audited tables", 16, &ctl,
								  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		steward_register_relcache_callback(reads_relcache_callback, (Datum) 0);
	}
	else
	{
		HASH_SEQ_STATUS status;
		Oid		   *entry;

		hash_seq_init(&status, read_tables);
		while ((entry = (Oid *) hash_seq_search(&status)) != NULL)
			hash_search(read_tables, entry, HASH_REMOVE, NULL);
	}

	nsp = get_namespace_oid("steward", true);
	config_relid = OidIsValid(nsp) ? get_relname_relid("audit_read_tables", nsp) : InvalidOid;
	if (OidIsValid(config_relid))
	{
		read_tables_loading = true;
		PG_TRY();
		{
			if (SPI_connect() != SPI_OK_CONNECT)
				elog(ERROR, "SPI_connect failed");

			/*
			 * The latest committed set, not the transaction's snapshot: a
			 * REPEATABLE READ transaction that began before audit_reads()
			 * committed would otherwise load the set without the table,
			 * and keep it for the session's later transactions too.
			 */
			steward_config_read("steward.audit_read_tables",
								"SELECT relation::pg_catalog.oid FROM steward.audit_read_tables",
								0, NULL, NULL, 0);
			for (i = 0; i < SPI_processed; i++)
			{
				bool		isnull;
				Oid			relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
																   SPI_tuptable->tupdesc,
																   1, &isnull));

				if (!isnull)
					hash_search(read_tables, &relid, HASH_ENTER, NULL);
			}
			SPI_finish();
		}
		PG_FINALLY();
		{
			read_tables_loading = false;
		}
		PG_END_TRY();
		/* an invalidation that arrived while loading: load again next time */
		read_tables_valid = (generation == read_tables_generation);
	}

	/*
	 * Without the configuration table (the extension is not installed here,
	 * or is being installed right now) the set stays invalid: there is no
	 * invalidation of that table to wait for, so look again next time.
	 */
}

/*
 * record_read
 *		One SELECT record for a table read by a statement.
 */
static void
record_read(Oid relid, uint64 rows, const char *how, const char *query)
{
	JsonbParseState *state = NULL;
	JsonbValue	k;
	JsonbValue	v;
	JsonbValue *detail;
	char	   *schema = get_namespace_name(get_rel_namespace(relid));
	char	   *table = get_rel_name(relid);

	if (schema == NULL || table == NULL)
		return;

	if (RecoveryInProgress() || IsInParallelMode() || XactReadOnly)
	{
		/*
		 * A standby, a parallel operation or a read-only transaction (such
		 * as pg_dump's) cannot write: the server log is the record.
		 */
		ereport(LOG,
				(errmsg("pg_steward audit: read of %s.%s by %s (%llu rows)",
						schema, table, GetUserNameFromId(GetUserId(), false),
						(unsigned long long) rows),
				 errhidestmt(false)));
		return;
	}

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	k.type = jbvString;
	k.val.string.val = "rows";
	k.val.string.len = 4;
	pushJsonbValue(&state, WJB_KEY, &k);
	v.type = jbvNumeric;
	v.val.numeric = DatumGetNumeric(DirectFunctionCall1(int8_numeric, Int64GetDatum((int64) rows)));
	pushJsonbValue(&state, WJB_VALUE, &v);
	k.val.string.val = "via";
	k.val.string.len = 3;
	pushJsonbValue(&state, WJB_KEY, &k);
	v.type = jbvString;
	v.val.string.val = (char *) how;
	v.val.string.len = strlen(how);
	pushJsonbValue(&state, WJB_VALUE, &v);
	detail = pushJsonbValue(&state, WJB_END_OBJECT, NULL);

	steward_audit_event_write("SELECT", schema, table, query,
							  JsonbPGetDatum(JsonbValueToJsonb(detail)));
	steward_status_count(relid, STATUS_AUDIT_READS, 1);
}

/*
 * reads_active
 *		Whether this backend should look for audited reads now.
 */
static bool
reads_active(void)
{
	if (!preloaded || IsParallelWorker() || read_tables_loading ||
		!IsTransactionState() || IsAbortedTransactionBlockState())
		return false;
	if (!read_tables_valid)
	{
		/* a portal's ExecutorEnd runs without an active snapshot */
		bool		pushed = false;

		if (!ActiveSnapshotSet())
		{
			PushActiveSnapshot(GetTransactionSnapshot());
			pushed = true;
		}
		load_read_tables();
		if (pushed)
			PopActiveSnapshot();
	}
	return hash_get_num_entries(read_tables) > 0;
}

/*
 * reads_executor_end
 *		Record the audited tables a finished statement read.
 */
static void
reads_executor_end(QueryDesc *queryDesc)
{
	if (reads_active() && queryDesc->plannedstmt != NULL)
	{
		uint64		rows = queryDesc->estate ? queryDesc->estate->es_processed : 0;
		List	   *seen = NIL;
		ListCell   *lc;

		foreach(lc, queryDesc->plannedstmt->rtable)
		{
			RangeTblEntry *rte = (RangeTblEntry *) lfirst(lc);

			if (rte->rtekind != RTE_RELATION || !(rte->requiredPerms & ACL_SELECT))
				continue;
			if (list_member_oid(seen, rte->relid))
				continue;
			if (hash_search(read_tables, &rte->relid, HASH_FIND, NULL) == NULL)
				continue;
			seen = lappend_oid(seen, rte->relid);
			/* the statement that read, not the one that closed a cursor */
			record_read(rte->relid, rows, "query",
						queryDesc->sourceText ? queryDesc->sourceText : debug_query_string);
		}
		list_free(seen);
	}

	if (prev_ExecutorEnd)
		prev_ExecutorEnd(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);
}

/*
 * reads_process_utility
 *		COPY table TO reads without the executor.
 */
static void
reads_process_utility(PlannedStmt *pstmt, const char *queryString,
					  bool readOnlyTree, ProcessUtilityContext context,
					  ParamListInfo params, QueryEnvironment *queryEnv,
					  DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;

	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString, readOnlyTree, context,
							params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);

	if (IsA(parsetree, CopyStmt) && !((CopyStmt *) parsetree)->is_from &&
		((CopyStmt *) parsetree)->relation != NULL && reads_active())
	{
		Oid			relid = RangeVarGetRelid(((CopyStmt *) parsetree)->relation,
											 NoLock, true);

		if (OidIsValid(relid) && hash_search(read_tables, &relid, HASH_FIND, NULL) != NULL)
			record_read(relid, qc ? qc->nprocessed : 0, "COPY", queryString);
	}
}

PG_FUNCTION_INFO_V1(steward_audit_reads_write);

/*
 * steward_audit_reads_write
 *		audit_reads_write(relation regclass, enable boolean) returns void
 *
 * Mark (or unmark) a table whose reads are recorded, and log the change.
 * The caller must own the table; the library must be preloaded to mark.
 */
Datum
steward_audit_reads_write(PG_FUNCTION_ARGS)
{
	Oid			relid;
	bool		enable;
	Oid			argtypes[2] = {REGCLASSOID, NAMEOID};
	Datum		args[2];

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("table must not be NULL")));
	relid = PG_GETARG_OID(0);
	enable = PG_GETARG_BOOL(1);
	steward_check_table_owner(relid, false);

	if (enable && !preloaded)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("auditing reads needs pg_steward in shared_preload_libraries"),
				 errdetail("Without it, sessions that never call pg_steward would read unrecorded."),
				 errhint("Add pg_steward to shared_preload_libraries and restart the server.")));

	args[0] = ObjectIdGetDatum(relid);
	args[1] = DirectFunctionCall1(namein,
								  CStringGetDatum(GetUserNameFromId(GetUserId(), false)));
	if (enable)
		steward_config_exec("audit_read_tables",
							"INSERT INTO steward.audit_read_tables AS t (relation, enabled_by, enabled_at) "
							"VALUES ($1, $2, pg_catalog.now()) "
							"ON CONFLICT (relation) DO UPDATE SET enabled_by = excluded.enabled_by, "
							"enabled_at = excluded.enabled_at",
							2, argtypes, args, NULL);
	else
		steward_config_exec("audit_read_tables",
							"DELETE FROM steward.audit_read_tables t "
							"WHERE t.relation OPERATOR(pg_catalog.=) $1",
							1, argtypes, args, NULL);

	/* every backend reloads its set (see reads_relcache_callback) */
	CacheInvalidateRelcacheByRelid(get_relname_relid("audit_read_tables",
													 get_namespace_oid("steward", false)));

	steward_audit_event_write(enable ? "AUDIT READS ENABLE" : "AUDIT READS DISABLE",
							  get_namespace_name(get_rel_namespace(relid)),
							  get_rel_name(relid), debug_query_string, (Datum) 0);

	PG_RETURN_VOID();
}

/*
 * steward_audit_reads_init
 *		Install the hooks; called by _PG_init.
 */
void
steward_audit_reads_init(void)
{
	preloaded = process_shared_preload_libraries_in_progress;

	prev_ExecutorEnd = ExecutorEnd_hook;
	ExecutorEnd_hook = reads_executor_end;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = reads_process_utility;
}
