package dev.arbor.backend.anon;

/** SplitMix64: a tiny fast PRNG seeded per value (a fresh one per masked value costs nothing). */
final class Rng {
    private long state;

    Rng(long seed) { this.state = seed; }

    long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, bound). */
    int nextInt(int bound) {
        return (int) Math.floorMod(nextLong() >>> 1, (long) bound);
    }

    /** Uniform in [lo, hi] (inclusive, like anon.random_int_between). */
    long between(long lo, long hi) {
        long span = hi - lo + 1;
        if (span <= 0) return lo + (nextLong() & Long.MAX_VALUE) % Math.max(1, hi - lo); // overflowing ranges: close enough
        return lo + Math.floorMod(nextLong() >>> 1, span);
    }

    /** Uniform in [0, 1). */
    double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }
}
