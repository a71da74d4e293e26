/*-------------------------------------------------------------------------
 *
 * jsonschema.c
 *	  JSON Schema (drafts 2020-12 and 7) for jsonb: a compiler from a
 *	  schema to a tree of JsNodes, and a validator that walks a jsonb
 *	  document against that tree.
 *
 * Compiling checks the schema (a keyword with a value of the wrong shape
 * is an error, 22023, naming the keyword and where it is), resolves every
 * $ref once (into the document, an embedded resource, or a document
 * registered with steward.jsonschema_register(); nothing is ever fetched)
 * and compiles every pattern once.  Compiled schemas are cached per
 * backend, keyed by the schema's bytes and the options, so validating many
 * documents against one schema compiles it once.
 *
 * Validating reads the jsonb in place (the JEntry arrays, no iterator, no
 * copy) and stops at the first failure unless every error is wanted.
 * Annotations are collected only when a schema uses unevaluatedProperties
 * or unevaluatedItems, where they are needed.  Numbers are compared as
 * numeric (exact), string lengths count characters.  Recursion is bounded
 * by check_stack_depth(); a $ref chain that never moves in the instance is
 * a cycle and an error; loops check for interrupts.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "regex/regex.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/snapmgr.h"

#include "pg_steward.h"
#include "common/config.h"
#include "validate/formats.h"
#include "validate/jsonschema.h"

/* Instance types, as a mask ("integer" is a subset of "number") */
#define JT_NULL		0x01
#define JT_BOOLEAN	0x02
#define JT_INTEGER	0x04
#define JT_NUMBER	0x08
#define JT_STRING	0x10
#define JT_ARRAY	0x20
#define JT_OBJECT	0x40

#define DRAFT_7		7
#define DRAFT_2020	2020

/* compiled schemas kept per backend */
#define JS_CACHE_SIZE	64
/* $refs followed in a row without moving in the instance: a cycle */
#define JS_MAX_REF_HOPS	64

typedef enum JsFormat
{
	FMT_NONE = 0,
	FMT_EMAIL, FMT_IDN_EMAIL, FMT_HOSTNAME, FMT_IDN_HOSTNAME, FMT_IPV4, FMT_IPV6,
	FMT_URI, FMT_URI_REFERENCE, FMT_IRI, FMT_IRI_REFERENCE, FMT_URL, FMT_UUID,
	FMT_DATE, FMT_TIME, FMT_DATETIME, FMT_DURATION, FMT_JSON_POINTER,
	FMT_RELATIVE_JSON_POINTER, FMT_REGEX, FMT_E164, FMT_IBAN, FMT_LUHN, FMT_CARD,
	FMT_ISO_COUNTRY, FMT_ISO_CURRENCY, FMT_SLUG, FMT_SEMVER
} JsFormat;

static const struct
{
	const char *name;
	JsFormat	format;
	const char *what;			/* for messages: "must be a valid ..." */
}			js_formats[] =
{
	{"card", FMT_CARD, "payment card number"},
	{"date", FMT_DATE, "date (RFC 3339 full-date)"},
	{"date-time", FMT_DATETIME, "date-time (RFC 3339)"},
	{"duration", FMT_DURATION, "duration (ISO 8601)"},
	{"e164", FMT_E164, "phone number (E.164)"},
	{"email", FMT_EMAIL, "email address"},
	{"hostname", FMT_HOSTNAME, "hostname"},
	{"iban", FMT_IBAN, "IBAN"},
	{"idn-email", FMT_IDN_EMAIL, "email address"},
	{"idn-hostname", FMT_IDN_HOSTNAME, "hostname"},
	{"ipv4", FMT_IPV4, "IPv4 address"},
	{"ipv6", FMT_IPV6, "IPv6 address"},
	{"iri", FMT_IRI, "IRI"},
	{"iri-reference", FMT_IRI_REFERENCE, "IRI reference"},
	{"iso-country", FMT_ISO_COUNTRY, "ISO 3166-1 country code"},
	{"iso-currency", FMT_ISO_CURRENCY, "ISO 4217 currency code"},
	{"json-pointer", FMT_JSON_POINTER, "JSON Pointer"},
	{"luhn", FMT_LUHN, "number with a Luhn check digit"},
	{"phone", FMT_E164, "phone number (E.164)"},
	{"regex", FMT_REGEX, "regular expression"},
	{"relative-json-pointer", FMT_RELATIVE_JSON_POINTER, "relative JSON Pointer"},
	{"semver", FMT_SEMVER, "semantic version"},
	{"slug", FMT_SLUG, "slug"},
	{"time", FMT_TIME, "time (RFC 3339 full-time)"},
	{"uri", FMT_URI, "URI"},
	{"uri-reference", FMT_URI_REFERENCE, "URI reference"},
	{"url", FMT_URL, "http(s) URL"},
	{"uuid", FMT_UUID, "UUID"},
};

typedef struct JsNode JsNode;
typedef struct JsResource JsResource;

/* a property name and the schema that goes with it */
typedef struct JsNamed
{
	const char *name;
	int			len;
	JsNode	   *schema;
} JsNamed;

typedef struct JsPattern
{
	const char *source;
	regex_t    *re;
	JsNode	   *schema;
} JsPattern;

/* dependentRequired: when `name` is present, so must `names` be */
typedef struct JsDepRequired
{
	const char *name;
	int			len;
	int			nnames;
	JsNamed    *names;
} JsDepRequired;

typedef struct JsAnchor
{
	const char *name;
	JsNode	   *node;
	bool		dynamic;		/* $dynamicAnchor (also a plain anchor) */
} JsAnchor;

/* A schema resource: a document, or a subschema with its own $id */
struct JsResource
{
	char	   *uri;			/* absolute, no fragment; "" if it has none */
	JsNode	   *root;
	JsonbValue	value;			/* its JSON, for JSON Pointer fragments */
	List	   *anchors;		/* of JsAnchor */
	bool		has_dynamic;	/* has a $dynamicAnchor */
};

struct JsNode
{
	int			draft;
	bool		is_bool;
	bool		bool_value;
	bool		validation;		/* the validation vocabulary applies */
	bool		format_assert;
	bool		tracks;			/* has unevaluatedProperties/Items */
	char	   *path;			/* where it is, for errors */
	char	   *base;			/* its base URI */
	JsResource *resource;
	bool		resource_root;

	uint32		types;			/* 0: any */
	bool		has_const;
	JsonbValue	const_value;
	int			nenum;
	JsonbValue *enum_values;
	Numeric		minimum;
	Numeric		maximum;
	Numeric		exclusive_minimum;
	Numeric		exclusive_maximum;
	Numeric		multiple_of;
	int64		min_length;		/* -1: none, as for every limit below */
	int64		max_length;
	JsPattern  *pattern;
	JsFormat	format;
	const char *format_what;
	JsNode	  **prefix_items;
	int			nprefix;
	JsNode	   *items;			/* the items after the prefix */
	JsNode	   *contains;
	int64		min_contains;
	int64		max_contains;
	int64		min_items;
	int64		max_items;
	bool		unique_items;
	JsNode	   *unevaluated_items;
	JsNamed    *properties;		/* in jsonb key order */
	int			nproperties;
	JsPattern  *pattern_properties;
	int			npattern_properties;
	JsNode	   *additional_properties;
	JsNode	   *property_names;
	JsNamed    *required;
	int			nrequired;
	JsDepRequired *dep_required;
	int			ndep_required;
	JsNamed    *dep_schemas;
	int			ndep_schemas;
	int64		min_properties;
	int64		max_properties;
	JsNode	   *unevaluated_properties;
	JsNode	  **all_of;
	int			nall_of;
	JsNode	  **any_of;
	int			nany_of;
	JsNode	  **one_of;
	int			none_of;
	JsNode	   *not_schema;
	JsNode	   *if_schema;
	JsNode	   *then_schema;
	JsNode	   *else_schema;
	char	   *ref_uri;
	JsNode	   *ref;
	char	   *dynref_uri;
	JsNode	   *dynref;
	char	   *dynref_anchor;	/* looked up in the dynamic scope, or NULL */
	char	   *dynamic_anchor;
	uint8		mark;			/* check_cycles: 0 new, 1 on the path, 2 done */
};

/* a node compiled for a location of a document */
typedef struct JsNodeEntry
{
	const void *key;			/* the JsonbContainer */
	JsNode	   *node;
} JsNodeEntry;

struct JsUnit
{
	MemoryContext cxt;
	int			options;
	Jsonb	   *schema;			/* the key: a copy of the schema */
	uint32		hash;
	JsNode	   *root;
	List	   *resources;		/* of JsResource */
	HTAB	   *nodes;			/* JsNodeEntry by container */
	List	   *node_list;		/* the same nodes, in the order compiled */
	List	   *regexes;		/* regex_t * to free with the unit */
	List	   *unresolved;		/* nodes with a $ref to resolve */
	bool		uses_registry;
	JsUnit	   *next;			/* cache, most recently used first */
};

static JsUnit *js_cache = NULL;
static MemoryContext js_eval_cxt = NULL;
static Oid	js_registry_relid = InvalidOid;
static bool js_callback_registered = false;

/* ----------------------------------------------------------------
 *		Reading jsonb in place
 * ----------------------------------------------------------------
 */

/*
 * fill_value
 *		The JsonbValue of one JEntry whose data runs from start to end
 *		(offsets from base): scalars filled in, containers as jbvBinary.
 */
static inline void
fill_value(JEntry je, char *base, uint32 start, uint32 end, JsonbValue *v)
{
	if (JBE_ISSTRING(je))
	{
		v->type = jbvString;
		v->val.string.val = base + start;
		v->val.string.len = end - start;
	}
	else if (JBE_ISNUMERIC(je))
	{
		v->type = jbvNumeric;
		v->val.numeric = (Numeric) (base + INTALIGN(start));
	}
	else if (JBE_ISBOOL_TRUE(je))
	{
		v->type = jbvBool;
		v->val.boolean = true;
	}
	else if (JBE_ISBOOL_FALSE(je))
	{
		v->type = jbvBool;
		v->val.boolean = false;
	}
	else if (JBE_ISNULL(je))
		v->type = jbvNull;
	else
	{
		v->type = jbvBinary;
		v->val.binary.data = (JsonbContainer *) (base + INTALIGN(start));
		v->val.binary.len = end - INTALIGN(start);
	}
}

/*
 * jc_size, jc_elements
 *		The number of members of a container (pairs for an object), and all
 *		its entries: an array's items, or an object's keys (in jsonb order:
 *		shorter first, then bytewise) followed by their values.
 */
static inline int
jc_size(JsonbContainer *jc)
{
	return JsonContainerSize(jc);
}

static JsonbValue *
jc_elements(JsonbContainer *jc)
{
	int			count = JsonContainerSize(jc);
	int			nelems = JsonContainerIsObject(jc) ? count * 2 : count;
	char	   *base = (char *) &jc->children[nelems];
	JsonbValue *out = palloc(sizeof(JsonbValue) * Max(nelems, 1));
	uint32		off = 0;
	int			i;

	for (i = 0; i < nelems; i++)
	{
		JEntry		je = jc->children[i];
		uint32		start = off;

		JBE_ADVANCE_OFFSET(off, je);
		fill_value(je, base, start, off, &out[i]);
	}
	return out;
}

/*
 * jsonb_root
 *		A jsonb document's top value.
 */
static void
jsonb_root(Jsonb *jb, JsonbValue *v)
{
	if (JB_ROOT_IS_SCALAR(jb))
	{
		JsonbValue *elems = jc_elements(&jb->root);

		*v = elems[0];
	}
	else
	{
		v->type = jbvBinary;
		v->val.binary.data = &jb->root;
		v->val.binary.len = VARSIZE(jb) - VARHDRSZ;
	}
}

static inline bool
is_object(const JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data);
}

static inline bool
is_array(const JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data);
}

/*
 * obj_get
 *		The value of key in an object value, or NULL.
 */
static JsonbValue *
obj_get(const JsonbValue *obj, const char *key)
{
	return getKeyJsonValueFromContainer(obj->val.binary.data, key, strlen(key), NULL);
}

static bool
numeric_is_integral(Numeric num)
{
	return DatumGetInt32(DirectFunctionCall1(numeric_min_scale,
											 NumericGetDatum(num))) == 0;
}

static inline int
num_cmp(Numeric a, Numeric b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(a),
											 NumericGetDatum(b)));
}

static char *
num_text(Numeric n)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(n)));
}

/*
 * value_type
 *		The JT_ type of a value (numbers as JT_NUMBER; whether one is an
 *		integer is asked separately, as it costs more).
 */
static inline uint32
value_type(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return JT_NULL;
		case jbvBool:
			return JT_BOOLEAN;
		case jbvNumeric:
			return JT_NUMBER;
		case jbvString:
			return JT_STRING;
		case jbvBinary:
			return JsonContainerIsObject(v->val.binary.data) ? JT_OBJECT : JT_ARRAY;
		default:
			elog(ERROR, "unexpected jsonb value type %d", (int) v->type);
	}
	return 0;					/* keep compiler quiet */
}

static const char *
type_name(uint32 t)
{
	switch (t)
	{
		case JT_NULL:
			return "null";
		case JT_BOOLEAN:
			return "boolean";
		case JT_INTEGER:
			return "integer";
		case JT_NUMBER:
			return "number";
		case JT_STRING:
			return "string";
		case JT_ARRAY:
			return "array";
		case JT_OBJECT:
			return "object";
	}
	return "?";
}

/*
 * json_equal
 *		JSON Schema equality: numbers by value (1 = 1.0), objects regardless
 *		of key order (jsonb keeps keys sorted), arrays item by item.
 */
