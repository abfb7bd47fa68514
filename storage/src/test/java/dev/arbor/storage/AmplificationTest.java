package dev.arbor.storage;

import dev.arbor.storage.bench.Bench;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scaled storage amplification check: 50 branches of a 64 MiB timeline, each rewriting 1% of its
 * pages, must take at most 1.6x the space of one copy. (scripts/bench-storage prints the 1 GiB figure.)
 */
class AmplificationTest {
    @TempDir Path dir;

    @Test void fiftyBranchesRewritingOnePercentStayUnder1point6x() {
        long size = 64L << 20;
        double ratio = Bench.amplification(dir, size, 50, StoreConfig.defaults().withOpenLayerBytes(4 << 20));
        System.out.printf("AmplificationTest: 50 branches x 1%% of %d MiB -> %.3fx of one copy%n", size >> 20, ratio);
        assertThat(ratio).isLessThanOrEqualTo(1.6);
    }
}
