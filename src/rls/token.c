/*-------------------------------------------------------------------------
 *
 * token.c
 *	  Verified context: establish the session context from a signed JSON
 *	  Web Token (RFC 7519, JWS compact serialization, RFC 7515).
 *
 * steward.context_from_token(token) checks the signature with a key that
 * only superusers can set (steward.jwt_secret for HS256/384/512,
 * steward.jwt_public_key for RS256/384/512 and ES256/384), checks exp, nbf,
 * and optionally iss and aud, maps the claims onto the context (sub -> user
 * id, a configurable claim -> tenant, a configurable claim -> roles, every
 * claim -> claims), and locks the context for the rest of the transaction.
 *
 * The algorithm named in the token's header only selects among the keys
 * configured, and each key serves only its own family: an HS256 token is
 * never checked against an RSA public key (the classic algorithm-confusion
 * attack), and "none" is never accepted.  Every rejection is SQLSTATE 28000
 * with a message that names the reason but never the token's contents.
 *
 * HMAC uses PostgreSQL's own implementation (common/hmac.h); RSA and ECDSA
 * use OpenSSL's libcrypto, which PostgreSQL itself is linked with.
 *
 * Optionally (steward.context_fallback = 'postgrest'), when no context is
 * set the accessors read the claims PostgREST puts in request.jwt.claims.
 * That parameter can be SET by any role, so the fallback is forgeable and
 * off by default.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/hmac.h"
#include "common/jsonapi.h"
#include "common/sha2.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "pg_steward.h"
#include "common/config.h"
#include "context/context.h"

/* Longest token accepted, in bytes. */
#define TOKEN_MAX_BYTES		16384

/* Shortest HMAC secret accepted (RFC 7518 3.2: at least the hash size). */
#define SECRET_MIN_BYTES	32

/* Settings */
static char *jwt_secret = NULL;
static char *jwt_public_key = NULL;
static int	jwt_leeway = 30;
static char *jwt_issuer = NULL;
static char *jwt_audience = NULL;
static char *jwt_user_claim = NULL;
static char *jwt_tenant_claim = NULL;
static char *jwt_roles_claim = NULL;
static bool jwt_require_exp = true;
static int	context_fallback = 0;

enum
{
	FALLBACK_NONE,
	FALLBACK_POSTGREST
};

static const struct config_enum_entry fallback_options[] = {
	{"none", FALLBACK_NONE, false},
	{"postgrest", FALLBACK_POSTGREST, false},
	{NULL, 0, false}
};

/* The parsed public key, and the text it was parsed from. */
static EVP_PKEY *public_key = NULL;
static char *public_key_text = NULL;

/* The fallback context, and the request.jwt.claims text it came from. */
static StewardContext *fallback_ctx = NULL;
static char *fallback_text = NULL;

typedef enum TokenAlg
{
	ALG_HS256, ALG_HS384, ALG_HS512,
	ALG_RS256, ALG_RS384, ALG_RS512,
	ALG_ES256, ALG_ES384
} TokenAlg;

static const struct
{
	const char *name;
	TokenAlg	alg;
} token_algs[] = {
	{"HS256", ALG_HS256}, {"HS384", ALG_HS384}, {"HS512", ALG_HS512},
	{"RS256", ALG_RS256}, {"RS384", ALG_RS384}, {"RS512", ALG_RS512},
	{"ES256", ALG_ES256}, {"ES384", ALG_ES384},
};

/*
 * token_reject
 *		Refuse a token: 28000, a reason, never the token's contents.
 */
static void
token_reject(const char *reason)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
			 errmsg("invalid token: %s", reason)));
}

/* ----------------------------------------------------------------
 *		Decoding
 * ----------------------------------------------------------------
 */

/*
 * b64url_value
 *		The 6-bit value of a base64url character, or -1.
 */
static int
b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * b64url_decode
 *		Decode unpadded base64url (RFC 7515 section 2).  Returns false on any
 *		character outside the alphabet, on padding, and on a length that no
 *		encoding produces.
 */
