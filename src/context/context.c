/*-------------------------------------------------------------------------
 *
 * context.c
 *	  The session context: who is acting (user, tenant, roles, claims).
 *
 * Row-level security policies, audit triggers and privacy functions all
 * ask "who is acting?".  The application answers once per transaction with
 * steward.context_set(); the accessors (current_user_id(), current_tenant(),
 * has_role(), claim(), context()) read the answer cheaply, per row if need be.
 *
 * Where the context is kept
 * -------------------------
 * The context lives in a custom parameter, steward.context, whose value is
 * the context serialized as a JSON object.  The parameter is PGC_SUSET: a
 * plain SET by an ordinary role fails with "permission denied", so the
 * identity cannot be forged with SET or set_config().  context_set()
 * validates its arguments and then assigns the parameter with superuser
 * authority on the caller's behalf.  context_set() itself is executable by
 * PUBLIC, because the application's role must call it: an application
 * protects the context from its own (injectable) queries with
 * context_lock(), or by revoking EXECUTE and setting the context through a
 * SECURITY DEFINER login function or a verified token.
 *
 * A parameter rather than a static variable because PostgreSQL's GUC
 * machinery already gives exactly the semantics a context needs:
 *	 - scope "transaction" is SET LOCAL: gone after COMMIT or ROLLBACK, so a
 *	   connection handed to the next client by a transaction-mode pooler
 *	   carries nothing over; scope "session" is SET;
 *	 - ROLLBACK TO SAVEPOINT restores the context the savepoint saw;
 *	 - parallel workers receive the leader's value, so the accessors are
 *	   truly PARALLEL SAFE;
 *	 - DISCARD ALL (a session-mode pooler's reset) clears it, as does
 *	   RESET ALL (but see locking below).
 * Values from postgresql.conf or the server's command line are refused: a
 * default identity for every session is a trap.  ALTER ROLE/DATABASE SET by
 * a superuser is allowed (a service role's fixed identity).
 * The check hook parses the JSON once into a StewardContext (the GUC "extra"
 * data); the accessors only follow a pointer.
 *
 * Locking
 * -------
 * context_lock() freezes the context for the rest of the transaction: any
 * later context_set()/context_clear() raises 42501, and so does a superuser's
 * SET of the parameter (the check hook refuses).  Two paths change a
 * parameter without its check hook: RESET (ALL) and rolling back a savepoint
 * that was opened before the lock.  To keep the lock absolute, the leader
 * reads a private copy of the locked context while locked, and the assign
 * hook notices when the parameter's value drifts from the locked one; the
 * ExecutorStart hook then assigns the locked value again before any query
 * (and so any parallel worker) starts.  When the transaction ends the lock
 * goes, and the parameter's own transactional value is what remains.
 * The ExecutorRun hook does the same, because a portal may be executed (and
 * its parallel workers launched) long after it was started.  Locking is
 * refused inside a function that has "SET steward.context": the value would
 * be reverted when the function returns.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/jsonapi.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "pg_steward.h"
#include "context/context.h"

#define CONTEXT_GUC_NAME	"steward.context"

/* The parameter's value; owned by the GUC machinery. */
static char *context_guc_value = NULL;

/* The parameter's GUC record, to inspect its stack of saved values. */
static struct config_generic *context_guc_record = NULL;

/* The parsed context of the parameter's current value (GUC extra data). */
static StewardContext *context_current = NULL;

/* Lock state; reset when the top-level transaction ends. */
static bool context_locked = false;
static char *context_locked_text = NULL;	/* TopMemoryContext */
static StewardContext *context_locked_ctx = NULL;	/* malloc'd, or NULL */
static bool context_diverged = false;	/* parameter differs from locked */

/*
 * While context.c itself assigns the parameter: true, and the value
 * already parsed (context_set() built it), so the check hook need not
 * parse its own output again.
 */
static bool context_internal_set = false;
static const char *context_prepared_text = NULL;
static StewardContext *context_prepared = NULL;

/* The outside-a-transaction-block warning was given in this transaction. */
static bool context_warned = false;

/* Where the context comes from when none is set (see context.h). */
steward_context_fallback_hook_type steward_context_fallback_hook = NULL;

static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ExecutorRun_hook_type prev_ExecutorRun = NULL;

/*
 * Why a serialized context was refused: an SQLSTATE and a message (without
 * any of the value's contents, which may be personal data).
 */
typedef struct ContextError
{
	int			sqlstate;
	const char *message;
	const char *detail;
} ContextError;