static bool
json_equal(const JsonbValue *a, const JsonbValue *b)
{
	check_stack_depth();
	if (a->type != b->type)
		return false;
	switch (a->type)
	{
		case jbvNull:
			return true;
		case jbvBool:
			return a->val.boolean == b->val.boolean;
		case jbvNumeric:
			return num_cmp(a->val.numeric, b->val.numeric) == 0;
		case jbvString:
			return a->val.string.len == b->val.string.len &&
				memcmp(a->val.string.val, b->val.string.val, a->val.string.len) == 0;
		case jbvBinary:
			{
				JsonbContainer *ca = a->val.binary.data;
				JsonbContainer *cb = b->val.binary.data;
				int			n = jc_size(ca);
				int			nelems;
				JsonbValue *ea;
				JsonbValue *eb;
				int			i;

				if (JsonContainerIsObject(ca) != JsonContainerIsObject(cb) ||
					n != jc_size(cb))
					return false;
				nelems = JsonContainerIsObject(ca) ? n * 2 : n;
				ea = jc_elements(ca);
				eb = jc_elements(cb);
				for (i = 0; i < nelems; i++)
				{
					CHECK_FOR_INTERRUPTS();
					if (!json_equal(&ea[i], &eb[i]))
						return false;
				}
				return true;
			}
		default:
			return false;
	}
}

/*
 * json_hash
 *		A hash consistent with json_equal (uniqueItems).
 */
static uint32
json_hash(const JsonbValue *v)
{
	check_stack_depth();
	switch (v->type)
	{
		case jbvNull:
			return 0x9e3779b9;
		case jbvBool:
			return v->val.boolean ? 0x1234567 : 0x7654321;
		case jbvNumeric:
			return DatumGetUInt32(DirectFunctionCall1(hash_numeric,
													  NumericGetDatum(v->val.numeric)));
		case jbvString:
			return hash_bytes((const unsigned char *) v->val.string.val, v->val.string.len);
		case jbvBinary:
			{
				JsonbContainer *c = v->val.binary.data;
				int			n = jc_size(c);
				int			nelems = JsonContainerIsObject(c) ? n * 2 : n;
				JsonbValue *e = jc_elements(c);
				uint32		h = JsonContainerIsObject(c) ? 0xabcdef : 0xfedcba;
				int			i;

				for (i = 0; i < nelems; i++)
					h = hash_combine(h, json_hash(&e[i]));
				return h;
			}
		default:
			return 0;
	}
}

/*
 * string_chars
 *		The number of characters of a string value.
 */
static int64
string_chars(const JsonbValue *v)
{
	const unsigned char *s = (const unsigned char *) v->val.string.val;
	int			len = v->val.string.len;

	if (GetDatabaseEncoding() == PG_UTF8)
	{
		int64		n = 0;
		int			i;

		for (i = 0; i < len; i++)
			n += (s[i] & 0xC0) != 0x80;
		return n;
	}
	return pg_mbstrlen_with_len((const char *) s, len);
}

/* ----------------------------------------------------------------
 *		URIs (RFC 3986): just what $id and $ref resolution need
 * ----------------------------------------------------------------
 */

typedef struct UriParts
{
	const char *scheme;
	int			scheme_len;		/* -1: none */
	const char *authority;
	int			authority_len;	/* -1: none */
	const char *path;
	int			path_len;
	const char *query;
	int			query_len;		/* -1: none */
	const char *fragment;
	int			fragment_len;	/* -1: none */
} UriParts;

static void
uri_split(const char *s, UriParts *p)
{
	const char *c = s;
	const char *end;

	memset(p, 0, sizeof(*p));
	p->scheme_len = p->authority_len = p->query_len = p->fragment_len = -1;

	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
	if (isalpha((unsigned char) *c))
	{
		const char *q = c + 1;

		while (isalnum((unsigned char) *q) || *q == '+' || *q == '-' || *q == '.')
			q++;
		if (*q == ':')
		{
			p->scheme = c;
			p->scheme_len = q - c;
			c = q + 1;
		}
	}
	if (c[0] == '/' && c[1] == '/')
	{
		c += 2;
		end = c + strcspn(c, "/?#");
		p->authority = c;
		p->authority_len = end - c;
		c = end;
	}
	end = c + strcspn(c, "?#");
	p->path = c;
	p->path_len = end - c;
	c = end;
	if (*c == '?')
	{
		c++;
		end = c + strcspn(c, "#");
		p->query = c;
		p->query_len = end - c;
		c = end;
	}
	if (*c == '#')
	{
		p->fragment = c + 1;
		p->fragment_len = strlen(c + 1);
	}
}

/*
 * remove_dot_segments
 *		RFC 3986 section 5.2.4, on a path in buf.
 */
static char *
remove_dot_segments(const char *in, int len)
{
	StringInfoData out;
	char	   *input = pnstrdup(in, len);
	char	   *c = input;

	initStringInfo(&out);
	while (*c)
	{
		if (strncmp(c, "../", 3) == 0)
			c += 3;
		else if (strncmp(c, "./", 2) == 0)
			c += 2;
		else if (strncmp(c, "/./", 3) == 0)
			c += 2;
		else if (strcmp(c, "/.") == 0)
			c[1] = '\0';
		else if (strncmp(c, "/../", 4) == 0 || strcmp(c, "/..") == 0)
		{
			char	   *slash;

			if (c[3] == '\0')
				c[2] = '/', c += 2;
			else
				c += 3;
			slash = strrchr(out.data, '/');
			out.len = slash ? slash - out.data : 0;
			out.data[out.len] = '\0';
		}
		else if (strcmp(c, ".") == 0 || strcmp(c, "..") == 0)
			c += strlen(c);
		else
		{
			/* the segment, up to the next "/" (or the end) */
			int			n = 1;

			while (c[n] != '\0' && c[n] != '/')
				n++;

			appendBinaryStringInfo(&out, c, n);
			c += n;
		}
	}
	return out.data;
}

/*
 * uri_resolve
 *		ref resolved against base (RFC 3986 section 5.2.2).  A base without
 *		a scheme (a document without $id) leaves ref as it is.
 */
static char *
uri_resolve(const char *base, const char *ref)
{
	UriParts	b;
	UriParts	r;
	StringInfoData out;
	const char *authority;
	int			authority_len;
	char	   *path;
	const char *query;
	int			query_len;

	uri_split(ref, &r);
	if (base == NULL || base[0] == '\0')
		return pstrdup(ref);
	uri_split(base, &b);

	initStringInfo(&out);
	if (r.scheme_len >= 0)
	{
		appendBinaryStringInfo(&out, r.scheme, r.scheme_len);
		appendStringInfoChar(&out, ':');
		authority = r.authority;
		authority_len = r.authority_len;
		path = remove_dot_segments(r.path, r.path_len);
		query = r.query;
		query_len = r.query_len;
	}
	else
	{
		if (b.scheme_len >= 0)
		{
			appendBinaryStringInfo(&out, b.scheme, b.scheme_len);
			appendStringInfoChar(&out, ':');
		}
		if (r.authority_len >= 0)
		{
			authority = r.authority;
			authority_len = r.authority_len;
			path = remove_dot_segments(r.path, r.path_len);
			query = r.query;
			query_len = r.query_len;
		}
		else
		{
			authority = b.authority;
			authority_len = b.authority_len;
			if (r.path_len == 0)
			{
				path = pnstrdup(b.path, b.path_len);
				if (r.query_len >= 0)
				{
					query = r.query;
					query_len = r.query_len;
				}
				else
				{
					query = b.query;
					query_len = b.query_len;
				}
			}
			else
			{
				if (r.path[0] == '/')
					path = remove_dot_segments(r.path, r.path_len);
				else
				{
					StringInfoData merged;
					const char *slash = NULL;
					int			i;

					initStringInfo(&merged);
					if (b.authority_len >= 0 && b.path_len == 0)
						appendStringInfoChar(&merged, '/');
					else
					{
						for (i = b.path_len - 1; i >= 0; i--)
							if (b.path[i] == '/')
							{
								slash = b.path + i;
								break;
							}
						if (slash)
							appendBinaryStringInfo(&merged, b.path, slash - b.path + 1);
					}
					appendBinaryStringInfo(&merged, r.path, r.path_len);
					path = remove_dot_segments(merged.data, merged.len);
				}
				query = r.query;
				query_len = r.query_len;
			}
		}
	}
	if (authority_len >= 0)
	{
		appendStringInfoString(&out, "//");
		appendBinaryStringInfo(&out, authority, authority_len);
	}
	appendStringInfoString(&out, path);
	if (query_len >= 0)
	{
		appendStringInfoChar(&out, '?');
		appendBinaryStringInfo(&out, query, query_len);
	}
	if (r.fragment_len >= 0)
	{
		appendStringInfoChar(&out, '#');
		appendBinaryStringInfo(&out, r.fragment, r.fragment_len);
	}
	return out.data;
}

/*
 * uri_strip_fragment
 *		uri without its fragment; *fragment gets the fragment ("" if none).
 */
static char *
uri_strip_fragment(const char *uri, char **fragment)
{
	const char *hash = strchr(uri, '#');

	if (hash == NULL)
	{
		if (fragment)
			*fragment = "";
		return pstrdup(uri);
	}
	if (fragment)
		*fragment = pstrdup(hash + 1);
	return pnstrdup(uri, hash - uri);
}

static bool
uri_is_absolute(const char *uri)
{
	UriParts	p;

	uri_split(uri, &p);
	return p.scheme_len > 0;
}

/*
 * percent_decode
 *		A URI fragment with %XX escapes decoded (JSON Pointer fragments).
 */
static char *
percent_decode(const char *s)
{
	StringInfoData out;

	initStringInfo(&out);
	while (*s)
	{
		if (s[0] == '%' && isxdigit((unsigned char) s[1]) && isxdigit((unsigned char) s[2]))
		{
			char		hex[3] = {s[1], s[2], '\0'};

			appendStringInfoChar(&out, (char) strtol(hex, NULL, 16));
			s += 3;
		}
		else
			appendStringInfoChar(&out, *s++);
	}
	return out.data;
}

/*
 * js_pointer_append
 *		Append "/" and a key, escaped as a JSON Pointer token.
 */
void
js_pointer_append(StringInfo buf, const char *key, int len)
{
	int			i;

	appendStringInfoChar(buf, '/');
	for (i = 0; i < len; i++)
	{
		if (key[i] == '~')
			appendStringInfoString(buf, "~0");
		else if (key[i] == '/')
			appendStringInfoString(buf, "~1");
		else
			appendStringInfoChar(buf, key[i]);
	}
}

static char *
path_join(const char *path, const char *key, int len)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, path);
	js_pointer_append(&buf, key, len);
	return buf.data;
}

static char *
path_index(const char *path, const char *key, int index)
{
	return psprintf("%s/%s/%d", path, key, index);
}

/* ----------------------------------------------------------------
 *		Compiling a schema
 * ----------------------------------------------------------------
 */

/*
 * schema_error
 *		An invalid schema: 22023, naming the keyword and where it is.
 */
static void schema_error(const char *path, const char *keyword, const char *fmt,...)
			pg_attribute_printf(3, 4) pg_attribute_noreturn();

static void
schema_error(const char *path, const char *keyword, const char *fmt,...)
{
	StringInfoData msg;

	initStringInfo(&msg);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&msg, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&msg, needed);
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 keyword ?
			 errmsg("invalid JSON Schema: \"%s\" at \"%s\" %s", keyword,
					path[0] ? path : "/", msg.data) :
			 errmsg("invalid JSON Schema at \"%s\": %s", path[0] ? path : "/", msg.data)));
}

/* what compile_node needs to know about where it is */
typedef struct CompilePlace
{
	JsResource *resource;
	const char *base;
	const char *path;
	int			draft;
	bool		validation;
	bool		format_assert;
} CompilePlace;

static JsNode *compile_node(JsUnit *u, JsonbValue *v, const CompilePlace *place);
static JsResource *load_document(JsUnit *u, const char *uri, const char *path);

static int64
get_count(JsonbValue *v, const char *path, const char *keyword)
{
	bool		err = false;
	int64		n;

	if (v->type != jbvNumeric || !numeric_is_integral(v->val.numeric))
		schema_error(path, keyword, "must be a non-negative integer");
	if (num_cmp(v->val.numeric, int64_to_numeric(0)) < 0)
		schema_error(path, keyword, "must be a non-negative integer");
	if (num_cmp(v->val.numeric, int64_to_numeric(PG_INT64_MAX)) > 0)
		schema_error(path, keyword, "is too large (at most " INT64_FORMAT ")", PG_INT64_MAX);
	n = DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(v->val.numeric)));
	(void) err;
	return n;
}

static Numeric
get_number(JsonbValue *v, const char *path, const char *keyword)
{
	if (v->type != jbvNumeric)
		schema_error(path, keyword, "must be a number");
	return v->val.numeric;
}

static JsNode *
compile_sub(JsUnit *u, JsonbValue *v, const CompilePlace *place, const char *keyword)
{
	CompilePlace sub = *place;

	sub.path = path_join(place->path, keyword, strlen(keyword));
	return compile_node(u, v, &sub);
}

static JsNode **
compile_array(JsUnit *u, JsonbValue *v, const CompilePlace *place, const char *keyword,
			  int *n, bool nonempty)
{
	JsonbValue *elems;
	JsNode	  **out;
	int			i;

	if (!is_array(v) || (nonempty && jc_size(v->val.binary.data) == 0))
		schema_error(place->path, keyword, nonempty ? "must be a non-empty array of schemas" :
					 "must be an array of schemas");
	*n = jc_size(v->val.binary.data);
	elems = jc_elements(v->val.binary.data);
	out = palloc(sizeof(JsNode *) * Max(*n, 1));
	for (i = 0; i < *n; i++)
	{
		CompilePlace sub = *place;

		sub.path = path_index(place->path, keyword, i);
		out[i] = compile_node(u, &elems[i], &sub);
	}
	return out;
}

/*
 * compile_named
 *		An object of schemas (properties, $defs, dependentSchemas) as
 *		JsNamed in jsonb key order.
 */
