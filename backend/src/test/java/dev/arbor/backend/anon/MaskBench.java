package dev.arbor.backend.anon;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The Java side of scripts/bench-anon alone: CPU time per row of {@link RowMasker} on bench-anon's table and
 * rules, one thread, no PostgreSQL. Thread CPU time, so the figure holds on a busy machine too.
 * Run: {@code java -cp ... dev.arbor.backend.anon.MaskBench} (scripts/bench-anon prints it first).
 */
public final class MaskBench {
    public static void main(String[] args) throws Exception {
        int rows = Integer.parseInt(System.getenv().getOrDefault("BENCH_ROWS", "1000000"));
        List<ColumnInfo> cols = List.of(
                new ColumnInfo("id", 0, "int8", ValueKind.INT, true, -1, "bigint"),
                new ColumnInfo("email", 1, "text", ValueKind.TEXT, true, -1, "text"),
                new ColumnInfo("first_name", 2, "text", ValueKind.TEXT, false, -1, "text"),
                new ColumnInfo("last_name", 3, "text", ValueKind.TEXT, false, -1, "text"),
                new ColumnInfo("phone", 4, "text", ValueKind.TEXT, false, -1, "text"),
                new ColumnInfo("signup", 5, "date", ValueKind.DATE, false, -1, "date"));
        SourceSchema schema = new SourceSchema(List.of(new SourceSchema.Table("public", "customers", cols, Set.of(),
                Set.of("id", "email"), rows, false, List.of())), List.of(), List.of());
        List<MaskingRule> rules = List.of(
                MaskingRule.function("arbor", "public", "customers", "email", "anon.dummy_free_email()"),
                MaskingRule.function("arbor", "public", "customers", "first_name", "anon.dummy_first_name()"),
                MaskingRule.function("arbor", "public", "customers", "last_name", "anon.pseudo_last_name(id)"),
                MaskingRule.function("arbor", "public", "customers", "phone", "anon.partial(phone, 2, $$******$$, 2)"));
        MaskingPlan plan = MaskingPlan.build(rules, "arbor", schema, MaskingKey.generate(), null);
        Fakes.warm();
        byte[][] lines = new byte[rows][];
        for (int g = 1; g <= rows; g++) { // the rows bench-anon's source holds, in COPY text form
            lines[g - 1] = String.format(Locale.ROOT, "%d\tuser%d@corp.example\tFirst%d\tLast%d\t+1-555-%07d\t2020-01-01%n",
                    g, g, g % 5000, g % 20000, g % 10_000_000).getBytes(StandardCharsets.UTF_8);
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        double best = Double.MAX_VALUE;
        for (int round = 0; round < 3; round++) {
            RowMasker m = new RowMasker(plan.tables().getFirst());
            CopyText.Sink sink = new CopyText.Sink(1 << 20);
            long cpu0 = mx.getCurrentThreadCpuTime();
            for (byte[] l : lines) {
                m.mask(l, l.length, sink);
                if (sink.len > (1 << 19)) sink.reset();
            }
            double nsPerRow = (mx.getCurrentThreadCpuTime() - cpu0) / (double) rows;
            best = Math.min(best, nsPerRow);
            System.out.printf(Locale.ROOT, "masking alone, round %d: %.0f ns CPU per row = %,.0f rows/s per core%n",
                    round + 1, nsPerRow, 1e9 / nsPerRow);
        }
        System.out.printf(Locale.ROOT, "RESULT masking alone: %.0f ns CPU per row, %,.0f rows/s per core (best of 3)%n", best, 1e9 / best);
    }
}
