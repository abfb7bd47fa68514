package dev.arbor.backend.anon;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Rule compilation and masking functions against an in-memory schema (the live-database paths are in AnonymizationJobTest). */
class MaskingRulesTest {
    static final MaskingKey KEY = MaskingKey.of("project-seed-for-tests-0123456789".getBytes(StandardCharsets.UTF_8));
    static final MaskingKey OTHER_KEY = MaskingKey.of("another-project-seed-9876543210".getBytes(StandardCharsets.UTF_8));

    static final List<String> USER_COLS = List.of("id", "email", "first_name", "last_name", "phone", "age", "salary",
            "created_at", "birth", "nick", "ip", "data");

    static SourceSchema schema() {
        List<ColumnInfo> users = List.of(
                col("id", 0, "int4", ValueKind.INT, true, -1, "integer"),
                col("email", 1, "text", ValueKind.TEXT, true, -1, "text"),
                col("first_name", 2, "text", ValueKind.TEXT, false, -1, "text"),
                col("last_name", 3, "varchar", ValueKind.TEXT, false, 40, "character varying(40)"),
                col("phone", 4, "text", ValueKind.TEXT, false, -1, "text"),
                col("age", 5, "int4", ValueKind.INT, false, -1, "integer"),
                col("salary", 6, "numeric", ValueKind.NUMERIC, false, -1, "numeric(10,2)"),
                col("created_at", 7, "timestamptz", ValueKind.TIMESTAMPTZ, false, -1, "timestamp with time zone"),
                col("birth", 8, "date", ValueKind.DATE, false, -1, "date"),
                col("nick", 9, "varchar", ValueKind.TEXT, false, 20, "character varying(20)"),
                col("ip", 10, "inet", ValueKind.INET, false, -1, "inet"),
                col("data", 11, "jsonb", ValueKind.OTHER, false, -1, "jsonb"));
        List<ColumnInfo> orders = List.of(
                col("id", 0, "int4", ValueKind.INT, true, -1, "integer"),
                col("user_email", 1, "text", ValueKind.TEXT, true, -1, "text"),
                col("note", 2, "text", ValueKind.TEXT, false, -1, "text"));
        return new SourceSchema(List.of(
                new SourceSchema.Table("public", "users", users, Set.of("full_name"), Set.of("id", "email", "nick"), 10, false, List.of()),
                new SourceSchema.Table("public", "orders", orders, Set.of(), Set.of("id"), 10, false, List.of())),
                List.of(new SourceSchema.ForeignKey("orders_user_email_fkey", "public.orders", List.of("user_email"),
                        "public.users", List.of("email"), true)),
                List.of());
    }

    static ColumnInfo col(String n, int i, String t, ValueKind k, boolean nn, int max, String sql) {
        return new ColumnInfo(n, i, t, k, nn, max, sql);
    }

    static MaskingRule fn(String column, String function) {
        return MaskingRule.function("db", "public", "users", column, function);
    }

    static MaskingPlan plan(MaskingKey key, MaskingRule... rules) throws MaskingException {
        return MaskingPlan.build(List.of(rules), "db", schema(), key, null);
    }

    static MaskingException refused(MaskingRule... rules) {
        try {
            plan(KEY, rules);
        } catch (MaskingException e) {
            return e;
        }
        throw new AssertionError("rules were accepted: " + List.of(rules));
    }

    /** Masks one users row given as field values (null = SQL NULL) and returns the output fields. */
    static List<String> mask(MaskingPlan plan, String table, String... fields) {
        MaskingPlan.TablePlan tp = plan.tables().stream().filter(t -> t.table().qualified().equals(table)).findFirst().orElseThrow();
        CopyText.Sink line = new CopyText.Sink(64);
        for (int i = 0; i < fields.length; i++) {
            if (i > 0) line.put((byte) '\t');
            line.putField(fields[i]);
        }
        line.put((byte) '\n');
        CopyText.Sink out = new CopyText.Sink(64);
        new RowMasker(tp).mask(line.buf, line.len, out);
        List<String> res = new ArrayList<>();
        int s = 0;
        for (int i = 0; i < out.len - 1; i++) {
            if (out.buf[i] == '\t') { res.add(CopyText.decode(out.buf, s, i)); s = i + 1; }
        }
        res.add(CopyText.decode(out.buf, s, out.len - 1));
        return res;
    }