static bool context_check_hook(char **newval, void **extra, GucSource source);
static void context_assign_hook(const char *newval, void *extra);
static void context_xact_callback(XactEvent event, void *arg);
static void context_executor_start(QueryDesc *queryDesc, int eflags);
static void context_executor_run(QueryDesc *queryDesc, ScanDirection direction,
								 uint64 count, bool execute_once);

/* ----------------------------------------------------------------
 *		Building a context
 * ----------------------------------------------------------------
 */

/*
 * compare_role_values
 *		qsort/bsearch order of two jbvString values: bytewise, then length.
 */
static int
compare_role_values(const void *a, const void *b)
{
	const JsonbValue *va = (const JsonbValue *) a;
	const JsonbValue *vb = (const JsonbValue *) b;
	int			la = va->val.string.len;
	int			lb = vb->val.string.len;
	int			cmp = memcmp(va->val.string.val, vb->val.string.val, Min(la, lb));

	if (cmp != 0)
		return cmp;
	return (la > lb) - (la < lb);
}

/*
 * parts_is_empty
 *		True when the parts name no user, tenant, role or claim.
 */
static bool
parts_is_empty(const ContextParts *parts)
{
	return parts->user_id.type == jbvNull &&
		parts->tenant_id.type == jbvNull &&
		parts->nroles == 0 &&
		(parts->claims.type == jbvNull ||
		 JsonContainerSize(parts->claims.val.binary.data) == 0);
}

/*
 * push_key
 *		Append an object key to a jsonb under construction.
 */
static void
push_key(JsonbParseState **state, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	pushJsonbValue(state, WJB_KEY, &k);
}

/*
 * parts_document
 *		The normalized context document: all four keys present, roles
 *		sorted without duplicates, claims an object.  Sorts parts->roles in
 *		place.  Allocated in CurrentMemoryContext.
 */
static Jsonb *
parts_document(ContextParts *parts)
{
	JsonbParseState *state = NULL;
	JsonbValue *result;
	int			i;

	if (parts->nroles > 1)
	{
		int			n = 1;

		qsort(parts->roles, parts->nroles, sizeof(JsonbValue), compare_role_values);
		for (i = 1; i < parts->nroles; i++)
		{
			if (compare_role_values(&parts->roles[i], &parts->roles[n - 1]) != 0)
				parts->roles[n++] = parts->roles[i];
		}
		parts->nroles = n;
	}

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);

	push_key(&state, "user_id");
	pushJsonbValue(&state, WJB_VALUE, &parts->user_id);
	push_key(&state, "tenant_id");
	pushJsonbValue(&state, WJB_VALUE, &parts->tenant_id);

	push_key(&state, "roles");
	pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	for (i = 0; i < parts->nroles; i++)
		pushJsonbValue(&state, WJB_ELEM, &parts->roles[i]);
	pushJsonbValue(&state, WJB_END_ARRAY, NULL);

	push_key(&state, "claims");
	if (parts->claims.type == jbvNull)
	{
		pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
		pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	}
	else
		pushJsonbValue(&state, WJB_VALUE, &parts->claims);

	result = pushJsonbValue(&state, WJB_END_OBJECT, NULL);

	return JsonbValueToJsonb(result);
}

/*
 * document_field
 *		Look up a key of the context document.
 */
static JsonbValue *
document_field(Jsonb *document, const char *key, JsonbValue *buf)
{
	return getKeyJsonValueFromContainer(&document->root, key, strlen(key), buf);
}

/*
 * pack_text
 *		Store a jbvString as a text varlena at *pos; advance *pos.
 */
static text *
pack_text(char **pos, const JsonbValue *v)
{
	text	   *t = (text *) *pos;

	SET_VARSIZE(t, VARHDRSZ + v->val.string.len);
	memcpy(VARDATA(t), v->val.string.val, v->val.string.len);
	*pos += MAXALIGN(VARHDRSZ + v->val.string.len);
	return t;
}

/*
 * pack_jsonb
 *		Copy a jsonb varlena to *pos; advance *pos.
 */
static Jsonb *
pack_jsonb(char **pos, const Jsonb *jb)
{
	Jsonb	   *copy = (Jsonb *) *pos;

	memcpy(copy, jb, VARSIZE(jb));
	*pos += MAXALIGN(VARSIZE(jb));
	return copy;
}

/*
 * context_pack
 *		Lay out a normalized document as a StewardContext in one malloc'd
 *		block, as the GUC machinery requires of "extra" data (it free()s it).
 *		Returns NULL when out of memory.
 */
