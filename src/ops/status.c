/*-------------------------------------------------------------------------
 *
 * status.c
 *	  Status counters per table and capability: steward.status(),
 *	  steward.status_reset(), steward.status_available().
 *
 * With pg_steward in shared_preload_libraries, a hash table in shared
 * memory holds one entry per (database, table) with an atomic counter per
 * StatusCounter and the time counting began.  Capabilities count in two
 * ways (status.h):
 *
 * - steward_status_count(): work of the current transaction.  It is
 *	 added to a backend-local table keyed by (table, subtransaction nesting
 *	 level) - no lock, no shared memory touched - and reaches the shared
 *	 counters at commit (or PREPARE TRANSACTION).  A subtransaction that
 *	 rolls back takes its counts with it; one that commits hands them to
 *	 its parent.  So the counters say what committed transactions did,
 *	 like the audit log itself.
 * - steward_status_count_now(): events that abort their transaction (a
 *	 refused write), counted in shared memory at once.
 *
 * The shared table holds steward.status_max_tables tables; the counts of
 * tables beyond that go to one "other tables" entry per database (relid
 * InvalidOid), for which a few spare entries are reserved.  Counts that
 * find no room at all are added to a "lost" counter, which status()
 * reports.  Counters are not kept across a server restart.
 *
 * Without the preload there is no shared memory: counting costs one test
 * of steward_status_enabled, steward.status() raises an error saying the
 * counters are not available and steward.status_available() is false.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "pg_steward.h"
#include "ops/status.h"

/* entries reserved for the "other tables" entries of databases */
#define STATUS_SPARE_ENTRIES	64

typedef struct StatusKey
{
	Oid			dbid;
	Oid			relid;			/* InvalidOid: the database's other tables */
} StatusKey;

typedef struct StatusEntry
{
	StatusKey	key;
	TimestampTz since;			/* when counting began */
	pg_atomic_uint64 counts[STATUS_NCOUNTERS];
} StatusEntry;

typedef struct StatusShared
{
	LWLock	   *lock;			/* entries: shared to count, exclusive to add
								 * or remove */
	int			ntables;		/* entries with a valid relid */
	pg_atomic_uint64 lost;		/* counts that found no room */
} StatusShared;

/* A transaction's counts not yet added to the shared ones */
typedef struct PendingKey
{
	Oid			relid;
	int			level;			/* transaction nesting level */
} PendingKey;

typedef struct PendingEntry
{
	PendingKey	key;
	int64		counts[STATUS_NCOUNTERS];
} PendingEntry;

bool		steward_status_enabled = false;

static int	status_max_tables = 5000;
static StatusShared *status_shared = NULL;
static HTAB *status_hash = NULL;

static HTAB *pending = NULL;
static PendingEntry *pending_last = NULL;	/* the entry counted last */
static bool pending_any = false;

static shmem_request_hook_type prev_shmem_request = NULL;
static shmem_startup_hook_type prev_shmem_startup = NULL;

/*
 * status_shmem_size
 *		The shared memory the counters take.
 */
static Size
status_shmem_size(void)
{
	return add_size(MAXALIGN(sizeof(StatusShared)),
					hash_estimate_size(status_max_tables + STATUS_SPARE_ENTRIES,
									   sizeof(StatusEntry)));
}

static void
status_shmem_request(void)
{
	if (prev_shmem_request)
		prev_shmem_request();
	RequestAddinShmemSpace(status_shmem_size());
	RequestNamedLWLockTranche("pg_steward status", 1);
}

static void
status_shmem_startup(void)
{
	bool		found;
	HASHCTL		ctl;

	if (prev_shmem_startup)
		prev_shmem_startup();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	status_shared = ShmemInitStruct("pg_steward status", sizeof(StatusShared), &found);
	if (!found)
	{
		status_shared->lock = &(GetNamedLWLockTranche("pg_steward status"))->lock;
		status_shared->ntables = 0;
		pg_atomic_init_u64(&status_shared->lost, 0);
	}
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(StatusKey);
	ctl.entrysize = sizeof(StatusEntry);
	status_hash = ShmemInitHash("pg_steward status counters",
								status_max_tables + STATUS_SPARE_ENTRIES,
								status_max_tables + STATUS_SPARE_ENTRIES,
								&ctl, HASH_ELEM | HASH_BLOBS);
	LWLockRelease(AddinShmemInitLock);
}

/*
 * entry_enter
 *		The shared entry counts of relid go to, made if need be; NULL when
 *		there is no room.  The caller holds the lock exclusively.
 */
