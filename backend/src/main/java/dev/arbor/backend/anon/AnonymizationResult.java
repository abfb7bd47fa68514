package dev.arbor.backend.anon;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/** What a finished run did: rows copied per table, the masked columns, sequences reset, wall time. */
public record AnonymizationResult(String database, Map<String, Long> rowsByTable, List<String> maskedColumns,
                                  int sequences, Duration elapsed) {
    public long totalRows() { return rowsByTable.values().stream().mapToLong(Long::longValue).sum(); }
}
