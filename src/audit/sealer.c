/*-------------------------------------------------------------------------
 *
 * sealer.c
 *	  Background worker that seals the audit log on its own.
 *
 * With pg_steward in shared_preload_libraries, one worker connects to the
 * database named by steward.audit_seal_database and calls
 * steward.audit_seal() every steward.audit_seal_interval seconds (0 turns
 * it off; the worker then only waits for a reload).  audit_seal() never
 * waits for writers (it seals up to the start of the oldest running
 * transaction), so the worker cannot slow the application down.  A
 * database without the extension is skipped quietly; an error in a round
 * is logged and the worker goes on with the next round.
 *
 * One database per cluster, as pg_cron does: a cluster with audited
 * tables in several databases seals the others with cron or pg_cron.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "pg_steward.h"

PGDLLEXPORT void steward_sealer_main(Datum main_arg);

static int	seal_interval = 300;
static char *seal_database = NULL;

/*
 * seal_once
 *		One round: seal, in a transaction of its own, if the extension is
 *		installed here.  Errors are logged, not fatal.
 */
static void
seal_once(void)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	debug_query_string = "SELECT steward.audit_seal()";
	pgstat_report_activity(STATE_RUNNING, debug_query_string);

	PG_TRY();
	{
		if (OidIsValid(get_extension_oid("pg_steward", true)))
		{
			if (SPI_connect() != SPI_OK_CONNECT)
				elog(ERROR, "SPI_connect failed");
			/*
			 * audit_seal() waits for another sealer or purge: never for
			 * long, holding a snapshot that holds back vacuum
			 */
			if (SPI_execute("SET LOCAL lock_timeout = '10s'", false, 0) != SPI_OK_UTILITY)
				elog(ERROR, "could not set lock_timeout");
			if (SPI_execute("SELECT steward.audit_seal()", false, 0) != SPI_OK_SELECT)
				elog(ERROR, "steward.audit_seal() failed");
			SPI_finish();
		}
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		/* as autovacuum does: report, clean up, go on with the next round */
		HOLD_INTERRUPTS();
		EmitErrorReport();
		AbortOutOfAnyTransaction();
		FlushErrorState();
		MemoryContextSwitchTo(TopMemoryContext);
		RESUME_INTERRUPTS();
		ereport(LOG,
				(errmsg("pg_steward sealer: sealing failed, trying again in %d s",
						seal_interval)));
	}
	PG_END_TRY();

	debug_query_string = NULL;
	pgstat_report_stat(true);
	pgstat_report_activity(STATE_IDLE, NULL);
}

void
steward_sealer_main(Datum main_arg)
{
	TimestampTz next_run;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	BackgroundWorkerInitializeConnection(seal_database, NULL, 0);
	pgstat_report_appname("pg_steward sealer");

	next_run = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
										   seal_interval * 1000L);
	for (;;)
	{
		long		timeout = -1;
		int			events = WL_LATCH_SET | WL_EXIT_ON_PM_DEATH;

		if (seal_interval > 0)
		{
			timeout = TimestampDifferenceMilliseconds(GetCurrentTimestamp(),
													  next_run);
			events |= WL_TIMEOUT;
		}
		(void) WaitLatch(MyLatch, events, timeout, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();

		if (ConfigReloadPending)
		{
			int			old_interval = seal_interval;

			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			/* a new interval counts from now; a reload alone moves nothing */
			if (seal_interval != old_interval)
				next_run = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													   seal_interval * 1000L);
		}

		/* woken early (a reload, another signal): wait on */
		if (seal_interval <= 0 || GetCurrentTimestamp() < next_run)
			continue;

		seal_once();
		next_run = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
											   seal_interval * 1000L);
	}
}

/*
 * steward_audit_sealer_init
 *		GUCs, and the worker when preloaded.
 */
void
steward_audit_sealer_init(void)
{
	BackgroundWorker worker;

	DefineCustomIntVariable("steward.audit_seal_interval",
							"Seconds between the sealer's calls of steward.audit_seal() (0: off).",
							"Needs pg_steward in shared_preload_libraries.",
							&seal_interval,
							300, 0, 86400,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);
	/* a server-start setting can only be defined while preloading */
	if (!process_shared_preload_libraries_in_progress)
		return;

	DefineCustomStringVariable("steward.audit_seal_database",
							   "Database whose audit log the sealer seals.",
							   "Read at server start.",
							   &seal_database,
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
	strlcpy(worker.bgw_function_name, "steward_sealer_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "pg_steward sealer", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "pg_steward sealer", BGW_MAXLEN);
	RegisterBackgroundWorker(&worker);
}