    static String[] user(int id, String email) {
        return new String[] {String.valueOf(id), email, "Alice", "Liddell", "+33 6 12 34 56 78", "34", "52000.50",
                "2024-03-01 10:20:30.123456+00", "1990-05-17", "ali" + id, "10.1.2.3", "{\"a\": 1}"};
    }

    @Test
    void fakersAreDeterministicPerProjectKeyAndAcrossTables() throws Exception {
        MaskingPlan p = plan(KEY, fn("first_name", "anon.dummy_first_name()"), fn("email", "anon.dummy_free_email()"));
        List<String> a = mask(p, "public.users", user(1, "alice@corp.example"));
        List<String> b = mask(plan(KEY, fn("first_name", "anon.fake_first_name()"), fn("email", "anon.dummy_free_email()")),
                "public.users", user(2, "alice@corp.example"));
        assertThat(a.get(2)).isNotEqualTo("Alice").isEqualTo(b.get(2)); // same input, same output, fake_ and dummy_ agree
        assertThat(a.get(1)).isEqualTo(b.get(1)).doesNotContain("alice@corp").contains("@");
        // the FK column follows the key: same mapping in orders
        List<String> order = mask(p, "public.orders", "7", "alice@corp.example", "note");
        assertThat(order.get(1)).isEqualTo(a.get(1));
        assertThat(p.maskedColumns()).contains("public.orders.user_email");
        // another project key gives other values
        List<String> c = mask(plan(OTHER_KEY, fn("email", "anon.dummy_free_email()")), "public.users", user(1, "alice@corp.example"));
        assertThat(c.get(1)).isNotEqualTo(a.get(1));
        // pseudo_* with an explicit seed agrees with the generator seeded by the same value
        List<String> d = mask(plan(KEY, fn("last_name", "anon.pseudo_first_name(first_name)")), "public.users", user(1, "x@y"));
        assertThat(d.get(3)).isEqualTo(a.get(2));
    }

    @Test
    void uniqueTextColumnsGetADisambiguatorAndFitVarchar() throws Exception {
        MaskingPlan p = plan(KEY, fn("email", "anon.dummy_safe_email()"), fn("nick", "anon.dummy_first_name()"));
        Set<String> emails = new HashSet<>(), nicks = new HashSet<>();
        for (int i = 0; i < 20_000; i++) {
            List<String> r = mask(p, "public.users", user(i, "user" + i + "@corp.example"));
            assertThat(r.get(1)).matches("[a-z0-9.]+-[0-9a-z]{13}@example\\.(com|org|net)");
            assertThat(r.get(9).length()).isLessThanOrEqualTo(20);
            emails.add(r.get(1));
            nicks.add(r.get(9));
        }
        assertThat(emails).hasSize(20_000);
        assertThat(nicks).hasSize(20_000); // varchar(20) still unique: the suffix is kept, the name is cut
    }

