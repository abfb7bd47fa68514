package dev.arbor.storage.bench;

import dev.arbor.storage.StoreConfig;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.nio.file.Path;
import java.util.Collection;
import java.util.Locale;

/**
 * Runs the storage benchmarks and prints the figures side by side with their ratios
 * (scripts/bench-storage). {@code --quick} shrinks the large cases for a smoke run.
 */
public final class StorageBench {
    public static void main(String[] args) throws Exception {
        boolean quick = java.util.Arrays.asList(args).contains("--quick");
        if (java.util.Arrays.asList(args).contains("--wal-sync")) {
            WalSyncBench.main(args);
            return;
        }
        if (java.util.Arrays.asList(args).contains("--write-only")) {
            Collection<RunResult> w = run(WriteBenchmark.class, null);
            System.out.printf(Locale.ROOT, "write, sync every 8 x 8 KiB: native %.1f MB/s, store %.1f MB/s%n",
                    scoreOf(w, "nativeFile") * 64 / 1024, scoreOf(w, "store") * 64 / 1024);
            return;
        }
        String bigPages = quick ? "100000" : "1000000";
        long ampSize = quick ? 128L << 20 : 1L << 30;

        Collection<RunResult> branch = run(BranchBenchmark.class, "pages", "1000", bigPages);
        Collection<RunResult> read = run(ReadBenchmark.class, "depth", "1", "10");
        Collection<RunResult> write = run(WriteBenchmark.class, null);

        Path ampDir = Bench.scratch("amplification");
        double amp;
        try {
            amp = Bench.amplification(ampDir, ampSize, 50, StoreConfig.defaults());
        } finally {
            Bench.delete(ampDir);
        }

        double b1k = score(branch, "pages", "1000"), bBig = score(branch, "pages", bigPages);
        RunResult r1 = find(read, "depth", "1"), r10 = find(read, "depth", "10");
        double p50d1 = pct(r1, 50), p99d1 = pct(r1, 99), p50d10 = pct(r10, 50), p99d10 = pct(r10, 99);
        double storeOps = scoreOf(write, "store"), nativeOps = scoreOf(write, "nativeFile");
        double storeMBs = storeOps * 64 / 1024, nativeMBs = nativeOps * 64 / 1024;

        StringBuilder out = new StringBuilder();
        out.append("\n== Arbor storage benchmarks ==\n");
        out.append(String.format(Locale.ROOT, "| %-58s | %-24s | %-24s | %-8s |%n", "figure", "A", "B", "B/A"));
        out.append(String.format(Locale.ROOT, "|%s|%s|%s|%s|%n", "-".repeat(60), "-".repeat(26), "-".repeat(26), "-".repeat(10)));
        row(out, "branch creation (A: 1k pages, B: " + (quick ? "100k" : "1M") + " pages), mean",
                us(b1k), us(bBig), bBig / b1k);
        row(out, "page read p50 after compaction (A: depth 1, B: depth 10)", us(p50d1), us(p50d10), p50d10 / p50d1);
        row(out, "page read p99 after compaction (A: depth 1, B: depth 10)", us(p99d1), us(p99d10), p99d10 / p99d1);
        row(out, "write, sync every 8 x 8 KiB (A: native file, B: store)",
                String.format(Locale.ROOT, "%.1f MB/s", nativeMBs), String.format(Locale.ROOT, "%.1f MB/s", storeMBs), storeMBs / nativeMBs);
        row(out, "space of 50 branches x 1% rewrites (A: one copy of " + (ampSize >> 20) + " MiB)",
                "1.000x", String.format(Locale.ROOT, "%.3fx", amp), amp);
        System.out.println(out);
    }

    private static void row(StringBuilder out, String what, String a, String b, double ratio) {
        out.append(String.format(Locale.ROOT, "| %-58s | %-24s | %-24s | %-8s |%n", what, a, b, String.format(Locale.ROOT, "%.2f", ratio)));
    }

    private static String us(double v) { return String.format(Locale.ROOT, "%.1f us", v); }

    private static Collection<RunResult> run(Class<?> bench, String param, String... values) throws Exception {
        ChainedOptionsBuilder o = new OptionsBuilder().include(bench.getName() + "\\.").shouldFailOnError(true)
                .verbosity(VerboseMode.NORMAL);
        if (param != null) o = o.param(param, values);
        return new Runner(o.build()).run();
    }

    private static RunResult find(Collection<RunResult> rs, String param, String value) {
        return rs.stream().filter(r -> value.equals(r.getParams().getParam(param))).findFirst().orElseThrow();
    }

    private static double score(Collection<RunResult> rs, String param, String value) {
        return find(rs, param, value).getPrimaryResult().getScore();
    }

    private static double scoreOf(Collection<RunResult> rs, String method) {
        return rs.stream().filter(r -> r.getParams().getBenchmark().endsWith("." + method)).findFirst().orElseThrow()
                .getPrimaryResult().getScore();
    }

    private static double pct(RunResult r, double p) {
        return r.getPrimaryResult().getStatistics().getPercentile(p);
    }
}
