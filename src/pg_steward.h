/*-------------------------------------------------------------------------
 *
 * pg_steward.h
 *	  Declarations shared by all of pg_steward's capabilities.
 *
 * Each capability lives in its own folder under src/ and exposes an
 * initialization function that _PG_init (src/pg_steward.c) calls once,
 * when the library is loaded.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_STEWARD_H
#define PG_STEWARD_H

/* src/context/context.c */
extern void steward_context_init(void);

/* src/rls/token.c */
extern void steward_token_init(void);

/* src/audit/audit.c, src/audit/ddl.c */
extern void steward_audit_init(void);
extern void steward_audit_ddl_init(void);
extern void steward_audit_reads_init(void);
extern void steward_audit_sealer_init(void);

/* src/mask/mask.c */
extern void steward_mask_init(void);

/* src/privacy/privacy.c, src/privacy/retention.c */
extern void steward_privacy_init(void);
extern void steward_retention_init(void);

/* src/ops/status.c */
extern void steward_status_init(void);

#endif							/* PG_STEWARD_H */