static StewardContext *
context_pack(Jsonb *document)
{
	JsonbValue	user_buf,
				tenant_buf,
				roles_buf,
				claims_buf;
	JsonbValue *user_id = document_field(document, "user_id", &user_buf);
	JsonbValue *tenant_id = document_field(document, "tenant_id", &tenant_buf);
	JsonbValue *roles = document_field(document, "roles", &roles_buf);
	JsonbValue *claims_value = document_field(document, "claims", &claims_buf);
	Jsonb	   *claims = JsonbValueToJsonb(claims_value);
	int			nroles = JsonContainerSize(roles->val.binary.data);
	JsonbValue *role_values = palloc(sizeof(JsonbValue) * Max(nroles, 1));
	Size		size;
	StewardContext *ctx;
	char	   *pos;
	int			i;

	size = MAXALIGN(sizeof(StewardContext));
	if (user_id->type == jbvString)
		size += MAXALIGN(VARHDRSZ + user_id->val.string.len);
	if (tenant_id->type == jbvString)
		size += MAXALIGN(VARHDRSZ + tenant_id->val.string.len);
	size += MAXALIGN(sizeof(text *) * nroles);
	for (i = 0; i < nroles; i++)
	{
		JsonbValue *elem = getIthJsonbValueFromContainer(roles->val.binary.data, i);

		role_values[i] = *elem;
		size += MAXALIGN(VARHDRSZ + elem->val.string.len);
	}
	size += MAXALIGN(VARSIZE(claims)) + MAXALIGN(VARSIZE(document));

	/* malloc, not palloc: the GUC machinery owns and frees this block */
	ctx = (StewardContext *) malloc(size);
	if (ctx == NULL)
		return NULL;

	pos = (char *) ctx + MAXALIGN(sizeof(StewardContext));
	ctx->user_id = user_id->type == jbvString ? pack_text(&pos, user_id) : NULL;
	ctx->tenant_id = tenant_id->type == jbvString ? pack_text(&pos, tenant_id) : NULL;
	ctx->nroles = nroles;
	ctx->roles = (text **) pos;
	pos += MAXALIGN(sizeof(text *) * nroles);
	for (i = 0; i < nroles; i++)
		ctx->roles[i] = pack_text(&pos, &role_values[i]);
	ctx->claims = pack_jsonb(&pos, claims);
	ctx->document = pack_jsonb(&pos, document);

	Assert(pos == (char *) ctx + size);
	return ctx;
}

/*
 * context_error
 *		Fill *err and return false, for the validation functions below.
 */
static bool
context_error(ContextError *err, int sqlstate, const char *message,
			  const char *detail)
{
	err->sqlstate = sqlstate;
	err->message = message;
	err->detail = detail;
	return false;
}

/*
 * string_field
 *		Read an optional non-empty string field of a serialized context.
 */
static bool
string_field(Jsonb *jb, const char *key, JsonbValue *out, ContextError *err,
			 const char *message)
{
	JsonbValue *v = document_field(jb, key, out);

	if (v == NULL || v->type == jbvNull)
	{
		out->type = jbvNull;
		return true;
	}
	if (v->type != jbvString || v->val.string.len == 0)
		return context_error(err, ERRCODE_INVALID_PARAMETER_VALUE, message, NULL);
	return true;
}

/*
 * context_parse
 *		Parse the serialized form of a context (a JSON object with the keys
 *		user_id, tenant_id, roles and claims, each optional) into a packed
 *		StewardContext.  Returns true and sets *result (NULL for "no
 *		context") on success; returns false and fills *err otherwise.
 *
 * Syntax is checked with the non-throwing JSON parser first, so malformed
 * text is reported through the GUC check-hook protocol rather than thrown.
 */
