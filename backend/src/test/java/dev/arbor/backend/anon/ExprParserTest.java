package dev.arbor.backend.anon;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ExprParserTest {

    @Test
    void parsesCallsWithColumnsStringsAndNumbers() throws Exception {
        Expr e = ExprParser.parse("anon.partial(phone,2,$$******$$,2)");
        assertThat(e).isEqualTo(new Expr.Call("anon", "partial", List.of(
                new Expr.Arg(null, new Expr.ColumnRef(List.of("phone"))),
                new Expr.Arg(null, new Expr.NumberLit(new BigDecimal("2"), "2")),
                new Expr.Arg(null, new Expr.StringLit("******")),
                new Expr.Arg(null, new Expr.NumberLit(new BigDecimal("2"), "2")))));
    }

    @Test
    void parsesNestedCallsAndQuotedStrings() throws Exception {
        Expr e = ExprParser.parse("pg_catalog.concat(anon.dummy_uuidv4(), '@example.com')");
        Expr.Call c = (Expr.Call) e;
        assertThat(c.qualifiedName()).isEqualTo("pg_catalog.concat");
        assertThat(c.args().get(0).value()).isEqualTo(new Expr.Call("anon", "dummy_uuidv4", List.of()));
        assertThat(c.args().get(1).value()).isEqualTo(new Expr.StringLit("@example.com"));

        assertThat(ExprParser.parse("'it''s'")).isEqualTo(new Expr.StringLit("it's"));
        assertThat(ExprParser.parse("$tag$a 'b' $$ c$tag$")).isEqualTo(new Expr.StringLit("a 'b' $$ c"));
        assertThat(ExprParser.parse("E'a\\tb'")).isEqualTo(new Expr.StringLit("a\tb"));
    }

    @Test
    void parsesLiteralsCastsNamedArgsAndArrays() throws Exception {
        assertThat(ExprParser.parse("NULL")).isEqualTo(new Expr.NullLit());
        assertThat(ExprParser.parse("-1.5")).isEqualTo(new Expr.NumberLit(new BigDecimal("-1.5"), "-1.5"));
        assertThat(ExprParser.parse("'2000-01-01'::DATE")).isEqualTo(new Expr.Cast(new Expr.StringLit("2000-01-01"), "date"));
        assertThat(ExprParser.parse("CAST('1 day' AS interval)")).isEqualTo(new Expr.Cast(new Expr.StringLit("1 day"), "interval"));
        assertThat(ExprParser.parse("'x'::timestamp with time zone")).isEqualTo(new Expr.Cast(new Expr.StringLit("x"), "timestamp with time zone"));
        Expr.Call lorem = (Expr.Call) ExprParser.parse("anon.lorem_ipsum( words := 20 )");
        assertThat(lorem.args()).containsExactly(new Expr.Arg("words", new Expr.NumberLit(new BigDecimal("20"), "20")));
        Expr.Call in = (Expr.Call) ExprParser.parse("anon.random_in(ARRAY['a','b'])");
        assertThat(in.args().getFirst().value()).isEqualTo(new Expr.ArrayLit(List.of(new Expr.StringLit("a"), new Expr.StringLit("b"))));
        assertThat(ExprParser.parse("\"Anon\".\"Hash\"(users.\"E-mail\")")).isEqualTo(new Expr.Call("Anon", "Hash",
                List.of(new Expr.Arg(null, new Expr.ColumnRef(List.of("users", "E-mail"))))));
        assertThat(ExprParser.parse("ANON.HASH(Email)")).isEqualTo(new Expr.Call("anon", "hash",
                List.of(new Expr.Arg(null, new Expr.ColumnRef(List.of("email"))))));
    }

    @Test
    void rejectsMalformedExpressionsWithPositions() {
        assertThatThrownBy(() -> ExprParser.parse("anon.partial(phone, 2"))
                .isInstanceOf(MaskingException.class).hasMessageContaining("expected ')' or ','");
        assertThatThrownBy(() -> ExprParser.parse("anon.hash('abc)"))
                .hasMessageContaining("unterminated string literal").hasMessageContaining("position 11");
        assertThatThrownBy(() -> ExprParser.parse("anon.partial(x, 1, $$**, 1)")).hasMessageContaining("unterminated dollar-quoted");
        assertThatThrownBy(() -> ExprParser.parse("anon.hash(a) anon.hash(b)")).hasMessageContaining("unexpected 'anon'");
        assertThatThrownBy(() -> ExprParser.parse("a || b")).hasMessageContaining("operators are not supported");
        assertThatThrownBy(() -> ExprParser.parse("   ")).hasMessageContaining("empty expression");
        assertThatThrownBy(() -> ExprParser.parse("anon.f(,)")).hasMessageContaining("unexpected ','");
        assertThatThrownBy(() -> ExprParser.parse("12abc")).hasMessageContaining("trailing junk after number");
        assertThatThrownBy(() -> ExprParser.parse("a.b.c(1)")).hasMessageContaining("too many parts");
        assertThat(catchKind(() -> ExprParser.parse("anon.x("))).isEqualTo(MaskingException.Kind.SYNTAX);
    }

    private static MaskingException.Kind catchKind(ThrowingRunnable r) {
        try {
            r.run();
        } catch (MaskingException e) {
            return e.kind();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("no exception");
    }

    interface ThrowingRunnable { void run() throws Exception; }
}
