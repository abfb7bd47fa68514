package dev.arbor.backend.anon;

import dev.arbor.backend.anon.Functions.Fn;
import dev.arbor.backend.anon.Functions.Param;
import dev.arbor.backend.anon.Functions.Typed;
import dev.arbor.backend.anon.MaskingException.Kind;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Binds a parsed expression to Arbor's function implementations and a table's columns: resolves names,
 * matches positional/named arguments, checks argument types, folds constants. All errors are
 * {@link MaskingException}s that name the rule's column and the offending function.
 */
final class ExprCompiler {
    /** The table a rule applies to: its copied columns, the masked column, and the project key. */
    record Scope(String table, List<ColumnInfo> columns, ColumnInfo target, MaskingKey key, boolean anyColumn) {
        Scope(String table, List<ColumnInfo> columns, ColumnInfo target, MaskingKey key) {
            this(table, columns, target, key, false);
        }

        ColumnInfo column(String name) {
            for (ColumnInfo c : columns) if (c.name().equals(name)) return c;
            // schema-less checks: any other name is a column of unknown type
            return anyColumn ? new ColumnInfo(name, columns.size(), "unknown", ValueKind.UNKNOWN, false, -1, "unknown") : null;
        }
    }

    private final Scope scope;
    private final String where; // "rule for db.schema.table.column"

    ExprCompiler(Scope scope, String where) {
        this.scope = scope;
        this.where = where;
    }

    Typed compile(Expr e) throws MaskingException {
        return switch (e) {
            case Expr.StringLit s -> new Typed(new Eval.Const(s.value()), ValueKind.UNKNOWN, false, false);
            case Expr.NumberLit n -> n.value().scale() <= 0 && !n.text().contains(".") && !n.text().toLowerCase(Locale.ROOT).contains("e")
                    ? new Typed(new Eval.Const(n.value().longValueExact()), ValueKind.INT, false, false)
                    : new Typed(new Eval.Const(n.value()), ValueKind.NUMERIC, false, false);
            case Expr.BoolLit b -> new Typed(new Eval.Const(b.value() ? "t" : "f"), ValueKind.BOOL, false, false);
            case Expr.NullLit ignored -> new Typed(new Eval.Const(null), ValueKind.NULL, false, false);
            case Expr.Negate neg -> {
                Typed v = compile(neg.value());
                if (!v.kind().isNumber()) throw error(Kind.TYPE_MISMATCH, "unary minus needs a number, got " + v.kind().sqlName());
                Eval inner = v.eval();
                yield new Typed(row -> { Object x = inner.eval(row); return x == null ? null : Values.asDecimal(x).negate(); },
                        ValueKind.NUMERIC, v.readsOtherColumns(), false);
            }
            case Expr.ColumnRef c -> column(c);
            case Expr.Cast c -> cast(c);
            case Expr.ArrayLit a -> array(a);
            case Expr.Call call -> call(call);
        };
    }

    private Typed column(Expr.ColumnRef ref) throws MaskingException {
        if (ref.parts().size() > 3) throw error(Kind.UNKNOWN_OBJECT, "bad column reference " + String.join(".", ref.parts()));
        if (ref.parts().size() >= 2) {
            String table = ref.parts().get(ref.parts().size() - 2);
            String bare = scope.table().contains(".") ? scope.table().substring(scope.table().indexOf('.') + 1) : scope.table();
            if (!table.equals(bare)) {
                throw error(Kind.UNKNOWN_OBJECT, "column reference " + String.join(".", ref.parts())
                        + " names another table; masking functions can only read columns of " + scope.table());
            }
        }
        ColumnInfo col = scope.column(ref.column());
        if (col == null) {
            throw error(Kind.UNKNOWN_OBJECT, "column \"" + ref.column() + "\" does not exist in table " + scope.table()
                    + " (columns: " + String.join(", ", scope.columns().stream().map(ColumnInfo::name).toList()) + ")");
        }
        int idx = col.index();
        boolean self = idx == scope.target().index();
        Eval ev = self ? Eval.RowView::subject : row -> row.column(idx);
        return new Typed(ev, col.kind(), !self, false);
    }

