package dev.arbor.backend.anon;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;
import org.postgresql.copy.CopyOut;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Copies one database from a SOURCE to a TARGET (which already has the schema, e.g. from
 * {@code pg_dump --schema-only}), masking on the way: every leaf table streams through
 * {@code COPY (cols) TO STDOUT} -> {@link RowMasker} -> {@code COPY (cols) FROM STDIN}, a few tables in
 * parallel. All source reads share one exported snapshot, so the copy is consistent. The target loads
 * with {@code session_replication_role = replica} (FK triggers off, so tables load in any order) and every
 * foreign key is checked afterwards; sequences get the source's values. Target tables are truncated first:
 * a rerun re-derives everything from the current source and never masks masked data again.
 * Needs superuser (or equivalent) on the target for session_replication_role.
 */
public final class AnonymizationJob {
    private static final Logger log = LoggerFactory.getLogger(AnonymizationJob.class);
    private static final int FLUSH_BYTES = 256 * 1024;

    /** Opens a new JDBC connection to one database (a pgjdbc connection). */
    @FunctionalInterface
    public interface Connector {
        Connection connect() throws SQLException;
    }

    private final Connector source;
    private final Connector target;
    private final MaskingKey key;
    private final String database;
    private final List<MaskingRule> rules;
    private final int parallelism;
    private final boolean deferIndexes;
    private boolean splitTables = true;

    /**
     * @param database    the database name rules are matched against (rules for other databases are ignored)
     * @param parallelism tables copied at once (each uses one source and one target connection)
     */
    public AnonymizationJob(Connector source, Connector target, MaskingKey key, String database,
                            List<MaskingRule> rules, int parallelism) {
        this(source, target, key, database, rules, parallelism, false);
    }

    /**
     * @param deferIndexes drop the target's indexes, keys and foreign keys of plain tables before the load and
     *                     recreate them (from the source's definitions) after it: ~2x faster loads of big tables.
     *                     If a run fails midway they are missing until the next run recreates them.
     */
    public AnonymizationJob(Connector source, Connector target, MaskingKey key, String database,
                            List<MaskingRule> rules, int parallelism, boolean deferIndexes) {
        this.source = source;
        this.target = target;
        this.key = key;
        this.database = database;
        this.rules = List.copyOf(rules);
        this.parallelism = Math.max(1, parallelism);
        this.deferIndexes = deferIndexes;
    }

    /** Off: every table is one COPY stream, as before page ranges (for the side-by-side benchmark). */
    AnonymizationJob splitTables(boolean on) {
        this.splitTables = on;
        return this;
    }

    /** Validates {@code rules} against the live source schema without copying anything. */
    public static MaskingPlan validate(Connector source, String database, List<MaskingRule> rules, MaskingKey key)
            throws MaskingException, SQLException {
        try (Connection c = source.connect()) {
            return MaskingPlan.build(rules, database, SchemaReader.read(c), key, c);
        }
    }