    @Test
    void hashPartialNoiseAndGeneralize() throws Exception {
        MaskingPlan p = plan(KEY, fn("email", "anon.hash(email)"), fn("phone", "anon.partial(phone,2,$$******$$,2)"),
                fn("salary", "anon.noise(salary, 0.1)"),
                fn("created_at", "anon.dnoise(created_at, '1 day')"), fn("birth", "anon.random_date_between('2000-01-01','2020-12-31')"),
                fn("first_name", "anon.partial_email('daamien@gmail.com')"), fn("last_name", "anon.lorem_ipsum(words := 3)"));
        List<String> r = mask(p, "public.users", user(1, "alice@corp.example"));
        assertThat(r.get(1)).matches("[0-9a-f]{64}");
        assertThat(r.get(4)).isEqualTo("+3******78");
        BigDecimal salary = new BigDecimal(r.get(6));
        assertThat(salary.scale()).isEqualTo(2);
        assertThat(salary.doubleValue()).isBetween(52000.50 * 0.9, 52000.50 * 1.1).isNotEqualTo(52000.50);
        OffsetDateTime created = OffsetDateTime.parse(r.get(7).replace(' ', 'T'));
        assertThat(Math.abs(ChronoUnit.SECONDS.between(OffsetDateTime.parse("2024-03-01T10:20:30.123456Z"), created))).isLessThanOrEqualTo(86400);
        LocalDate birth = LocalDate.parse(r.get(8));
        assertThat(birth).isBetween(LocalDate.of(2000, 1, 1), LocalDate.of(2020, 12, 31));
        assertThat(r.get(2)).isEqualTo("da******@gm******.com");
        assertThat(r.get(3).split(" ")).hasSize(3);
        // the hash is salted with the project key: not the plain sha256 of the value, and differs per project
        List<String> other = mask(plan(OTHER_KEY, fn("email", "anon.hash(email)")), "public.users", user(1, "alice@corp.example"));
        assertThat(other.get(1)).isNotEqualTo(r.get(1));
        assertThat(r.get(1)).isNotEqualTo("2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90");
    }

    @Test
    void generalizeIntoARangeColumnIsATypeMismatchButIntoTextWorks() throws Exception {
        MaskingException e = refused(fn("age", "anon.generalize_int4range(age, 10)"));
        assertThat(e.kind()).isEqualTo(MaskingException.Kind.TYPE_MISMATCH);
        assertThat(e.getMessage()).contains("returns range but column age is integer");
        MaskingPlan p = plan(KEY, fn("phone", "anon.generalize_int4range(age, 10)"));
        assertThat(mask(p, "public.users", user(1, "a@b")).get(4)).isEqualTo("[30,40)");
    }

