package dev.arbor.backend.anon;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The copy pipeline against real PostgreSQL 15: a source database, target databases made with pg_dump --schema-only. */
class AnonymizationJobTest {
    static final MaskingKey KEY = MaskingKey.of("anonymization-job-test-key-0001".getBytes(StandardCharsets.UTF_8));

    /** Every string here is PII that must not survive anywhere in an anonymized target. */
    static final List<String> PII = List.of("zebediah.quackenbush@acme-corp.com", "quixotica.fernsby@acme-corp.com",
            "acme-corp", "Zebediah", "Quixotica", "Quackenbush", "Fernsby", "+1-555-0100-1234", "+1-555-0199-8765",
            "742 Evergreen Terrace", "31 Spooner Street", "secret diagnosis", "Zeb's private note", "1979-04-01", "1983-11-23",
            "198.51.100.77", "83456.78");

    static final String SCHEMA = """
            create table customers (id serial primary key, email text not null unique, first_name text not null,
              last_name varchar(60), phone text, birth date, salary numeric(10,2), notes text,
              created_at timestamptz not null default now());
            create table orders (id bigserial primary key, customer_email text not null references customers(email),
              amount numeric(10,2), shipped_to text);
            create table reviews (id int generated always as identity primary key, order_id bigint references orders(id),
              author_email text references customers(email), body text,
              body_len int generated always as (length(body)) stored);
            create table countries (code char(2) primary key, name text);
            create table events (at timestamp not null, ip inet, kind text) partition by range (at);
            create table events_2023 partition of events for values from ('2023-01-01') to ('2024-01-01');
            create table events_2024 partition of events for values from ('2024-01-01') to ('2025-01-01');
            create table events_2022 (extra int, ip inet, at timestamp not null, kind text);
            alter table events_2022 drop column extra;
            alter table events attach partition events_2022 for values from ('2022-01-01') to ('2023-01-01');
            create table empty_table (x int);
            create index orders_amount_idx on orders (amount);
            """;

    static final String DATA = """
            insert into customers (email, first_name, last_name, phone, birth, salary, notes) values
              ('zebediah.quackenbush@acme-corp.com', 'Zebediah', 'Quackenbush', '+1-555-0100-1234', '1979-04-01', 83456.78,
               E'Zeb''s private note:\\tsecret diagnosis\\nline two \\\\ backslash'),
              ('quixotica.fernsby@acme-corp.com', 'Quixotica', 'Fernsby', '+1-555-0199-8765', '1983-11-23', 61000.00, null);
            insert into customers (email, first_name, last_name, phone, birth, salary)
              select 'bulk' || g || '@acme-corp.com', 'Zebediah', 'Bulk' || g, '+1-555-0100-1234', date '1979-04-01', 1000 + g
              from generate_series(1, 500) g;
            insert into orders (customer_email, amount, shipped_to)
              select c.email, 10 + g, case when g % 2 = 0 then '742 Evergreen Terrace' else '31 Spooner Street' end
              from customers c, generate_series(1, 3) g;
            insert into reviews (order_id, author_email, body)
              select o.id, o.customer_email, 'Zebediah says: secret diagnosis' from orders o where o.id % 4 = 0;
            insert into countries values ('CI', E'C\\u00f4te d''Ivoire\\twith tab \\\\ and\\nnewline'), ('FR', 'France');
            insert into events values ('2023-05-01 10:00', '198.51.100.77', 'login'), ('2024-02-01 11:00', '198.51.100.77', 'logout'),
              ('2022-07-01 09:00', '198.51.100.77', 'signup');
            select setval('customers_id_seq', 9000);
            """;