    public AnonymizationResult run(Consumer<AnonymizationProgress> progress) throws MaskingException, AnonymizationException {
        long t0 = System.nanoTime();
        Fakes.warm();
        try (Connection coord = source.connect(); Connection admin = target.connect()) {
            coord.setAutoCommit(false);
            try (Statement st = coord.createStatement()) {
                st.execute("set transaction isolation level repeatable read, read only");
            }
            String snapshot = exportSnapshot(coord);
            SourceSchema schema = SchemaReader.read(coord);
            MaskingPlan plan = MaskingPlan.build(rules, database, schema, key, coord);
            List<MaskingPlan.TablePlan> tables = new ArrayList<>(plan.tables());
            checkTarget(admin, tables);
            Map<String, Long> estimates = estimate(coord, tables);
            long totalEstimate = estimates.values().stream().mapToLong(Long::longValue).sum();

            DeferredIndexes deferred = null;
            if (deferIndexes) {
                java.util.Set<String> partitions = new java.util.HashSet<>();
                for (SourceSchema.Table t : schema.tables()) partitions.addAll(t.leaves());
                java.util.Set<String> plain = new java.util.HashSet<>();
                for (MaskingPlan.TablePlan tp : tables) {
                    if (!partitions.contains(tp.table().qualified())) plain.add(tp.table().qualified());
                }
                deferred = DeferredIndexes.read(coord, plain);
                deferred.drop(admin);
            }
            truncate(admin, tables);
            // big tables are split into page ranges copied side by side; biggest first so the pool ends together
            List<Chunk> chunks = chunks(coord, tables, estimates);
            chunks.sort(Comparator.comparingLong(Chunk::estimate).reversed());
            java.util.Set<String> startedTables = ConcurrentHashMap.newKeySet();
            AtomicInteger started = new AtomicInteger();
            AtomicLong done = new AtomicLong();
            Map<String, Long> rows = new ConcurrentHashMap<>();
            Object progressLock = new Object();
            String[] current = {""};
            Consumer<String> report = table -> {
                synchronized (progressLock) {
                    if (table != null) current[0] = table;
                    progress.accept(new AnonymizationProgress(database, current[0], started.get(), tables.size(), done.get(), totalEstimate));
                }
            };
            ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallelism, Math.max(1, chunks.size())), r -> {
                Thread t = new Thread(r, "anon-copy");
                t.setDaemon(true);
                return t;
            });
            List<Connection> open = Collections.synchronizedList(new ArrayList<>());
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (Chunk ch : chunks) {
                    String q = ch.tp().table().qualified();
                    futures.add(pool.submit(() -> {
                        if (startedTables.add(q)) started.incrementAndGet();
                        report.accept(q);
                        long n = copyTable(ch, snapshot, open, done, () -> report.accept(null));
                        rows.merge(q, n, Long::sum);
                        report.accept(null);
                        return null;
                    }));
                }
                for (Future<?> f : futures) {
                    try {
                        f.get();
                    } catch (java.util.concurrent.ExecutionException e) {
                        // stop the other copies: closing their connections aborts their COPY
                        futures.forEach(x -> x.cancel(true));
                        synchronized (open) { for (Connection c : open) closeQuietly(c); }
                        Throwable cause = e.getCause();
                        if (cause instanceof AnonymizationException ae) throw ae;
                        throw new AnonymizationException("anonymizing database " + database + " failed: " + cause.getMessage(), cause);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AnonymizationException("anonymization of " + database + " interrupted", e);
            } finally {
                pool.shutdownNow();
            }
            if (deferred != null) deferred.recreate(admin); // foreign keys are validated by PostgreSQL here
            checkForeignKeys(admin, schema, deferred == null ? java.util.Set.of() : deferred.foreignKeyNames());
            int seqs = copySequences(coord, admin, schema);
            coord.commit();
            Map<String, Long> ordered = new LinkedHashMap<>();
            for (MaskingPlan.TablePlan tp : plan.tables()) ordered.put(tp.table().qualified(), rows.getOrDefault(tp.table().qualified(), 0L));
            Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
            log.info("anonymized database {}: {} tables, {} rows, {} masked columns in {} ms", database, ordered.size(),
                    ordered.values().stream().mapToLong(Long::longValue).sum(), plan.maskedColumns().size(), elapsed.toMillis());
            return new AnonymizationResult(database, ordered, plan.maskedColumns(), seqs, elapsed);
        } catch (SQLException e) {
            throw new AnonymizationException("anonymizing database " + database + " failed: " + firstLine(e), e);
        }
    }

    private static String exportSnapshot(Connection coord) {
        try (Statement st = coord.createStatement(); ResultSet rs = st.executeQuery("select pg_export_snapshot()")) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            // e.g. a hot standby: tables are then read in separate snapshots
            log.warn("cannot export a snapshot from the source ({}); tables are copied without a shared snapshot", firstLine(e));
            try { coord.rollback(); } catch (SQLException ignored) { }
            return null;
        }
    }

    /** The target must already have every table and column the source has (schema created by pg_dump --schema-only). */
    private static void checkTarget(Connection admin, List<MaskingPlan.TablePlan> tables) throws SQLException, AnonymizationException {
        SourceSchema t = SchemaReader.read(admin);
        List<String> missing = new ArrayList<>();
        for (MaskingPlan.TablePlan tp : tables) {
            var tt = t.table(tp.table().qualified());
            if (tt.isEmpty()) {
                missing.add("table " + tp.table().qualified());
                continue;
            }
            for (ColumnInfo c : tp.table().columns()) {
                if (tt.get().column(c.name()).isEmpty()) missing.add("column " + tp.table().qualified() + "." + c.name());
            }
        }
        if (!missing.isEmpty()) {
            throw new AnonymizationException("the target database lacks " + String.join(", ", missing)
                    + "; create its schema from the source first (pg_dump --schema-only)");
        }
    }

    private static Map<String, Long> estimate(Connection coord, List<MaskingPlan.TablePlan> tables) throws SQLException {
        Map<String, Long> out = new LinkedHashMap<>();
        try (Statement st = coord.createStatement()) {
            for (MaskingPlan.TablePlan tp : tables) {
                long n = tp.table().estimatedRows();
                if (n <= 0) { // never analyzed (reltuples -1) or really empty: count, it is cheap for small tables
                    try (ResultSet rs = st.executeQuery("select count(*) from only " + tp.table().sqlName())) {
                        rs.next();
                        n = rs.getLong(1);
                    }
                }
                out.put(tp.table().qualified(), n);
            }
        }
        return out;
    }

    private static void truncate(Connection admin, List<MaskingPlan.TablePlan> tables) throws SQLException {
        if (tables.isEmpty()) return;
        StringBuilder sb = new StringBuilder("truncate table ");
        for (int i = 0; i < tables.size(); i++) sb.append(i > 0 ? ", " : "").append("only ").append(tables.get(i).table().sqlName());
        try (Statement st = admin.createStatement()) {
            st.execute(sb.toString());
        }
    }

    /**
     * One unit of copying: a whole table, or the rows of one range of its heap pages ({@code [fromPage, toPage)},
     * {@code toPage} -1 = to the end). COPY FROM is one backend per stream, so a single big table loaded as
     * one stream keeps one target core busy however many cores there are; page ranges (TID range scans on
     * the source, all in the same snapshot) let the target load it in parallel.
     */
    private record Chunk(MaskingPlan.TablePlan tp, long fromPage, long toPage, long estimate) {
        boolean whole() { return fromPage < 0; }
    }

    /** Tables of at least this many (estimated) rows are split into {@code parallelism} page ranges. */
    private static final long SPLIT_ROWS = 100_000;

    private List<Chunk> chunks(Connection coord, List<MaskingPlan.TablePlan> tables, Map<String, Long> estimates) throws SQLException {
        List<Chunk> out = new ArrayList<>();
        for (MaskingPlan.TablePlan tp : tables) {
            long est = estimates.get(tp.table().qualified());
            long pages = 0;
            if (splitTables && parallelism > 1 && est >= SPLIT_ROWS && !tp.table().columns().isEmpty()) {
                try (var ps = coord.prepareStatement("select pg_relation_size(cast(? as regclass)) / current_setting('block_size')::bigint")) {
                    ps.setString(1, tp.table().sqlName());
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        pages = rs.getLong(1);
                    }
                }
            }
            if (pages < parallelism * 16L) {
                out.add(new Chunk(tp, -1, -1, est));
                continue;
            }
            long per = (pages + parallelism - 1) / parallelism;
            for (int i = 0; i < parallelism; i++) {
                // the last range is open-ended: pages added after the size was read hold no rows of the snapshot,
                // but the range must not end before the relation does
                out.add(new Chunk(tp, i * per, i == parallelism - 1 ? -1 : (i + 1) * per, est / parallelism));
            }
        }
        return out;
    }

    private long copyTable(Chunk chunk, String snapshot, List<Connection> open, AtomicLong done, Runnable tick)
            throws AnonymizationException {
        MaskingPlan.TablePlan tp = chunk.tp();
        SourceSchema.Table t = tp.table();
        StringBuilder cols = new StringBuilder();
        for (ColumnInfo c : t.columns()) cols.append(cols.isEmpty() ? "" : ", ").append(SourceSchema.quote(c.name()));
        String colList = t.columns().isEmpty() ? "" : " (" + cols + ")";
        try (Connection src = source.connect(); Connection dst = target.connect()) {
            open.add(src);
            open.add(dst);
            src.setAutoCommit(false);
            dst.setAutoCommit(false);
            try (Statement st = src.createStatement()) {
                st.execute("set transaction isolation level repeatable read, read only");
                if (snapshot != null) st.execute("set transaction snapshot '" + snapshot + "'");
            }
            try (Statement st = dst.createStatement()) {
                st.execute("set local session_replication_role = replica");
                st.execute("set local synchronous_commit = off");
            }
            if (t.columns().isEmpty()) { // a table without columns can still have rows; COPY handles that too
                colList = "";
            }
            CopyManager in = src.unwrap(PGConnection.class).getCopyAPI();
            CopyManager outApi = dst.unwrap(PGConnection.class).getCopyAPI();
            String from = chunk.whole() ? t.sqlName() + colList
                    : "(select " + cols + " from only " + t.sqlName() + " where ctid >= '(" + chunk.fromPage() + ",0)'::tid"
                    + (chunk.toPage() < 0 ? "" : " and ctid < '(" + chunk.toPage() + ",0)'::tid") + ")";
            CopyOut co = in.copyOut("copy " + from + " to stdout");
            CopyIn ci = outApi.copyIn("copy " + t.sqlName() + colList + " from stdin");
            RowMasker masker = tp.masked() ? new RowMasker(tp) : null;
            CopyText.Sink sink = new CopyText.Sink(FLUSH_BYTES + 64 * 1024);
            long n = 0;
            try {
                byte[] row;
                while ((row = co.readFromCopy()) != null) {
                    if (masker != null) masker.mask(row, row.length, sink);
                    else sink.put(row, 0, row.length);
                    n++;
                    if (sink.len >= FLUSH_BYTES) {
                        ci.writeToCopy(sink.buf, 0, sink.len);
                        sink.reset();
                    }
                    if ((n & 0xFFFF) == 0) {
                        done.addAndGet(0x10000);
                        tick.run();
                    }
                }
                if (sink.len > 0) ci.writeToCopy(sink.buf, 0, sink.len);
                ci.endCopy();
            } catch (RuntimeException | SQLException e) {
                if (co.isActive()) try { co.cancelCopy(); } catch (SQLException ignored) { }
                if (ci.isActive()) try { ci.cancelCopy(); } catch (SQLException ignored) { }
                String why = e instanceof SQLException s ? firstLine(s) : e.getMessage();
                throw new AnonymizationException("copying table " + t.qualified() + " failed at row " + (n + 1) + ": " + why, e);
            }
            done.addAndGet(n & 0xFFFF);
            dst.commit();
            src.commit();
            open.remove(src);
            open.remove(dst);
            return n;
        } catch (SQLException e) {
            throw new AnonymizationException("copying table " + t.qualified() + " failed: " + firstLine(e), e);
        }
    }

    /** Loading ran with FK triggers off: prove every foreign key still holds (it does when keys map deterministically). */
    private static void checkForeignKeys(Connection admin, SourceSchema schema, java.util.Set<String> alreadyValidated)
            throws SQLException, AnonymizationException {
        try (Statement st = admin.createStatement()) {
            for (SourceSchema.ForeignKey fk : schema.foreignKeys()) {
                if (!fk.validated()) continue; // NOT VALID constraints were not guaranteed on the source either
                if (alreadyValidated.contains(fk.childTable() + "." + fk.name())) continue; // re-added, so PostgreSQL checked it
                String child = qualified(fk.childTable()), parent = qualified(fk.parentTable());
                StringBuilder notNull = new StringBuilder(), join = new StringBuilder();
                for (int i = 0; i < fk.childColumns().size(); i++) {
                    String cc = "c." + SourceSchema.quote(fk.childColumns().get(i)), pc = "p." + SourceSchema.quote(fk.parentColumns().get(i));
                    notNull.append(i > 0 ? " and " : "").append(cc).append(" is not null");
                    join.append(i > 0 ? " and " : "").append(pc).append(" = ").append(cc);
                }
                String sql = "select count(*) from " + child + " c where " + notNull + " and not exists (select 1 from " + parent
                        + " p where " + join + ")";
                try (ResultSet rs = st.executeQuery(sql)) {
                    rs.next();
                    long bad = rs.getLong(1);
                    if (bad > 0) {
                        throw new AnonymizationException("after masking, " + bad + " rows of " + fk.childTable() + " violate foreign key "
                                + fk.name() + " (" + String.join(", ", fk.childColumns()) + ") -> " + fk.parentTable());
                    }
                }
            }
        }
    }

    private static int copySequences(Connection coord, Connection admin, SourceSchema schema) throws SQLException {
        int n = 0;
        for (SourceSchema.Sequence s : schema.sequences()) {
            long last;
            boolean called;
            try (Statement st = coord.createStatement(); ResultSet rs = st.executeQuery("select last_value, is_called from " + s.sqlName())) {
                rs.next();
                last = rs.getLong(1);
                called = rs.getBoolean(2);
            }
            try (var ps = admin.prepareStatement("select setval(?::regclass, ?, ?)")) {
                ps.setString(1, s.sqlName());
                ps.setLong(2, last);
                ps.setBoolean(3, called);
                ps.executeQuery().close();
            }
            n++;
        }
        return n;
    }

    private static String qualified(String schemaDotTable) {
        int dot = schemaDotTable.indexOf('.');
        return SourceSchema.quote(schemaDotTable.substring(0, dot)) + "." + SourceSchema.quote(schemaDotTable.substring(dot + 1));
    }

    private static void closeQuietly(Connection c) {
        try { c.close(); } catch (SQLException ignored) { }
    }

    private static String firstLine(SQLException e) {
        String m = e.getMessage();
        return m == null ? e.toString() : m.lines().findFirst().orElse(m);
    }
}
