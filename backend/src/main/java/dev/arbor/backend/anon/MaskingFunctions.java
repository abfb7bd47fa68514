package dev.arbor.backend.anon;

import java.util.ArrayList;
import java.util.List;

/** The public face of the function catalog: what rules may call, and a schema-less check of rules. */
public final class MaskingFunctions {
    private MaskingFunctions() {}

    /** Every supported function with its parameters, e.g. {@code anon.partial(ov text, prefix int, padding text, suffix int)}. */
    public static List<String> signatures() {
        return Functions.all().stream().map(Functions.Fn::signature).sorted().toList();
    }

    /**
     * Checks rules without a database: syntax, known functions, argument counts and literal argument types,
     * exactly one of masking_function/masking_value, constant-only masking values. Column existence, column
     * types, NOT NULL, keys and foreign keys need the live schema ({@link MaskingPlan#build}). For storing
     * rules (e.g. PATCH masking_rules) while the branch's compute is not running.
     */
    public static void check(List<MaskingRule> rules) throws MaskingException {
        List<MaskingException.Problem> problems = new ArrayList<>();
        MaskingKey key = MaskingKey.of(new byte[16]);
        for (MaskingRule r : rules) {
            String where = "masking rule for " + r.qualifiedColumn();
            try {
                boolean hasFn = r.maskingFunction() != null && !r.maskingFunction().isBlank();
                if (hasFn == (r.maskingValue() != null)) {
                    throw new MaskingException(MaskingException.Kind.INVALID_RULE, where + ": set exactly one of masking_function and masking_value");
                }
                if (hasFn) {
                    ColumnInfo target = new ColumnInfo(r.columnName(), 0, "unknown", ValueKind.UNKNOWN, false, -1, "unknown");
                    ExprCompiler.Scope any = new ExprCompiler.Scope(r.schemaName() + "." + r.tableName(), List.of(target), target, key, true);
                    new ExprCompiler(any, where).compile(ExprParser.parse(r.maskingFunction()));
                } else {
                    Expr e = ExprParser.parse(r.maskingValue());
                    if (!(e instanceof Expr.StringLit || e instanceof Expr.NumberLit || e instanceof Expr.NullLit
                            || e instanceof Expr.BoolLit || e instanceof Expr.Cast c && !(c.value() instanceof Expr.Call))) {
                        throw new MaskingException(MaskingException.Kind.INVALID_RULE, where
                                + ": masking_value must be a constant (a quoted string, a number, true/false or NULL)");
                    }
                }
            } catch (MaskingException e) {
                problems.addAll(e.problems());
            }
        }
        if (!problems.isEmpty()) throw new MaskingException(problems);
    }
}
