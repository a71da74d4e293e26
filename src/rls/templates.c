/*-------------------------------------------------------------------------
 *
 * templates.c
 *	  Writing the policy template configuration, and the catalog look-ups
 *	  the templates need.
 *
 * steward.rls_templates is readable by everyone (its own policy shows each
 * role the rows of the tables it owns) but writable by nobody directly:
 * granting INSERT/UPDATE/DELETE would also let any role LOCK the table and
 * stall every DROP in the database (the sql_drop event trigger writes to
 * it).  Writes go through rls_template_write(), which checks that the
 * caller owns the table - with the caller's real identity, which a
 * SECURITY DEFINER function could not see - and then writes as the
 * configuration table's owner, in a security-restricted operation.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

/*
 * qualified_relname
 *		schema.table, quoted as needed, for messages.
 */
static char *
qualified_relname(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

/*
 * config_table_owner
 *		The owner of steward.rls_templates (the role that created the
 *		extension).
 */
static Oid
config_table_owner(void)
{
	Oid			relid = get_relname_relid("rls_templates",
										  get_namespace_oid("steward", false));
	HeapTuple	tuple;
	Oid			owner;

	if (!OidIsValid(relid))
		elog(ERROR, "steward.rls_templates does not exist");
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

PG_FUNCTION_INFO_V1(steward_rls_template_write);

/*
 * steward_rls_template_write
 *		rls_template_write(relation regclass, template text, options jsonb)
 *			returns void
 *
 * With options: insert or replace the (relation, template) row.  With NULL
 * options: delete it (all of the relation's rows when template is NULL too).
 * The caller must own the table (or be a member of its owner).
 */
Datum
steward_rls_template_write(PG_FUNCTION_ARGS)
{
	Oid			relid;
	HeapTuple	tuple;
	Form_pg_class classform;
	char		relkind;
	char		relpersistence;
	Oid			config_owner;
	Oid			save_userid;
	int			save_sec_context;
	char	   *caller;
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	Oid			argtypes[4] = {REGCLASSOID, TEXTOID, JSONBOID, NAMEOID};
	const char *sql;
	int			nargs;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("table must not be NULL")));
	relid = PG_GETARG_OID(0);

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
				 errmsg("%s is not a table", qualified_relname(relid))));
	if (relpersistence == RELPERSISTENCE_TEMP)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("policy templates cannot be applied to temporary table \"%s\"",
						get_rel_name(relid)),
				 errdetail("A temporary table can disappear without a DROP that pg_steward sees.")));
	if (!pg_class_ownercheck(relid, GetUserId()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be owner of table %s", qualified_relname(relid))));

	config_owner = config_table_owner();
	caller = GetUserNameFromId(GetUserId(), false);

	args[0] = ObjectIdGetDatum(relid);
	if (PG_ARGISNULL(1))
		nulls[1] = 'n';
	else
		args[1] = PG_GETARG_DATUM(1);
	if (!PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(1))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("template must not be NULL")));
		args[2] = PG_GETARG_DATUM(2);
		args[3] = CStringGetDatum(caller);
		sql = "INSERT INTO steward.rls_templates AS t (relation, template, options, applied_by, applied_at) "
			"VALUES ($1, $2, $3, $4, pg_catalog.now()) "
			"ON CONFLICT ON CONSTRAINT rls_templates_pkey DO UPDATE "
			"SET options = excluded.options, applied_by = excluded.applied_by, applied_at = excluded.applied_at";
		nargs = 4;
	}
	else
	{
		sql = "DELETE FROM steward.rls_templates t "
			"WHERE t.relation OPERATOR(pg_catalog.=) $1 "
			"AND ($2 IS NULL OR t.template OPERATOR(pg_catalog.=) $2)";
		nargs = 2;
	}

	/* write as the configuration table's owner, nothing else */
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(config_owner,
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (SPI_execute_with_args(sql, nargs, argtypes, args, nulls, false, 0) < 0)
			elog(ERROR, "could not write steward.rls_templates");
		SPI_finish();
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec_context);
	}
	PG_END_TRY();

	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(steward_type_equality);

/*
 * steward_type_equality
 *		type_equality(type regtype) returns regoperator
 *
 * The equality operator of the type's default btree operator class (the
 * one an index on a column of that type supports), through domains and
 * binary-coercible types; NULL when the type has none (json, point, ...).
 */
Datum
steward_type_equality(PG_FUNCTION_ARGS)
{
	Oid			typid = PG_GETARG_OID(0);
	TypeCacheEntry *tce;

	tce = lookup_type_cache(getBaseType(typid), TYPECACHE_EQ_OPR);
	if (!OidIsValid(tce->eq_opr))
		PG_RETURN_NULL();
	PG_RETURN_OID(tce->eq_opr);
}
