/*-------------------------------------------------------------------------
 *
 * config.h
 *	  Writing pg_steward's configuration tables on behalf of a table's owner.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STEWARD_CONFIG_H
#define STEWARD_CONFIG_H

#include "postgres.h"

/* Check that relid is a table the caller owns; error otherwise. */
extern void steward_check_table_owner(Oid relid, bool allow_temp);

/* Run one SQL statement as the owner of steward.<config_table>; returns
 * the number of rows it processed. */
extern uint64 steward_config_exec(const char *config_table, const char *sql,
								int nargs, Oid *argtypes, Datum *args,
								const char *nulls);

/* Read configuration as last committed, not with the transaction's
 * snapshot (inside SPI_connect); returns SPI_processed, errors otherwise. */
extern uint64 steward_config_read(const char *what, const char *sql, int nargs,
								  Oid *argtypes, Datum *args, long count);

/* GUC check hook for secrets: refuse values stored where all can read. */
#include "utils/guc.h"
extern bool steward_check_secret_setting(char **newval, void **extra,
										 GucSource source);

/* schema.table, quoted as needed, for messages. */
extern char *steward_qualified_relname(Oid relid);

/* Relcache invalidation callbacks of every capability, through one slot
 * of PostgreSQL's (which has 10 for all extensions together). */
#include "utils/inval.h"
extern void steward_register_relcache_callback(RelcacheCallbackFunction func, Datum arg);

#endif							/* STEWARD_CONFIG_H */