    private Typed cast(Expr.Cast c) throws MaskingException {
        Typed v = compile(c.value());
        ValueKind to = switch (c.type().replace("pg_catalog.", "")) {
            case "text", "varchar", "character varying", "char", "character", "bpchar", "name", "citext" -> ValueKind.TEXT;
            case "int", "int2", "int4", "int8", "integer", "bigint", "smallint" -> ValueKind.INT;
            case "numeric", "decimal" -> ValueKind.NUMERIC;
            case "float4", "float8", "real", "double precision", "float" -> ValueKind.FLOAT;
            case "date" -> ValueKind.DATE;
            case "timestamp", "timestamp without time zone" -> ValueKind.TIMESTAMP;
            case "timestamptz", "timestamp with time zone" -> ValueKind.TIMESTAMPTZ;
            case "interval" -> ValueKind.INTERVAL;
            case "uuid" -> ValueKind.UUID;
            case "bool", "boolean" -> ValueKind.BOOL;
            case "inet" -> ValueKind.INET;
            default -> throw error(Kind.TYPE_MISMATCH, "cast to unsupported type " + c.type());
        };
        Eval inner = v.eval();
        Eval conv = row -> convert(inner.eval(row), to);
        if (v.isConst()) {
            try {
                return new Typed(new Eval.Const(convert(v.constValue(), to)), to, false, false);
            } catch (IllegalArgumentException ex) {
                throw error(Kind.TYPE_MISMATCH, "cannot cast " + Values.text(v.constValue()) + " to " + c.type() + ": " + ex.getMessage());
            }
        }
        return new Typed(conv, to, v.readsOtherColumns(), v.injective());
    }

    private static Object convert(Object v, ValueKind to) {
        if (v == null) return null;
        return switch (to) {
            case INT -> Values.asLong(v);
            case NUMERIC -> Values.asDecimal(v);
            case FLOAT -> Values.asDecimal(v).doubleValue();
            case DATE, TIMESTAMP, TIMESTAMPTZ -> Values.asDateTime(v);
            case INTERVAL -> Values.asInterval(v);
            case UUID -> java.util.UUID.fromString(Values.text(v)).toString();
            default -> Values.text(v);
        };
    }

    private Typed array(Expr.ArrayLit a) throws MaskingException {
        List<Object> items = new ArrayList<>();
        ValueKind kind = ValueKind.UNKNOWN;
        for (Expr el : a.elements()) {
            Typed t = compile(el);
            if (!t.isConst()) throw error(Kind.BAD_ARGUMENTS, "ARRAY[...] elements must be constants");
            items.add(t.constValue());
            if (t.kind() != ValueKind.NULL && t.kind() != ValueKind.UNKNOWN) kind = t.kind();
        }
        return new Typed(new Eval.Const(items.toArray()), kind, false, false);
    }

    private Typed call(Expr.Call call) throws MaskingException {
        String schema = call.schema();
        if (schema != null && !schema.equals("anon") && !schema.equals("pg_catalog")) {
            throw error(Kind.UNKNOWN_FUNCTION, "function " + call.qualifiedName() + "() is not allowed: masking rules may only call"
                    + " anon.* functions and trusted pg_catalog functions");
        }
        Fn fn = Functions.lookup(schema, call.name());
        if (fn == null) {
            List<String> close = Functions.closeMatches(call.name());
            throw error(Kind.UNKNOWN_FUNCTION, "unknown masking function " + call.qualifiedName() + "()"
                    + (close.isEmpty() ? "; supported functions are listed in docs (e.g. anon.dummy_first_name, anon.hash, anon.partial)"
                    : "; did you mean " + String.join(", ", close) + "?"));
        }
        List<Expr> bound = bind(fn, call);
        List<Typed> args = new ArrayList<>();
        for (int k = 0; k < bound.size(); k++) {
            Param p = fn.variadic() ? Param.req("value", Functions.PType.ANY) : fn.params().get(k);
            Expr argExpr = bound.get(k);
            Typed t = argExpr == null ? new Typed(new Eval.Const(p.defaultValue()), p.defaultValue() == null ? ValueKind.NULL
                    : p.defaultValue() instanceof Long ? ValueKind.INT : ValueKind.UNKNOWN, false, false) : compile(argExpr);
            args.add(check(fn, k, p, t));
        }
        boolean readsOthers = args.stream().anyMatch(Typed::readsOtherColumns);
        boolean injective = fn.injective() || (fn.qualifiedName().equals("pg_catalog.concat")
                && args.stream().filter(Typed::injective).count() == 1
                && args.stream().allMatch(t -> t.injective() || t.isConst()));
        Eval ev = fn.impl().make(args, scope.key());
        String fname = fn.qualifiedName();
        Eval guarded = row -> {
            try {
                return ev.eval(row);
            } catch (IllegalArgumentException | ArithmeticException ex) {
                throw new MaskingRuntimeException(fname + "() failed on a value of " + scope.table() + "." + scope.target().name()
                        + ": " + ex.getMessage());
            }
        };
        return new Typed(guarded, fn.result().apply(args), readsOthers, injective);
    }