static bool
context_parse(const char *json, StewardContext **result, ContextError *err)
{
	size_t		len = strlen(json);
	JsonLexContext *lex;
	Jsonb	   *jb;
	ContextParts parts;
	JsonbValue	buf;
	JsonbValue *v;
	int			nkeys = 0;
	int			i;

	*result = NULL;
	if (len == 0)
		return true;
	if (len > STEWARD_CONTEXT_MAX_BYTES)
		return context_error(err, ERRCODE_PROGRAM_LIMIT_EXCEEDED,
							 "session context is too large",
							 "The serialized context exceeds the limit of " CppAsString2(STEWARD_CONTEXT_MAX_BYTES) " bytes.");

	lex = makeJsonLexContextCstringLen((char *) json, (int) len,
									   GetDatabaseEncoding(), true);
	if (pg_parse_json(lex, &nullSemAction) != JSON_SUCCESS)
		return context_error(err, ERRCODE_INVALID_TEXT_REPRESENTATION,
							 "session context is not valid JSON", NULL);

	jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
	if (!JB_ROOT_IS_OBJECT(jb))
		return context_error(err, ERRCODE_INVALID_PARAMETER_VALUE,
							 "session context must be a JSON object", NULL);

	if (!string_field(jb, "user_id", &parts.user_id, err,
					  "user_id in the session context must be a non-empty string") ||
		!string_field(jb, "tenant_id", &parts.tenant_id, err,
					  "tenant_id in the session context must be a non-empty string"))
		return false;
	nkeys += document_field(jb, "user_id", &buf) != NULL;
	nkeys += document_field(jb, "tenant_id", &buf) != NULL;

	parts.nroles = 0;
	parts.roles = NULL;
	v = document_field(jb, "roles", &buf);
	if (v != NULL)
	{
		nkeys++;
		if (v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data))
		{
			JsonbContainer *array = v->val.binary.data;
			int			n = JsonContainerSize(array);

			parts.roles = palloc(sizeof(JsonbValue) * Max(n, 1));
			for (i = 0; i < n; i++)
			{
				JsonbValue *elem = getIthJsonbValueFromContainer(array, i);

				if (elem->type != jbvString || elem->val.string.len == 0)
					return context_error(err, ERRCODE_INVALID_PARAMETER_VALUE,
										 "roles in the session context must be non-empty strings",
										 NULL);
				parts.roles[parts.nroles++] = *elem;
			}
		}
		else if (v->type != jbvNull)
			return context_error(err, ERRCODE_INVALID_PARAMETER_VALUE,
								 "roles in the session context must be an array of strings",
								 NULL);
	}

	parts.claims.type = jbvNull;
	v = document_field(jb, "claims", &parts.claims);
	if (v != NULL)
	{
		nkeys++;
		if (v->type != jbvNull &&
			!(v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data)))
			return context_error(err, ERRCODE_INVALID_PARAMETER_VALUE,
								 "claims in the session context must be a JSON object",
								 NULL);
		if (v->type == jbvNull)
			parts.claims.type = jbvNull;
	}

	if (nkeys != JB_ROOT_COUNT(jb))
		return context_error(err, ERRCODE_INVALID_PARAMETER_VALUE,
							 "unrecognized key in session context",
							 "The keys of a session context are user_id, tenant_id, roles and claims.");

	if (parts_is_empty(&parts))
		return true;

	*result = context_pack(parts_document(&parts));
	if (*result == NULL)
		return context_error(err, ERRCODE_OUT_OF_MEMORY, "out of memory", NULL);
	return true;
}

/* ----------------------------------------------------------------
 *		The steward.context parameter
 * ----------------------------------------------------------------
 */

/*
 * context_check_hook
 *		Validate and parse a new value of steward.context.  Refuses any
 *		change while the context is locked, unless context.c itself makes it.
 */
static bool
context_check_hook(char **newval, void **extra, GucSource source)
{
	StewardContext *ctx;
	ContextError err;
	MemoryContext parse_cxt;
	MemoryContext old_cxt;
	bool		ok;

	/* PGC_S_TEST: ALTER ROLE/DATABASE SET validating a stored value */
	if (context_locked && !context_internal_set && source != PGC_S_TEST)
	{
		GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
		GUC_check_errmsg("cannot change the session context: it is locked");
		GUC_check_errdetail("steward.context_lock() was called in this transaction.");
		return false;
	}

	if ((*newval)[0] != '\0' &&
		(source == PGC_S_FILE || source == PGC_S_ARGV ||
		 source == PGC_S_ENV_VAR || source == PGC_S_DYNAMIC_DEFAULT))
	{
		GUC_check_errcode(ERRCODE_CANT_CHANGE_RUNTIME_PARAM);
		GUC_check_errmsg("session context cannot be set in the server configuration");
		GUC_check_errhint("Set it per transaction with steward.context_set().");
		return false;
	}

	/* context_set() hands over the value it has already built */
	if (context_internal_set && context_prepared != NULL &&
		strcmp(*newval, context_prepared_text) == 0)
	{
		*extra = context_prepared;
		context_prepared = NULL;
		return true;
	}

	/*
	 * A check hook must report, not throw: it also runs when the library is
	 * loaded late (re-applying a placeholder's value inside _PG_init) and
	 * for ALTER ROLE/DATABASE values at login.  Syntax errors come back from
	 * the non-throwing JSON parser, but a value the parser accepts can still
	 * make jsonb_in throw (a number out of numeric's range, a \u escape the
	 * database encoding cannot hold, nesting beyond max_stack_depth).  Those
	 * are caught here without a subtransaction: the code in between only
	 * allocates memory in parse_cxt and holds no other resource.
	 */
	parse_cxt = AllocSetContextCreate(CurrentMemoryContext,
									  "steward context parse",
									  ALLOCSET_SMALL_SIZES);
	old_cxt = MemoryContextSwitchTo(parse_cxt);
	PG_TRY();
	{
		ok = context_parse(*newval, &ctx, &err);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(parse_cxt);
		edata = CopyErrorData();
		FlushErrorState();
		ok = false;
		ctx = NULL;
		err.sqlstate = edata->sqlerrcode;
		err.message = "session context could not be parsed";
		err.detail = edata->message;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old_cxt);

	if (!ok)
	{
		GUC_check_errcode(err.sqlstate);
		GUC_check_errmsg("%s", err.message);
		if (err.detail)
			GUC_check_errdetail("%s", err.detail);
	}
	MemoryContextDelete(parse_cxt);

	if (!ok)
		return false;
	*extra = ctx;
	return true;
}

