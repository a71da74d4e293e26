/*-------------------------------------------------------------------------
 *
 * pg_steward.c
 *	  Library entry point: module magic and _PG_init.
 *
 * pg_steward works with a plain CREATE EXTENSION: the library is then
 * loaded the first time one of its functions is called.  Everything
 * _PG_init sets up must therefore be correct when it happens in the middle
 * of a session, not only at server start.  Features that need
 * shared_preload_libraries check process_shared_preload_libraries_in_progress
 * themselves and say so when they are not available.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "pg_steward.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * _PG_init
 *		Define the GUCs and hooks of every capability, then reserve the
 *		"steward" prefix so that nobody can create look-alike placeholder
 *		variables (SET steward.anything fails instead of silently creating a
 *		setting that no code reads).
 */
void
_PG_init(void)
{
	steward_context_init();
	steward_token_init();
	steward_audit_init();
	steward_audit_ddl_init();
	steward_audit_reads_init();
	steward_audit_sealer_init();
	steward_status_init();
	steward_mask_init();
	steward_privacy_init();
	steward_retention_init();

	MarkGUCPrefixReserved("steward");
}

PG_FUNCTION_INFO_V1(steward_version);

/*
 * steward_version
 *		The version of the loaded library, so that a mismatch between the
 *		installed SQL objects and the shared library can be seen.
 */
Datum
steward_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(PG_STEWARD_VERSION));
}