static bool
b64url_decode(const char *src, int len, uint8 **out, int *outlen)
{
	uint8	   *dst;
	int			n = 0;
	uint32		acc = 0;
	int			bits = 0;
	int			i;

	if (len % 4 == 1)
		return false;
	dst = palloc(len * 3 / 4 + 1);
	for (i = 0; i < len; i++)
	{
		int			v = b64url_value(src[i]);

		if (v < 0)
			return false;
		acc = (acc << 6) | v;
		bits += 6;
		if (bits >= 8)
		{
			bits -= 8;
			dst[n++] = (uint8) (acc >> bits);
		}
	}
	/* leftover bits of the last character must be zero (canonical form) */
	if ((acc & ((1 << bits) - 1)) != 0)
		return false;
	*out = dst;
	*outlen = n;
	return true;
}

/*
 * decode_json_object
 *		Decode a base64url segment holding a JSON object.  Malformed input is
 *		rejected before jsonb_in sees it, so no error echoes token contents.
 */
static Jsonb *
decode_json_object(const char *seg, int len, const char *what)
{
	uint8	   *raw;
	int			rawlen;
	char	   *json;
	JsonLexContext *lex;
	Jsonb	   *jb;

	if (!b64url_decode(seg, len, &raw, &rawlen))
		token_reject(psprintf("the %s is not valid base64url", what));
	json = palloc(rawlen + 1);
	memcpy(json, raw, rawlen);
	json[rawlen] = '\0';
	if (strlen(json) != (size_t) rawlen ||
		pg_verify_mbstr(GetDatabaseEncoding(), json, rawlen, true) == false)
		token_reject(psprintf("the %s is not valid text", what));

	lex = makeJsonLexContextCstringLen(json, rawlen, GetDatabaseEncoding(), true);
	if (pg_parse_json(lex, &nullSemAction) != JSON_SUCCESS)
		token_reject(psprintf("the %s is not valid JSON", what));

	/*
	 * JSON the parser accepts can still make jsonb_in throw (a number out of
	 * numeric's range, nesting beyond max_stack_depth); report that as a
	 * rejected token, not as the conversion's own error.  Only parsing runs
	 * here (memory allocation, no other resources), so no subtransaction is
	 * needed to recover.
	 */
	{
		MemoryContext oldcxt = CurrentMemoryContext;
		bool		failed = false;

		PG_TRY();
		{
			jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(oldcxt);
			FlushErrorState();
			failed = true;
			jb = NULL;
		}
		PG_END_TRY();
		if (failed)
			token_reject(psprintf("the %s cannot be represented as jsonb", what));
	}
	if (!JB_ROOT_IS_OBJECT(jb))
		token_reject(psprintf("the %s is not a JSON object", what));
	return jb;
}

/*
 * get_field
 *		A top-level field of a JSON object, or NULL.
 */
static JsonbValue *
get_field(Jsonb *jb, const char *key, JsonbValue *buf)
{
	return getKeyJsonValueFromContainer(&jb->root, key, strlen(key), buf);
}

/* ----------------------------------------------------------------
 *		Signatures
 * ----------------------------------------------------------------
 */

/*
 * equal_constant_time
 *		Compare two byte strings without an early exit.
 */
