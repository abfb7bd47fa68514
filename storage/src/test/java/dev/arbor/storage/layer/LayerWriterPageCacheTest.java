package dev.arbor.storage.layer;

import dev.arbor.storage.TimelineId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A written layer does not stay in the kernel's page cache (PageCache: written behind, then dropped), and reads of it
 * are still right. Residency is measured with util-linux's {@code fincore}, which CI installs; without it the test fails.
 */
class LayerWriterPageCacheTest {
    @TempDir Path tmp;

    @Test
    void aWrittenLayerIsOnDiskButNotLeftInThePageCache() throws Exception {
        TimelineId tl = TimelineId.generate();
        Path target = tmp.resolve("delta-test");
        Random r = new Random(3);
        int n = 6000;  // 6000 x 8 KiB = 47 MiB: several write-behind steps and a tail
        byte[][] values = new byte[n][];
        LayerFile layer;
        try (LayerWriter w = new LayerWriter(target, LayerFile.Kind.DELTA, tl, 1, n)) {
            for (int i = 0; i < n; i++) {
                values[i] = new byte[8192];
                r.nextBytes(values[i]);
                w.add(i, i + 1, values[i]);
            }
            layer = w.finish(tl);
        }
        long size = Files.size(target);
        assertThat(size).isGreaterThan(45L << 20);
        long resident = residentBytes(target);
        assertThat(resident).as("bytes of a %d-byte layer left in the page cache", size).isLessThan(size / 10);
        for (int i = 0; i < n; i += 97) assertThat(layer.get(i, Long.MAX_VALUE)).isEqualTo(values[i]);
        assertThat(layer.get(n - 1, Long.MAX_VALUE)).isEqualTo(values[n - 1]);
    }

    private static long residentBytes(Path file) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("fincore", "--bytes", "--noheadings", "--output", "RES", file.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("fincore: %s", out).isZero();
        return Long.parseLong(out);
    }
}