static JsNamed *
compile_named(JsUnit *u, JsonbValue *v, const CompilePlace *place, const char *keyword,
			  int *n)
{
	JsonbValue *elems;
	JsNamed    *out;
	char	   *kpath;
	int			i;

	if (!is_object(v))
		schema_error(place->path, keyword, "must be an object of schemas");
	kpath = path_join(place->path, keyword, strlen(keyword));
	*n = jc_size(v->val.binary.data);
	elems = jc_elements(v->val.binary.data);
	out = palloc(sizeof(JsNamed) * Max(*n, 1));
	for (i = 0; i < *n; i++)
	{
		CompilePlace sub = *place;

		out[i].name = elems[i].val.string.val;
		out[i].len = elems[i].val.string.len;
		sub.path = path_join(kpath, out[i].name, out[i].len);
		out[i].schema = compile_node(u, &elems[*n + i], &sub);
	}
	return out;
}

/*
 * compile_strings
 *		An array of unique strings (required, dependentRequired).
 */
static JsNamed *
compile_strings(JsonbValue *v, const char *path, const char *keyword, int *n)
{
	JsonbValue *elems;
	JsNamed    *out;
	int			i;
	int			j;

	if (!is_array(v))
		schema_error(path, keyword, "must be an array of strings");
	*n = jc_size(v->val.binary.data);
	elems = jc_elements(v->val.binary.data);
	out = palloc(sizeof(JsNamed) * Max(*n, 1));
	for (i = 0; i < *n; i++)
	{
		if (elems[i].type != jbvString)
			schema_error(path, keyword, "must be an array of strings");
		out[i].name = elems[i].val.string.val;
		out[i].len = elems[i].val.string.len;
		out[i].schema = NULL;
		for (j = 0; j < i; j++)
			if (out[j].len == out[i].len && memcmp(out[j].name, out[i].name, out[i].len) == 0)
				schema_error(path, keyword, "must not list a name twice");
	}
	return out;
}

/*
 * Unicode property escapes of ECMA 262 (\p{Letter}, \P{Nd}) as the POSIX
 * classes PostgreSQL's regular expressions know; such a pattern is compiled
 * with a Unicode-aware collation, where the classes cover all of Unicode.
 */
static const struct
{
	const char *name;
	const char *cls;
}			unicode_properties[] =
{
	{"L", "alpha"}, {"Letter", "alpha"}, {"Alphabetic", "alpha"}, {"Alpha", "alpha"},
	{"Lu", "upper"}, {"Uppercase_Letter", "upper"}, {"Uppercase", "upper"},
	{"Ll", "lower"}, {"Lowercase_Letter", "lower"}, {"Lowercase", "lower"},
	{"N", "digit"}, {"Nd", "digit"}, {"Number", "digit"}, {"Decimal_Number", "digit"},
	{"digit", "digit"},
	{"P", "punct"}, {"Punctuation", "punct"},
	{"Z", "space"}, {"Zs", "space"}, {"Separator", "space"}, {"Space_Separator", "space"},
	{"White_Space", "space"}, {"space", "space"},
};

/*
 * translate_pattern
 *		An ECMA 262 pattern in the syntax of PostgreSQL's advanced regular
 *		expressions, which read the common constructs the same way; the
 *		Unicode property escapes and the word boundaries (\b, \B) are
 *		rewritten.  *unicode says whether there were property escapes.
 */
static char *
translate_pattern(const char *src, int len, const char *path, const char *keyword,
				  bool *unicode)
{
	StringInfoData out;
	bool		in_class = false;
	int			i = 0;

	*unicode = false;
	initStringInfo(&out);
	while (i < len)
	{
		char		c = src[i];

		if (c == '\\' && i + 1 < len && (src[i + 1] == 'p' || src[i + 1] == 'P') &&
			i + 2 < len && src[i + 2] == '{')
		{
			const char *close = memchr(src + i + 3, '}', len - i - 3);
			int			namelen;
			int			k;
			const char *cls = NULL;
			bool		negate = src[i + 1] == 'P';

			if (close == NULL)
				schema_error(path, keyword, "has an unterminated \\p{...} escape");
			namelen = close - (src + i + 3);
			for (k = 0; k < lengthof(unicode_properties); k++)
				if ((int) strlen(unicode_properties[k].name) == namelen &&
					memcmp(unicode_properties[k].name, src + i + 3, namelen) == 0)
					cls = unicode_properties[k].cls;
			if (cls == NULL)
				schema_error(path, keyword, "uses Unicode property \"%.*s\", which is not supported",
							 namelen, src + i + 3);
			if (in_class && negate)
				schema_error(path, keyword, "uses \\P{...} inside a bracket expression, which is not supported");
			if (in_class)
				appendStringInfo(&out, "[:%s:]", cls);
			else
				appendStringInfo(&out, "[%s[:%s:]]", negate ? "^" : "", cls);
			*unicode = true;
			i = (close - src) + 1;
			continue;
		}
		if (c == '\\' && i + 1 < len && src[i + 1] == 'b' && !in_class)
		{
			/* a word boundary is \y in PostgreSQL (\b is a backspace) */
			appendStringInfoString(&out, "\\y");
			i += 2;
			continue;
		}
		if (c == '\\' && i + 1 < len && src[i + 1] == 'B' && !in_class)
		{
			appendStringInfoString(&out, "\\Y");
			i += 2;
			continue;
		}
		if (c == '\\' && i + 1 < len)
		{
			appendBinaryStringInfo(&out, src + i, 2);
			i += 2;
			continue;
		}
		if (c == '[' && !in_class)
			in_class = true;
		else if (c == ']' && in_class)
			in_class = false;
		appendStringInfoChar(&out, c);
		i++;
	}
	return out.data;
}

/*
 * unicode_collation
 *		A collation whose character classes cover Unicode: ICU's root
 *		collation when there is one, else the database's.
 */
static Oid
unicode_collation(void)
{
	Oid			coll = get_collation_oid(list_make2(makeString("pg_catalog"),
													makeString("und-x-icu")), true);

	return OidIsValid(coll) ? coll : DEFAULT_COLLATION_OID;
}

/*
 * compile_regex
 *		A pattern compiled with PostgreSQL's regular expressions (see
 *		translate_pattern), in the C collation: \d, \w and classes are ASCII,
 *		as in ECMA 262, unless the pattern asks for Unicode properties.
 */
static regex_t *
compile_regex(JsUnit *u, JsonbValue *v, const char *path, const char *keyword)
{
	pg_wchar   *wide;
	int			wlen;
	regex_t    *re;
	int			rc;
	MemoryContext old;
	char	   *pattern;
	bool		unicode;

	if (v->type != jbvString)
		schema_error(path, keyword, "must be a string (a regular expression)");
	pattern = translate_pattern(v->val.string.val, v->val.string.len, path, keyword, &unicode);
	wide = palloc(sizeof(pg_wchar) * (strlen(pattern) + 1));
	wlen = pg_mb2wchar_with_len(pattern, wide, strlen(pattern));
	old = MemoryContextSwitchTo(u->cxt);
	re = palloc(sizeof(regex_t));
	MemoryContextSwitchTo(old);
	rc = pg_regcomp(re, wide, wlen, REG_ADVANCED, unicode ? unicode_collation() : C_COLLATION_OID);
	if (rc != REG_OKAY)
	{
		char		errbuf[100];

		pg_regerror(rc, re, errbuf, sizeof(errbuf));
		schema_error(path, keyword, "is not a valid regular expression: %s", errbuf);
	}
	old = MemoryContextSwitchTo(u->cxt);
	u->regexes = lappend(u->regexes, re);
	MemoryContextSwitchTo(old);
	return re;
}

static bool
regex_matches(regex_t *re, const char *s, int len)
{
	pg_wchar   *wide = palloc(sizeof(pg_wchar) * (len + 1));
	int			wlen = pg_mb2wchar_with_len(s, wide, len);
	int			rc;

	rc = pg_regexec(re, wide, wlen, 0, NULL, 0, NULL, 0);
	pfree(wide);
	if (rc == REG_OKAY)
		return true;
	if (rc == REG_NOMATCH)
		return false;
	{
		char		errbuf[100];

		pg_regerror(rc, re, errbuf, sizeof(errbuf));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_REGULAR_EXPRESSION),
				 errmsg("regular expression failed: %s", errbuf)));
	}
	return false;
}

static void
check_anchor_name(const char *name, const char *path, const char *keyword)
{
	const char *c = name;

	if (!(isalpha((unsigned char) *c) || *c == '_'))
		schema_error(path, keyword, "must be a plain name (a letter or \"_\", then letters, digits, \"-\", \"_\", \".\")");
	for (c++; *c; c++)
		if (!(isalnum((unsigned char) *c) || *c == '-' || *c == '_' || *c == '.'))
			schema_error(path, keyword, "must be a plain name (a letter or \"_\", then letters, digits, \"-\", \"_\", \".\")");
}

static void
add_anchor(JsResource *res, const char *name, JsNode *node, bool dynamic)
{
	JsAnchor   *a;
	ListCell   *lc;

	foreach(lc, res->anchors)
	{
		a = lfirst(lc);
		if (strcmp(a->name, name) == 0)
		{
			if (a->node != node)
				schema_error(node->path, dynamic ? "$dynamicAnchor" : "$anchor",
							 "defines anchor \"%s\" a second time in resource \"%s\"", name,
							 res->uri[0] ? res->uri : "(the schema)");
			a->dynamic |= dynamic;
			return;
		}
	}
	a = palloc(sizeof(JsAnchor));
	a->name = pstrdup(name);
	a->node = node;
	a->dynamic = dynamic;
	res->anchors = lappend(res->anchors, a);
	if (dynamic)
		res->has_dynamic = true;
}

static JsResource *
find_resource(JsUnit *u, const char *uri)
{
	ListCell   *lc;

	foreach(lc, u->resources)
	{
		JsResource *r = lfirst(lc);

		if (strcmp(r->uri, uri) == 0)
			return r;
	}
	return NULL;
}

static JsResource *
new_resource(JsUnit *u, const char *uri, JsonbValue *value, const char *path)
{
	JsResource *r = find_resource(u, uri);

	if (r != NULL)
	{
		if (uri[0] != '\0' && !(r->value.type == value->type && value->type == jbvBinary &&
								r->value.val.binary.data == value->val.binary.data))
			schema_error(path, "$id", "identifies a second resource as \"%s\"", uri);
		return r;
	}
	r = palloc0(sizeof(JsResource));
	r->uri = pstrdup(uri);
	r->value = *value;
	u->resources = lappend(u->resources, r);
	return r;
}

/*
 * draft_of
 *		The draft (and vocabularies) a $schema value names: the two drafts
 *		by their URIs, or a registered metaschema, whose $vocabulary says
 *		which vocabularies apply.
 */
static void
draft_of(JsUnit *u, JsonbValue *v, CompilePlace *place, int depth)
{
	char	   *uri;
	JsResource *meta;
	JsonbValue *vocab;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	if (depth > 8)
		schema_error(place->path, "$schema",
					 "leads through more than 8 metaschemas (a cycle?) without reaching a known draft");

	if (v->type != jbvString)
		schema_error(place->path, "$schema", "must be a URI string");
	uri = uri_strip_fragment(pnstrdup(v->val.string.val, v->val.string.len), NULL);
	if (strcmp(uri, "http://json-schema.org/draft-07/schema") == 0 ||
		strcmp(uri, "https://json-schema.org/draft-07/schema") == 0)
	{
		place->draft = DRAFT_7;
		place->validation = true;
		return;
	}
	if (strcmp(uri, "https://json-schema.org/draft/2020-12/schema") == 0)
	{
		place->draft = DRAFT_2020;
		place->validation = true;
		return;
	}
	if (strstr(uri, "json-schema.org/") != NULL)
		schema_error(place->path, "$schema",
					 "names \"%s\", which is not supported (drafts 2020-12 and 7 are)", uri);

	/* a custom metaschema, registered */
	meta = load_document(u, uri, place->path);
	if (meta == NULL)
		schema_error(place->path, "$schema",
					 "names \"%s\", which is not a registered metaschema", uri);
	if (!is_object(&meta->value))
		schema_error(place->path, "$schema", "names \"%s\", which is not a metaschema", uri);
	vocab = obj_get(&meta->value, "$vocabulary");
	if (vocab == NULL)
	{
		JsonbValue *outer = obj_get(&meta->value, "$schema");

		if (outer == NULL)
			schema_error(place->path, "$schema", "names \"%s\", whose draft is unknown", uri);
		draft_of(u, outer, place, depth + 1);
		return;
	}
	if (!is_object(vocab))
		schema_error(place->path, "$schema", "names \"%s\", whose $vocabulary is not an object", uri);
	else
	{
		int			n = jc_size(vocab->val.binary.data);
		JsonbValue *e = jc_elements(vocab->val.binary.data);
		int			i;

		place->draft = DRAFT_2020;
		place->validation = false;
		for (i = 0; i < n; i++)
		{
			char	   *name = pnstrdup(e[i].val.string.val, e[i].val.string.len);
			bool		required = e[n + i].type == jbvBool && e[n + i].val.boolean;
			const char *prefix = "https://json-schema.org/draft/2020-12/vocab/";

			if (strncmp(name, prefix, strlen(prefix)) == 0)
			{
				const char *what = name + strlen(prefix);

				if (strcmp(what, "validation") == 0)
					place->validation = true;
				else if (strcmp(what, "format-assertion") == 0)
					place->format_assert = true;
				else if (strcmp(what, "core") == 0 || strcmp(what, "applicator") == 0 ||
						 strcmp(what, "unevaluated") == 0 || strcmp(what, "meta-data") == 0 ||
						 strcmp(what, "format-annotation") == 0 || strcmp(what, "content") == 0)
					;
				else if (required)
					schema_error(place->path, "$schema",
								 "requires vocabulary \"%s\", which is not supported", name);
			}
			else if (required)
				schema_error(place->path, "$schema",
							 "requires vocabulary \"%s\", which is not supported", name);
		}
	}
}

static JsNode *
node_lookup(JsUnit *u, const void *key)
{
	JsNodeEntry *e = hash_search(u->nodes, &key, HASH_FIND, NULL);

	return e ? e->node : NULL;
}

