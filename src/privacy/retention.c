/*-------------------------------------------------------------------------
 *
 * retention.c
 *	  Background worker that applies the retention policies on a schedule.
 *
 * With pg_steward in shared_preload_libraries, one worker connects to the
 * database named by steward.retention_database and, every
 * steward.retention_interval seconds (0: off), does what CALL
 * steward.retention_run() does: for each policy, batches of expired rows
 * deleted or anonymized by steward.retention_batch(), each batch in a
 * transaction of its own, with the progress in steward.retention_runs.
 *
 * Each table's batches run as the table's owner, inside a
 * security-restricted operation (as autovacuum runs index functions): the
 * worker connects as the bootstrap superuser, and the triggers and
 * defaults of a table must not run with more rights than its owner has.
 * An error fails that table's run (recorded, logged) and the worker goes
 * on with the next table.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "pg_steward.h"

PGDLLEXPORT void steward_retention_main(Datum main_arg);

static int	retention_interval = 3600;
static char *retention_database = NULL;

typedef struct RetentionTask
{
	Oid			relid;			/* the policy's table */
	Oid			leaf;			/* a table holding its rows */
	Oid			owner;			/* the policy table's owner */
} RetentionTask;

/*
 * run_as_owner
 *		Run one statement in a transaction of its own as owner, in a
 *		security-restricted operation.  Returns false (after logging) on
 *		error.  With want_result, the first row's two columns go to rows and
 *		last (last: NULL means the leaf is done).
 */