    /** Matches positional then named arguments to parameters; null entries take the parameter default. */
    private List<Expr> bind(Fn fn, Expr.Call call) throws MaskingException {
        if (fn.variadic()) {
            for (Expr.Arg a : call.args()) {
                if (a.name() != null) throw badArgs(fn, "takes no named arguments");
            }
            if (call.args().isEmpty()) throw badArgs(fn, "needs at least one argument");
            return call.args().stream().map(Expr.Arg::value).toList();
        }
        List<Param> ps = fn.params();
        Expr[] slots = new Expr[ps.size()];
        int pos = 0;
        boolean named = false;
        for (Expr.Arg a : call.args()) {
            if (a.name() == null) {
                if (named) throw badArgs(fn, "positional argument after a named one");
                if (pos >= ps.size()) throw badArgs(fn, "expects " + arity(fn) + " but got " + call.args().size());
                slots[pos++] = a.value();
            } else {
                named = true;
                int k = -1;
                for (int j = 0; j < ps.size(); j++) if (ps.get(j).name().equals(a.name())) k = j;
                if (k < 0) throw badArgs(fn, "has no parameter named \"" + a.name() + "\"");
                if (slots[k] != null) throw badArgs(fn, "parameter \"" + a.name() + "\" given twice");
                slots[k] = a.value();
            }
        }
        for (int j = 0; j < ps.size(); j++) {
            if (slots[j] == null && !ps.get(j).optional()) {
                throw badArgs(fn, "expects " + arity(fn) + " but got " + call.args().size() + " (missing " + ps.get(j).name() + ")");
            }
        }
        return Arrays.asList(slots);
    }

    private static String arity(Fn fn) {
        int req = fn.required(), all = fn.params().size();
        String n = req == all ? req + " argument" + (req == 1 ? "" : "s") : req + " to " + all + " arguments";
        return n;
    }

    private MaskingException badArgs(Fn fn, String what) {
        return error(Kind.BAD_ARGUMENTS, fn.qualifiedName() + "() " + what + "; signature: " + fn.signature());
    }

    private Typed check(Fn fn, int k, Param p, Typed t) throws MaskingException {
        ValueKind kd = t.kind();
        String which = "argument " + (k + 1) + (fn.variadic() ? "" : " (" + p.name() + ")") + " of " + fn.qualifiedName() + "()";
        boolean ok = switch (p.type()) {
            case ANY, TEXT -> true;
            case INT -> kd == ValueKind.INT || kd == ValueKind.NULL || kd == ValueKind.UNKNOWN && parses(t, Values::asLong);
            case NUMBER -> kd.isNumber() || kd == ValueKind.NULL || kd == ValueKind.UNKNOWN && parses(t, Values::asDecimal);
            case DATETIME -> kd.isDateTime() || kd == ValueKind.NULL || kd == ValueKind.UNKNOWN && parses(t, Values::asDateTime);
            case INTERVAL -> kd == ValueKind.INTERVAL || kd == ValueKind.UNKNOWN && parses(t, Values::asInterval);
            case ARRAY -> t.isConst() && t.constValue() instanceof Object[];
        };
        if (!ok) {
            String got = t.isConst() ? "'" + Values.text(t.constValue()) + "'" : "a value of type " + kd.sqlName();
            String want = switch (p.type()) {
                case INT -> "an integer"; case NUMBER -> "a number"; case DATETIME -> "a date or timestamp";
                case INTERVAL -> "an interval such as '1 day'"; case ARRAY -> "a constant ARRAY[...]"; default -> "a value";
            };
            throw error(Kind.TYPE_MISMATCH, which + " must be " + want + ", got " + got + "; signature: " + fn.signature());
        }
        if (kd == ValueKind.UNKNOWN && t.isConst() && t.constValue() != null) { // fold the literal once
            Object folded = switch (p.type()) {
                case INT -> Values.asLong(t.constValue());
                case NUMBER -> Values.asDecimal(t.constValue());
                case DATETIME -> Values.asDateTime(t.constValue());
                case INTERVAL -> Values.asInterval(t.constValue());
                default -> t.constValue();
            };
            ValueKind fk = switch (p.type()) {
                case INT -> ValueKind.INT; case NUMBER -> ValueKind.NUMERIC; case INTERVAL -> ValueKind.INTERVAL;
                case DATETIME -> folded instanceof java.time.LocalDate ? ValueKind.DATE : ValueKind.TIMESTAMP;
                default -> ValueKind.UNKNOWN;
            };
            return new Typed(new Eval.Const(folded), fk, false, false);
        }
        return t;
    }

    private static boolean parses(Typed t, java.util.function.Function<Object, Object> parser) {
        if (!t.isConst()) return true; // a column of text type: checked per row
        try {
            parser.apply(t.constValue());
            return true;
        } catch (IllegalArgumentException | ArithmeticException e) {
            return false;
        }
    }

    MaskingException error(Kind kind, String msg) {
        return new MaskingException(kind, where + ": " + msg);
    }
}