/*
 * context_assign_hook
 *		Make a new value current.  Runs inside transaction abort and commit
 *		processing too, so it must not fail: it only records pointers.
 */
static void
context_assign_hook(const char *newval, void *extra)
{
	context_current = (StewardContext *) extra;
	if (context_locked)
		context_diverged = (newval == NULL ||
							strcmp(newval, context_locked_text) != 0);
}

/*
 * context_assign
 *		Assign steward.context with superuser authority on the caller's
 *		behalf: as SET LOCAL when local, else as SET.  "prepared" is the
 *		value already parsed, or NULL; the GUC machinery takes it over.
 */
static void
context_assign(const char *value, StewardContext *prepared, bool local)
{
	context_internal_set = true;
	context_prepared_text = value;
	context_prepared = prepared;
	PG_TRY();
	{
		(void) set_config_option(CONTEXT_GUC_NAME, value,
								 PGC_SUSET, PGC_S_SESSION,
								 local ? GUC_ACTION_LOCAL : GUC_ACTION_SET,
								 true, ERROR, false);
	}
	PG_FINALLY();
	{
		/* not taken over if set_config_option failed before the hook */
		if (context_prepared != NULL)
			free(context_prepared);
		context_prepared = NULL;
		context_prepared_text = NULL;
		context_internal_set = false;
	}
	PG_END_TRY();
}

/*
 * context_unlock
 *		Drop the lock and the locked copy of the context.
 */
static void
context_unlock(void)
{
	if (context_locked_ctx != NULL)
		free(context_locked_ctx);
	if (context_locked_text != NULL)
		pfree(context_locked_text);
	context_locked_ctx = NULL;
	context_locked_text = NULL;
	context_locked = false;
	context_diverged = false;
}

/*
 * context_xact_callback
 *		The lock lasts until the top-level transaction ends, however it ends.
 *		Runs before the GUC machinery restores the parameter's session value.
 */
static void
context_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			if (context_locked)
				context_unlock();
			context_warned = false;
			break;
		default:
			break;
	}
}

/*
 * context_executor_start
 *		While locked, put the locked value back into the parameter if a
 *		RESET or a savepoint rollback changed it, before the query (and any
 *		parallel worker, which copies the parameter) starts.
 */
