/*-------------------------------------------------------------------------
 *
 * expr.c
 *	  What a stored expression (a policy's USING or WITH CHECK) calls and
 *	  reads, for the RLS linter.
 *
 * The linter works from the catalogs, not from deparsed text: it hands the
 * pg_node_tree of pg_policy.polqual / polwithcheck to these functions,
 * which walk the expression tree.  A function call inside a sub-select is
 * reported with in_subquery = true: (SELECT f()) runs once per query as an
 * initplan, while a bare f() runs once per row; reads_row says whether the
 * call's arguments read a column of the expression's own table (a call
 * that does not could be hoisted into a sub-select, one that does cannot).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "nodes/nodeFuncs.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"

typedef struct ExprFuncsState
{
	List	   *funcs;			/* OIDs, in visit order */
	List	   *in_sub;			/* parallel list: 1 if inside a sub-select */
	List	   *reads_row;		/* parallel list: 1 if its arguments read the row */
	int			sublevel;		/* depth of sub-selects around the node */
} ExprFuncsState;

typedef struct OwnVarState
{
	int			levelsup;		/* varlevelsup of the table at this depth */
} OwnVarState;

typedef struct ExprColsState
{
	Bitmapset  *attnos;			/* columns read outside sub-selects */
	Bitmapset  *sub_attnos;		/* columns read from inside sub-selects */
	int			sublevel;
} ExprColsState;

static bool expr_funcs_walker(Node *node, ExprFuncsState *state);
static bool expr_cols_walker(Node *node, ExprColsState *state);

/*
 * own_var_walker
 *		Whether an expression reads a column of the expression's own table
 *		(range table entry 1 of the outermost query level).
 */
static bool
own_var_walker(Node *node, OwnVarState *state)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
	{
		Var		   *var = (Var *) node;

		return var->varno == 1 && var->varlevelsup == state->levelsup;
	}
	if (IsA(node, Query))
	{
		bool		result;

		state->levelsup++;
		result = query_tree_walker((Query *) node, own_var_walker, (void *) state, 0);
		state->levelsup--;
		return result;
	}
	return expression_tree_walker(node, own_var_walker, (void *) state);
}

/*
 * note_func
 *		Record one function call, with whether its arguments read the row.
 */
static void
note_func(ExprFuncsState *state, Oid funcid, Node *call)
{
	OwnVarState own = {state->sublevel};
	bool		reads_row;

	if (!OidIsValid(funcid))
		return;
	/* the call node's children are its arguments (and filters) */
	reads_row = expression_tree_walker(call, own_var_walker, (void *) &own);
	state->funcs = lappend_oid(state->funcs, funcid);
	state->in_sub = lappend_int(state->in_sub, state->sublevel > 0);
	state->reads_row = lappend_int(state->reads_row, reads_row);
}

/*
 * expr_funcs_walker
 *		Collect the functions an expression calls, directly or through
 *		operators, including those in sub-selects.
 */
static bool
expr_funcs_walker(Node *node, ExprFuncsState *state)
{
	if (node == NULL)
		return false;

	switch (nodeTag(node))
	{
		case T_FuncExpr:
			note_func(state, ((FuncExpr *) node)->funcid, node);
			break;
		case T_OpExpr:
		case T_DistinctExpr:
		case T_NullIfExpr:
			set_opfuncid((OpExpr *) node);
			note_func(state, ((OpExpr *) node)->opfuncid, node);
			break;
		case T_ScalarArrayOpExpr:
			set_sa_opfuncid((ScalarArrayOpExpr *) node);
			note_func(state, ((ScalarArrayOpExpr *) node)->opfuncid, node);
			break;
		case T_Aggref:
			note_func(state, ((Aggref *) node)->aggfnoid, node);
			break;
		case T_WindowFunc:
			note_func(state, ((WindowFunc *) node)->winfnoid, node);
			break;
		case T_Query:
			{
				bool		result;

				state->sublevel++;
				result = query_tree_walker((Query *) node, expr_funcs_walker,
										   (void *) state, 0);
				state->sublevel--;
				return result;
			}
		default:
			break;
	}
	return expression_tree_walker(node, expr_funcs_walker, (void *) state);
}

/*
 * expr_cols_walker
 *		Collect the columns of the expression's own relation (varno 1 at
 *		the top level, or the same relation referenced as an outer
 *		reference from a sub-select).
 */
static bool
expr_cols_walker(Node *node, ExprColsState *state)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
	{
		Var		   *var = (Var *) node;

		if (var->varno == 1 && var->varlevelsup == state->sublevel &&
			var->varattno > 0)
		{
			if (state->sublevel == 0)
				state->attnos = bms_add_member(state->attnos, var->varattno);
			else
				state->sub_attnos = bms_add_member(state->sub_attnos, var->varattno);
		}
		return false;
	}
	if (IsA(node, Query))
	{
		bool		result;

		state->sublevel++;
		result = query_tree_walker((Query *) node, expr_cols_walker,
								   (void *) state, 0);
		state->sublevel--;
		return result;
	}
	return expression_tree_walker(node, expr_cols_walker, (void *) state);
}

/*
 * node_from_arg
 *		The expression stored in a pg_node_tree argument.
 */
static Node *
node_from_arg(FunctionCallInfo fcinfo)
{
	char	   *str = text_to_cstring(PG_GETARG_TEXT_PP(0));

	return (Node *) stringToNode(str);
}

PG_FUNCTION_INFO_V1(steward_expr_functions);

/*
 * steward_expr_functions
 *		expr_functions(expr pg_node_tree)
 *			returns table (funcid regprocedure, in_subquery boolean,
 *						   reads_row boolean)
 *
 * One row per function call in the expression (a function called twice
 * gives two rows).
 */
Datum
steward_expr_functions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ExprFuncsState state = {NIL, NIL, NIL, 0};
	ListCell   *lf,
			   *ls,
			   *lr;

	InitMaterializedSRF(fcinfo, 0);
	(void) expr_funcs_walker(node_from_arg(fcinfo), &state);

	forthree(lf, state.funcs, ls, state.in_sub, lr, state.reads_row)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = ObjectIdGetDatum(lfirst_oid(lf));
		values[1] = BoolGetDatum(lfirst_int(ls) != 0);
		values[2] = BoolGetDatum(lfirst_int(lr) != 0);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(steward_expr_columns);

/*
 * put_columns
 *		Emit one row per member of a set of column numbers.
 */
static void
put_columns(ReturnSetInfo *rsinfo, Bitmapset *attnos, bool in_sub)
{
	int			attno = -1;

	while ((attno = bms_next_member(attnos, attno)) >= 0)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = Int16GetDatum((int16) attno);
		values[1] = BoolGetDatum(in_sub);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/*
 * steward_expr_columns
 *		expr_columns(expr pg_node_tree)
 *			returns table (attnum smallint, in_subquery boolean)
 *
 * The columns of the expression's own table that it reads, once for the
 * expression itself and once for sub-selects that refer to them.
 */
Datum
steward_expr_columns(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ExprColsState state = {NULL, NULL, 0};

	InitMaterializedSRF(fcinfo, 0);
	(void) expr_cols_walker(node_from_arg(fcinfo), &state);
	put_columns(rsinfo, state.attnos, false);
	put_columns(rsinfo, state.sub_attnos, true);
	return (Datum) 0;
}