static StatusEntry *
entry_enter(Oid relid)
{
	StatusKey	key;
	StatusEntry *entry;
	bool		found;
	int			i;

	memset(&key, 0, sizeof(key));
	key.dbid = MyDatabaseId;
	key.relid = relid;
	entry = hash_search(status_hash, &key, HASH_FIND, NULL);
	if (entry != NULL)
		return entry;
	if (OidIsValid(relid) && status_shared->ntables >= status_max_tables)
		key.relid = InvalidOid;	/* full: the database's other tables */
	entry = hash_search(status_hash, &key, HASH_ENTER_NULL, &found);
	if (entry == NULL || found)
		return entry;
	entry->since = GetCurrentTimestamp();
	for (i = 0; i < STATUS_NCOUNTERS; i++)
		pg_atomic_init_u64(&entry->counts[i], 0);
	if (OidIsValid(key.relid))
		status_shared->ntables++;
	return entry;
}

/*
 * entry_find
 *		The shared entry of relid, or NULL; the caller holds the lock.
 */
static StatusEntry *
entry_find(Oid relid)
{
	StatusKey	key;

	memset(&key, 0, sizeof(key));
	key.dbid = MyDatabaseId;
	key.relid = relid;
	return hash_search(status_hash, &key, HASH_FIND, NULL);
}

/*
 * add_counts
 *		Add counts to a shared entry, or to the lost counts.
 */
static void
add_counts(StatusEntry *entry, const int64 *counts)
{
	int			i;

	for (i = 0; i < STATUS_NCOUNTERS; i++)
	{
		if (counts[i] == 0)
			continue;
		if (entry != NULL)
			pg_atomic_fetch_add_u64(&entry->counts[i], counts[i]);
		else
			pg_atomic_fetch_add_u64(&status_shared->lost, counts[i]);
	}
}

/*
 * steward_status_count_now
 *		Count n events on relid in shared memory now.
 */
void
steward_status_count_now(Oid relid, StatusCounter counter, int64 n)
{
	StatusEntry *entry;
	int64		counts[STATUS_NCOUNTERS];

	if (!steward_status_enabled || status_shared == NULL)
		return;
	memset(counts, 0, sizeof(counts));
	counts[counter] = n;
	LWLockAcquire(status_shared->lock, LW_SHARED);
	entry = entry_find(relid);
	if (entry != NULL)
	{
		add_counts(entry, counts);
		LWLockRelease(status_shared->lock);
		return;
	}
	LWLockRelease(status_shared->lock);
	LWLockAcquire(status_shared->lock, LW_EXCLUSIVE);
	add_counts(entry_enter(relid), counts);
	LWLockRelease(status_shared->lock);
}

/*
 * steward_status_count_xact
 *		Count n events of the current (sub)transaction on relid; see
 *		steward_status_count in status.h.
 */
