package dev.arbor.backend.twin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The table-data items of a directory-format dump ({@code pg_restore -l}: {@code "3351; 0 16387 TABLE DATA public a owner"})
 * with the size of each item's data file, and the items pg_dump/pg_restore report finished in verbose mode.
 */
final class DumpItems {
    private static final Pattern TOC_LINE = Pattern.compile("^(\\d+); \\d+ \\d+ TABLE DATA ");
    private static final Pattern FINISHED = Pattern.compile(": finished item (\\d+) TABLE DATA ");
    private static final Pattern DUMPING = Pattern.compile(": dumping contents of table ");

    private final Map<Integer, Long> bytesByItem = new HashMap<>();
    private final Set<Integer> finished = new HashSet<>();
    private long bytesDone;

    /** From the {@code pg_restore -l} listing of {@code dir}. */
    static DumpItems of(Path dir, String listing) throws IOException {
        DumpItems d = new DumpItems();
        for (String line : listing.lines().toList()) {
            Matcher m = TOC_LINE.matcher(line);
            if (!m.find()) continue;
            int id = Integer.parseInt(m.group(1));
            Path dat = dir.resolve(id + ".dat");
            Path gz = dir.resolve(id + ".dat.gz");
            long size = Files.exists(dat) ? Files.size(dat) : Files.exists(gz) ? Files.size(gz) : 0;
            d.bytesByItem.put(id, size);
        }
        return d;
    }

    int tables() { return bytesByItem.size(); }

    long bytes() { return bytesByItem.values().stream().mapToLong(Long::longValue).sum(); }

    synchronized int tablesDone() { return finished.size(); }

    synchronized long bytesDone() { return bytesDone; }

    /** Counts a {@code pg_restore -v} line; true if it finished a table's data. */
    synchronized boolean restored(String line) {
        Matcher m = FINISHED.matcher(line);
        if (!m.find()) return false;
        int id = Integer.parseInt(m.group(1));
        if (!finished.add(id)) return false;
        bytesDone += bytesByItem.getOrDefault(id, 0L);
        return true;
    }

    /** True for a {@code pg_dump -v} line that means one more table's data is done (parallel) or begun (serial). */
    static boolean dumped(String line, boolean parallel) {
        return parallel ? FINISHED.matcher(line).find() : DUMPING.matcher(line).find();
    }
}