static void
context_executor_start(QueryDesc *queryDesc, int eflags)
{
	if (unlikely(context_locked && context_diverged) && !IsInParallelMode())
		context_assign(context_locked_text, NULL, true);

	if (prev_ExecutorStart)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

/*
 * context_executor_run
 *		The same as context_executor_start, for a portal run later than it
 *		was started: parallel workers are launched here, and copy the
 *		parameter when they are.
 */
static void
context_executor_run(QueryDesc *queryDesc, ScanDirection direction,
					 uint64 count, bool execute_once)
{
	if (unlikely(context_locked && context_diverged) && !IsInParallelMode())
		context_assign(context_locked_text, NULL, true);

	if (prev_ExecutorRun)
		prev_ExecutorRun(queryDesc, direction, count, execute_once);
	else
		standard_ExecutorRun(queryDesc, direction, count, execute_once);
}

/*
 * find_guc_record
 *		The GUC record of a parameter (records never move once defined).
 */
static struct config_generic *
find_guc_record(const char *name)
{
	struct config_generic **vars = get_guc_variables();
	int			n = GetNumConfigOptions();
	int			i;

	for (i = 0; i < n; i++)
	{
		if (strcmp(vars[i]->name, name) == 0)
			return vars[i];
	}
	elog(ERROR, "parameter \"%s\" is not defined", name);
	return NULL;				/* keep compiler quiet */
}

/*
 * steward_context_init
 *		Define steward.context and install the hooks; called by _PG_init.
 */
void
steward_context_init(void)
{
	DefineCustomStringVariable(CONTEXT_GUC_NAME,
							   "The session context (who is acting), as a JSON object.",
							   "Set it with steward.context_set(); only superusers may SET it directly.",
							   &context_guc_value,
							   "",
							   PGC_SUSET,
							   GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE,
							   context_check_hook,
							   context_assign_hook,
							   NULL);

	context_guc_record = find_guc_record(CONTEXT_GUC_NAME);

	RegisterXactCallback(context_xact_callback, NULL);

	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = context_executor_start;
	prev_ExecutorRun = ExecutorRun_hook;
	ExecutorRun_hook = context_executor_run;
}

/*
 * steward_context_get
 *		The context in force, or NULL.  While locked, the copy taken by
 *		context_lock(), whatever happened to the parameter since.
 */
const StewardContext *
steward_context_get(void)
{
	if (unlikely(context_locked))
		return context_locked_ctx;
	if (context_current == NULL && steward_context_fallback_hook != NULL)
		return steward_context_fallback_hook();
	return context_current;
}

/* ----------------------------------------------------------------
 *		SQL-callable functions
 * ----------------------------------------------------------------
 */

/*
 * check_not_locked
 *		Raise 42501 if the context is locked.
 */
static void
check_not_locked(bool clearing)
{
	if (context_locked)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 clearing ?
				 errmsg("cannot clear the session context: it is locked") :
				 errmsg("cannot change the session context: it is locked"),
				 errdetail("steward.context_lock() was called in this transaction."),
				 errhint("The context can change again after the transaction ends.")));
}

/*
 * text_arg_value
 *		Validate an optional identifier argument (user id, tenant id) and
 *		describe it as a jsonb value.
 */
static void
text_arg_value(FunctionCallInfo fcinfo, int argno, const char *name,
			   JsonbValue *out)
{
	text	   *t;

	out->type = jbvNull;
	if (PG_ARGISNULL(argno))
		return;
	t = PG_GETARG_TEXT_PP(argno);
	if (VARSIZE_ANY_EXHDR(t) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be an empty string", name),
				 errhint("Pass NULL to leave it unset.")));
	out->type = jbvString;
	out->val.string.val = VARDATA_ANY(t);
	out->val.string.len = VARSIZE_ANY_EXHDR(t);
}

PG_FUNCTION_INFO_V1(steward_context_set);

/*
 * steward_context_set
 *		context_set(user_id text, tenant_id text, roles text[], claims jsonb,
 *					scope text) returns void
 *
 * Establish who is acting.  Every argument may be NULL, but not all of them.
 */
Datum
steward_context_set(PG_FUNCTION_ARGS)
{
	ContextParts parts;
	bool		local;

	check_not_locked(false);

	/* scope */
	if (PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("scope must not be NULL"),
				 errhint("Use 'transaction' or 'session'.")));
	else
	{
		char	   *scope = text_to_cstring(PG_GETARG_TEXT_PP(4));

		if (strcmp(scope, "transaction") == 0)
			local = true;
		else if (strcmp(scope, "session") == 0)
			local = false;
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid scope \"%s\"", scope),
					 errhint("Use 'transaction' or 'session'.")));
	}

	text_arg_value(fcinfo, 0, "user_id", &parts.user_id);
	text_arg_value(fcinfo, 1, "tenant_id", &parts.tenant_id);

	/* roles */
	parts.nroles = 0;
	parts.roles = NULL;
	if (!PG_ARGISNULL(2))
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(2);
		Datum	   *elems;
		bool	   *nulls;
		int			n;
		int			i;

		if (ARR_NDIM(arr) > 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("roles must be a one-dimensional array")));
		deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT,
						  &elems, &nulls, &n);
		parts.roles = palloc(sizeof(JsonbValue) * Max(n, 1));
		for (i = 0; i < n; i++)
		{
			text	   *role;

			if (nulls[i])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("roles must not contain NULL")));
			role = DatumGetTextPP(elems[i]);
			if (VARSIZE_ANY_EXHDR(role) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("roles must not contain an empty string")));
			parts.roles[i].type = jbvString;
			parts.roles[i].val.string.val = VARDATA_ANY(role);
			parts.roles[i].val.string.len = VARSIZE_ANY_EXHDR(role);
			parts.nroles++;
		}
	}

	/* claims */
	parts.claims.type = jbvNull;
	if (!PG_ARGISNULL(3))
	{
		Jsonb	   *claims = PG_GETARG_JSONB_P(3);

		if (!JB_ROOT_IS_OBJECT(claims))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("claims must be a JSON object")));
		parts.claims.type = jbvBinary;
		parts.claims.val.binary.data = &claims->root;
		parts.claims.val.binary.len = VARSIZE(claims) - VARHDRSZ;
	}

	if (parts_is_empty(&parts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("session context must name a user, a tenant, a role or a claim"),
				 errhint("Use steward.context_clear() to remove the context.")));

	steward_context_apply(&parts, local,
						  "Call steward.context_set() inside BEGIN ... COMMIT, or pass scope => 'session'.");
	PG_RETURN_VOID();
}