static bool
run_as_owner(Oid owner, const char *sql, int nargs, Oid *types, Datum *args,
			 const char *nulls, int64 *rows, ItemPointerData *last, bool *done,
			 char **error)
{
	Oid			save_userid;
	int			save_sec_context;
	volatile bool ok = true;
	MemoryContext oldcxt = CurrentMemoryContext;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	debug_query_string = sql;
	pgstat_report_activity(STATE_RUNNING, sql);
	GetUserIdAndSecContext(&save_userid, &save_sec_context);

	PG_TRY();
	{
		SetUserIdAndSecContext(owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION);
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (SPI_execute_with_args(sql, nargs, types, args, nulls, false, 0) < 0)
			elog(ERROR, "could not run %s", sql);
		if (rows != NULL && SPI_processed == 1)
		{
			bool		isnull;
			Datum		d;

			d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
			*rows = isnull ? 0 : DatumGetInt64(d);
			d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
			*done = isnull;
			if (!isnull)
				ItemPointerCopy((ItemPointer) DatumGetPointer(d), last);
		}
		SPI_finish();
		SetUserIdAndSecContext(save_userid, save_sec_context);
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		HOLD_INTERRUPTS();
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		EmitErrorReport();
		AbortOutOfAnyTransaction();
		FlushErrorState();
		RESUME_INTERRUPTS();
		if (error != NULL)
			*error = MemoryContextStrdup(TopMemoryContext, edata->message);
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();

	debug_query_string = NULL;
	pgstat_report_activity(STATE_IDLE, NULL);
	return ok;
}

/*
 * note
 *		steward.retention_note() for a table, as its owner.
 */
static void
note(RetentionTask *t, const char *status, int64 rows, int64 batches, const char *error)
{
	Oid			types[5] = {REGCLASSOID, TEXTOID, INT8OID, INT8OID, TEXTOID};
	Datum		args[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', error ? ' ' : 'n'};

	args[0] = ObjectIdGetDatum(t->relid);
	args[1] = CStringGetTextDatum(status);
	args[2] = Int64GetDatum(rows);
	args[3] = Int64GetDatum(batches);
	args[4] = error ? CStringGetTextDatum(error) : (Datum) 0;
	(void) run_as_owner(t->owner, "SELECT steward.retention_note($1, $2, $3, $4, $5)",
						5, types, args, nulls, NULL, NULL, NULL, NULL);
}

/*
 * retention_once
 *		One round over every policy.
 */
static void
retention_once(void)
{
	RetentionTask *tasks = NULL;
	int			ntasks = 0;
	int			i;
	MemoryContext round;
	MemoryContext old;

	round = AllocSetContextCreate(TopMemoryContext, "pg_steward retention round",
								  ALLOCSET_DEFAULT_SIZES);

	/* the work list, read in one short transaction */
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	PG_TRY();
	{
		if (OidIsValid(get_extension_oid("pg_steward", true)))
		{
			if (SPI_connect() != SPI_OK_CONNECT)
				elog(ERROR, "SPI_connect failed");
			if (SPI_execute("SELECT p.relation::oid, l::oid, c.relowner "
							"FROM steward.retention_policies p "
							"JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) p.relation, "
							"LATERAL steward.retention_leaves(p.relation) l "
							"ORDER BY p.relation::text COLLATE \"C\", l::text COLLATE \"C\"",
							true, 0) != SPI_OK_SELECT)
				elog(ERROR, "could not read steward.retention_policies");
			old = MemoryContextSwitchTo(round);
			ntasks = (int) SPI_processed;
			tasks = palloc0(sizeof(RetentionTask) * Max(ntasks, 1));
			for (i = 0; i < ntasks; i++)
			{
				bool		isnull;
				HeapTuple	tup = SPI_tuptable->vals[i];
				TupleDesc	desc = SPI_tuptable->tupdesc;

				tasks[i].relid = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
				tasks[i].leaf = DatumGetObjectId(SPI_getbinval(tup, desc, 2, &isnull));
				tasks[i].owner = DatumGetObjectId(SPI_getbinval(tup, desc, 3, &isnull));
			}
			MemoryContextSwitchTo(old);
			SPI_finish();
		}
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		HOLD_INTERRUPTS();
		EmitErrorReport();
		AbortOutOfAnyTransaction();
		FlushErrorState();
		RESUME_INTERRUPTS();
		ntasks = 0;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(TopMemoryContext);

	for (i = 0; i < ntasks;)
	{
		RetentionTask *policy = &tasks[i];
		int64		total = 0;
		int64		batches = 0;
		char	   *error = NULL;
		bool		failed = false;

		note(policy, "running", 0, 0, NULL);
		/* every leaf of this policy */
		for (; i < ntasks && tasks[i].relid == policy->relid; i++)
		{
			ItemPointerData after;
			bool		done = false;

			if (failed)
				continue;
			ItemPointerSet(&after, 0, 0);
			while (!done)
			{
				Oid			types[3] = {REGCLASSOID, REGCLASSOID, TIDOID};
				Datum		args[3];
				int64		rows = 0;
				ItemPointerData last;

				CHECK_FOR_INTERRUPTS();
				args[0] = ObjectIdGetDatum(policy->relid);
				args[1] = ObjectIdGetDatum(tasks[i].leaf);
				args[2] = PointerGetDatum(&after);
				if (!run_as_owner(policy->owner,
								  "SELECT b.rows, b.last FROM steward.retention_batch($1, $2, $3, pg_catalog.current_setting('search_path')) b",
								  3, types, args, "   ", &rows, &last, &done, &error))
				{
					failed = true;
					break;
				}
				total += rows;
				batches++;
				if (!done)
				{
					after = last;
					note(policy, "running", total, batches, NULL);
				}
			}
		}
		if (failed)
		{
			note(policy, "failed", total, batches, error);
			ereport(LOG,
					(errmsg("pg_steward retention: table %u failed after %lld rows: %s",
							policy->relid, (long long) total, error ? error : "?")));
		}
		else
			note(policy, "done", total, batches, NULL);
	}
	MemoryContextDelete(round);
	pgstat_report_stat(true);
}

void
steward_retention_main(Datum main_arg)
{
	TimestampTz next_run;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	BackgroundWorkerInitializeConnection(retention_database, NULL, 0);
	pgstat_report_appname("pg_steward retention");

	/* the first round soon after start: a restart must not delay it a whole interval */
	next_run = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), 10 * 1000L);
	for (;;)
	{
		long		timeout = -1;
		int			events = WL_LATCH_SET | WL_EXIT_ON_PM_DEATH;

		if (retention_interval > 0)
		{
			timeout = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), next_run);
			events |= WL_TIMEOUT;
		}
		(void) WaitLatch(MyLatch, events, timeout, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();

		if (ConfigReloadPending)
		{
			int			old_interval = retention_interval;

			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			if (retention_interval != old_interval)
				next_run = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													   Min(retention_interval, 10) * 1000L);
		}

		if (retention_interval <= 0 || GetCurrentTimestamp() < next_run)
			continue;

		retention_once();
		next_run = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
											   retention_interval * 1000L);
	}
}

/*
 * steward_retention_init
 *		GUCs, and the worker when preloaded.
 */
void
steward_retention_init(void)
{
	BackgroundWorker worker;

	DefineCustomIntVariable("steward.retention_interval",
							"Seconds between the retention worker's runs of the retention policies (0: off).",
							"Needs pg_steward in shared_preload_libraries.",
							&retention_interval,
							3600, 0, 7 * 86400,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);
	if (!process_shared_preload_libraries_in_progress)
		return;

	DefineCustomStringVariable("steward.retention_database",
							   "Database whose retention policies the retention worker applies.",
							   "Read at server start.",
							   &retention_database,
							   "postgres",
							   PGC_POSTMASTER,
							   0,
							   NULL, NULL, NULL);

	/*
	 * Not under pg_upgrade (the servers it starts run in binary-upgrade
	 * mode): the worker would stay connected to its database, and
	 * pg_upgrade's restore drops and creates every database (postgres, the
	 * default, included), which fails while a session is connected.  Nor
	 * should anything write into the old or the new cluster meanwhile.
	 */
	if (IsBinaryUpgrade)
		return;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 60;
	strlcpy(worker.bgw_library_name, "pg_steward", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "steward_retention_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "pg_steward retention", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "pg_steward retention", BGW_MAXLEN);
	RegisterBackgroundWorker(&worker);
}
