package dev.arbor.backend.twin;

import io.vertx.core.json.JsonObject;

/**
 * How far an import is, shown as the operation's {@code progress}: the phase, tables whose rows are done
 * and bytes of table data done. While dumping, the totals are the source's own estimate (table sizes on
 * disk); while restoring, they are the dump's exact table-data sizes.
 */
public record ImportProgress(Phase phase, int tablesTotal, int tablesDone, long bytesTotal, long bytesDone) {
    public enum Phase { checking, dumping, restoring, switching, done }

    public ImportProgress {
        tablesDone = Math.min(tablesDone, tablesTotal);
        bytesDone = Math.min(bytesDone, Math.max(bytesTotal, 0));
    }

    public JsonObject json() {
        return new JsonObject().put("phase", phase.name()).put("tables_total", tablesTotal).put("tables_done", tablesDone)
                .put("bytes_total", bytesTotal).put("bytes_done", bytesDone);
    }
}