void
steward_status_count_xact(Oid relid, StatusCounter counter, int64 n)
{
	int			level = GetCurrentTransactionNestLevel();

	if (pending_last == NULL || pending_last->key.relid != relid ||
		pending_last->key.level != level)
	{
		PendingKey	key;
		bool		found;

		if (pending == NULL)
		{
			HASHCTL		ctl;

			memset(&ctl, 0, sizeof(ctl));
			ctl.keysize = sizeof(PendingKey);
			ctl.entrysize = sizeof(PendingEntry);
			ctl.hcxt = TopMemoryContext;
			pending = hash_create("pg_steward pending status counts", 16, &ctl,
								  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		}
		memset(&key, 0, sizeof(key));
		key.relid = relid;
		key.level = level;
		pending_last = hash_search(pending, &key, HASH_ENTER, &found);
		if (!found)
			memset(pending_last->counts, 0, sizeof(pending_last->counts));
		pending_any = true;
	}
	pending_last->counts[counter] += n;
}

/*
 * pending_flush
 *		Add the transaction's counts to the shared ones and forget them.
 *		Runs at commit, where an error is no longer allowed: nothing here
 *		allocates or raises one (no room is counted as lost).
 */
static void
pending_flush(void)
{
	HASH_SEQ_STATUS seq;
	PendingEntry *p;
	bool		missing = false;

	/* most tables have an entry already: count under the shared lock */
	LWLockAcquire(status_shared->lock, LW_SHARED);
	hash_seq_init(&seq, pending);
	while ((p = hash_seq_search(&seq)) != NULL)
	{
		StatusEntry *entry = entry_find(p->key.relid);

		if (entry == NULL)
		{
			missing = true;
			continue;
		}
		add_counts(entry, p->counts);
		hash_search(pending, &p->key, HASH_REMOVE, NULL);
	}
	LWLockRelease(status_shared->lock);

	if (missing)
	{
		LWLockAcquire(status_shared->lock, LW_EXCLUSIVE);
		hash_seq_init(&seq, pending);
		while ((p = hash_seq_search(&seq)) != NULL)
		{
			add_counts(entry_enter(p->key.relid), p->counts);
			hash_search(pending, &p->key, HASH_REMOVE, NULL);
		}
		LWLockRelease(status_shared->lock);
	}
	pending_last = NULL;
	pending_any = false;
}

/*
 * pending_discard
 *		Forget the counts of transaction nesting level `level` and deeper.
 */
static void
pending_discard(int level)
{
	HASH_SEQ_STATUS seq;
	PendingEntry *p;
	bool		left = false;

	hash_seq_init(&seq, pending);
	while ((p = hash_seq_search(&seq)) != NULL)
	{
		if (p->key.level >= level)
			hash_search(pending, &p->key, HASH_REMOVE, NULL);
		else
			left = true;
	}
	pending_last = NULL;
	pending_any = left;
}

/*
 * pending_to_parent
 *		A subtransaction of nesting level `level` committed: its counts are
 *		its parent's.  Entries are moved one at a time, since an insert into
 *		the table during a scan of it is not allowed.
 */
static void
pending_to_parent(int level)
{
	for (;;)
	{
		HASH_SEQ_STATUS seq;
		PendingEntry *p;
		PendingEntry *parent;
		PendingKey	key;
		int64		counts[STATUS_NCOUNTERS];
		bool		found;
		int			i;

		hash_seq_init(&seq, pending);
		while ((p = hash_seq_search(&seq)) != NULL)
			if (p->key.level == level)
				break;
		if (p == NULL)
			break;
		hash_seq_term(&seq);

		key = p->key;
		memcpy(counts, p->counts, sizeof(counts));
		hash_search(pending, &key, HASH_REMOVE, NULL);
		key.level = level - 1;
		parent = hash_search(pending, &key, HASH_ENTER, &found);
		if (!found)
			memset(parent->counts, 0, sizeof(parent->counts));
		for (i = 0; i < STATUS_NCOUNTERS; i++)
			parent->counts[i] += counts[i];
	}
	pending_last = NULL;
}

static void
status_xact_callback(XactEvent event, void *arg)
{
	if (!pending_any)
		return;
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PREPARE:
			pending_flush();
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			pending_discard(0);
			break;
		default:
			break;
	}
}

static void
status_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						SubTransactionId parentSubid, void *arg)
{
	if (!pending_any)
		return;
	if (event == SUBXACT_EVENT_ABORT_SUB)
		pending_discard(GetCurrentTransactionNestLevel());
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
		pending_to_parent(GetCurrentTransactionNestLevel());
}

/*
 * check_available
 *		Raise an error saying why there are no counters, if there are none.
 */
static void
check_available(void)
{
	if (status_shared == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_steward status counters are not available"),
				 errdetail("The counters live in shared memory, which is reserved only when the library is preloaded."),
				 errhint("Add pg_steward to shared_preload_libraries and restart the server.")));
}

PG_FUNCTION_INFO_V1(steward_status);

/*
 * steward_status
 *		status() returns setof (table_name regclass, audit_rows bigint,
 *		audit_reads bigint, notifications bigint, version_conflicts bigint,
 *		validation_failures bigint, erased_rows bigint, retention_rows bigint,
 *		since timestamptz): the current database's counters, one row per
 *		table (table_name NULL: tables beyond steward.status_max_tables).
 */