static void
node_remember(JsUnit *u, const void *key, JsNode *node)
{
	JsNodeEntry *e = hash_search(u->nodes, &key, HASH_ENTER, NULL);
	MemoryContext old = MemoryContextSwitchTo(u->cxt);

	e->node = node;
	u->node_list = lappend(u->node_list, node);
	MemoryContextSwitchTo(old);
}

/* keywords whose value is a schema, or holds schemas, in each draft */
#define KW_D7		0x01
#define KW_D2020	0x02
#define KW_BOTH		(KW_D7 | KW_D2020)

static bool
is_keyword(const char *key, int len, const char *name)
{
	return (int) strlen(name) == len && memcmp(key, name, len) == 0;
}

/*
 * compile_node
 *		Compile the schema v (an object or a boolean) found at place.
 */
static JsNode *
compile_node(JsUnit *u, JsonbValue *v, const CompilePlace *place_in)
{
	CompilePlace place = *place_in;
	JsNode	   *n;
	JsonbValue *elems;
	JsonbValue *kv;
	int			count;
	int			i;
	bool		has_ref;
	JsonbValue *items = NULL;
	JsonbValue *additional_items = NULL;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();

	if (v->type == jbvBool)
	{
		n = palloc0(sizeof(JsNode));
		n->is_bool = true;
		n->bool_value = v->val.boolean;
		n->draft = place.draft;
		n->path = pstrdup(place.path);
		n->base = pstrdup(place.base);
		n->resource = place.resource;
		return n;
	}
	if (!is_object(v))
		schema_error(place.path, NULL, "a schema must be an object or a boolean");

	if ((n = node_lookup(u, v->val.binary.data)) != NULL)
		return n;

	n = palloc0(sizeof(JsNode));
	node_remember(u, v->val.binary.data, n);
	n->min_length = n->max_length = -1;
	n->min_items = n->max_items = -1;
	n->min_properties = n->max_properties = -1;
	n->min_contains = 1;
	n->max_contains = -1;

	/* where it is, for the errors of what follows; the base may change */
	n->path = pstrdup(place.path);
	n->base = pstrdup(place.base);
	n->resource = place.resource;

	if ((kv = obj_get(v, "$schema")) != NULL)
		draft_of(u, kv, &place, 0);
	has_ref = obj_get(v, "$ref") != NULL;

	/* $id: a new resource and base URI (draft 7: not beside $ref) */
	if ((kv = obj_get(v, "$id")) != NULL && !(place.draft == DRAFT_7 && has_ref))
	{
		char	   *id;
		char	   *resolved;
		char	   *fragment;
		char	   *absolute;

		if (kv->type != jbvString)
			schema_error(place.path, "$id", "must be a URI-reference string");
		id = pnstrdup(kv->val.string.val, kv->val.string.len);
		resolved = uri_resolve(place.base, id);
		absolute = uri_strip_fragment(resolved, &fragment);
		if (place.draft == DRAFT_2020 && fragment[0] != '\0')
			schema_error(place.path, "$id", "must not have a fragment (use $anchor)");
		if (place.draft == DRAFT_7 && id[0] == '#')
		{
			/* draft 7: "$id": "#name" is an anchor */
			n->resource = place.resource;
			add_anchor(place.resource, fragment, n, false);
		}
		else
		{
			place.base = absolute;
			place.resource = new_resource(u, absolute, v, place.path);
			place.resource->root = n;
			n->resource_root = true;
			if (place.draft == DRAFT_7 && fragment[0] != '\0')
				add_anchor(place.resource, fragment, n, false);
		}
	}
	else if (place.resource->root == NULL)
	{
		place.resource->root = n;
		n->resource_root = true;
	}

	n->draft = place.draft;
	n->validation = place.validation;
	n->format_assert = place.format_assert;
	n->path = pstrdup(place.path);
	n->base = pstrdup(place.base);
	n->resource = place.resource;

	if (place.draft == DRAFT_2020)
	{
		if ((kv = obj_get(v, "$anchor")) != NULL)
		{
			char	   *name;

			if (kv->type != jbvString)
				schema_error(place.path, "$anchor", "must be a string");
			name = pnstrdup(kv->val.string.val, kv->val.string.len);
			check_anchor_name(name, place.path, "$anchor");
			add_anchor(place.resource, name, n, false);
		}
		if ((kv = obj_get(v, "$dynamicAnchor")) != NULL)
		{
			char	   *name;

			if (kv->type != jbvString)
				schema_error(place.path, "$dynamicAnchor", "must be a string");
			name = pnstrdup(kv->val.string.val, kv->val.string.len);
			check_anchor_name(name, place.path, "$dynamicAnchor");
			add_anchor(place.resource, name, n, true);
			n->dynamic_anchor = name;
		}
	}

	if (has_ref)
	{
		kv = obj_get(v, "$ref");
		if (kv->type != jbvString)
			schema_error(place.path, "$ref", "must be a URI-reference string");
		n->ref_uri = uri_resolve(place.base, pnstrdup(kv->val.string.val, kv->val.string.len));
		u->unresolved = lappend(u->unresolved, n);
		/* draft 7: $ref alone counts; its siblings are ignored */
		if (place.draft == DRAFT_7)
			return n;
	}

	count = jc_size(v->val.binary.data);
	elems = jc_elements(v->val.binary.data);
	for (i = 0; i < count; i++)
	{
		const char *key = elems[i].val.string.val;
		int			klen = elems[i].val.string.len;
		JsonbValue *val = &elems[count + i];
		bool		d7 = place.draft == DRAFT_7;
		bool		vocab = place.validation;

		if (klen == 0 || klen > 21)
			continue;			/* no keyword is that long */

		/* applicators */
		if (is_keyword(key, klen, "$defs") || (d7 && is_keyword(key, klen, "definitions")))
		{
			int			nd;

			(void) compile_named(u, val, &place, d7 ? "definitions" : "$defs", &nd);
		}
		else if (!d7 && is_keyword(key, klen, "$dynamicRef"))
		{
			if (val->type != jbvString)
				schema_error(place.path, "$dynamicRef", "must be a URI-reference string");
			n->dynref_uri = uri_resolve(place.base, pnstrdup(val->val.string.val, val->val.string.len));
			if (!has_ref)
				u->unresolved = lappend(u->unresolved, n);
		}
		else if (is_keyword(key, klen, "allOf"))
			n->all_of = compile_array(u, val, &place, "allOf", &n->nall_of, true);
		else if (is_keyword(key, klen, "anyOf"))
			n->any_of = compile_array(u, val, &place, "anyOf", &n->nany_of, true);
		else if (is_keyword(key, klen, "oneOf"))
			n->one_of = compile_array(u, val, &place, "oneOf", &n->none_of, true);
		else if (is_keyword(key, klen, "not"))
			n->not_schema = compile_sub(u, val, &place, "not");
		else if (is_keyword(key, klen, "if"))
			n->if_schema = compile_sub(u, val, &place, "if");
		else if (is_keyword(key, klen, "then"))
			n->then_schema = compile_sub(u, val, &place, "then");
		else if (is_keyword(key, klen, "else"))
			n->else_schema = compile_sub(u, val, &place, "else");
		else if (is_keyword(key, klen, "properties"))
			n->properties = compile_named(u, val, &place, "properties", &n->nproperties);
		else if (is_keyword(key, klen, "patternProperties"))
		{
			JsNamed    *named = compile_named(u, val, &place, "patternProperties",
											  &n->npattern_properties);
			char	   *ppath = path_join(place.path, "patternProperties", 17);
			int			j;

			n->pattern_properties = palloc(sizeof(JsPattern) * Max(n->npattern_properties, 1));
			for (j = 0; j < n->npattern_properties; j++)
			{
				JsonbValue	name;

				name.type = jbvString;
				name.val.string.val = (char *) named[j].name;
				name.val.string.len = named[j].len;
				n->pattern_properties[j].source = pnstrdup(named[j].name, named[j].len);
				n->pattern_properties[j].re =
					compile_regex(u, &name, path_join(ppath, named[j].name, named[j].len),
								  NULL);
				n->pattern_properties[j].schema = named[j].schema;
			}
		}
		else if (is_keyword(key, klen, "additionalProperties"))
			n->additional_properties = compile_sub(u, val, &place, "additionalProperties");
		else if (is_keyword(key, klen, "propertyNames"))
			n->property_names = compile_sub(u, val, &place, "propertyNames");
		else if (!d7 && is_keyword(key, klen, "dependentSchemas"))
			n->dep_schemas = compile_named(u, val, &place, "dependentSchemas", &n->ndep_schemas);
		else if (d7 && is_keyword(key, klen, "dependencies"))
		{
			JsonbValue *de;
			int			nd;
			int			j;
			char	   *dpath = path_join(place.path, "dependencies", 12);

			if (!is_object(val))
				schema_error(place.path, "dependencies", "must be an object");
			nd = jc_size(val->val.binary.data);
			de = jc_elements(val->val.binary.data);
			n->dep_schemas = palloc(sizeof(JsNamed) * Max(nd, 1));
			n->dep_required = palloc(sizeof(JsDepRequired) * Max(nd, 1));
			for (j = 0; j < nd; j++)
			{
				if (is_array(&de[nd + j]))
				{
					JsDepRequired *d = &n->dep_required[n->ndep_required++];

					d->name = de[j].val.string.val;
					d->len = de[j].val.string.len;
					d->names = compile_strings(&de[nd + j], dpath, "dependencies", &d->nnames);
				}
				else
				{
					JsNamed    *d = &n->dep_schemas[n->ndep_schemas++];
					CompilePlace sub = place;

					d->name = de[j].val.string.val;
					d->len = de[j].val.string.len;
					sub.path = path_join(dpath, d->name, d->len);
					d->schema = compile_node(u, &de[nd + j], &sub);
				}
			}
		}
		else if (!d7 && is_keyword(key, klen, "prefixItems"))
			n->prefix_items = compile_array(u, val, &place, "prefixItems", &n->nprefix, true);
		else if (is_keyword(key, klen, "items"))
			items = val;
		else if (d7 && is_keyword(key, klen, "additionalItems"))
			additional_items = val;
		else if (is_keyword(key, klen, "contains"))
			n->contains = compile_sub(u, val, &place, "contains");
		else if (!d7 && is_keyword(key, klen, "unevaluatedProperties"))
		{
			n->unevaluated_properties = compile_sub(u, val, &place, "unevaluatedProperties");
			n->tracks = true;
		}
		else if (!d7 && is_keyword(key, klen, "unevaluatedItems"))
		{
			n->unevaluated_items = compile_sub(u, val, &place, "unevaluatedItems");
			n->tracks = true;
		}
		/* validation */
		else if (is_keyword(key, klen, "type"))
		{
			JsonbValue *te;
			int			nt;
			int			j;

			if (val->type == jbvString)
			{
				te = val;
				nt = 1;
			}
			else if (is_array(val))
			{
				nt = jc_size(val->val.binary.data);
				te = jc_elements(val->val.binary.data);
				if (nt == 0)
					schema_error(place.path, "type", "must not be an empty array");
			}
			else
				schema_error(place.path, "type", "must be a type name or an array of type names");
			for (j = 0; j < nt; j++)
			{
				uint32		t = 0;
				int			k;

				if (te[j].type == jbvString)
					for (k = JT_NULL; k <= JT_OBJECT; k <<= 1)
						if (is_keyword(te[j].val.string.val, te[j].val.string.len, type_name(k)))
							t = k;
				if (t == 0)
					schema_error(place.path, "type",
								 "must name null, boolean, integer, number, string, array or object");
				if (n->types & t)
					schema_error(place.path, "type", "must not name a type twice");
				n->types |= t;
			}
			if (!vocab)
				n->types = 0;
		}
		else if (is_keyword(key, klen, "const"))
		{
			n->has_const = vocab;
			n->const_value = *val;
		}
		else if (is_keyword(key, klen, "enum"))
		{
			if (!is_array(val))
				schema_error(place.path, "enum", "must be an array");
			if (vocab)
			{
				n->nenum = jc_size(val->val.binary.data);
				n->enum_values = jc_elements(val->val.binary.data);
				if (n->nenum == 0)
					n->nenum = -1;	/* nothing is allowed */
			}
		}
		else if (is_keyword(key, klen, "minimum"))
			n->minimum = get_number(val, place.path, "minimum");
		else if (is_keyword(key, klen, "maximum"))
			n->maximum = get_number(val, place.path, "maximum");
		else if (is_keyword(key, klen, "exclusiveMinimum"))
			n->exclusive_minimum = get_number(val, place.path, "exclusiveMinimum");
		else if (is_keyword(key, klen, "exclusiveMaximum"))
			n->exclusive_maximum = get_number(val, place.path, "exclusiveMaximum");
		else if (is_keyword(key, klen, "multipleOf"))
		{
			n->multiple_of = get_number(val, place.path, "multipleOf");
			if (num_cmp(n->multiple_of, int64_to_numeric(0)) <= 0)
				schema_error(place.path, "multipleOf", "must be greater than 0");
		}
		else if (is_keyword(key, klen, "minLength"))
			n->min_length = get_count(val, place.path, "minLength");
		else if (is_keyword(key, klen, "maxLength"))
			n->max_length = get_count(val, place.path, "maxLength");
		else if (is_keyword(key, klen, "pattern"))
		{
			n->pattern = palloc(sizeof(JsPattern));
			n->pattern->re = compile_regex(u, val, place.path, "pattern");
			n->pattern->source = pnstrdup(val->val.string.val, val->val.string.len);
			n->pattern->schema = NULL;
		}
		else if (is_keyword(key, klen, "format"))
		{
			int			j;

			if (val->type != jbvString)
				schema_error(place.path, "format", "must be a string");
			for (j = 0; j < lengthof(js_formats); j++)
				if (is_keyword(val->val.string.val, val->val.string.len, js_formats[j].name))
				{
					n->format = js_formats[j].format;
					n->format_what = js_formats[j].what;
				}
		}
		else if (is_keyword(key, klen, "minItems"))
			n->min_items = get_count(val, place.path, "minItems");
		else if (is_keyword(key, klen, "maxItems"))
			n->max_items = get_count(val, place.path, "maxItems");
		else if (is_keyword(key, klen, "uniqueItems"))
		{
			if (val->type != jbvBool)
				schema_error(place.path, "uniqueItems", "must be a boolean");
			n->unique_items = val->val.boolean;
		}
		else if (!d7 && is_keyword(key, klen, "minContains"))
			n->min_contains = get_count(val, place.path, "minContains");
		else if (!d7 && is_keyword(key, klen, "maxContains"))
			n->max_contains = get_count(val, place.path, "maxContains");
		else if (is_keyword(key, klen, "minProperties"))
			n->min_properties = get_count(val, place.path, "minProperties");
		else if (is_keyword(key, klen, "maxProperties"))
			n->max_properties = get_count(val, place.path, "maxProperties");
		else if (is_keyword(key, klen, "required"))
			n->required = compile_strings(val, place.path, "required", &n->nrequired);
		else if (!d7 && is_keyword(key, klen, "dependentRequired"))
		{
			JsonbValue *de;
			int			nd;
			int			j;
			char	   *dpath = path_join(place.path, "dependentRequired", 17);

			if (!is_object(val))
				schema_error(place.path, "dependentRequired", "must be an object of string arrays");
			nd = jc_size(val->val.binary.data);
			de = jc_elements(val->val.binary.data);
			n->dep_required = palloc(sizeof(JsDepRequired) * Max(nd, 1));
			for (j = 0; j < nd; j++)
			{
				JsDepRequired *d = &n->dep_required[j];

				d->name = de[j].val.string.val;
				d->len = de[j].val.string.len;
				d->names = compile_strings(&de[nd + j], dpath, "dependentRequired", &d->nnames);
			}
			n->ndep_required = vocab ? nd : 0;
		}
	}

	/* items: after prefixItems (2020-12); an array of them in draft 7 */
	if (items != NULL)
	{
		if (place.draft == DRAFT_7 && is_array(items))
		{
			n->prefix_items = compile_array(u, items, &place, "items", &n->nprefix, false);
			if (additional_items != NULL)
				n->items = compile_sub(u, additional_items, &place, "additionalItems");
		}
		else
			n->items = compile_sub(u, items, &place, "items");
	}
	else if (additional_items != NULL)
	{
		/* without an items array it does nothing; still a schema */
		(void) compile_sub(u, additional_items, &place, "additionalItems");
	}
	if (place.draft == DRAFT_7 && n->contains == NULL)
		n->min_contains = 1;

	/* limits that the validation vocabulary owns */
	if (!place.validation)
	{
		n->minimum = n->maximum = n->exclusive_minimum = n->exclusive_maximum = NULL;
		n->multiple_of = NULL;
		n->min_length = n->max_length = -1;
		n->pattern = NULL;
		n->min_items = n->max_items = -1;
		n->unique_items = false;
		n->min_contains = 1;
		n->max_contains = -1;
		n->min_properties = n->max_properties = -1;
		n->nrequired = 0;
		n->ndep_required = 0;
	}
	return n;
}

