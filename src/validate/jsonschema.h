/*-------------------------------------------------------------------------
 *
 * jsonschema.h
 *	  The JSON Schema engine (src/validate/jsonschema.c): compile a schema
 *	  once, validate many jsonb documents against it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STEWARD_JSONSCHEMA_H
#define STEWARD_JSONSCHEMA_H

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

/* Options that change how a schema is read (part of the cache key) */
#define JS_OPT_DRAFT7			0x01	/* no $schema: draft 7, not 2020-12 */
#define JS_OPT_FORMAT_ANNOTATE	0x02	/* "format" is an annotation only */

/* A compiled schema; owned by the backend's cache */
typedef struct JsUnit JsUnit;

/* One validation error */
typedef struct JsError
{
	char	   *instance_path;	/* JSON Pointer into the instance */
	char	   *safe_path;		/* the same, keys that come from the data as
								 * "*" (for messages that must not show data) */
	char	   *schema_path;	/* JSON Pointer to the keyword in the schema */
	const char *keyword;
	char	   *message;		/* never quotes the instance's values */
} JsError;

extern JsUnit *js_compile_cached(Jsonb *schema, int options);
extern bool js_validate(JsUnit *unit, Jsonb *instance, List **errors);
extern int	js_parse_options(Jsonb *options);
extern void js_pointer_append(StringInfo buf, const char *key, int len);
extern JsUnit *js_compile_owned(Jsonb *schema, int options);
extern void js_unit_free(JsUnit *unit);
extern bool js_unit_uses_registry(JsUnit *unit);
extern bool js_validate_object(JsUnit *unit, int n, JsonbValue *keys_values,
							   List **errors);

#endif							/* STEWARD_JSONSCHEMA_H */
