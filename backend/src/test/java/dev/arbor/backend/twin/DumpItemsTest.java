package dev.arbor.backend.twin;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Progress accounting from pg_restore's listing and verbose output (lines as PostgreSQL 15 prints them). */
class DumpItemsTest {
    private static final String LISTING = """
            ;
            ; Archive created at 2026-11-25 22:24:01 UTC
            215; 1259 16387 TABLE public a arbor
            214; 1259 16386 SEQUENCE public a_id_seq arbor
            3351; 0 16387 TABLE DATA public a arbor
            3352; 0 16395 TABLE DATA public b arbor
            3360; 0 0 SEQUENCE SET public a_id_seq arbor
            3204; 1259 16405 INDEX public a_v_idx arbor
            """;

    @Test
    void countsTablesAndBytesAsTheyFinish() throws Exception {
        Path dir = Files.createTempDirectory("twin-dump-");
        try {
            Files.write(dir.resolve("3351.dat"), new byte[8791]);
            Files.write(dir.resolve("3352.dat"), new byte[3789]);
            DumpItems d = DumpItems.of(dir, LISTING);
            assertThat(d.tables()).isEqualTo(2);
            assertThat(d.bytes()).isEqualTo(8791 + 3789);
            assertThat(d.restored("pg_restore: launching item 3351 TABLE DATA a")).isFalse();
            assertThat(d.restored("pg_restore: finished item 3204 INDEX a_v_idx")).isFalse();
            assertThat(d.restored("pg_restore: finished item 3352 TABLE DATA b")).isTrue();
            assertThat(d.restored("pg_restore: finished item 3352 TABLE DATA b")).isFalse(); // counted once
            assertThat(d.tablesDone()).isEqualTo(1);
            assertThat(d.bytesDone()).isEqualTo(3789);
            assertThat(d.restored("pg_restore: finished item 3351 TABLE DATA a")).isTrue();
            assertThat(d.bytesDone()).isEqualTo(d.bytes());
        } finally {
            try (var w = Files.walk(dir)) { w.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete()); }
        }
    }

    @Test
    void dumpLinesCountFinishedTablesInParallelModeAndStartedOnesSerially() {
        assertThat(DumpItems.dumped("pg_dump: finished item 3351 TABLE DATA a", true)).isTrue();
        assertThat(DumpItems.dumped("pg_dump: dumping contents of table \"public.a\"", true)).isFalse();
        assertThat(DumpItems.dumped("pg_dump: dumping contents of table \"public.a\"", false)).isTrue();
        assertThat(DumpItems.dumped("pg_dump: reading indexes", false)).isFalse();
    }
}
