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

/*
 * The parts of a context before it is normalized.  A missing user or tenant
 * is jbvNull, else jbvString (non-empty); roles are jbvString (non-empty);
 * claims is a jbvBinary object or jbvNull.
 */
typedef struct ContextParts
{
	JsonbValue	user_id;
	JsonbValue	tenant_id;
	int			nroles;
	JsonbValue *roles;
	JsonbValue	claims;
} ContextParts;

/* Largest accepted context, serialized as JSON text. */
#define STEWARD_CONTEXT_MAX_BYTES	65536

/* The context in force for the caller, or NULL when none is set. */
extern const StewardContext *steward_context_get(void);

/* Establish a context (as context_set() does), and lock it. */
extern void steward_context_apply(ContextParts *parts, bool local,
								  const char *block_hint);
extern void steward_context_lock_current(void);

/* A context built from parts, not established (malloc'd; NULL if empty). */
extern StewardContext *steward_context_build(ContextParts *parts);

/*
 * Consulted by steward_context_get() when no context is set and none is
 * locked: returns a context from elsewhere (PostgREST's request.jwt.claims
 * when configured), or NULL.
 */
typedef const StewardContext *(*steward_context_fallback_hook_type) (void);
extern steward_context_fallback_hook_type steward_context_fallback_hook;

#endif							/* STEWARD_CONTEXT_H */
