/*-------------------------------------------------------------------------
 *
 * status.h
 *	  Status counters per table and capability (src/ops/status.c).
 *
 * Capabilities count what they do with steward_status_count(): work that
 * is part of a transaction (an audit record written, a notification
 * queued) is kept in backend memory and reaches the shared counters when,
 * and only if, its transaction commits; failures that abort a transaction
 * (a stale row version refused) are counted at once.  Without pg_steward
 * in shared_preload_libraries there are no shared counters and counting
 * costs one test of a flag.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STEWARD_STATUS_H
#define STEWARD_STATUS_H

/* What is counted; the order of steward.status()'s counter columns */
typedef enum StatusCounter
{
	STATUS_AUDIT_ROWS = 0,		/* row-change (and TRUNCATE) audit records */
	STATUS_AUDIT_READS,			/* read audit records */
	STATUS_NOTIFICATIONS,		/* change notifications queued */
	STATUS_VERSION_CONFLICTS,	/* stale row versions refused (40001) */
	STATUS_VALIDATION_FAILURES, /* rows refused by validation rules (23514) */
	STATUS_ERASED_ROWS,			/* rows deleted or anonymized by erasures */
	STATUS_RETENTION_ROWS,		/* rows deleted or anonymized by retention */
	STATUS_NCOUNTERS
} StatusCounter;

extern bool steward_status_enabled;

extern void steward_status_count_xact(Oid relid, StatusCounter counter, int64 n);
extern void steward_status_count_now(Oid relid, StatusCounter counter, int64 n);

/*
 * steward_status_count
 *		Count n events of a committed transaction's work on relid (the
 *		table the capability was enabled on: a partitioned table's, not its
 *		partition's).  Inline so that the disabled case costs a test.
 */
static inline void
steward_status_count(Oid relid, StatusCounter counter, int64 n)
{
	if (steward_status_enabled)
		steward_status_count_xact(relid, counter, n);
}

#endif							/* STEWARD_STATUS_H */