    static List<MaskingRule> rules(String db) {
        return List.of(
                MaskingRule.function(db, "public", "customers", "email", "anon.dummy_free_email()"),
                MaskingRule.function(db, "public", "customers", "first_name", "anon.dummy_first_name()"),
                MaskingRule.function(db, "public", "customers", "last_name", "anon.pseudo_last_name(id)"),
                MaskingRule.function(db, "public", "customers", "phone", "anon.partial(phone, 2, $$******$$, 2)"),
                MaskingRule.function(db, "public", "customers", "birth", "anon.random_date_between('1950-01-01', '2005-12-31')"),
                MaskingRule.function(db, "public", "customers", "salary", "anon.noise(salary, 0.2)"),
                MaskingRule.value(db, "public", "customers", "notes", "'REDACTED'"),
                MaskingRule.function(db, "public", "orders", "shipped_to", "anon.fake_address()"),
                MaskingRule.function(db, "public", "reviews", "body", "anon.lorem_ipsum(words := 8)"),
                MaskingRule.function(db, "public", "events", "ip", "anon.dummy_ip()"),
                MaskingRule.function(db, "public", "events", "kind", "anon.pseudo_company(ip)"),
                MaskingRule.function("some_other_db", "public", "nope", "nope", "anon.nope()"));
    }

    static String source;

    @BeforeAll
    static void sourceDatabase() throws Exception {
        source = AnonPg.newDatabase("anon_src");
        AnonPg.exec(source, SCHEMA);
        AnonPg.exec(source, DATA);
        AnonPg.exec(source, "analyze");
    }

    static String freshTarget() throws Exception {
        String target = AnonPg.newDatabase("anon_dst");
        AnonPg.copySchema(source, target);
        return target;
    }

    static AnonymizationResult run(String target, MaskingKey key, List<AnonymizationProgress> progress) throws Exception {
        return new AnonymizationJob(AnonPg.connector(source), AnonPg.connector(target), key, source, rules(source), 2)
                .run(progress::add);
    }

    @Test
    void endToEndCopyLeavesNoSourcePiiAnywhereInTheTarget() throws Exception {
        String target = freshTarget();
        List<AnonymizationProgress> progress = new ArrayList<>();
        AnonymizationResult result = run(target, KEY, progress);

        assertThat(result.rowsByTable()).containsEntry("public.customers", 502L).containsEntry("public.orders", 1506L)
                .containsEntry("public.countries", 2L).containsEntry("public.events_2023", 1L).containsEntry("public.empty_table", 0L);
        assertThat(result.maskedColumns()).contains("public.orders.customer_email", "public.reviews.author_email",
                "public.events_2023.ip", "public.events_2024.ip");
        assertThat(result.sequences()).isGreaterThanOrEqualTo(3);
        assertThat(progress).isNotEmpty();
        assertThat(progress.getLast().percent()).isEqualTo(100);
        assertThat(progress.stream().map(AnonymizationProgress::message))
                .anyMatch(m -> m.matches("Anonymizing table " + source + "\\.public\\.\\w+ \\(\\d/8\\), \\d+ %"));

        String dump = AnonPg.dump(target).toLowerCase(Locale.ROOT);
        for (String pii : PII) {
            assertThat(dump).as("target dump must not contain source PII '%s'", pii).doesNotContain(pii.toLowerCase(Locale.ROOT));
        }
        // and the source really had them (the check above could otherwise pass vacuously)
        String srcDump = AnonPg.dump(source).toLowerCase(Locale.ROOT);
        for (String pii : PII) assertThat(srcDump).contains(pii.toLowerCase(Locale.ROOT));

        // joins: every order still belongs to the same customer (by id) after emails were masked on both sides
        String join = "select o.id || ':' || c.id from orders o join customers c on c.email = o.customer_email order by o.id";
        assertThat(query(target, join)).hasSize(1506).isEqualTo(query(source, join));
        String reviewJoin = "select r.id || ':' || c.id from reviews r join customers c on c.email = r.author_email order by r.id";
        assertThat(query(target, reviewJoin)).isNotEmpty().isEqualTo(query(source, reviewJoin));
        assertThat(query(target, "select count(distinct email) from customers")).containsExactly("502");

        // masked values look right, unmasked ones are byte-identical (tabs, newlines, backslashes, non-ASCII)
        assertThat(query(target, "select phone from customers where id = 1")).containsExactly("+1******34");
        // a constant masking_value replaces every row, NULLs included (as PostgreSQL Anonymizer's MASKED WITH VALUE)
        assertThat(query(target, "select notes, count(*) from customers group by notes")).containsExactly("REDACTED");
        assertThat(query(target, "select name from countries order by code")).isEqualTo(query(source, "select name from countries order by code"));
        assertThat(query(target, "select count(*) from reviews where body_len = length(body)")).isEqualTo(query(target, "select count(*) from reviews"));
        assertThat(query(target, "select count(*) from customers where birth between '1950-01-01' and '2005-12-31'")).containsExactly("502");
        assertThat(query(target, "select nextval('customers_id_seq')")).containsExactly("9001");
        assertThat(query(target, "select count(*) from events where ip is not null")).containsExactly("3");
        // partitions with another column order (events_2022) still read the right column: same ip, same pseudonym
        assertThat(query(target, "select count(distinct kind) || '/' || count(distinct ip) from events")).containsExactly("1/1");
    }

