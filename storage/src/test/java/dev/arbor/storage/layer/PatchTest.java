package dev.arbor.storage.layer;

import dev.arbor.storage.Key;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class PatchTest {
    static final int BS = Key.BLOCK_SIZE;

    @Test void aPatchReproducesTheNewBlockFromTheOld() {
        Random rnd = new Random(7);
        for (int round = 0; round < 500; round++) {
            byte[] base = new byte[BS];
            rnd.nextBytes(base);
            byte[] next = base.clone();
            int runs = 1 + rnd.nextInt(12);
            for (int r = 0; r < runs; r++) {
                int off = rnd.nextInt(BS), len = 1 + rnd.nextInt(Math.min(300, BS - off));
                for (int i = off; i < off + len; i++) next[i] = (byte) rnd.nextInt();
            }
            byte[] p = Patch.diff(base, next);
            assertThat(p).isNotNull();
            assertThat(p.length).isLessThan(BS / 2);
            assertThat(Patch.apply(base, p)).isEqualTo(next);
            assertThat(base).as("apply copies").isNotEqualTo(next);
        }
    }

    @Test void changesAtTheBlocksEdgesAndIdenticalBlocks() {
        byte[] base = new byte[BS];
        byte[] next = base.clone();
        next[0] = 1;
        next[BS - 1] = 2;
        byte[] p = Patch.diff(base, next);
        assertThat(p).hasSize(2 * (4 + 1));
        assertThat(Patch.apply(base, p)).isEqualTo(next);
        assertThat(Patch.diff(base, base.clone())).isEmpty();
        assertThat(Patch.apply(base, new byte[0])).isEqualTo(base);
    }

    @Test void nearbyChangesShareOneRunAndBigChangesStayFull() {
        byte[] base = new byte[BS];
        byte[] next = base.clone();
        next[100] = 1;
        next[104] = 1;  // 3 equal bytes between: cheaper inside the run than a second head
        assertThat(Patch.diff(base, next)).hasSize(4 + 5);
        byte[] rewritten = new byte[BS];
        new Random(1).nextBytes(rewritten);
        assertThat(Patch.diff(base, rewritten)).as("a whole new block is kept full").isNull();
    }

    @Test void onlyBlocksOfAnotherLengthArePatches() {
        long block = Key.block(5, 0);
        assertThat(Patch.isPatch(block, new byte[BS])).isFalse();
        assertThat(Patch.isPatch(block, Values.TOMBSTONE)).isFalse();
        assertThat(Patch.isPatch(block, new byte[12])).isTrue();
        assertThat(Patch.isPatch(block, new byte[0])).isTrue();
        assertThat(Patch.isPatch(Key.attr(5), new byte[12])).isFalse();
    }

    @Test void aPatchOnZerosIsMarkedAndAppliesToZeros() {
        byte[] block = new byte[BS];
        block[10] = 7;
        block[5000] = 9;
        byte[] p = Patch.onZeros(block);
        assertThat(Patch.isOnZeros(p)).isTrue();
        assertThat(Patch.isOnZeros(Patch.diff(new byte[BS], block))).as("a patch on a version is not marked").isFalse();
        assertThat(Patch.apply(Patch.zeros(), p)).isEqualTo(block);
        byte[] full = new byte[BS];
        new Random(2).nextBytes(full);
        assertThat(Patch.onZeros(full)).isNull();
    }

    @Test void runsOfAnyAlignmentAndLengthRoundTripUntilAFullBlockIsSmaller() {
        Random rnd = new Random(11);
        for (int round = 0; round < 3000; round++) {
            byte[] base = new byte[BS];
            if (rnd.nextBoolean()) rnd.nextBytes(base);
            byte[] next = base.clone();
            int changed = 0;
            int runs = 1 + rnd.nextInt(rnd.nextBoolean() ? 3 : 40);
            for (int r = 0; r < runs; r++) {
                int len = 1 + rnd.nextInt(rnd.nextInt(4) == 0 ? 6000 : 40);
                int off = rnd.nextInt(BS - Math.min(len, BS - 1));
                for (int i = off; i < Math.min(BS, off + len); i++) {
                    byte v = (byte) (base[i] + 1 + rnd.nextInt(255));  // always differs
                    if (next[i] == base[i]) changed++;
                    next[i] = v;
                }
            }
            byte[] p = Patch.diff(base, next);
            if (changed + 4 >= BS / 2) assertThat(p).as("round %d: %d bytes changed", round, changed).isNull();
            if (p == null) continue;
            assertThat(p.length).isLessThan(BS / 2);
            assertThat(Patch.apply(base, p)).as("round %d", round).isEqualTo(next);
        }
    }

    @Test void oneRunUnderTheLimitIsAPatchWhereverItSits() {
        for (int len : new int[] {1, 7, 8, 9, 100, BS / 2 - 6, BS / 2 - 5}) {
            for (int off : new int[] {0, 1, 7, 8, 4095, BS - len}) {
                byte[] base = new byte[BS];
                byte[] next = base.clone();
                for (int i = off; i < off + len; i++) next[i] = 1;
                byte[] p = Patch.diff(base, next);
                if (len + 4 < BS / 2) {
                    assertThat(p).as("len %d at %d", len, off).hasSize(4 + len);
                    assertThat(Patch.apply(base, p)).isEqualTo(next);
                } else assertThat(p).as("len %d at %d", len, off).isNull();
            }
        }
    }
}