/*
 * steward_context_apply
 *		Establish a context from its parts, as SET LOCAL when local, else as
 *		SET.  The parts must name something (see parts_is_empty); roles are
 *		sorted in place.  block_hint is the hint of the warning given when a
 *		transaction-scoped context is set outside a transaction block.
 */
void
steward_context_apply(ContextParts *parts, bool local, const char *block_hint)
{
	Jsonb	   *document;
	char	   *serialized;
	StewardContext *prepared;

	check_not_locked(false);
	Assert(!parts_is_empty(parts));

	document = parts_document(parts);
	serialized = JsonbToCString(NULL, &document->root, VARSIZE(document));
	if (strlen(serialized) > STEWARD_CONTEXT_MAX_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("session context is too large"),
				 errdetail("The serialized context takes %zu bytes; the limit is %d bytes.",
						   strlen(serialized), STEWARD_CONTEXT_MAX_BYTES)));

	/* once per transaction: a loop of calls need not warn each time */
	if (local && !IsTransactionBlock() && !context_warned)
	{
		context_warned = true;
		ereport(WARNING,
				(errcode(ERRCODE_NO_ACTIVE_SQL_TRANSACTION),
				 errmsg("session context set outside a transaction block lasts only until the end of the statement"),
				 errhint("%s", block_hint)));
	}

	/* nothing may fail between packing and handing over (malloc'd) */
	prepared = context_pack(document);
	if (prepared == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	context_assign(serialized, prepared, local);
}

/*
 * steward_context_build
 *		A context built from its parts without establishing it: malloc'd,
 *		to be released with free().  NULL when the parts name nothing.
 */
StewardContext *
steward_context_build(ContextParts *parts)
{
	StewardContext *ctx;

	if (parts_is_empty(parts))
		return NULL;
	ctx = context_pack(parts_document(parts));
	if (ctx == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	return ctx;
}

PG_FUNCTION_INFO_V1(steward_context_clear);

/*
 * steward_context_clear
 *		Remove the context for the rest of the session, whatever its scope
 *		(undone if the transaction rolls back).
 */
Datum
steward_context_clear(PG_FUNCTION_ARGS)
{
	check_not_locked(true);
	context_assign("", NULL, false);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(steward_context_lock);

/*
 * steward_context_lock
 *		Freeze the context, set or not, until the end of the transaction.
 *		Locking again is a no-op.
 */
Datum
steward_context_lock(PG_FUNCTION_ARGS)
{
	steward_context_lock_current();
	PG_RETURN_VOID();
}

/*
 * steward_context_lock_current
 *		Lock the context in force until the end of the transaction.
 */
void
steward_context_lock_current(void)
{
	StewardContext *copy;
	ContextError err;
	GucStack   *stack;

	if (context_locked)
		return;

	for (stack = context_guc_record->stack; stack != NULL; stack = stack->prev)
	{
		if (stack->state == GUC_SAVE)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("cannot lock the session context inside a function that sets steward.context"),
					 errdetail("The function's value is reverted when it returns.")));
	}

	if (!IsTransactionBlock())
		ereport(WARNING,
				(errcode(ERRCODE_NO_ACTIVE_SQL_TRANSACTION),
				 errmsg("session context locked outside a transaction block stays locked only until the end of the statement")));

	/* The locked copy must outlive whatever the GUC machinery frees. */
	if (!context_parse(context_guc_value ? context_guc_value : "", &copy, &err))
		ereport(ERROR,
				(errcode(err.sqlstate),
				 errmsg("could not lock the session context: %s", err.message)));

	context_locked_text = MemoryContextStrdup(TopMemoryContext,
											  context_guc_value ? context_guc_value : "");
	context_locked_ctx = copy;
	context_diverged = false;
	context_locked = true;
}

PG_FUNCTION_INFO_V1(steward_context_locked);