Datum
steward_status(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HASH_SEQ_STATUS seq;
	StatusEntry *entry;
	uint64		lost;

	check_available();
	InitMaterializedSRF(fcinfo, 0);
	if (rsinfo->setDesc->natts != STATUS_NCOUNTERS + 2)
		elog(ERROR, "steward.status() is declared with %d columns, the library returns %d",
			 rsinfo->setDesc->natts, STATUS_NCOUNTERS + 2);

	LWLockAcquire(status_shared->lock, LW_SHARED);
	hash_seq_init(&seq, status_hash);
	while ((entry = hash_seq_search(&seq)) != NULL)
	{
		Datum		values[STATUS_NCOUNTERS + 2];
		bool		nulls[STATUS_NCOUNTERS + 2];
		int			i;

		if (entry->key.dbid != MyDatabaseId)
			continue;
		memset(nulls, false, sizeof(nulls));
		values[0] = ObjectIdGetDatum(entry->key.relid);
		nulls[0] = !OidIsValid(entry->key.relid);
		for (i = 0; i < STATUS_NCOUNTERS; i++)
			values[i + 1] = Int64GetDatum((int64) pg_atomic_read_u64(&entry->counts[i]));
		values[STATUS_NCOUNTERS + 1] = TimestampTzGetDatum(entry->since);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	LWLockRelease(status_shared->lock);

	lost = pg_atomic_read_u64(&status_shared->lost);
	if (lost > 0)
		ereport(WARNING,
				(errmsg("%llu counts found no room in shared memory and are not shown",
						(unsigned long long) lost),
				 errhint("Raise steward.status_max_tables (server start).")));
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(steward_status_note);

/*
 * steward_status_note
 *		status_note(relation regclass, counter text, n bigint): count rows
 *		that SQL code of pg_steward deleted or anonymized (erasure,
 *		retention), when the transaction commits.  The caller must hold
 *		DELETE or UPDATE on the table (or UPDATE on one of its columns, as
 *		an officer anonymizing may): whoever can count rows could have
 *		changed them.  Without the preloaded library it does nothing.
 */
Datum
steward_status_note(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *counter;
	int64		n;
	StatusCounter which;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("arguments of status_note must not be NULL")));
	relid = PG_GETARG_OID(0);
	counter = text_to_cstring(PG_GETARG_TEXT_PP(1));
	n = PG_GETARG_INT64(2);
	if (strcmp(counter, "erasure") == 0)
		which = STATUS_ERASED_ROWS;
	else if (strcmp(counter, "retention") == 0)
		which = STATUS_RETENTION_ROWS;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unrecognized status counter \"%s\"", counter),
				 errhint("Counters are erasure and retention.")));
	/* rows of one statement: far below what the sums can hold */
	if (n < 0 || n > (INT64CONST(1) << 40))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a count must be between 0 and 2^40")));
	/* DELETE or UPDATE on the table, or UPDATE on one of its columns */
	if (pg_class_aclcheck(relid, GetUserId(), ACL_DELETE | ACL_UPDATE) != ACLCHECK_OK &&
		pg_attribute_aclcheck_all(relid, GetUserId(), ACL_UPDATE, ACLMASK_ANY) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to count rows of table \"%s\"", get_rel_name(relid))));
	if (n > 0)
		steward_status_count(relid, which, n);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(steward_status_reset);

/*
 * steward_status_reset
 *		status_reset(relation regclass DEFAULT NULL) returns bigint: forget
 *		the counters of one table, or (NULL) of every table of the current
 *		database and of databases that no longer exist; the number of
 *		entries removed.  The lost counts are the server's: they stay.
 */
Datum
steward_status_reset(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_ARGISNULL(0) ? InvalidOid : PG_GETARG_OID(0);
	bool		all = PG_ARGISNULL(0);
	HASH_SEQ_STATUS seq;
	StatusEntry *entry;
	int64		removed = 0;

	check_available();
	LWLockAcquire(status_shared->lock, LW_EXCLUSIVE);
	hash_seq_init(&seq, status_hash);
	while ((entry = hash_seq_search(&seq)) != NULL)
	{
		/* (entries of databases dropped since go with any full reset) */
		if (entry->key.dbid != MyDatabaseId &&
			!(all && !SearchSysCacheExists1(DATABASEOID, ObjectIdGetDatum(entry->key.dbid))))
			continue;
		if (entry->key.dbid == MyDatabaseId && !all && entry->key.relid != relid)
			continue;
		if (OidIsValid(entry->key.relid))
			status_shared->ntables--;
		hash_search(status_hash, &entry->key, HASH_REMOVE, NULL);
		removed++;
	}
	LWLockRelease(status_shared->lock);
	PG_RETURN_INT64(removed);
}

PG_FUNCTION_INFO_V1(steward_status_available);

/*
 * steward_status_available
 *		Whether this server keeps status counters (the library preloaded).
 */
Datum
steward_status_available(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(status_shared != NULL);
}

/*
 * steward_status_init
 *		With the library preloaded: the setting, the shared memory and the
 *		transaction callbacks that bring counts to it.
 */
void
steward_status_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;

	DefineCustomIntVariable("steward.status_max_tables",
							"Tables whose status counters are kept in shared memory.",
							"The counts of further tables are added up in one entry per database.",
							&status_max_tables,
							5000, 100, 1000000,
							PGC_POSTMASTER,
							0,
							NULL, NULL, NULL);

	prev_shmem_request = shmem_request_hook;
	shmem_request_hook = status_shmem_request;
	prev_shmem_startup = shmem_startup_hook;
	shmem_startup_hook = status_shmem_startup;

	RegisterXactCallback(status_xact_callback, NULL);
	RegisterSubXactCallback(status_subxact_callback, NULL);
	steward_status_enabled = true;
}