    @Test
    void rerunsAreDeterministicAndNeverMaskTwice() throws Exception {
        String target = freshTarget();
        run(target, KEY, new ArrayList<>());
        List<String> first = snapshot(target);
        run(target, KEY, new ArrayList<>()); // re-derives from the source: TRUNCATE, then copy again
        assertThat(snapshot(target)).isEqualTo(first);

        String second = freshTarget(); // another branch of the same project: same key, same masks
        run(second, KEY, new ArrayList<>());
        assertThat(snapshot(second)).isEqualTo(first);

        String otherProject = freshTarget();
        run(otherProject, MaskingKey.of("a-different-project-key-000000001".getBytes(StandardCharsets.UTF_8)), new ArrayList<>());
        assertThat(query(otherProject, "select email from customers order by id")).isNotEqualTo(query(target, "select email from customers order by id"));
        // same original value -> same masked value in every table
        assertThat(query(target, "select count(*) from orders o where not exists (select 1 from customers c where c.email = o.customer_email)"))
                .containsExactly("0");
    }

    @Test
    void uniqueColumnsStayUniqueOver100kRows() throws Exception {
        String src = AnonPg.newDatabase("anon_uniq_src");
        AnonPg.exec(src, """
                create table people (id int primary key, email text not null unique, nick varchar(24) unique, city text);
                insert into people select g, 'person' || g || '@corp.example', 'nick' || g, 'Springfield' || (g % 1000) from generate_series(1, 100000) g;
                analyze people;
                """);
        String dst = AnonPg.newDatabase("anon_uniq_dst");
        AnonPg.copySchema(src, dst);
        List<MaskingRule> rules = List.of(
                MaskingRule.function(src, "public", "people", "email", "anon.dummy_free_email()"),
                MaskingRule.function(src, "public", "people", "nick", "anon.dummy_first_name()"),
                MaskingRule.function(src, "public", "people", "city", "anon.fake_city()"));
        AnonymizationResult r = new AnonymizationJob(AnonPg.connector(src), AnonPg.connector(dst), KEY, src, rules, 2).run(p -> { });
        assertThat(r.totalRows()).isEqualTo(100_000);
        // the unique indexes accepted every row; check explicitly too
        assertThat(query(dst, "select count(distinct email) || '/' || count(distinct nick) || '/' || max(length(nick)) from people"))
                .containsExactly("100000/100000/24");
        assertThat(query(dst, "select count(*) from people where email like 'person%' or nick like 'nick%' or city like 'Springfield%'"))
                .containsExactly("0");
        // cities are not unique: 1000 distinct inputs map onto realistic names that may repeat, deterministically
        assertThat(Integer.parseInt(query(dst, "select count(distinct city) from people").getFirst())).isBetween(300, 1000);
        assertThat(query(dst, "select count(distinct city) from people where id % 1000 = 7")).containsExactly("1");
    }

