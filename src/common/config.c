/*-------------------------------------------------------------------------
 *
 * config.c
 *	  Writing pg_steward's configuration tables on behalf of a table's owner.
 *
 * Configuration tables (policy templates, audited tables, ...) are
 * readable by everyone but writable by nobody directly: a write grant would
 * also let any role LOCK the table and stall the DDL and triggers that read
 * it.  The functions that change configuration check, with the caller's
 * real identity, that the caller owns the table concerned, and then write
 * as the configuration table's owner inside a security-restricted
 * operation.  A SECURITY DEFINER function could not do this: inside it the
 * caller's identity is gone.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "common/config.h"

/*
 * steward_qualified_relname
 *		schema.table, quoted as needed.
 */
char *
steward_qualified_relname(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

/*
 * steward_check_table_owner
 *		relid must be a table (plain or partitioned) that the caller owns or
 *		whose owning role the caller belongs to.  Temporary tables are
 *		refused unless allow_temp: they can vanish without a DROP that an
 *		event trigger sees, leaving configuration that names a dead OID.
 */
void
steward_check_table_owner(Oid relid, bool allow_temp)
{
	HeapTuple	tuple;
	Form_pg_class classform;
	char		relkind;
	char		relpersistence;

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	classform = (Form_pg_class) GETSTRUCT(tuple);
	relkind = classform->relkind;
	relpersistence = classform->relpersistence;
	ReleaseSysCache(tuple);

	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("%s is not a table", steward_qualified_relname(relid))));
	if (relpersistence == RELPERSISTENCE_TEMP && !allow_temp)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("temporary table \"%s\" is not supported", get_rel_name(relid)),
				 errdetail("A temporary table can disappear without a DROP that pg_steward sees.")));
	if (!pg_class_ownercheck(relid, GetUserId()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be owner of table %s", steward_qualified_relname(relid))));
}

/*
 * config_table_owner
 *		The owner of steward.<name> (the role that created the extension).
 */
static Oid
config_table_owner(const char *name)
{
	Oid			relid = get_relname_relid(name, get_namespace_oid("steward", false));
	HeapTuple	tuple;
	Oid			owner;

	if (!OidIsValid(relid))
		elog(ERROR, "steward.%s does not exist", name);
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

/*
 * steward_config_read
 *		Run a read-only query of pg_steward's configuration with the latest
 *		committed snapshot, as PostgreSQL reads its catalogs: what is read
 *		there is cached beyond the transaction, or decides what a statement
 *		may see, so a REPEATABLE READ transaction that began before a change
 *		committed must not keep the old state (in a parallel query, where no
 *		newer snapshot may be taken, the query's own).  The caller is
 *		connected to SPI; the rows are in SPI_tuptable.  what names the
 *		table for the error message.
 */
uint64
steward_config_read(const char *what, const char *sql, int nargs, Oid *argtypes,
					Datum *args, long count)
{
	SPIPlanPtr	plan;
	int			rc;

	plan = SPI_prepare(sql, nargs, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (IsInParallelMode())
		rc = SPI_execute_plan(plan, args, NULL, true, count);
	else
		rc = SPI_execute_snapshot(plan, args, NULL, GetLatestSnapshot(), InvalidSnapshot,
								  true, false, count);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading %s failed: %s", what, SPI_result_code_string(rc));
	SPI_freeplan(plan);
	return SPI_processed;
}

/*
 * steward_config_exec
 *		Run sql (which must touch only steward.<config_table>) as that
 *		table's owner, in a security-restricted operation.  The caller has
 *		checked that the acting role may make this change.  Returns the
 *		number of rows the statement processed.
 */
uint64
steward_config_exec(const char *config_table, const char *sql,
					int nargs, Oid *argtypes, Datum *args, const char *nulls)
{
	Oid			owner = config_table_owner(config_table);
	Oid			save_userid;
	int			save_sec_context;
	uint64		processed = 0;

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(owner,
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (SPI_execute_with_args(sql, nargs, argtypes, args, nulls, false, 0) < 0)
			elog(ERROR, "could not write steward.%s", config_table);
		processed = SPI_processed;
		SPI_finish();
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec_context);
	}
	PG_END_TRY();
	return processed;
}

/*
 * steward_check_secret_setting
 *		Check hook for secret settings (token and hashing keys): refuse a
 *		value stored by ALTER ROLE/DATABASE SET (validated as PGC_S_TEST,
 *		applied as PGC_S_DATABASE/USER/...) or in a function's SET clause,
 *		which land in pg_db_role_setting or pg_proc, readable by every role.
 */
bool
steward_check_secret_setting(char **newval, void **extra, GucSource source)
{
	if ((*newval)[0] != '\0' &&
		(source == PGC_S_TEST || source == PGC_S_GLOBAL ||
		 source == PGC_S_DATABASE || source == PGC_S_USER ||
		 source == PGC_S_DATABASE_USER))
	{
		GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
		GUC_check_errmsg("secret settings cannot be stored per role, per database or in a function");
		GUC_check_errdetail("Such values are readable by every role.");
		GUC_check_errhint("Set it in postgresql.conf or with ALTER SYSTEM.");
		return false;
	}
	return true;
}

/*
 * Relcache callbacks.  PostgreSQL keeps room for 10 relcache callbacks per
 * backend, for the core and every extension together; running out is a
 * FATAL error.  pg_steward's capabilities each keep caches keyed by
 * relation, so they register here and share one slot.
 */
#define STEWARD_MAX_RELCACHE_CALLBACKS 16

static struct
{
	RelcacheCallbackFunction func;
	Datum		arg;
}			relcache_callbacks[STEWARD_MAX_RELCACHE_CALLBACKS];
static int	n_relcache_callbacks = 0;

/*
 * relcache_dispatch
 *		The one callback registered with PostgreSQL: calls every
 *		capability's in the order they registered.
 */
static void
relcache_dispatch(Datum arg, Oid relid)
{
	int			i;

	for (i = 0; i < n_relcache_callbacks; i++)
		relcache_callbacks[i].func(relcache_callbacks[i].arg, relid);
}

/*
 * steward_register_relcache_callback
 *		Have func(arg, relid) called on every relcache invalidation (relid
 *		InvalidOid: all relations), as CacheRegisterRelcacheCallback
 *		would.  Backend-lifetime registration, like PostgreSQL's.
 */
void
steward_register_relcache_callback(RelcacheCallbackFunction func, Datum arg)
{
	if (n_relcache_callbacks >= STEWARD_MAX_RELCACHE_CALLBACKS)
		elog(FATAL, "out of pg_steward relcache callback slots");
	if (n_relcache_callbacks == 0)
		CacheRegisterRelcacheCallback(relcache_dispatch, (Datum) 0);
	relcache_callbacks[n_relcache_callbacks].func = func;
	relcache_callbacks[n_relcache_callbacks].arg = arg;
	n_relcache_callbacks++;
}
