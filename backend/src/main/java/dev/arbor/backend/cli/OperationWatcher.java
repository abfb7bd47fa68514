package dev.arbor.backend.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Polls operations until they end, drawing progress on stderr: a bar redrawn in place with {@code \r} on
 * a terminal, one line per change otherwise (logs, CI). An operation that reports {@code progress}
 * (twin import: tables and bytes) drives the bar; otherwise it counts finished operations.
 */
final class OperationWatcher {
    private static final Duration TIMEOUT = Duration.ofHours(6);
    private static final int WIDTH = 24;
    private final Session s;
    private final boolean tty;
    private String lastLine = "";

    OperationWatcher(Session s) {
        this.s = s;
        var console = System.console();
        this.tty = console != null && console.isTerminal() && !Boolean.getBoolean("arbor.cli.plain");
    }

    void await(JsonArray ops) {
        if (ops == null || ops.isEmpty()) return;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < ops.size(); i++) ids.add(ops.getJsonObject(i).getString("id"));
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        int done = 0;
        try {
            while (done < ids.size()) {
                JsonObject op = s.api.get(s.projectPath() + "/operations/" + ids.get(done)).getJsonObject("operation");
                String status = op.getString("status");
                draw(render(done, ids.size(), op));
                switch (status) {
                    case "finished", "skipped" -> done++;
                    case "failed", "error", "cancelled" -> throw new CliError(CliError.OPERATION, "operation " + op.getString("id")
                            + " (" + op.getString("action") + ") " + status + ": " + op.getString("error", "no reason given"));
                    default -> {
                        if (System.nanoTime() > deadline) throw new CliError(CliError.OPERATION, "gave up waiting for operation " + op.getString("id"));
                        sleep(200);
                    }
                }
            }
            draw(bar(1.0) + " done (" + ids.size() + " operation" + (ids.size() == 1 ? "" : "s") + ")");
        } finally {
            if (tty && !lastLine.isEmpty()) s.err.println();
            s.err.flush();
        }
    }

    private String render(int done, int total, JsonObject op) {
        JsonObject p = op.getJsonObject("progress");
        String what = op.getString("action") + " " + op.getString("status");
        if (p != null) {
            long bt = p.getLong("bytes_total", 0L);
            long bd = p.getLong("bytes_done", 0L);
            int tt = p.getInteger("tables_total", 0);
            int td = p.getInteger("tables_done", 0);
            double f = bt > 0 ? (double) bd / bt : tt > 0 ? (double) td / tt : 0;
            return bar(f) + String.format(Locale.ROOT, " %3d%% %s: %s, %d/%d tables, %s/%s", Math.round(f * 100),
                    op.getString("action"), p.getString("phase"), td, tt, bytes(bd), bytes(bt));
        }
        return bar(total == 0 ? 1 : (double) done / total) + " " + done + "/" + total + " operations, " + what;
    }

    private static String bar(double f) {
        int n = (int) Math.round(Math.max(0, Math.min(1, f)) * WIDTH);
        return "[" + "#".repeat(n) + "-".repeat(WIDTH - n) + "]";
    }

    static String bytes(long b) {
        if (b < 1024) return b + " B";
        if (b < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        if (b < 1024L * 1024 * 1024) return String.format(Locale.ROOT, "%.1f MiB", b / 1048576.0);
        return String.format(Locale.ROOT, "%.2f GiB", b / 1073741824.0);
    }

    private void draw(String line) {
        if (line.equals(lastLine)) return;
        if (tty) {
            int pad = Math.max(0, lastLine.length() - line.length());
            s.err.print("\r" + line + " ".repeat(pad));
        } else {
            s.err.println(line);
        }
        s.err.flush();
        lastLine = line;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliError(CliError.OPERATION, "interrupted while waiting for operations");
        }
    }
}