static bool
equal_constant_time(const uint8 *a, const uint8 *b, int len)
{
	volatile uint8 diff = 0;
	int			i;

	for (i = 0; i < len; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

/*
 * verify_hmac
 *		HS256/384/512 with steward.jwt_secret.
 */
static bool
verify_hmac(TokenAlg alg, const char *signing_input, int input_len,
			const uint8 *sig, int siglen)
{
	pg_cryptohash_type type;
	int			digest_len;
	uint8		digest[PG_SHA512_DIGEST_LENGTH];
	pg_hmac_ctx *ctx;
	bool		ok;

	switch (alg)
	{
		case ALG_HS256:
			type = PG_SHA256;
			digest_len = PG_SHA256_DIGEST_LENGTH;
			break;
		case ALG_HS384:
			type = PG_SHA384;
			digest_len = PG_SHA384_DIGEST_LENGTH;
			break;
		default:
			type = PG_SHA512;
			digest_len = PG_SHA512_DIGEST_LENGTH;
			break;
	}
	if (siglen != digest_len)
		return false;

	ctx = pg_hmac_create(type);
	if (ctx == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	ok = pg_hmac_init(ctx, (const uint8 *) jwt_secret, strlen(jwt_secret)) == 0 &&
		pg_hmac_update(ctx, (const uint8 *) signing_input, input_len) == 0 &&
		pg_hmac_final(ctx, digest, digest_len) == 0;
	pg_hmac_free(ctx);
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not compute the token's HMAC")));

	return equal_constant_time(digest, sig, digest_len);
}

/*
 * parse_public_key
 *		Parse a PEM public key; NULL if it is not one, or not of a kind and
 *		size this module accepts (RSA of 2048 bits or more, EC on P-256 or
 *		P-384).
 */
static EVP_PKEY *
parse_public_key(const char *pem)
{
	BIO		   *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY   *key;
	int			id;
	int			bits;

	if (bio == NULL)
		return NULL;
	key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (key == NULL)
		return NULL;

	id = EVP_PKEY_base_id(key);
	bits = EVP_PKEY_bits(key);
	if (id == EVP_PKEY_EC)
	{
		char		group[64];

		/* P-256 and P-384 only: other curves of those sizes are not ES256/384 */
		if (EVP_PKEY_get_group_name(key, group, sizeof(group), NULL) != 1 ||
			!(strcmp(group, "prime256v1") == 0 || strcmp(group, "secp384r1") == 0))
			bits = 0;
	}
	if (!((id == EVP_PKEY_RSA && bits >= 2048) ||
		  (id == EVP_PKEY_EC && (bits == 256 || bits == 384))))
	{
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}

/*
 * current_public_key
 *		steward.jwt_public_key, parsed (cached until the setting changes).
 */
static EVP_PKEY *
current_public_key(void)
{
	if (jwt_public_key == NULL || jwt_public_key[0] == '\0')
		return NULL;
	if (public_key == NULL || public_key_text == NULL ||
		strcmp(public_key_text, jwt_public_key) != 0)
	{
		if (public_key != NULL)
			EVP_PKEY_free(public_key);
		if (public_key_text != NULL)
			pfree(public_key_text);
		public_key_text = NULL;
		public_key = parse_public_key(jwt_public_key);
		if (public_key == NULL)
			return NULL;
		public_key_text = MemoryContextStrdup(TopMemoryContext, jwt_public_key);
	}
	return public_key;
}

/*
 * ecdsa_raw_to_der
 *		JWS carries an ECDSA signature as R || S (RFC 7518 3.4); OpenSSL
 *		verifies DER.  Returns the DER length, 0 on failure; *der is
 *		OPENSSL_malloc'd.
 */
static int
ecdsa_raw_to_der(const uint8 *sig, int siglen, unsigned char **der)
{
	ECDSA_SIG  *es = ECDSA_SIG_new();
	BIGNUM	   *r = BN_bin2bn(sig, siglen / 2, NULL);
	BIGNUM	   *s = BN_bin2bn(sig + siglen / 2, siglen / 2, NULL);
	int			len = 0;

	*der = NULL;
	if (es != NULL && r != NULL && s != NULL && ECDSA_SIG_set0(es, r, s) == 1)
	{
		r = s = NULL;			/* now owned by es */
		len = i2d_ECDSA_SIG(es, der);
		if (len < 0)
			len = 0;
	}
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return len;
}

/*
 * verify_public
 *		RS256/384/512 and ES256/384 with steward.jwt_public_key.  The key's
 *		type must match the algorithm family, and for ECDSA the curve must
 *		match the hash size.
 */
static bool
verify_public(TokenAlg alg, EVP_PKEY *key, const char *signing_input,
			  int input_len, const uint8 *sig, int siglen)
{
	const EVP_MD *md;
	bool		ec = (alg == ALG_ES256 || alg == ALG_ES384);
	EVP_MD_CTX *mdctx;
	unsigned char *der = NULL;
	const unsigned char *check_sig = sig;
	size_t		check_len = siglen;
	int			rc;

	switch (alg)
	{
		case ALG_RS256:
		case ALG_ES256:
			md = EVP_sha256();
			break;
		case ALG_RS384:
		case ALG_ES384:
			md = EVP_sha384();
			break;
		default:
			md = EVP_sha512();
			break;
	}

	if (ec)
	{
		int			bits = (alg == ALG_ES256) ? 256 : 384;

		if (EVP_PKEY_base_id(key) != EVP_PKEY_EC || EVP_PKEY_bits(key) != bits)
			token_reject("the token's algorithm does not match steward.jwt_public_key");
		if (siglen != 2 * (bits / 8))
			return false;
		check_len = ecdsa_raw_to_der(sig, siglen, &der);
		if (check_len == 0)
			return false;
		check_sig = der;
	}
	else if (EVP_PKEY_base_id(key) != EVP_PKEY_RSA)
		token_reject("the token's algorithm does not match steward.jwt_public_key");

	mdctx = EVP_MD_CTX_new();
	if (mdctx == NULL)
	{
		OPENSSL_free(der);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	}
	rc = EVP_DigestVerifyInit(mdctx, NULL, md, NULL, key);
	if (rc == 1)
		rc = EVP_DigestVerify(mdctx, check_sig, check_len,
							  (const unsigned char *) signing_input, input_len);
	EVP_MD_CTX_free(mdctx);
	OPENSSL_free(der);
	return rc == 1;
}

/* ----------------------------------------------------------------
 *		Claims
 * ----------------------------------------------------------------
 */

/*
 * numeric_seconds
 *		A NumericDate claim (RFC 7519 2) as seconds; false if not a number.
 */
static bool
numeric_seconds(JsonbValue *v, double *out)
{
	if (v == NULL || v->type != jbvNumeric)
		return false;
	*out = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
											  NumericGetDatum(v->val.numeric)));
	return true;
}

/*
 * claim_as_id
 *		A claim used as an identifier (user, tenant): a non-empty string, or
 *		a number written as text.  *out is jbvNull when the claim is absent
 *		or null; anything else is rejected.
 */
static void
claim_as_id(Jsonb *claims, const char *name, JsonbValue *out)
{
	JsonbValue	buf;
	JsonbValue *v = get_field(claims, name, &buf);

	out->type = jbvNull;
	if (v == NULL || v->type == jbvNull)
		return;
	if (v->type == jbvString && v->val.string.len > 0)
	{
		*out = *v;
		return;
	}
	if (v->type == jbvNumeric)
	{
		char	   *s = DatumGetCString(DirectFunctionCall1(numeric_out,
															NumericGetDatum(v->val.numeric)));

		out->type = jbvString;
		out->val.string.val = s;
		out->val.string.len = strlen(s);
		return;
	}
	token_reject(psprintf("claim \"%s\" must be a non-empty string or a number", name));
}

/*
 * claims_to_parts
 *		Map verified claims onto a context: the user and tenant claims, the
 *		roles claim (an array of strings, or one string), and every claim as
 *		the context's claims.
 */
static void
claims_to_parts(Jsonb *claims, ContextParts *parts)
{
	JsonbValue	buf;
	JsonbValue *v;

	claim_as_id(claims, jwt_user_claim, &parts->user_id);
	claim_as_id(claims, jwt_tenant_claim, &parts->tenant_id);

	parts->nroles = 0;
	parts->roles = NULL;
	v = get_field(claims, jwt_roles_claim, &buf);
	if (v != NULL && v->type == jbvString && v->val.string.len > 0)
	{
		parts->roles = palloc(sizeof(JsonbValue));
		parts->roles[0] = *v;
		parts->nroles = 1;
	}
	else if (v != NULL && v->type == jbvBinary &&
			 JsonContainerIsArray(v->val.binary.data))
	{
		int			n = JsonContainerSize(v->val.binary.data);
		int			i;

		parts->roles = palloc(sizeof(JsonbValue) * Max(n, 1));
		for (i = 0; i < n; i++)
		{
			JsonbValue *elem = getIthJsonbValueFromContainer(v->val.binary.data, i);

			if (elem->type != jbvString || elem->val.string.len == 0)
				token_reject(psprintf("claim \"%s\" must be a string or an array of non-empty strings",
									  jwt_roles_claim));
			parts->roles[parts->nroles++] = *elem;
		}
	}
	else if (v != NULL && v->type != jbvNull)
		token_reject(psprintf("claim \"%s\" must be a string or an array of non-empty strings",
							  jwt_roles_claim));

	if (JB_ROOT_COUNT(claims) == 0)
		token_reject("the token carries no claims");
	parts->claims.type = jbvBinary;
	parts->claims.val.binary.data = &claims->root;
	parts->claims.val.binary.len = VARSIZE(claims) - VARHDRSZ;
}

/*
 * check_registered_claims
 *		exp, nbf (with steward.jwt_leeway), iss and aud.
 */
static void
check_registered_claims(Jsonb *claims)
{
	JsonbValue	buf;
	JsonbValue *v;
	double		now = (double) time(NULL);
	double		t;

	v = get_field(claims, "exp", &buf);
	if (v == NULL)
	{
		if (jwt_require_exp)
			token_reject("the token has no expiry (exp)");
	}
	else if (!numeric_seconds(v, &t))
		token_reject("claim \"exp\" must be a number");
	else if (now >= t + jwt_leeway)
		token_reject("the token has expired");

	v = get_field(claims, "nbf", &buf);
	if (v != NULL)
	{
		if (!numeric_seconds(v, &t))
			token_reject("claim \"nbf\" must be a number");
		if (now + jwt_leeway < t)
			token_reject("the token is not valid yet");
	}

	if (jwt_issuer != NULL && jwt_issuer[0] != '\0')
	{
		v = get_field(claims, "iss", &buf);
		if (v == NULL || v->type != jbvString ||
			v->val.string.len != strlen(jwt_issuer) ||
			memcmp(v->val.string.val, jwt_issuer, v->val.string.len) != 0)
			token_reject("the token's issuer is not accepted");
	}

	if (jwt_audience != NULL && jwt_audience[0] != '\0')
	{
		int			alen = strlen(jwt_audience);
		bool		found = false;

		v = get_field(claims, "aud", &buf);
		if (v != NULL && v->type == jbvString)
			found = (v->val.string.len == alen &&
					 memcmp(v->val.string.val, jwt_audience, alen) == 0);
		else if (v != NULL && v->type == jbvBinary &&
				 JsonContainerIsArray(v->val.binary.data))
		{
			int			n = JsonContainerSize(v->val.binary.data);
			int			i;

			for (i = 0; i < n && !found; i++)
			{
				JsonbValue *elem = getIthJsonbValueFromContainer(v->val.binary.data, i);

				found = (elem->type == jbvString && elem->val.string.len == alen &&
						 memcmp(elem->val.string.val, jwt_audience, alen) == 0);
			}
		}
		if (!found)
			token_reject("the token's audience is not accepted");
	}
}

/*
 * verify_token
 *		Verify a compact JWS and return its claims; raise 28000 otherwise.
 */
static Jsonb *
verify_token(const char *token, int len)
{
	const char *dot1;
	const char *dot2;
	Jsonb	   *header;
	Jsonb	   *claims;
	JsonbValue	buf;
	JsonbValue *v;
	TokenAlg	alg = ALG_HS256;
	bool		known = false;
	uint8	   *sig;
	int			siglen;
	int			input_len;
	bool		valid;
	int			i;

	if (len > TOKEN_MAX_BYTES)
		token_reject(psprintf("the token is longer than %d bytes", TOKEN_MAX_BYTES));

	dot1 = memchr(token, '.', len);
	dot2 = dot1 ? memchr(dot1 + 1, '.', len - (dot1 + 1 - token)) : NULL;
	if (dot1 == NULL || dot2 == NULL ||
		memchr(dot2 + 1, '.', len - (dot2 + 1 - token)) != NULL)
		token_reject("a token has three dot-separated parts");

	header = decode_json_object(token, dot1 - token, "token header");

	v = get_field(header, "alg", &buf);
	if (v == NULL || v->type != jbvString)
		token_reject("the token header names no algorithm");
	for (i = 0; i < lengthof(token_algs); i++)
	{
		if (v->val.string.len == strlen(token_algs[i].name) &&
			memcmp(v->val.string.val, token_algs[i].name, v->val.string.len) == 0)
		{
			alg = token_algs[i].alg;
			known = true;
			break;
		}
	}
	if (!known)
	{
		if (v->val.string.len == 4 && pg_strncasecmp(v->val.string.val, "none", 4) == 0)
			token_reject("unsigned tokens (algorithm \"none\") are not accepted");
		token_reject("the token's algorithm is not supported");
	}
	if (get_field(header, "crit", &buf) != NULL)
		token_reject("the token header has critical extensions (crit), which are not supported");

	if (!b64url_decode(dot2 + 1, len - (dot2 + 1 - token), &sig, &siglen) ||
		siglen == 0)
		token_reject("the token's signature is not valid base64url");

	input_len = dot2 - token;
	if (alg == ALG_HS256 || alg == ALG_HS384 || alg == ALG_HS512)
	{
		if (jwt_secret == NULL || jwt_secret[0] == '\0')
			token_reject("HMAC tokens are not accepted: steward.jwt_secret is not set");
		valid = verify_hmac(alg, token, input_len, sig, siglen);
	}
	else
	{
		EVP_PKEY   *key = current_public_key();

		if (key == NULL)
			token_reject("signed tokens of this algorithm are not accepted: steward.jwt_public_key is not set");
		valid = verify_public(alg, key, token, input_len, sig, siglen);
	}
	if (!valid)
		token_reject("the signature does not match");

	/* only now is the payload trusted enough to look at */
	claims = decode_json_object(dot1 + 1, dot2 - (dot1 + 1), "token payload");
	check_registered_claims(claims);
	return claims;
}

PG_FUNCTION_INFO_V1(steward_context_from_token);

/*
 * steward_context_from_token
 *		context_from_token(token text) returns void
 *
 * Verify the token, establish the context it carries for the rest of the
 * transaction, and lock it.
 */
Datum
steward_context_from_token(PG_FUNCTION_ARGS)
{
	text	   *token;
	Jsonb	   *claims;
	ContextParts parts;

	/* not STRICT: a missing token is a failed authentication, not a no-op */
	if (PG_ARGISNULL(0))
		token_reject("the token is NULL");
	token = PG_GETARG_TEXT_PP(0);
	claims = verify_token(VARDATA_ANY(token), VARSIZE_ANY_EXHDR(token));
	claims_to_parts(claims, &parts);
	steward_context_apply(&parts, true,
						  "Call steward.context_from_token() inside BEGIN ... COMMIT.");
	steward_context_lock_current();
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(steward_token_claims);

/*
 * steward_token_claims
 *		token_claims(token text) returns jsonb
 *
 * Verify the token like context_from_token() and return its claims,
 * without touching the context (for tests and diagnostics).
 */
Datum
steward_token_claims(PG_FUNCTION_ARGS)
{
	text	   *token = PG_GETARG_TEXT_PP(0);
	Jsonb	   *claims;
	ContextParts parts;

	claims = verify_token(VARDATA_ANY(token), VARSIZE_ANY_EXHDR(token));
	/* the same mapping checks as context_from_token() */
	claims_to_parts(claims, &parts);
	PG_RETURN_JSONB_P(claims);
}

/* ----------------------------------------------------------------
 *		PostgREST fallback
 * ----------------------------------------------------------------
 */

/*
 * postgrest_fallback
 *		The context of request.jwt.claims when steward.context_fallback is
 *		'postgrest'.  Parsed once per distinct value; a value that does not
 *		parse or map gives no context (accessors must not fail).
 */
static const StewardContext *
postgrest_fallback(void)
{
	const char *text;
	MemoryContext oldcxt;

	if (context_fallback != FALLBACK_POSTGREST)
		return NULL;
	text = GetConfigOption("request.jwt.claims", true, false);
	if (text == NULL || text[0] == '\0')
		return NULL;
	if (fallback_text != NULL && strcmp(fallback_text, text) == 0)
		return fallback_ctx;

	if (fallback_ctx != NULL)
		free(fallback_ctx);
	if (fallback_text != NULL)
		pfree(fallback_text);
	fallback_ctx = NULL;
	fallback_text = MemoryContextStrdup(TopMemoryContext, text);

	oldcxt = CurrentMemoryContext;
	PG_TRY();
	{
		size_t		len = strlen(text);
		JsonLexContext *lex = makeJsonLexContextCstringLen((char *) text, len,
														   GetDatabaseEncoding(), true);

		if (len <= STEWARD_CONTEXT_MAX_BYTES &&
			pg_parse_json(lex, &nullSemAction) == JSON_SUCCESS)
		{
			Jsonb	   *claims = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
																	CStringGetDatum(text)));

			if (JB_ROOT_IS_OBJECT(claims))
			{
				ContextParts parts;

				claims_to_parts(claims, &parts);
				fallback_ctx = steward_context_build(&parts);
			}
		}
	}
	PG_CATCH();
	{
		/*
		 * Claims that do not parse or map give no context, and accessors
		 * never fail: the error is dropped.  Only parsing ran (memory
		 * allocation, no other resources), so no subtransaction is needed.
		 */
		MemoryContextSwitchTo(oldcxt);
		FlushErrorState();
		fallback_ctx = NULL;
	}
	PG_END_TRY();

	return fallback_ctx;
}

/* ----------------------------------------------------------------
 *		Settings
 * ----------------------------------------------------------------
 */

/*
 * check_jwt_secret
 *		An HMAC secret shorter than the hash is refused (RFC 7518 3.2).
 */
static bool
check_jwt_secret(char **newval, void **extra, GucSource source)
{
	size_t		len = strlen(*newval);

	if (!steward_check_secret_setting(newval, extra, source))
		return false;
	if (len > 0 && len < SECRET_MIN_BYTES)
	{
		GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
		GUC_check_errmsg("steward.jwt_secret must be at least %d bytes long", SECRET_MIN_BYTES);
		return false;
	}
	return true;
}

/*
 * check_jwt_public_key
 *		The key must parse as a PEM public key of an accepted kind.
 */
static bool
check_jwt_public_key(char **newval, void **extra, GucSource source)
{
	EVP_PKEY   *key;

	if ((*newval)[0] == '\0')
		return true;
	key = parse_public_key(*newval);
	if (key == NULL)
	{
		GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
		GUC_check_errmsg("steward.jwt_public_key is not a usable PEM public key");
		GUC_check_errdetail("Accepted are RSA keys of 2048 bits or more and EC keys on P-256 or P-384.");
		return false;
	}
	EVP_PKEY_free(key);
	return true;
}

/*
 * check_claim_name
 *		Claim names must not be empty.
 */
static bool
check_claim_name(char **newval, void **extra, GucSource source)
{
	if ((*newval)[0] == '\0')
	{
		GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
		GUC_check_errmsg("a claim name must not be empty");
		return false;
	}
	return true;
}

/*
 * steward_token_init
 *		Define the token settings; called by _PG_init.
 */
void
steward_token_init(void)
{
	DefineCustomStringVariable("steward.jwt_secret",
							   "Secret for HMAC-signed tokens (HS256/384/512); at least 32 bytes.",
							   "Only superusers can set or read it.",
							   &jwt_secret, "",
							   PGC_SUSET,
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							   check_jwt_secret, NULL, NULL);
	DefineCustomStringVariable("steward.jwt_public_key",
							   "PEM public key for RSA and ECDSA tokens (RS256/384/512, ES256/384).",
							   NULL,
							   &jwt_public_key, "",
							   PGC_SUSET, GUC_NOT_IN_SAMPLE,
							   check_jwt_public_key, NULL, NULL);
	DefineCustomIntVariable("steward.jwt_leeway",
							"Clock skew allowed when checking exp and nbf.",
							NULL,
							&jwt_leeway, 30, 0, 3600,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomStringVariable("steward.jwt_issuer",
							   "Issuer (iss) a token must name; empty: not checked.",
							   NULL,
							   &jwt_issuer, "",
							   PGC_SUSET, 0,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("steward.jwt_audience",
							   "Audience (aud) a token must include; empty: not checked.",
							   NULL,
							   &jwt_audience, "",
							   PGC_SUSET, 0,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("steward.jwt_user_claim",
							   "Claim that holds the user id.",
							   NULL,
							   &jwt_user_claim, "sub",
							   PGC_SUSET, 0,
							   check_claim_name, NULL, NULL);
	DefineCustomStringVariable("steward.jwt_tenant_claim",
							   "Claim that holds the tenant id.",
							   NULL,
							   &jwt_tenant_claim, "tenant_id",
							   PGC_SUSET, 0,
							   check_claim_name, NULL, NULL);
	DefineCustomStringVariable("steward.jwt_roles_claim",
							   "Claim that holds the roles (an array of strings, or one string).",
							   NULL,
							   &jwt_roles_claim, "roles",
							   PGC_SUSET, 0,
							   check_claim_name, NULL, NULL);
	DefineCustomBoolVariable("steward.jwt_require_exp",
							 "Reject tokens without an expiry (exp).",
							 NULL,
							 &jwt_require_exp, true,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);
	DefineCustomEnumVariable("steward.context_fallback",
							 "Where accessors look when no context is set: none, or postgrest (request.jwt.claims, which any role can SET).",
							 NULL,
							 &context_fallback, FALLBACK_NONE, fallback_options,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);

	steward_context_fallback_hook = postgrest_fallback;
}
