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
 * A one-off event of pg_steward's own (audit_enable, audit_reads, DDL, a
 * read, a maintenance function): operation and, each may be NULL, the
 * schema and table it is about, the statement's text and a jsonb detail.
 */
extern void steward_audit_event_write(const char *operation, const char *schema,
									  const char *table, const char *query,
									  Datum detail);

/* Whether this transaction's month has its own partition of the log. */
extern bool steward_audit_has_month_partition(void);

#endif							/* STEWARD_AUDIT_H */