/*
 * steward_context_locked
 *		Whether context_lock() was called in this transaction.
 */
Datum
steward_context_locked(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(context_locked);
}

/*
 * copy_text
 *		A palloc'd copy of a text, so callers may keep or modify it.
 */
static text *
copy_text(const text *t)
{
	text	   *copy = (text *) palloc(VARSIZE(t));

	memcpy(copy, t, VARSIZE(t));
	return copy;
}

PG_FUNCTION_INFO_V1(steward_current_user_id);

/*
 * steward_current_user_id
 *		The acting user's id, or NULL.
 */
Datum
steward_current_user_id(PG_FUNCTION_ARGS)
{
	const StewardContext *ctx = steward_context_get();

	if (ctx == NULL || ctx->user_id == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(copy_text(ctx->user_id));
}

PG_FUNCTION_INFO_V1(steward_current_tenant);

/*
 * steward_current_tenant
 *		The acting tenant's id, or NULL.
 */
Datum
steward_current_tenant(PG_FUNCTION_ARGS)
{
	const StewardContext *ctx = steward_context_get();

	if (ctx == NULL || ctx->tenant_id == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(copy_text(ctx->tenant_id));
}

PG_FUNCTION_INFO_V1(steward_has_role);

/*
 * steward_has_role
 *		Whether the context carries the given role (exact, case-sensitive
 *		match); NULL when no context is set.  Roles are kept sorted, so this
 *		is a binary search.
 */
Datum
steward_has_role(PG_FUNCTION_ARGS)
{
	const StewardContext *ctx = steward_context_get();
	text	   *role = PG_GETARG_TEXT_PP(0);
	const char *data = VARDATA_ANY(role);
	int			len = VARSIZE_ANY_EXHDR(role);
	int			lo = 0;
	int			hi;

	if (ctx == NULL)
		PG_RETURN_NULL();

	hi = ctx->nroles - 1;
	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		text	   *r = ctx->roles[mid];
		int			rlen = VARSIZE(r) - VARHDRSZ;
		int			cmp = memcmp(VARDATA(r), data, Min(rlen, len));

		if (cmp == 0)
			cmp = (rlen > len) - (rlen < len);
		if (cmp == 0)
			PG_RETURN_BOOL(true);
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	PG_RETURN_BOOL(false);
}

PG_FUNCTION_INFO_V1(steward_claim);

/*
 * steward_claim
 *		A top-level claim as text (like ->>): a string without quotes,
 *		numbers and booleans as written, objects and arrays as JSON text.
 *		NULL when there is no context, no such claim, or the claim is null.
 */
Datum
steward_claim(PG_FUNCTION_ARGS)
{
	const StewardContext *ctx = steward_context_get();
	text	   *name = PG_GETARG_TEXT_PP(0);
	JsonbValue	buf;
	JsonbValue *v;

	if (ctx == NULL)
		PG_RETURN_NULL();

	v = getKeyJsonValueFromContainer((JsonbContainer *) &ctx->claims->root,
									 VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name),
									 &buf);
	if (v == NULL)
		PG_RETURN_NULL();

	switch (v->type)
	{
		case jbvNull:
			PG_RETURN_NULL();
		case jbvString:
			PG_RETURN_TEXT_P(cstring_to_text_with_len(v->val.string.val,
													  v->val.string.len));
		case jbvNumeric:
			PG_RETURN_TEXT_P(cstring_to_text(DatumGetCString(
															 DirectFunctionCall1(numeric_out,
																				 NumericGetDatum(v->val.numeric)))));
		case jbvBool:
			PG_RETURN_TEXT_P(cstring_to_text(v->val.boolean ? "true" : "false"));
		case jbvBinary:
			PG_RETURN_TEXT_P(cstring_to_text(JsonbToCString(NULL, v->val.binary.data,
															v->val.binary.len)));
		default:
			elog(ERROR, "unexpected jsonb value type %d in claims", (int) v->type);
	}
	PG_RETURN_NULL();			/* keep compiler quiet */
}

PG_FUNCTION_INFO_V1(steward_context);

/*
 * steward_context
 *		The whole context as jsonb, or NULL when none is set.
 */
Datum
steward_context(PG_FUNCTION_ARGS)
{
	const StewardContext *ctx = steward_context_get();
	Jsonb	   *copy;

	if (ctx == NULL)
		PG_RETURN_NULL();
	copy = (Jsonb *) palloc(VARSIZE(ctx->document));
	memcpy(copy, ctx->document, VARSIZE(ctx->document));
	PG_RETURN_JSONB_P(copy);
}
