/*-------------------------------------------------------------------------
 *
 * consent.c
 *	  steward.has_consent(subject, key, purpose): one look-up in the
 *	  primary key of steward.consents.
 *
 * has_consent() runs once per row in queries and row-level security
 * policies (policy_consent), where a SQL function with SECURITY DEFINER
 * costs a few microseconds a call: the function manager switches the user
 * and the search_path around each call and the SQL function is planned
 * and run through the executor.  Here the look-up is a direct scan of the
 * primary key index with the caller's snapshot.  The table is read
 * without a privilege check, as the SECURITY DEFINER function read it:
 * the function answers one yes/no question and the table stays private.
 *
 * The OIDs of the table and its index are looked up once per backend and
 * forgotten on any relcache invalidation of either (a DROP EXTENSION and
 * CREATE EXTENSION makes new ones).  Opening the table processes pending
 * invalidations (an ANALYZE of the table sends one), so each call copies
 * the OIDs first and opens the index it looked up; the lock is kept until
 * the transaction ends, as for any table a query reads, so that later
 * calls of the same query take no lock and see no invalidation.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "pg_steward.h"
#include "common/config.h"

static Oid	consents_relid = InvalidOid;
static Oid	consents_index = InvalidOid;
static AttrNumber att_granted;
static AttrNumber att_expires;
static bool callback_registered = false;

/*
 * consent_invalidate
 *		Relcache callback: forget the OIDs when either relation changes.
 */
static void
consent_invalidate(Datum arg, Oid relid)
{
	if (!OidIsValid(relid) || relid == consents_relid || relid == consents_index)
	{
		consents_relid = InvalidOid;
		consents_index = InvalidOid;
	}
}

/*
 * consent_lookup_oids
 *		Find steward.consents, its primary key index and the attribute
 *		numbers of granted and expires_at.
 */
static void
consent_lookup_oids(void)
{
	Oid			nsp;
	Oid			rel;
	Oid			idx;

	if (!callback_registered)
	{
		steward_register_relcache_callback(consent_invalidate, (Datum) 0);
		callback_registered = true;
	}
	nsp = get_namespace_oid("steward", false);
	rel = get_relname_relid("consents", nsp);
	idx = get_relname_relid("consents_pkey", nsp);
	if (!OidIsValid(rel) || !OidIsValid(idx))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table steward.consents or its primary key does not exist")));
	att_granted = get_attnum(rel, "granted");
	att_expires = get_attnum(rel, "expires_at");
	if (att_granted == InvalidAttrNumber || att_expires == InvalidAttrNumber)
		elog(ERROR, "steward.consents lacks its granted or expires_at column");
	consents_relid = rel;
	consents_index = idx;
}

PG_FUNCTION_INFO_V1(steward_has_consent);

/*
 * steward_has_consent
 *		has_consent(subject text, key text, purpose text) returns boolean
 *		(STRICT): granted, and not expired at the transaction's start
 *		(now()); false when never asked.
 */
Datum
steward_has_consent(PG_FUNCTION_ARGS)
{
	Datum		subject = PG_GETARG_DATUM(0);
	Datum		key = PG_GETARG_DATUM(1);
	Datum		purpose = PG_GETARG_DATUM(2);
	Relation	rel;
	Relation	idx;
	IndexScanDesc scan;
	ScanKeyData skey[3];
	TupleTableSlot *slot;
	bool		result = false;
	bool		pushed;
	Oid			relid;
	Oid			indexid;

	if (!OidIsValid(consents_relid))
		consent_lookup_oids();
	relid = consents_relid;
	indexid = consents_index;

	rel = table_open(relid, AccessShareLock);
	idx = index_open(indexid, AccessShareLock);

	/* the index's own collations: equality as the primary key sees it */
	ScanKeyEntryInitialize(&skey[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
						   idx->rd_indcollation[0], F_TEXTEQ, subject);
	ScanKeyEntryInitialize(&skey[1], 0, 2, BTEqualStrategyNumber, InvalidOid,
						   idx->rd_indcollation[1], F_TEXTEQ, key);
	ScanKeyEntryInitialize(&skey[2], 0, 3, BTEqualStrategyNumber, InvalidOid,
						   idx->rd_indcollation[2], F_TEXTEQ, purpose);

	/* a query always has an active snapshot; anything else takes one */
	pushed = !ActiveSnapshotSet();
	if (pushed)
		PushActiveSnapshot(GetTransactionSnapshot());
	slot = table_slot_create(rel, NULL);
	scan = index_beginscan(rel, idx, GetActiveSnapshot(), 3, 0);
	index_rescan(scan, skey, 3, NULL, 0);
	if (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		Datum		granted = slot_getattr(slot, att_granted, &isnull);

		if (!isnull && DatumGetBool(granted))
		{
			Datum		expires = slot_getattr(slot, att_expires, &isnull);

			result = isnull ||
				DatumGetTimestampTz(expires) > GetCurrentTransactionStartTimestamp();
		}
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	if (pushed)
		PopActiveSnapshot();
	index_close(idx, NoLock);
	table_close(rel, NoLock);

	PG_RETURN_BOOL(result);
}
