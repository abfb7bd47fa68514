package dev.arbor.backend.anon;

/**
 * Progress of a run: the table most recently started ({@code tableIndex} of {@code tableCount}, 1-based) and
 * overall rows copied against the estimate (pg_class.reltuples, or an exact count for never-analyzed tables).
 */
public record AnonymizationProgress(String database, String table, int tableIndex, int tableCount,
                                    long rowsDone, long rowsEstimated) {
    public int percent() {
        if (rowsEstimated <= 0) return tableIndex >= tableCount ? 100 : 0;
        return (int) Math.min(100, rowsDone * 100 / rowsEstimated);
    }

    /** Neon-style status message, e.g. {@code Anonymizing table mydb.public.users (3/7), 41 %}. */
    public String message() {
        return "Anonymizing table " + database + "." + table + " (" + tableIndex + "/" + tableCount + "), " + percent() + " %";
    }
}