/* ----------------------------------------------------------------
 *		Resolving references
 * ----------------------------------------------------------------
 */

/*
 * registry_relid
 *		steward.jsonschema_registry, or InvalidOid before the extension's
 *		objects exist.
 */
static Oid
registry_relid(void)
{
	Oid			nsp = get_namespace_oid("steward", true);

	return OidIsValid(nsp) ? get_relname_relid("jsonschema_registry", nsp) : InvalidOid;
}

/*
 * registry_fetch
 *		The registered document of uri, copied into the unit's context, or
 *		NULL.
 */
static Jsonb *
registry_fetch(JsUnit *u, const char *uri)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	Jsonb	   *result = NULL;

	if (!OidIsValid(registry_relid()))
		return NULL;
	args[0] = CStringGetTextDatum(uri);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/*
	 * The latest committed state, not the transaction's snapshot: what is
	 * read here is cached beyond the transaction.
	 */
	steward_config_read("steward.jsonschema_registry",
						"SELECT schema FROM steward.jsonschema_registry WHERE uri OPERATOR(pg_catalog.=) $1",
						1, argtypes, args, 1);
	if (SPI_processed == 1)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
		{
			MemoryContext old = MemoryContextSwitchTo(u->cxt);

			result = DatumGetJsonbPCopy(d);
			MemoryContextSwitchTo(old);
		}
	}
	SPI_finish();
	u->uses_registry = true;
	return result;
}

/*
 * load_document
 *		The resource of an absolute URI: already known, or a registered
 *		document compiled now; NULL if there is none.
 */
static JsResource *
load_document(JsUnit *u, const char *uri, const char *path)
{
	JsResource *r = find_resource(u, uri);
	Jsonb	   *doc;
	JsonbValue	value;
	CompilePlace place;
	JsNode	   *root;

	if (r != NULL)
		return r;
	if (!uri_is_absolute(uri))
		return NULL;
	doc = registry_fetch(u, uri);
	if (doc == NULL)
		return NULL;
	jsonb_root(doc, &value);
	r = new_resource(u, uri, &value, path);
	memset(&place, 0, sizeof(place));
	place.resource = r;
	place.base = r->uri;
	place.path = psprintf("%s#", uri);
	place.draft = (u->options & JS_OPT_DRAFT7) ? DRAFT_7 : DRAFT_2020;
	place.validation = true;
	place.format_assert = !(u->options & JS_OPT_FORMAT_ANNOTATE);
	root = compile_node(u, &value, &place);
	if (r->root == NULL)
		r->root = root;
	return r;
}

/*
 * resolve_pointer
 *		The node at a JSON Pointer fragment of a resource, compiled if need
 *		be; NULL if the pointer leads nowhere.
 */
static JsNode *
resolve_pointer(JsUnit *u, JsResource *r, const char *fragment, const char *from)
{
	char	   *pointer = percent_decode(fragment);
	JsonbValue	cur = r->value;
	char	   *c = pointer;
	StringInfoData path;
	CompilePlace place;
	const char *base = r->uri;

	initStringInfo(&path);
	appendStringInfoString(&path, r->root ? r->root->path : "");
	while (*c == '/')
	{
		StringInfoData token;
		JsonbValue *next;

		c++;
		initStringInfo(&token);
		while (*c && *c != '/')
		{
			if (c[0] == '~' && c[1] == '0')
				appendStringInfoChar(&token, '~'), c += 2;
			else if (c[0] == '~' && c[1] == '1')
				appendStringInfoChar(&token, '/'), c += 2;
			else
				appendStringInfoChar(&token, *c++);
		}
		js_pointer_append(&path, token.data, token.len);
		if (is_object(&cur))
		{
			JsonbValue *id;

			/* a subschema on the way with its own $id changes the base */
			if (cur.val.binary.data != r->value.val.binary.data &&
				(id = obj_get(&cur, "$id")) != NULL && id->type == jbvString)
				base = uri_strip_fragment(uri_resolve(base, pnstrdup(id->val.string.val,
																	 id->val.string.len)), NULL);
			next = getKeyJsonValueFromContainer(cur.val.binary.data, token.data, token.len, NULL);
		}
		else if (is_array(&cur))
		{
			char	   *end;
			long		index = strtol(token.data, &end, 10);

			if (token.len == 0 || *end != '\0' || index < 0 ||
				index >= jc_size(cur.val.binary.data) ||
				(token.len > 1 && token.data[0] == '0'))
				return NULL;
			next = getIthJsonbValueFromContainer(cur.val.binary.data, (uint32) index);
		}
		else
			return NULL;
		if (next == NULL)
			return NULL;
		cur = *next;
	}
	if (*c != '\0')
		return NULL;
	if (cur.type == jbvBinary && !JsonContainerIsObject(cur.val.binary.data))
		return NULL;
	if (cur.type != jbvBinary && cur.type != jbvBool)
		return NULL;
	if (cur.type == jbvBinary)
	{
		JsNode	   *known = node_lookup(u, cur.val.binary.data);

		if (known)
			return known;
	}
	memset(&place, 0, sizeof(place));
	place.resource = r;
	place.base = base;
	place.path = path.data;
	place.draft = r->root ? r->root->draft : DRAFT_2020;
	place.validation = r->root ? r->root->validation : true;
	place.format_assert = r->root ? r->root->format_assert : true;
	return compile_node(u, &cur, &place);
}

/*
 * resolve_uri
 *		The node an absolute (or document-relative) URI with a fragment
 *		names; an error if there is none.
 */
static JsNode *
resolve_uri(JsUnit *u, const char *uri, JsNode *from, const char *keyword)
{
	char	   *fragment;
	char	   *absolute = uri_strip_fragment(uri, &fragment);
	JsResource *r = find_resource(u, absolute);
	JsNode	   *target = NULL;

	if (r == NULL)
		r = load_document(u, absolute, from->path);
	if (r == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid JSON Schema: \"%s\" at \"%s\" refers to \"%s\", which is not known",
						keyword, from->path[0] ? from->path : "/", uri),
				 errhint("Schemas are never fetched: register the document with steward.jsonschema_register().")));
	if (fragment[0] == '\0')
		target = r->root;
	else if (fragment[0] == '/')
		target = resolve_pointer(u, r, fragment, from->path);
	else
	{
		ListCell   *lc;

		foreach(lc, r->anchors)
		{
			JsAnchor   *a = lfirst(lc);

			if (strcmp(a->name, fragment) == 0)
				target = a->node;
		}
	}
	if (target == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid JSON Schema: \"%s\" at \"%s\" refers to \"%s\", which does not exist",
						keyword, from->path[0] ? from->path : "/", uri)));
	return target;
}

/*
 * check_cycles
 *		A schema that reaches itself through references and in-place
 *		applicators alone (allOf, $ref, not, ...) would evaluate the same
 *		instance forever: an invalid schema, found before any data.
 */
static void
check_cycles(JsNode *n)
{
	int			i;

	if (n == NULL || n->is_bool || n->mark == 2)
		return;
	if (n->mark == 1 && (n->ref || n->dynref))
		schema_error(n->path, n->ref ? "$ref" : "$dynamicRef",
					 "is part of a cycle of references that never reaches a value");
	if (n->mark == 1)
		schema_error(n->path, NULL,
					 "the schema applies itself to the same value again (a cycle of references that never reaches a value)");
	check_stack_depth();
	n->mark = 1;
	check_cycles(n->ref);
	check_cycles(n->dynref);
	for (i = 0; i < n->nall_of; i++)
		check_cycles(n->all_of[i]);
	for (i = 0; i < n->nany_of; i++)
		check_cycles(n->any_of[i]);
	for (i = 0; i < n->none_of; i++)
		check_cycles(n->one_of[i]);
	for (i = 0; i < n->ndep_schemas; i++)
		check_cycles(n->dep_schemas[i].schema);
	check_cycles(n->not_schema);
	check_cycles(n->if_schema);
	check_cycles(n->then_schema);
	check_cycles(n->else_schema);
	n->mark = 2;
}

/*
 * resolve_refs
 *		Resolve every $ref and $dynamicRef; resolving may compile more
 *		nodes, whose references join the list.
 */
static void
resolve_refs(JsUnit *u)
{
	int			i;

	for (i = 0; i < list_length(u->unresolved); i++)
	{
		JsNode	   *n = list_nth(u->unresolved, i);

		CHECK_FOR_INTERRUPTS();
		if (n->ref_uri != NULL && n->ref == NULL)
			n->ref = resolve_uri(u, n->ref_uri, n, "$ref");
		if (n->dynref_uri != NULL && n->dynref == NULL)
		{
			char	   *fragment;

			n->dynref = resolve_uri(u, n->dynref_uri, n, "$dynamicRef");
			(void) uri_strip_fragment(n->dynref_uri, &fragment);

			/*
			 * Dynamic only when the fragment is a name and the static
			 * target has that $dynamicAnchor; a plain $ref otherwise.
			 */
			if (fragment[0] != '\0' && fragment[0] != '/' &&
				n->dynref->dynamic_anchor != NULL &&
				strcmp(n->dynref->dynamic_anchor, fragment) == 0)
				n->dynref_anchor = pstrdup(fragment);
		}
	}
}

/* ----------------------------------------------------------------
 *		Validating
 * ----------------------------------------------------------------
 */

/* An instance value, with its members read on first need */
typedef struct JsInst
{
	JsonbValue	v;				/* unset for a row (virtual) */
	uint32		type;			/* JT_ type (numbers as JT_NUMBER) */
	bool		is_virtual;		/* an object made of a row's columns */
	int			n;				/* members (pairs for an object), -1: not read */
	JsonbValue *elems;			/* items; or keys then values */
} JsInst;

/* What the keywords of one schema evaluated: object keys or array items */
typedef struct JsTracker
{
	int			n;
	bool	   *marks;
} JsTracker;

typedef struct EvalCtx
{
	JsUnit	   *unit;
	List	  **errors;			/* NULL: stop at the first failure */
	MemoryContext errcxt;		/* where the errors go */
	int			quiet;			/* >0: in anyOf, oneOf, not, if: no errors */
	StringInfoData ipath;		/* where in the instance */
	StringInfoData spath;		/* the same, data-derived keys as "*" */
	JsResource **scope;			/* the dynamic scope, outermost first */
	int			nscope;
	int			maxscope;
	int			ref_hops;		/* $refs followed since the instance moved */
} EvalCtx;

static bool eval_node(EvalCtx *ctx, JsNode *n, JsInst *inst, JsTracker *t);

static inline bool
collecting(EvalCtx *ctx)
{
	return ctx->errors != NULL && ctx->quiet == 0;
}

static void
inst_init(JsInst *inst, const JsonbValue *v)
{
	inst->v = *v;
	inst->type = value_type(v);
	inst->is_virtual = false;
	inst->n = -1;
	inst->elems = NULL;
}

/*
 * inst_materialize
 *		A row's object as a real jsonb value (for const, enum: rare).
 */
