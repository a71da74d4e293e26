/*-------------------------------------------------------------------------
 *
 * context.h
 *	  The session context: who is acting, as other capabilities read it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STEWARD_CONTEXT_H
#define STEWARD_CONTEXT_H

#include "utils/jsonb.h"

/*
 * An established context.  All fields point into the same allocation; a
 * field that was not set is NULL (nroles is 0 and claims an empty object
 * when none were given).  Treat it as read-only: it lives until the context
 * changes, so copy what must outlive the current statement.
 */
typedef struct StewardContext
{
	text	   *user_id;		/* who acts, or NULL */
	text	   *tenant_id;		/* on behalf of which tenant, or NULL */
	int			nroles;			/* number of roles */
	text	  **roles;			/* the roles: sorted bytewise, no duplicates */
	Jsonb	   *claims;			/* further claims: a jsonb object */
	Jsonb	   *document;		/* the whole context, as context() returns */
} StewardContext;

/* Largest accepted context, serialized as JSON text. */
#define STEWARD_CONTEXT_MAX_BYTES	65536

/* The context in force for the caller, or NULL when none is set. */
extern const StewardContext *steward_context_get(void);

#endif							/* STEWARD_CONTEXT_H */