    /** A table past the split threshold is copied as page ranges side by side: every visible row exactly once. */
    @Test
    void aBigTableCopiedInPageRangesHasEveryRowExactlyOnce() throws Exception {
        String src = AnonPg.newDatabase("anon_split_src");
        AnonPg.exec(src, """
                create table big (id int primary key, email text not null, note text);
                insert into big select g, 'big' || g || '@corp.example', 'n' || g from generate_series(1, 150000) g;
                delete from big where id % 7 = 0;
                update big set note = 'moved' where id % 11 = 0;
                """);
        AnonPg.exec(src, "vacuum analyze big");
        String dst = AnonPg.newDatabase("anon_split_dst");
        AnonPg.copySchema(src, dst);
        List<MaskingRule> rules = List.of(MaskingRule.function(src, "public", "big", "email", "anon.hash(email)"));
        AnonymizationResult r = new AnonymizationJob(AnonPg.connector(src), AnonPg.connector(dst), KEY, src, rules, 3, true).run(p -> { });
        String summary = "select count(*) || '/' || sum(id) || '/' || count(*) filter (where note = 'moved') from big";
        assertThat(query(dst, summary)).isEqualTo(query(src, summary));
        assertThat(r.totalRows()).isEqualTo(Long.parseLong(query(src, "select count(*) from big").getFirst()));
        assertThat(query(dst, "select count(*) from big where email like 'big%'")).containsExactly("0");
    }

    @Test
    void liveValidationRefusesBadRulesWithClearMessages() throws Exception {
        var src = AnonPg.connector(source);
        assertThatThrownBy(() -> AnonymizationJob.validate(src, source,
                List.of(MaskingRule.value(source, "public", "customers", "first_name", "NULL")), KEY))
                .isInstanceOf(MaskingException.class)
                .hasMessageContaining("cannot mask NOT NULL column first_name with NULL");
        MaskingException e = catchMasking(() -> AnonymizationJob.validate(src, source, List.of(
                MaskingRule.function(source, "public", "customers", "emial", "anon.hash(emial)"),
                MaskingRule.function(source, "nosuchschema", "customers", "email", "anon.hash(email)"),
                MaskingRule.value(source, "public", "orders", "amount", "'lots'"),
                MaskingRule.function(source, "public", "orders", "customer_email", "anon.hash(customer_email)"),
                MaskingRule.function(source, "public", "customers", "salary", "anon.random_phone()"),
                MaskingRule.function(source, "public", "customers", "first_name", "anon.fake_first_nam()")), KEY));
        assertThat(e.problems()).extracting(MaskingException.Problem::kind).containsExactly(
                MaskingException.Kind.UNKNOWN_OBJECT, MaskingException.Kind.UNKNOWN_OBJECT, MaskingException.Kind.TYPE_MISMATCH,
                MaskingException.Kind.FOREIGN_KEY, MaskingException.Kind.TYPE_MISMATCH, MaskingException.Kind.UNKNOWN_FUNCTION);
        assertThat(e.getMessage()).contains("column \"emial\" does not exist in table public.customers")
                .contains("schema nosuchschema does not exist")
                .contains("'lots' is not a valid numeric(10,2): ERROR: invalid input syntax for type numeric")
                .contains("Mask public.customers.email instead")
                .contains("did you mean anon.fake_first_name");
        MaskingPlan ok = AnonymizationJob.validate(src, source, rules(source), KEY);
        assertThat(ok.maskedColumns()).hasSize(17);

        // run() validates first and refuses before touching the target
        String target = freshTarget();
        AnonPg.exec(target, "insert into countries values ('XX', 'kept')");
        assertThatThrownBy(() -> new AnonymizationJob(src, AnonPg.connector(target), KEY, source,
                List.of(MaskingRule.value(source, "public", "customers", "email", "NULL")), 2).run(p -> { }))
                .isInstanceOf(MaskingException.class);
        assertThat(query(target, "select name from countries")).containsExactly("kept");
    }