static void
inst_materialize(JsInst *inst)
{
	JsonbParseState *state = NULL;
	JsonbValue *res;
	int			i;

	if (!inst->is_virtual)
		return;
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (i = 0; i < inst->n; i++)
	{
		pushJsonbValue(&state, WJB_KEY, &inst->elems[i]);
		pushJsonbValue(&state, WJB_VALUE, &inst->elems[inst->n + i]);
	}
	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	jsonb_root(JsonbValueToJsonb(res), &inst->v);
	inst->is_virtual = false;
	inst->n = -1;
	inst->elems = NULL;
}

static void
inst_read(JsInst *inst)
{
	if (inst->n < 0)
	{
		inst->n = jc_size(inst->v.val.binary.data);
		inst->elems = jc_elements(inst->v.val.binary.data);
	}
}

/*
 * report
 *		Record an error of keyword of node n at the current instance
 *		location (plus `extra`, a property name, when given).
 */
static void report(EvalCtx *ctx, JsNode *n, const char *keyword, const JsonbValue *extra,
				   bool extra_is_data, const char *fmt,...) pg_attribute_printf(6, 7);

static void
report(EvalCtx *ctx, JsNode *n, const char *keyword, const JsonbValue *extra,
	   bool extra_is_data, const char *fmt,...)
{
	MemoryContext old;
	JsError    *e;
	StringInfoData msg;
	StringInfoData ip;
	StringInfoData safe;
	StringInfoData sp;

	if (!collecting(ctx))
		return;
	old = MemoryContextSwitchTo(ctx->errcxt);
	initStringInfo(&msg);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&msg, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&msg, needed);
	}
	initStringInfo(&ip);
	appendBinaryStringInfo(&ip, ctx->ipath.data, ctx->ipath.len);
	if (extra)
		js_pointer_append(&ip, extra->val.string.val, extra->val.string.len);
	initStringInfo(&safe);
	appendBinaryStringInfo(&safe, ctx->spath.data, ctx->spath.len);
	if (extra && extra_is_data)
		appendStringInfoString(&safe, "/*");
	else if (extra)
		js_pointer_append(&safe, extra->val.string.val, extra->val.string.len);
	initStringInfo(&sp);
	appendStringInfoString(&sp, n->path);
	if (keyword)
		js_pointer_append(&sp, keyword, strlen(keyword));
	e = palloc(sizeof(JsError));
	e->instance_path = ip.data;
	e->safe_path = safe.data;
	e->schema_path = sp.data;
	e->keyword = keyword ? keyword : "false";
	e->message = msg.data;
	*ctx->errors = lappend(*ctx->errors, e);
	MemoryContextSwitchTo(old);
}

static void
tracker_init(JsTracker *t, JsInst *inst)
{
	uint32		type = inst->type;

	if (type == JT_OBJECT || type == JT_ARRAY)
	{
		inst_read(inst);
		t->n = inst->n;
		t->marks = palloc0(sizeof(bool) * Max(t->n, 1));
	}
	else
	{
		t->n = 0;
		t->marks = NULL;
	}
}

static void
tracker_merge(JsTracker *into, const JsTracker *from)
{
	int			i;

	if (into == NULL)
		return;
	for (i = 0; i < into->n; i++)
		into->marks[i] |= from->marks[i];
}

/*
 * eval_in_place
 *		Evaluate a subschema at the same instance location (allOf, $ref,
 *		then...), passing annotations up when it is valid and t wants them.
 */
static bool
eval_in_place(EvalCtx *ctx, JsNode *sub, JsInst *inst, JsTracker *t)
{
	JsTracker	child;
	bool		ok;

	if (t == NULL)
		return eval_node(ctx, sub, inst, NULL);
	tracker_init(&child, inst);
	ok = eval_node(ctx, sub, inst, &child);
	if (ok)
		tracker_merge(t, &child);
	return ok;
}

/*
 * eval_child
 *		Evaluate a subschema at a member of the instance (a property's
 *		value, an item), with the instance path extended.
 */
static bool
eval_child(EvalCtx *ctx, JsNode *sub, const JsonbValue *v, const char *key, int keylen,
		   int index, bool data_key)
{
	JsInst		child;
	int			saved = ctx->ipath.len;
	int			ssaved = ctx->spath.len;
	int			hops = ctx->ref_hops;
	bool		ok;

	if (sub->is_bool && sub->bool_value)
		return true;
	if (key)
	{
		js_pointer_append(&ctx->ipath, key, keylen);
		if (data_key)
			appendStringInfoString(&ctx->spath, "/*");
		else
			js_pointer_append(&ctx->spath, key, keylen);
	}
	else
	{
		appendStringInfo(&ctx->ipath, "/%d", index);
		appendStringInfo(&ctx->spath, "/%d", index);
	}
	inst_init(&child, v);
	ctx->ref_hops = 0;
	ok = eval_node(ctx, sub, &child, NULL);
	ctx->ref_hops = hops;
	ctx->ipath.len = saved;
	ctx->ipath.data[saved] = '\0';
	ctx->spath.len = ssaved;
	ctx->spath.data[ssaved] = '\0';
	return ok;
}

static bool
eval_ref(EvalCtx *ctx, JsNode *n, JsNode *target, JsInst *inst, JsTracker *t,
		 const char *keyword)
{
	bool		ok;

	if (++ctx->ref_hops > JS_MAX_REF_HOPS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid JSON Schema: \"%s\" at \"%s\" is part of a cycle that never reaches a value",
						keyword, n->path[0] ? n->path : "/")));
	ok = eval_in_place(ctx, target, inst, t);
	ctx->ref_hops--;
	return ok;
}

/*
 * dynamic_target
 *		$dynamicRef: the outermost resource in the dynamic scope that has a
 *		$dynamicAnchor of the name; the static target otherwise.
 */
static JsNode *
dynamic_target(EvalCtx *ctx, JsNode *n)
{
	int			i;

	if (n->dynref_anchor == NULL)
		return n->dynref;
	for (i = 0; i < ctx->nscope; i++)
	{
		JsResource *r = ctx->scope[i];
		ListCell   *lc;

		if (!r->has_dynamic)
			continue;
		foreach(lc, r->anchors)
		{
			JsAnchor   *a = lfirst(lc);

			if (a->dynamic && strcmp(a->name, n->dynref_anchor) == 0)
				return a->node;
		}
	}
	return n->dynref;
}

/*
 * check_iri
 *		An IRI (RFC 3987): a URI in which characters beyond ASCII may stand
 *		wherever an unreserved character may (not in the scheme).  Each is
 *		checked as if it were one, by the URI parser.
 */
static bool
check_iri(const char *s, size_t len, bool absolute)
{
	char	   *ascii;
	size_t		i;
	size_t		o = 0;
	bool		in_scheme = true;

	if (GetDatabaseEncoding() != PG_UTF8)
		return absolute ? fmt_is_uri(s, len) : fmt_is_uri_reference(s, len);
	ascii = palloc(len + 1);
	for (i = 0; i < len;)
	{
		unsigned char c = (unsigned char) s[i];

		if (c < 0x80)
		{
			if (c == ':' || c == '/' || c == '?' || c == '#')
				in_scheme = false;
			ascii[o++] = s[i++];
			continue;
		}
		if (in_scheme && absolute)
			return false;
		{
			int			l = pg_utf_mblen((const unsigned char *) s + i);

			if (i + l > len || !pg_utf8_islegal((const unsigned char *) s + i, l))
				return false;
			ascii[o++] = 'a';
			i += l;
		}
	}
	return absolute ? fmt_is_uri(ascii, o) : fmt_is_uri_reference(ascii, o);
}

static bool
check_format(JsNode *n, const JsonbValue *v)
{
	const char *s = v->val.string.val;
	size_t		len = v->val.string.len;

	switch (n->format)
	{
		case FMT_NONE:
			return true;
		case FMT_EMAIL:
			/*
			 * What steward.is_email() accepts: the addresses mail is sent
			 * to in practice (a dot-atom local part, a domain of two or
			 * more labels), not the rarer forms RFC 5321 also allows
			 * (quoted local parts, IP literals, single-label domains).
			 */
			return fmt_is_email(s, len, 0);
		case FMT_IDN_EMAIL:
			return fmt_is_email(s, len, FMT_EMAIL_ALLOW_IDN);
		case FMT_HOSTNAME:
			return fmt_is_hostname(s, len, 0);
		case FMT_IDN_HOSTNAME:
			return fmt_is_hostname(s, len, FMT_HOST_ALLOW_IDN);
		case FMT_IPV4:
			return fmt_is_ipv4(s, len);
		case FMT_IPV6:
			return fmt_is_ipv6(s, len);
		case FMT_URI:
			return fmt_is_uri(s, len);
		case FMT_URI_REFERENCE:
			return fmt_is_uri_reference(s, len);
		case FMT_IRI:
		case FMT_IRI_REFERENCE:
			return check_iri(s, len, n->format == FMT_IRI);
		case FMT_URL:
			return fmt_is_url(s, len, 0);
		case FMT_UUID:
			return fmt_is_uuid(s, len);
		case FMT_DATE:
			return fmt_is_date(s, len);
		case FMT_TIME:
			return fmt_is_time(s, len);
		case FMT_DATETIME:
			return fmt_is_datetime(s, len);
		case FMT_DURATION:
			return fmt_is_duration(s, len);
		case FMT_JSON_POINTER:
			return fmt_is_json_pointer(s, len);
		case FMT_RELATIVE_JSON_POINTER:
			return fmt_is_relative_json_pointer(s, len);
		case FMT_E164:
			return fmt_is_e164(s, len);
		case FMT_IBAN:
			return fmt_is_iban(s, len);
		case FMT_LUHN:
			return fmt_is_luhn(s, len);
		case FMT_CARD:
			return fmt_is_card(s, len);
		case FMT_ISO_COUNTRY:
			return fmt_is_iso_country(s, len);
		case FMT_ISO_CURRENCY:
			return fmt_is_iso_currency(s, len);
		case FMT_SLUG:
			return fmt_is_slug(s, len);
		case FMT_SEMVER:
			return fmt_is_semver(s, len);
		case FMT_REGEX:
			{
				pg_wchar   *wide = palloc(sizeof(pg_wchar) * (len + 1));
				int			wlen = pg_mb2wchar_with_len(s, wide, len);
				regex_t		re;
				int			rc = pg_regcomp(&re, wide, wlen, REG_ADVANCED, C_COLLATION_OID);

				if (rc == REG_OKAY)
					pg_regfree(&re);
				pfree(wide);
				return rc == REG_OKAY;
			}
	}
	return true;
}

/*
 * key_cmp
 *		jsonb's order of object keys: shorter first, then bytewise.
 */
static inline int
key_cmp(const char *a, int alen, const char *b, int blen)
{
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return memcmp(a, b, alen);
}

/*
 * find_key
 *		The index of a key among an object instance's keys, or -1.
 */
