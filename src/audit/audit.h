/*-------------------------------------------------------------------------
 *
 * audit.h
 *	  Audit logging, as other capabilities use it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STEWARD_AUDIT_H
#define STEWARD_AUDIT_H

/*
 * Insert one record into steward.audit_log.  values/nulls have one entry
 * per column of the log; the caller fills the event's own columns
 * (operation, schema and table, key, old and new values, query, detail)
 * and this fills in who, when, where and which transaction.
 */
extern void steward_audit_write(Datum *values, bool *nulls);

#endif							/* STEWARD_AUDIT_H */
