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
 * it).  Writes go through rls_template_write(), which checks ownership and
 * writes as the configuration table's owner (src/common/config.c).
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

#include "common/config.h"

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
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	Oid			argtypes[4] = {REGCLASSOID, TEXTOID, JSONBOID, NAMEOID};

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("table must not be NULL")));
	relid = PG_GETARG_OID(0);
	steward_check_table_owner(relid, false);

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
		args[3] = DirectFunctionCall1(namein,
									  CStringGetDatum(GetUserNameFromId(GetUserId(), false)));
		steward_config_exec("rls_templates",
							"INSERT INTO steward.rls_templates AS t "
							"(relation, template, options, applied_by, applied_at) "
							"VALUES ($1, $2, $3, $4, pg_catalog.now()) "
							"ON CONFLICT ON CONSTRAINT rls_templates_pkey DO UPDATE "
							"SET options = excluded.options, applied_by = excluded.applied_by, "
							"applied_at = excluded.applied_at",
							4, argtypes, args, nulls);
	}
	else
		steward_config_exec("rls_templates",
							"DELETE FROM steward.rls_templates t "
							"WHERE t.relation OPERATOR(pg_catalog.=) $1 "
							"AND ($2 IS NULL OR t.template OPERATOR(pg_catalog.=) $2)",
							2, argtypes, args, nulls);

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
 * An OID that is no type is refused (42704).
 */
Datum
steward_type_equality(PG_FUNCTION_ARGS)
{
	Oid			typid = PG_GETARG_OID(0);
	TypeCacheEntry *tce;

	/* a regtype can be any OID (99999::regtype): not a can't-happen case */
	if (!SearchSysCacheExists1(TYPEOID, ObjectIdGetDatum(typid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("type with OID %u does not exist", typid)));
	tce = lookup_type_cache(getBaseType(typid), TYPECACHE_EQ_OPR);
	if (!OidIsValid(tce->eq_opr))
		PG_RETURN_NULL();
	PG_RETURN_OID(tce->eq_opr);
}