static int
find_key(JsInst *inst, const char *name, int len)
{
	int			lo = 0;
	int			hi = inst->n - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = key_cmp(inst->elems[mid].val.string.val, inst->elems[mid].val.string.len,
								name, len);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

#define FAIL() \
	do { \
		valid = false; \
		if (!collecting(ctx)) \
			goto done; \
	} while (0)

static int
hash_index_cmp(const void *a, const void *b, void *arg)
{
	uint32	   *hashes = (uint32 *) arg;
	uint32		ha = hashes[*(const int *) a];
	uint32		hb = hashes[*(const int *) b];

	if (ha != hb)
		return ha < hb ? -1 : 1;
	return *(const int *) a - *(const int *) b;
}

/*
 * eval_object
 *		The object keywords of n against an object instance.
 */
static bool
eval_object(EvalCtx *ctx, JsNode *n, JsInst *inst, JsTracker *t)
{
	bool		valid = true;
	int			nkeys;
	JsonbValue *keys;
	JsonbValue *vals;
	bool	   *matched = NULL;
	int			i;
	int			j;

	inst_read(inst);
	nkeys = inst->n;
	keys = inst->elems;
	vals = inst->elems + nkeys;

	if (n->validation)
	{
		if (n->min_properties >= 0 && nkeys < n->min_properties)
		{
			report(ctx, n, "minProperties", NULL, false, "must have at least " INT64_FORMAT " propert%s",
				   n->min_properties, n->min_properties == 1 ? "y" : "ies");
			FAIL();
		}
		if (n->max_properties >= 0 && nkeys > n->max_properties)
		{
			report(ctx, n, "maxProperties", NULL, false, "must have at most " INT64_FORMAT " propert%s",
				   n->max_properties, n->max_properties == 1 ? "y" : "ies");
			FAIL();
		}
		for (i = 0; i < n->nrequired; i++)
			if (find_key(inst, n->required[i].name, n->required[i].len) < 0)
			{
				JsonbValue	name;

				name.type = jbvString;
				name.val.string.val = (char *) n->required[i].name;
				name.val.string.len = n->required[i].len;
				report(ctx, n, "required", &name, false, "is required");
				FAIL();
			}
		for (i = 0; i < n->ndep_required; i++)
		{
			JsDepRequired *d = &n->dep_required[i];

			if (find_key(inst, d->name, d->len) < 0)
				continue;
			for (j = 0; j < d->nnames; j++)
				if (find_key(inst, d->names[j].name, d->names[j].len) < 0)
				{
					JsonbValue	name;

					name.type = jbvString;
					name.val.string.val = (char *) d->names[j].name;
					name.val.string.len = d->names[j].len;
					report(ctx, n, n->draft == DRAFT_7 ? "dependencies" : "dependentRequired",
						   &name, false, "is required when \"%.*s\" is present", d->len, d->name);
					FAIL();
				}
		}
	}

	if (n->additional_properties != NULL)
		matched = palloc0(sizeof(bool) * Max(nkeys, 1));

	/* properties: both lists are in jsonb key order, walked together */
	if (n->nproperties > 0)
	{
		i = 0;
		j = 0;
		while (i < nkeys && j < n->nproperties)
		{
			int			c = key_cmp(keys[i].val.string.val, keys[i].val.string.len,
									n->properties[j].name, n->properties[j].len);

			if (c < 0)
				i++;
			else if (c > 0)
				j++;
			else
			{
				if (matched)
					matched[i] = true;
				if (!eval_child(ctx, n->properties[j].schema, &vals[i],
								keys[i].val.string.val, keys[i].val.string.len, 0, false))
					FAIL();
				else if (t)
					t->marks[i] = true;
				i++;
				j++;
			}
		}
	}

	for (j = 0; j < n->npattern_properties; j++)
	{
		JsPattern  *p = &n->pattern_properties[j];

		for (i = 0; i < nkeys; i++)
		{
			CHECK_FOR_INTERRUPTS();
			if (!regex_matches(p->re, keys[i].val.string.val, keys[i].val.string.len))
				continue;
			if (matched)
				matched[i] = true;
			if (!eval_child(ctx, p->schema, &vals[i], keys[i].val.string.val,
							keys[i].val.string.len, 0, true))
				FAIL();
			else if (t)
				t->marks[i] = true;
		}
	}

	if (n->additional_properties != NULL)
	{
		for (i = 0; i < nkeys; i++)
		{
			if (matched[i])
				continue;
			if (n->additional_properties->is_bool && !n->additional_properties->bool_value)
			{
				report(ctx, n, "additionalProperties", &keys[i], true, "is not allowed (no such property)");
				FAIL();
			}
			else if (!eval_child(ctx, n->additional_properties, &vals[i],
								 keys[i].val.string.val, keys[i].val.string.len, 0, true))
				FAIL();
			else if (t)
				t->marks[i] = true;
		}
	}

	if (n->property_names != NULL)
	{
		for (i = 0; i < nkeys; i++)
		{
			JsInst		name;
			int			saved = ctx->ipath.len;
			int			ssaved = ctx->spath.len;
			bool		ok;

			inst_init(&name, &keys[i]);
			js_pointer_append(&ctx->ipath, keys[i].val.string.val, keys[i].val.string.len);
			appendStringInfoString(&ctx->spath, "/*");
			ctx->quiet++;
			ok = eval_node(ctx, n->property_names, &name, NULL);
			ctx->quiet--;
			if (!ok)
				report(ctx, n, "propertyNames", NULL, false, "is not an allowed property name");
			ctx->ipath.len = saved;
			ctx->ipath.data[saved] = '\0';
			ctx->spath.len = ssaved;
			ctx->spath.data[ssaved] = '\0';
			if (!ok)
				FAIL();
		}
	}

	for (j = 0; j < n->ndep_schemas; j++)
	{
		if (find_key(inst, n->dep_schemas[j].name, n->dep_schemas[j].len) < 0)
			continue;
		if (!eval_in_place(ctx, n->dep_schemas[j].schema, inst, t))
			FAIL();
	}

done:
	return valid;
}

/*
 * eval_array
 *		The array keywords of n against an array instance.
 */
static bool
eval_array(EvalCtx *ctx, JsNode *n, JsInst *inst, JsTracker *t)
{
	bool		valid = true;
	int			nitems;
	JsonbValue *items;
	int			i;

	inst_read(inst);
	nitems = inst->n;
	items = inst->elems;

	if (n->validation)
	{
		if (n->min_items >= 0 && nitems < n->min_items)
		{
			report(ctx, n, "minItems", NULL, false, "must have at least " INT64_FORMAT " item%s", n->min_items,
				   n->min_items == 1 ? "" : "s");
			FAIL();
		}
		if (n->max_items >= 0 && nitems > n->max_items)
		{
			report(ctx, n, "maxItems", NULL, false, "must have at most " INT64_FORMAT " item%s", n->max_items,
				   n->max_items == 1 ? "" : "s");
			FAIL();
		}
		if (n->unique_items && nitems > 1)
		{
			uint32	   *hashes = palloc(sizeof(uint32) * nitems);
			int		   *order = palloc(sizeof(int) * nitems);
			int			dup_a = -1;
			int			dup_b = -1;

			for (i = 0; i < nitems; i++)
			{
				CHECK_FOR_INTERRUPTS();
				hashes[i] = json_hash(&items[i]);
				order[i] = i;
			}
			qsort_arg(order, nitems, sizeof(int), hash_index_cmp, hashes);
			for (i = 0; i < nitems && dup_a < 0; i++)
			{
				int			k;

				for (k = i + 1; k < nitems && hashes[order[k]] == hashes[order[i]]; k++)
				{
					CHECK_FOR_INTERRUPTS();
					if (json_equal(&items[order[i]], &items[order[k]]))
					{
						dup_a = Min(order[i], order[k]);
						dup_b = Max(order[i], order[k]);
						break;
					}
				}
			}
			if (dup_a >= 0)
			{
				report(ctx, n, "uniqueItems", NULL, false,
					   "must not contain duplicate items (items %d and %d are equal)", dup_a, dup_b);
				FAIL();
			}
		}
	}

	for (i = 0; i < nitems; i++)
	{
		JsNode	   *sub = i < n->nprefix ? n->prefix_items[i] : n->items;

		CHECK_FOR_INTERRUPTS();
		if (sub == NULL)
			break;
		if (sub->is_bool && !sub->bool_value)
		{
			report(ctx, n, i < n->nprefix ? (n->draft == DRAFT_7 ? "items" : "prefixItems") :
				   (n->draft == DRAFT_7 ? "additionalItems" : "items"), NULL, false,
				   "must have at most %d item%s", i, i == 1 ? "" : "s");
			FAIL();
			break;
		}
		if (!eval_child(ctx, sub, &items[i], NULL, 0, i, false))
			FAIL();
		else if (t)
			t->marks[i] = true;
	}

	if (n->contains != NULL)
	{
		int64		matches = 0;

		for (i = 0; i < nitems; i++)
		{
			bool		ok;

			ctx->quiet++;
			ok = eval_child(ctx, n->contains, &items[i], NULL, 0, i, false);
			ctx->quiet--;
			if (ok)
			{
				matches++;
				if (t)
					t->marks[i] = true;
			}
		}
		if (matches < n->min_contains)
		{
			report(ctx, n, n->min_contains == 1 ? "contains" : "minContains", NULL, false,
				   "must contain at least " INT64_FORMAT " matching item%s", n->min_contains,
				   n->min_contains == 1 ? "" : "s");
			FAIL();
		}
		if (n->max_contains >= 0 && matches > n->max_contains)
		{
			report(ctx, n, "maxContains", NULL, false,
				   "must contain at most " INT64_FORMAT " matching item%s", n->max_contains,
				   n->max_contains == 1 ? "" : "s");
			FAIL();
		}
	}

done:
	return valid;
}

/*
 * eval_node
 *		Whether inst is valid against n; t, when not NULL, receives the
 *		members n's keywords evaluated (for an unevaluated* above).
 */
static bool
eval_node(EvalCtx *ctx, JsNode *n, JsInst *inst, JsTracker *t)
{
	bool		valid = true;
	uint32		type;
	JsTracker	own;
	bool		pushed = false;
	int			i;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();

	if (n->is_bool)
	{
		if (!n->bool_value)
			report(ctx, n, NULL, NULL, false, "no value is allowed here");
		return n->bool_value;
	}

	type = inst->type;
	if (n->tracks && t == NULL)
	{
		tracker_init(&own, inst);
		t = &own;
	}
	/* entering another resource, at its root or not, extends the scope */
	if (ctx->nscope == 0 || ctx->scope[ctx->nscope - 1] != n->resource)
	{
		if (ctx->nscope == ctx->maxscope)
		{
			ctx->maxscope = Max(ctx->maxscope * 2, 8);
			ctx->scope = repalloc(ctx->scope, sizeof(JsResource *) * ctx->maxscope);
		}
		ctx->scope[ctx->nscope++] = n->resource;
		pushed = true;
	}

	if (n->ref && !eval_ref(ctx, n, n->ref, inst, t, "$ref"))
		FAIL();
	if (n->dynref && !eval_ref(ctx, n, dynamic_target(ctx, n), inst, t, "$dynamicRef"))
		FAIL();

	if (n->types != 0)
	{
		bool		ok = (n->types & type) != 0;

		if (!ok && type == JT_NUMBER && (n->types & JT_INTEGER))
			ok = numeric_is_integral(inst->v.val.numeric);
		if (!ok)
		{
			StringInfoData names;
			int			k;

			initStringInfo(&names);
			for (k = JT_NULL; k <= JT_OBJECT; k <<= 1)
				if (n->types & k)
					appendStringInfo(&names, "%s%s", names.len ? " or " : "", type_name(k));
			report(ctx, n, "type", NULL, false, "must be of type %s, not %s", names.data,
				   type_name(type));
			FAIL();
		}
	}
	if ((n->has_const || n->nenum != 0) && inst->is_virtual)
		inst_materialize(inst);
	if (n->has_const && !json_equal(&inst->v, &n->const_value))
	{
		report(ctx, n, "const", NULL, false, "must be equal to the constant in the schema");
		FAIL();
	}
	if (n->nenum != 0)
	{
		bool		found = false;

		for (i = 0; i < n->nenum && !found; i++)
			found = json_equal(&inst->v, &n->enum_values[i]);
		if (!found)
		{
			report(ctx, n, "enum", NULL, false, "must be one of the values listed in the schema");
			FAIL();
		}
	}

	if (type == JT_NUMBER && n->validation)
	{
		Numeric		num = inst->v.val.numeric;

		if (n->minimum && num_cmp(num, n->minimum) < 0)
		{
			report(ctx, n, "minimum", NULL, false, "must be greater than or equal to %s", num_text(n->minimum));
			FAIL();
		}
		if (n->maximum && num_cmp(num, n->maximum) > 0)
		{
			report(ctx, n, "maximum", NULL, false, "must be less than or equal to %s", num_text(n->maximum));
			FAIL();
		}
		if (n->exclusive_minimum && num_cmp(num, n->exclusive_minimum) <= 0)
		{
			report(ctx, n, "exclusiveMinimum", NULL, false, "must be greater than %s",
				   num_text(n->exclusive_minimum));
			FAIL();
		}
		if (n->exclusive_maximum && num_cmp(num, n->exclusive_maximum) >= 0)
		{
			report(ctx, n, "exclusiveMaximum", NULL, false, "must be less than %s",
				   num_text(n->exclusive_maximum));
			FAIL();
		}
		if (n->multiple_of)
		{
			bool		err = false;
			Numeric		rem = numeric_mod_opt_error(num, n->multiple_of, &err);

			if (err || num_cmp(rem, int64_to_numeric(0)) != 0)
			{
				report(ctx, n, "multipleOf", NULL, false, "must be a multiple of %s",
					   num_text(n->multiple_of));
				FAIL();
			}
		}
	}
	else if (type == JT_STRING)
	{
		if (n->validation && (n->min_length >= 0 || n->max_length >= 0))
		{
			int64		chars = string_chars(&inst->v);

			if (n->min_length >= 0 && chars < n->min_length)
			{
				report(ctx, n, "minLength", NULL, false, "must be at least " INT64_FORMAT " character%s long",
					   n->min_length, n->min_length == 1 ? "" : "s");
				FAIL();
			}
			if (n->max_length >= 0 && chars > n->max_length)
			{
				report(ctx, n, "maxLength", NULL, false, "must be at most " INT64_FORMAT " character%s long",
					   n->max_length, n->max_length == 1 ? "" : "s");
				FAIL();
			}
		}
		if (n->pattern && n->validation &&
			!regex_matches(n->pattern->re, inst->v.val.string.val, inst->v.val.string.len))
		{
			report(ctx, n, "pattern", NULL, false, "must match the pattern \"%s\"", n->pattern->source);
			FAIL();
		}
		if (n->format != FMT_NONE && n->format_assert && !check_format(n, &inst->v))
		{
			report(ctx, n, "format", NULL, false, "must be a valid %s", n->format_what);
			FAIL();
		}
	}
	else if (type == JT_OBJECT)
	{
		if (!eval_object(ctx, n, inst, t))
			FAIL();
	}
	else if (type == JT_ARRAY)
	{
		if (!eval_array(ctx, n, inst, t))
			FAIL();
	}

	/* in-place applicators */
	for (i = 0; i < n->nall_of; i++)
		if (!eval_in_place(ctx, n->all_of[i], inst, t))
			FAIL();
	if (n->nany_of > 0)
	{
		bool		any = false;

		ctx->quiet++;
		for (i = 0; i < n->nany_of; i++)
		{
			if (eval_in_place(ctx, n->any_of[i], inst, t))
			{
				any = true;
				if (t == NULL)
					break;		/* annotations are not wanted: one is enough */
			}
		}
		ctx->quiet--;
		if (!any)
		{
			report(ctx, n, "anyOf", NULL, false, "must match at least one of the schemas in anyOf");
			FAIL();
		}
	}
	if (n->none_of > 0)
	{
		int			matched = 0;
		JsTracker	child;
		JsTracker	keep;

		keep.n = 0;
		keep.marks = NULL;
		ctx->quiet++;
		for (i = 0; i < n->none_of && matched < 2; i++)
		{
			if (t)
				tracker_init(&child, inst);
			if (eval_node(ctx, n->one_of[i], inst, t ? &child : NULL))
			{
				matched++;
				if (t)
					keep = child;
			}
		}
		ctx->quiet--;
		if (matched != 1)
		{
			report(ctx, n, "oneOf", NULL, false, matched == 0 ?
				   "must match exactly one of the schemas in oneOf (it matches none)" :
				   "must match exactly one of the schemas in oneOf (it matches more)");
			FAIL();
		}
		else if (t)
			tracker_merge(t, &keep);
	}
	if (n->not_schema != NULL)
	{
		bool		ok;

		ctx->quiet++;
		ok = eval_node(ctx, n->not_schema, inst, NULL);
		ctx->quiet--;
		if (ok)
		{
			report(ctx, n, "not", NULL, false, "must not match the schema in not");
			FAIL();
		}
	}
	if (n->if_schema != NULL && (n->then_schema != NULL || n->else_schema != NULL || t != NULL))
	{
		bool		cond;

		ctx->quiet++;
		cond = eval_in_place(ctx, n->if_schema, inst, t);
		ctx->quiet--;
		if (cond && n->then_schema && !eval_in_place(ctx, n->then_schema, inst, t))
			FAIL();
		if (!cond && n->else_schema && !eval_in_place(ctx, n->else_schema, inst, t))
			FAIL();
	}

	/* last: what nothing else evaluated */
	if (n->unevaluated_properties && type == JT_OBJECT && valid)
	{
		JsonbValue *keys = inst->elems;
		JsonbValue *vals = inst->elems + inst->n;

		for (i = 0; i < inst->n; i++)
		{
			if (t->marks[i])
				continue;
			if (n->unevaluated_properties->is_bool && !n->unevaluated_properties->bool_value)
			{
				report(ctx, n, "unevaluatedProperties", &keys[i], true, "is not allowed (not evaluated by the schema)");
				FAIL();
			}
			else if (!eval_child(ctx, n->unevaluated_properties, &vals[i],
								 keys[i].val.string.val, keys[i].val.string.len, 0, true))
				FAIL();
			else
				t->marks[i] = true;
		}
	}
	if (n->unevaluated_items && type == JT_ARRAY && valid)
	{
		for (i = 0; i < inst->n; i++)
		{
			if (t->marks[i])
				continue;
			if (n->unevaluated_items->is_bool && !n->unevaluated_items->bool_value)
			{
				report(ctx, n, "unevaluatedItems", NULL, false, "must not have item %d (not evaluated by the schema)", i);
				FAIL();
			}
			else if (!eval_child(ctx, n->unevaluated_items, &inst->elems[i], NULL, 0, i, false))
				FAIL();
			else
				t->marks[i] = true;
		}
	}

done:
	if (pushed)
		ctx->nscope--;
	return valid;
}

/* ----------------------------------------------------------------
 *		The cache, and the entry points
 * ----------------------------------------------------------------
 */

static void
unit_free(JsUnit *u)
{
	ListCell   *lc;

	foreach(lc, u->regexes)
		pg_regfree((regex_t *) lfirst(lc));
	MemoryContextDelete(u->cxt);
}

/*
 * registry_callback
 *		The registry changed (jsonschema_register() sends an invalidation):
 *		forget every compiled schema that read it.
 */
static void
registry_callback(Datum arg, Oid relid)
{
	JsUnit	  **link = &js_cache;

	if (OidIsValid(relid) && relid != js_registry_relid)
		return;
	while (*link)
	{
		JsUnit	   *u = *link;

		if (u->uses_registry || !OidIsValid(relid))
		{
			*link = u->next;
			unit_free(u);
		}
		else
			link = &u->next;
	}
}

static JsUnit *
js_compile(Jsonb *schema, int options, uint32 hash)
{
	MemoryContext cxt = AllocSetContextCreate(TopMemoryContext, "steward jsonschema",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	JsUnit	   *u = palloc0(sizeof(JsUnit));
	HASHCTL		ctl;
	JsonbValue	root;
	JsResource *r;
	CompilePlace place;

	u->cxt = cxt;
	u->options = options;
	u->hash = hash;
	u->schema = palloc(VARSIZE(schema));
	memcpy(u->schema, schema, VARSIZE(schema));
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(void *);
	ctl.entrysize = sizeof(JsNodeEntry);
	ctl.hcxt = cxt;
	u->nodes = hash_create("steward jsonschema nodes", 64, &ctl,
						   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	PG_TRY();
	{
		jsonb_root(u->schema, &root);
		r = new_resource(u, "", &root, "");
		memset(&place, 0, sizeof(place));
		place.resource = r;
		place.base = "";
		place.path = "";
		place.draft = (options & JS_OPT_DRAFT7) ? DRAFT_7 : DRAFT_2020;
		place.validation = true;
		place.format_assert = !(options & JS_OPT_FORMAT_ANNOTATE);
		u->root = compile_node(u, &root, &place);
		if (r->root == NULL)
			r->root = u->root;
		resolve_refs(u);
		{
			ListCell   *lc;

			/* from the root first, then in the order compiled: the same
			 * cycle is reported at the same place every time */
			foreach(lc, u->node_list)
				check_cycles((JsNode *) lfirst(lc));
		}
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(old);
		unit_free(u);
		PG_RE_THROW();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);
	return u;
}

/*
 * js_compile_cached
 *		The compiled form of schema under options, from the backend's cache
 *		(most recently used first, at most JS_CACHE_SIZE) or compiled now.
 */
JsUnit *
js_compile_cached(Jsonb *schema, int options)
{
	uint32		hash = hash_bytes((const unsigned char *) schema, VARSIZE(schema)) ^ options;
	JsUnit	  **link;
	JsUnit	   *u;
	int			n = 0;

	if (!js_callback_registered)
	{
		steward_register_relcache_callback(registry_callback, (Datum) 0);
		js_callback_registered = true;
	}

	for (link = &js_cache; *link; link = &(*link)->next)
	{
		u = *link;
		if (u->hash == hash && u->options == options &&
			VARSIZE(u->schema) == VARSIZE(schema) &&
			memcmp(u->schema, schema, VARSIZE(schema)) == 0)
		{
			/* to the front */
			*link = u->next;
			u->next = js_cache;
			js_cache = u;
			return u;
		}
		n++;
	}

	js_registry_relid = registry_relid();	/* may change with the extension */
	u = js_compile(schema, options, hash);
	u->next = js_cache;
	js_cache = u;

	/* the least recently used goes */
	if (n + 1 > JS_CACHE_SIZE)
	{
		for (link = &js_cache; (*link)->next; link = &(*link)->next)
			;
		unit_free(*link);
		*link = NULL;
	}
	return u;
}

/*
 * js_validate
 *		Whether instance is valid against the compiled schema; with errors
 *		not NULL, every error is appended to *errors (allocated in the
 *		caller's memory context), otherwise validation stops at the first.
 */
/*
 * run_eval
 *		Evaluate a document (instance), or an object given as keys and
 *		values (n, kv: a row), against the compiled schema.  Everything but
 *		the errors (in the caller's context) goes with the evaluation
 *		context at the end.
 */
static bool
run_eval(JsUnit *unit, Jsonb *instance, int n, JsonbValue *kv, List **errors)
{
	EvalCtx		ctx;
	JsInst		inst;
	MemoryContext old;
	bool		valid;

	if (js_eval_cxt == NULL)
		js_eval_cxt = AllocSetContextCreate(TopMemoryContext, "steward jsonschema eval",
											ALLOCSET_DEFAULT_SIZES);
	memset(&ctx, 0, sizeof(ctx));
	ctx.unit = unit;
	ctx.errors = errors;
	ctx.errcxt = CurrentMemoryContext;
	old = MemoryContextSwitchTo(js_eval_cxt);
	PG_TRY();
	{
		initStringInfo(&ctx.ipath);
		initStringInfo(&ctx.spath);
		ctx.maxscope = 8;
		ctx.scope = palloc(sizeof(JsResource *) * ctx.maxscope);
		if (instance != NULL)
		{
			JsonbValue	root;

			jsonb_root(instance, &root);
			inst_init(&inst, &root);
		}
		else
		{
			memset(&inst, 0, sizeof(inst));
			inst.v.type = jbvNull;
			inst.type = JT_OBJECT;
			inst.is_virtual = true;
			inst.n = n;
			inst.elems = kv;
		}
		valid = eval_node(&ctx, unit->root, &inst, NULL);
	}
	PG_FINALLY();
	{
		MemoryContextSwitchTo(old);
		MemoryContextReset(js_eval_cxt);
	}
	PG_END_TRY();
	return valid;
}

bool
js_validate(JsUnit *unit, Jsonb *instance, List **errors)
{
	return run_eval(unit, instance, 0, NULL, errors);
}

/*
 * js_compile_owned, js_unit_free
 *		A compiled schema that the caller keeps (and frees), outside the
 *		cache; js_unit_uses_registry says whether a change of the registry
 *		makes it stale.
 */
JsUnit *
js_compile_owned(Jsonb *schema, int options)
{
	return js_compile(schema, options,
					  hash_bytes((const unsigned char *) schema, VARSIZE(schema)) ^ options);
}

void
js_unit_free(JsUnit *unit)
{
	unit_free(unit);
}

bool
js_unit_uses_registry(JsUnit *unit)
{
	return unit->uses_registry;
}

/*
 * js_validate_object
 *		As js_validate, for an object given as n keys (in jsonb order:
 *		shorter first, then bytewise; no duplicates) and their values.
 */
bool
js_validate_object(JsUnit *unit, int n, JsonbValue *keys_values, List **errors)
{
	return run_eval(unit, NULL, n, keys_values, errors);
}

/*
 * js_parse_options
 *		The options jsonb ({"draft": "7" | "2020-12", "format": "assert" |
 *		"annotate"}) as JS_OPT_ flags.
 */
int
js_parse_options(Jsonb *options)
{
	JsonbValue	root;
	JsonbValue *e;
	int			n;
	int			i;
	int			flags = 0;

	if (options == NULL)
		return 0;
	jsonb_root(options, &root);
	if (root.type == jbvNull)
		return 0;
	if (!is_object(&root))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("JSON Schema options must be a JSON object")));
	n = jc_size(root.val.binary.data);
	e = jc_elements(root.val.binary.data);
	for (i = 0; i < n; i++)
	{
		char	   *key = pnstrdup(e[i].val.string.val, e[i].val.string.len);
		JsonbValue *v = &e[n + i];
		char	   *val = v->type == jbvString ? pnstrdup(v->val.string.val, v->val.string.len) : NULL;

		if (strcmp(key, "draft") == 0 && val &&
			(strcmp(val, "7") == 0 || strcmp(val, "draft7") == 0 || strcmp(val, "draft-07") == 0))
			flags |= JS_OPT_DRAFT7;
		else if (strcmp(key, "draft") == 0 && val &&
				 (strcmp(val, "2020-12") == 0 || strcmp(val, "draft2020-12") == 0))
			flags &= ~JS_OPT_DRAFT7;
		else if (strcmp(key, "format") == 0 && val && strcmp(val, "annotate") == 0)
			flags |= JS_OPT_FORMAT_ANNOTATE;
		else if (strcmp(key, "format") == 0 && val && strcmp(val, "assert") == 0)
			flags &= ~JS_OPT_FORMAT_ANNOTATE;
		else if (strcmp(key, "draft") == 0 || strcmp(key, "format") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for JSON Schema option \"%s\"", key),
					 errhint("Options are {\"draft\": \"2020-12\" | \"7\", \"format\": \"assert\" | \"annotate\"}.")));
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unrecognized JSON Schema option \"%s\"", key),
					 errhint("Options are {\"draft\": \"2020-12\" | \"7\", \"format\": \"assert\" | \"annotate\"}.")));
	}
	return flags;
}

