/*-------------------------------------------------------------------------
 *
 * audit.h
 *	  Audit logging, as other capabilities use it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STEWARD_AUDIT_H
#define STEWARD_AUDIT_H

/* Columns of steward.audit_log, in order */
enum
{
	STEWARD_AUDIT_ID, STEWARD_AUDIT_XACT_AT, STEWARD_AUDIT_STMT_AT,
	STEWARD_AUDIT_TXID, STEWARD_AUDIT_STMT, STEWARD_AUDIT_OPERATION,
	STEWARD_AUDIT_SCHEMA, STEWARD_AUDIT_TABLE, STEWARD_AUDIT_ROW_KEY,
	STEWARD_AUDIT_OLD, STEWARD_AUDIT_NEW, STEWARD_AUDIT_ACTOR_USER,
	STEWARD_AUDIT_ACTOR_TENANT, STEWARD_AUDIT_SESSION_ROLE,
	STEWARD_AUDIT_EFFECTIVE_ROLE, STEWARD_AUDIT_APPNAME,
	STEWARD_AUDIT_CLIENT_ADDR, STEWARD_AUDIT_QUERY, STEWARD_AUDIT_DETAIL,
	STEWARD_AUDIT_ROW_HASH, STEWARD_AUDIT_REDACTED, STEWARD_AUDIT_DIGEST,
	STEWARD_AUDIT_NCOLUMNS
};

/*
 * Insert one record into steward.audit_log.  values/nulls have one entry
 * per column of the log; the caller fills the event's own columns
 * (operation, schema and table, key, old and new values, query, detail)
 * and this fills in who, when, where and which transaction.
 */
extern void steward_audit_write(Datum *values, bool *nulls);

/* The same for a one-off event: the writer is closed again afterwards. */
extern void steward_audit_write_once(Datum *values, bool *nulls);

/* Whether this transaction's month has its own partition of the log. */
extern bool steward_audit_has_month_partition(void);

#endif							/* STEWARD_AUDIT_H */