    @Test
    void deferredIndexesAreRebuiltFromTheSourceEvenAfterACrashedRun() throws Exception {
        String target = freshTarget();
        // as if an earlier deferred run died after dropping these
        AnonPg.exec(target, "alter table reviews drop constraint reviews_author_email_fkey; drop index orders_amount_idx;"
                + " alter table orders drop constraint orders_customer_email_fkey; alter table customers drop constraint customers_email_key");
        AnonymizationResult r = new AnonymizationJob(AnonPg.connector(source), AnonPg.connector(target), KEY, source, rules(source), 2, true)
                .run(p -> { });
        assertThat(r.totalRows()).isEqualTo(2389);
        String constraints = "select conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) from pg_constraint"
                + " where connamespace = 'public'::regnamespace order by 1";
        String indexes = "select indexdef from pg_indexes where schemaname = 'public' order by 1";
        assertThat(query(target, constraints)).hasSize(8).isEqualTo(query(source, constraints));
        assertThat(query(target, indexes)).hasSize(6).isEqualTo(query(source, indexes));
        String join = "select o.id || ':' || c.id from orders o join customers c on c.email = o.customer_email order by o.id";
        assertThat(query(target, join)).hasSize(1506).isEqualTo(query(source, join));
        // the same masks as a run that kept its indexes
        String plain = freshTarget();
        run(plain, KEY, new ArrayList<>());
        assertThat(snapshot(target)).isEqualTo(snapshot(plain));
    }

    @Test
    void targetWithoutTheSchemaFailsWithAClearError() throws Exception {
        String empty = AnonPg.newDatabase("anon_empty");
        assertThatThrownBy(() -> run(empty, KEY, new ArrayList<>()))
                .isInstanceOf(AnonymizationException.class)
                .hasMessageContaining("the target database lacks table public.countries")
                .hasMessageContaining("pg_dump --schema-only");
    }

    @Test
    void aValueAMaskCannotHandleFailsTheRunNamingTableAndFunction() throws Exception {
        String src = AnonPg.newDatabase("anon_bad_src");
        AnonPg.exec(src, "create table t (id int primary key, score text); insert into t values (1, '12'), (2, 'n/a');");
        String dst = AnonPg.newDatabase("anon_bad_dst");
        AnonPg.copySchema(src, dst);
        assertThatThrownBy(() -> new AnonymizationJob(AnonPg.connector(src), AnonPg.connector(dst), KEY, src,
                List.of(MaskingRule.function(src, "public", "t", "score", "anon.noise(score::numeric, 0.5)")), 1).run(p -> { }))
                .isInstanceOf(AnonymizationException.class)
                .hasMessageContaining("copying table public.t failed at row 2")
                .hasMessageContaining("anon.noise() failed on a value of public.t.score: 'n/a' is not a number");
    }

    private static List<String> snapshot(String db) throws Exception {
        List<String> out = new ArrayList<>();
        for (String t : List.of("customers", "orders", "reviews", "countries", "events")) {
            out.addAll(query(db, "select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) from " + t + " x"));
        }
        return out;
    }

    static List<String> query(String db, String sql) throws Exception {
        try (Connection c = AnonPg.connect(db); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            List<String> out = new ArrayList<>();
            while (rs.next()) out.add(rs.getString(1));
            return out;
        }
    }

    interface Call { Object call() throws Exception; }

    static MaskingException catchMasking(Call c) throws Exception {
        try {
            c.call();
        } catch (MaskingException e) {
            return e;
        }
        throw new AssertionError("expected a MaskingException");
    }
}