PG_FUNCTION_INFO_V1(steward_jsonschema_is_valid);

/*
 * steward_jsonschema_is_valid
 *		jsonschema_is_valid(schema jsonb, instance jsonb, options jsonb
 *		DEFAULT NULL) returns boolean.
 */
Datum
steward_jsonschema_is_valid(PG_FUNCTION_ARGS)
{
	Jsonb	   *schema;
	Jsonb	   *instance;
	int			options;
	JsUnit	   *unit;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	schema = PG_GETARG_JSONB_P(0);
	instance = PG_GETARG_JSONB_P(1);
	options = (PG_NARGS() > 2 && !PG_ARGISNULL(2)) ? js_parse_options(PG_GETARG_JSONB_P(2)) : 0;
	unit = js_compile_cached(schema, options);
	PG_RETURN_BOOL(js_validate(unit, instance, NULL));
}

PG_FUNCTION_INFO_V1(steward_jsonschema_errors);

/*
 * steward_jsonschema_errors
 *		jsonschema_errors(schema jsonb, instance jsonb, options jsonb DEFAULT
 *		NULL) returns table (instance_path text, schema_path text, keyword
 *		text, message text): every error, none when the instance is valid.
 */
Datum
steward_jsonschema_errors(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Jsonb	   *schema;
	Jsonb	   *instance;
	int			options;
	JsUnit	   *unit;
	List	   *errors = NIL;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		return (Datum) 0;
	schema = PG_GETARG_JSONB_P(0);
	instance = PG_GETARG_JSONB_P(1);
	options = (PG_NARGS() > 2 && !PG_ARGISNULL(2)) ? js_parse_options(PG_GETARG_JSONB_P(2)) : 0;
	unit = js_compile_cached(schema, options);
	(void) js_validate(unit, instance, &errors);
	foreach(lc, errors)
	{
		JsError    *e = lfirst(lc);
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = CStringGetTextDatum(e->instance_path);
		values[1] = CStringGetTextDatum(e->schema_path);
		values[2] = CStringGetTextDatum(e->keyword);
		values[3] = CStringGetTextDatum(e->message);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(steward_jsonschema_check);

/*
 * steward_jsonschema_check
 *		jsonschema_check(schema jsonb, options jsonb DEFAULT NULL) returns
 *		void: compile the schema (and what it refers to), raising 22023 if
 *		it is not a valid schema.
 */
Datum
steward_jsonschema_check(PG_FUNCTION_ARGS)
{
	int			options;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the schema must not be NULL")));
	options = (PG_NARGS() > 1 && !PG_ARGISNULL(1)) ? js_parse_options(PG_GETARG_JSONB_P(1)) : 0;
	(void) js_compile_cached(PG_GETARG_JSONB_P(0), options);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(steward_jsonschema_registry_changed);

/*
 * steward_jsonschema_registry_changed
 *		Statement trigger on steward.jsonschema_registry: every backend
 *		forgets the compiled schemas that read the registry.
 */
Datum
steward_jsonschema_registry_changed(PG_FUNCTION_ARGS)
{
	Oid			relid = registry_relid();

	if (OidIsValid(relid))
		CacheInvalidateRelcacheByRelid(relid);
	PG_RETURN_POINTER(NULL);
}