    @Test
    void randomIntBetweenStaysInRangeAndConstantsApply() throws Exception {
        MaskingPlan p = plan(KEY, fn("age", "anon.random_int_between(25,65)"),
                MaskingRule.value("db", "public", "users", "first_name", "'CONFIDENTIAL'"),
                MaskingRule.value("db", "public", "users", "salary", "NULL"),
                fn("phone", "pg_catalog.concat(anon.dummy_uuidv4(), '@example.com')"),
                fn("last_name", "pg_catalog.concat(anon.dummy_uuidv4(), '@example.com')"),
                fn("ip", "anon.dummy_ip()"));
        Set<Long> ages = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            String[] row = user(i, "u" + i + "@x");
            row[5] = String.valueOf(i); // deterministic per input: different ages spread over the range
            List<String> r = mask(p, "public.users", row);
            long age = Long.parseLong(r.get(5));
            assertThat(age).isBetween(25L, 65L);
            ages.add(age);
            assertThat(r.get(2)).isEqualTo("CONFIDENTIAL");
            assertThat(r.get(6)).isNull();
            assertThat(r.get(4)).matches("[0-9a-f-]{36}@example\\.com");
            assertThat(r.get(3)).hasSize(40).matches("[0-9a-f-]{36}@exa"); // varchar(40): cut to fit
            assertThat(r.get(10)).matches("\\d+\\.\\d+\\.\\d+\\.\\d+");
        }
        assertThat(ages.size()).isGreaterThan(30);
    }

    @Test
    void randomInRanges() throws Exception {
        MaskingPlan p = plan(KEY, fn("age", "anon.random_in_int4range('[18,21)')"), fn("salary", "anon.random_in_numrange('[10.5,11.5]')"),
                fn("birth", "anon.random_in_daterange('[2001-01-01,2001-01-03)')"));
        for (int i = 0; i < 200; i++) {
            String[] row = user(i, "u" + i);
            row[5] = String.valueOf(i);
            row[6] = i + ".00";
            row[8] = LocalDate.of(1980, 1, 1).plusDays(i).toString();
            List<String> r = mask(p, "public.users", row);
            assertThat(Long.parseLong(r.get(5))).isBetween(18L, 20L);
            assertThat(new BigDecimal(r.get(6))).isBetween(new BigDecimal("10.5"), new BigDecimal("11.5"));
            assertThat(r.get(8)).isIn("2001-01-01", "2001-01-02");
        }
    }

    @Test
    void nullStaysNullUnderFunctionRules() throws Exception {
        MaskingPlan p = plan(KEY, fn("first_name", "anon.dummy_first_name()"));
        String[] row = user(1, "a@b");
        row[2] = null;
        assertThat(mask(p, "public.users", row).get(2)).isNull();
    }

    @Test
    void unknownFunctionsAreRefusedWithCloseMatches() {
        MaskingException e = refused(fn("first_name", "anon.fake_frist_name()"));
        assertThat(e.kind()).isEqualTo(MaskingException.Kind.UNKNOWN_FUNCTION);
        assertThat(e.getMessage()).contains("unknown masking function anon.fake_frist_name()")
                .contains("did you mean").contains("anon.fake_first_name");
        assertThat(refused(fn("first_name", "public.evil()")).getMessage()).contains("only call anon.* functions");
        assertThat(refused(fn("email", "anon.hsah(email)")).getMessage()).contains("anon.hash");
    }

    @Test
    void wrongArgumentsAreRefused() {
        MaskingException e = refused(fn("phone", "anon.partial(phone, 2, 'xx')"));
        assertThat(e.kind()).isEqualTo(MaskingException.Kind.BAD_ARGUMENTS);
        assertThat(e.getMessage()).contains("anon.partial() expects 4 arguments but got 3 (missing suffix)")
                .contains("signature: anon.partial(ov text, prefix int, padding text, suffix int)");
        assertThat(refused(fn("age", "anon.random_int_between('a', 10)")).getMessage())
                .contains("argument 1 (int_start) of anon.random_int_between() must be an integer, got 'a'");
        assertThat(refused(fn("age", "anon.random_int_between(1)")).kind()).isEqualTo(MaskingException.Kind.BAD_ARGUMENTS);
        assertThat(refused(fn("first_name", "anon.dummy_first_name(1)")).getMessage()).contains("expects 0 arguments but got 1");
        assertThat(refused(fn("created_at", "anon.dnoise(created_at, 'soon')")).getMessage()).contains("must be an interval");
        assertThat(refused(fn("salary", "anon.noise(first_name, 0.1)")).getMessage()).isNotEmpty();
        assertThat(refused(fn("last_name", "anon.lorem_ipsum(lines := 2)")).getMessage()).contains("has no parameter named \"lines\"");
        assertThat(refused(fn("phone", "anon.partial(nope, 1, 'x', 1)")).getMessage()).contains("column \"nope\" does not exist in table public.users");
    }

    @Test
    void typeMismatchesAreRefused() {
        MaskingException e = refused(fn("age", "anon.dummy_first_name()"));
        assertThat(e.kind()).isEqualTo(MaskingException.Kind.TYPE_MISMATCH);
        assertThat(e.getMessage()).contains("returns text but column age is integer");
        assertThat(refused(fn("birth", "anon.random_int_between(1, 10)")).getMessage()).contains("column birth is date");
        assertThat(refused(fn("data", "anon.dummy_word()")).getMessage()).contains("do not support columns of type jsonb");
        // text columns accept numbers (like an assignment cast)
        org.assertj.core.api.Assertions.assertThatCode(() -> plan(KEY, fn("phone", "anon.random_int_between(1, 10)"))).doesNotThrowAnyException();
    }

    @Test
    void nullOnNotNullAndConstantsOnKeysAreRefused() {
        MaskingException e = refused(MaskingRule.value("db", "public", "users", "email", "NULL"));
        assertThat(e.kind()).isEqualTo(MaskingException.Kind.NOT_NULL);
        assertThat(e.getMessage()).contains("cannot mask NOT NULL column email with NULL");
        assertThat(refused(fn("email", "NULL")).kind()).isEqualTo(MaskingException.Kind.NOT_NULL);
        assertThat(refused(MaskingRule.value("db", "public", "users", "nick", "'x'")).kind()).isEqualTo(MaskingException.Kind.UNIQUE);
        assertThat(refused(fn("id", "anon.random_int_between(1, 1000)")).kind()).isEqualTo(MaskingException.Kind.UNIQUE);
    }

    @Test
    void foreignKeyColumnsAreRefusedAndReferencedKeysMustBeSelfContained() {
        MaskingException e = refused(MaskingRule.function("db", "public", "orders", "user_email", "anon.dummy_free_email()"));
        assertThat(e.kind()).isEqualTo(MaskingException.Kind.FOREIGN_KEY);
        assertThat(e.getMessage()).contains("foreign key column").contains("Mask public.users.email instead");
        MaskingException f = refused(fn("email", "anon.pseudo_email(id)"));
        assertThat(f.kind()).isEqualTo(MaskingException.Kind.FOREIGN_KEY);
        assertThat(f.getMessage()).contains("may only read email itself");
    }

    @Test
    void unknownObjectsDuplicatesAndAllProblemsAtOnce() {
        MaskingException e = refused(
                MaskingRule.function("db", "public", "userz", "email", "anon.hash(email)"),
                fn("emial", "anon.hash(emial)"),
                fn("full_name", "anon.dummy_name()"),
                fn("phone", "anon.partial_email(phone)"), fn("phone", "anon.partial_email(phone)"),
                new MaskingRule("db", "public", "users", "age", null, null),
                MaskingRule.function("db", "crm", "users", "email", "anon.hash(email)"));
        assertThat(e.problems()).hasSize(6);
        assertThat(e.getMessage()).contains("table public.userz does not exist in database db")
                .contains("schema crm does not exist in database db")
                .contains("column \"emial\" does not exist in table public.users")
                .contains("generated column").contains("more than one rule").contains("exactly one of masking_function and masking_value");
    }

    @Test
    void rulesForOtherDatabasesAreIgnored() throws Exception {
        MaskingPlan p = MaskingPlan.build(List.of(MaskingRule.function("other", "public", "nope", "x", "anon.nope()")), "db", schema(), KEY, null);
        assertThat(p.maskedColumns()).isEmpty();
        assertThat(p.tables()).hasSize(2);
    }

    @Test
    void schemaLessCheckCatchesSyntaxFunctionsAndArity() throws Exception {
        MaskingFunctions.check(List.of(fn("anything", "anon.partial(whatever_col, 2, $$**$$, 2)"),
                MaskingRule.value("db", "s", "t", "c", "'CONFIDENTIAL'"), MaskingRule.value("db", "s", "t", "c", "0")));
        MaskingException e = catchCheck(List.of(fn("a", "anon.fake_frist_name()"), fn("b", "anon.partial(x, 1)"),
                fn("c", "anon.hash("), MaskingRule.value("db", "s", "t", "d", "anon.hash(x)")));
        assertThat(e.problems()).extracting(MaskingException.Problem::kind).containsExactly(MaskingException.Kind.UNKNOWN_FUNCTION,
                MaskingException.Kind.BAD_ARGUMENTS, MaskingException.Kind.SYNTAX, MaskingException.Kind.INVALID_RULE);
        assertThat(MaskingFunctions.signatures()).contains("anon.partial(ov text, prefix int, padding text, suffix int)",
                "anon.dummy_free_email()", "pg_catalog.concat(value any, ...)").hasSizeGreaterThan(60);
    }

    private static MaskingException catchCheck(List<MaskingRule> rules) {
        try {
            MaskingFunctions.check(rules);
        } catch (MaskingException e) {
            return e;
        }
        throw new AssertionError("accepted");
    }

    @Test
    void copyTextRoundTripsSpecialCharacters() {
        String tricky = "tab\there\nnew\\line\r\u00e9\u4e2d\u0001";
        CopyText.Sink s = new CopyText.Sink(4);
        s.putField(tricky);
        assertThat(CopyText.decode(s.buf, 0, s.len)).isEqualTo(tricky);
        byte[] octal = "a\\101\\x42".getBytes(StandardCharsets.UTF_8);
        assertThat(CopyText.decode(octal, 0, octal.length)).isEqualTo("aAB");
        byte[] nul = "\\N".getBytes(StandardCharsets.UTF_8);
        assertThat(CopyText.decode(nul, 0, 2)).isNull();
    }
}
