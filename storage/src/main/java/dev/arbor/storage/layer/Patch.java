package dev.arbor.storage.layer;

import dev.arbor.storage.Key;

import java.util.Arrays;

/**
 * A block version stored as the bytes that changed since the version before it, like the WAL records Neon's
 * pageserver keeps instead of pages. PostgreSQL rewrites its current WAL page whole at every commit to add a few
 * hundred bytes, and writes data pages back with a tuple or two changed: storing each as 8 KiB multiplied what the
 * log, the open layer, the delta layers and image compaction carry.
 * <p>Encoding: runs of {@code [u16 offset][u16 length][bytes]}. A block's full value is always {@link Key#BLOCK_SIZE}
 * bytes and a patch is kept under half of that, so the length alone tells them apart and neither the log nor the layer
 * format changes. A patch's base is the previous version of the same key in the same layer (writers patch only
 * against their open layer), so every chain ends within one layer, at most {@link #MAX_CHAIN} back: at a full version,
 * or at a patch {@linkplain #onZeros on zeros} (a block written into a hole), marked by an empty first run at offset
 * 0xFFFF, so that a chain which finds neither is reported as damage instead of being read as zeros.
 */
public final class Patch {
    private Patch() {}

    /**
     * Patches in a row before a full version again, and their bytes: bound what a read of the newest version replays
     * (about two blocks of copying, in at most this many steps). A WAL page filled over 40 commits is one chain.
     */
    public static final int MAX_CHAIN = 64, MAX_CHAIN_BYTES = 2 * Key.BLOCK_SIZE;
    static final int LIMIT = Key.BLOCK_SIZE / 2;
    private static final int HEAD = 4;
    private static final int GAP = 8;  // equal bytes that end a run: a shorter gap costs less inside it than a new head
    private static final int ON_ZEROS = 0xFFFF;  // offset of the empty first run that marks a patch on zeros
    private static final byte[] ZEROS = new byte[Key.BLOCK_SIZE];  // only read

    /** Whether {@code v}, a version of {@code key}, is a patch (not a full block, not a tombstone, not another kind). */
    public static boolean isPatch(long key, byte[] v) {
        return v != null && !Values.isTombstone(v) && v.length != Key.BLOCK_SIZE && Key.kindOf(key) == Key.Kind.BLOCK;
    }

    /** The changes from {@code base} to {@code next} (both full blocks), or null when a full version is smaller to keep. */
    public static byte[] diff(byte[] base, byte[] next) {
        int bs = Key.BLOCK_SIZE;
        byte[] out = new byte[LIMIT];
        int n = 0, pos = 0;
        while (pos < bs) {
            int m = Arrays.mismatch(base, pos, bs, next, pos, bs);
            if (m < 0) break;
            int start = pos + m, end = start + 1;
            while (end < bs) {
                if (base[end] != next[end]) { end++; continue; }
                int to = Math.min(end + GAP, bs);
                int eq = Arrays.mismatch(base, end, to, next, end, to);
                if (eq < 0) break;  // GAP equal bytes (or the block's end): the run ends here
                end += eq;
            }
            int len = end - start;
            if (n + HEAD + len >= LIMIT) return null;
            out[n] = (byte) (start >>> 8);
            out[n + 1] = (byte) start;
            out[n + 2] = (byte) (len >>> 8);
            out[n + 3] = (byte) len;
            System.arraycopy(next, start, out, n + HEAD, len);
            n += HEAD + len;
            pos = end;
        }
        return Arrays.copyOf(out, n);
    }

    /** {@code block} as a patch on zeros (for a block written into a hole), or null when a full version is smaller. */
    public static byte[] onZeros(byte[] block) {
        byte[] d = diff(ZEROS, block);
        if (d == null || d.length + HEAD >= LIMIT) return null;
        byte[] p = new byte[HEAD + d.length];
        p[0] = p[1] = (byte) (ON_ZEROS >>> 8);
        System.arraycopy(d, 0, p, HEAD, d.length);
        return p;
    }

    /** Whether patch {@code p} applies to zeros rather than to the version before it. */
    public static boolean isOnZeros(byte[] p) {
        return p.length >= HEAD && (p[0] & 0xff) == 0xff && (p[1] & 0xff) == 0xff && p[2] == 0 && p[3] == 0;
    }

    /** A zero block, the base of a chain that starts {@linkplain #onZeros on zeros}. */
    public static byte[] zeros() { return new byte[Key.BLOCK_SIZE]; }

    /** Applies {@code patch} to a copy of {@code base} (a full block). */
    public static byte[] apply(byte[] base, byte[] patch) {
        byte[] b = base.clone();
        applyInPlace(b, patch);
        return b;
    }

    /** Applies {@code patch} to {@code block} itself. */
    public static void applyInPlace(byte[] block, byte[] patch) {
        int n = 0;
        while (n < patch.length) {
            int off = ((patch[n] & 0xff) << 8) | (patch[n + 1] & 0xff);
            int len = ((patch[n + 2] & 0xff) << 8) | (patch[n + 3] & 0xff);
            if (off == ON_ZEROS && len == 0) {  // the mark of a patch on zeros: nothing to copy
                n += HEAD;
                continue;
            }
            if (off + len > block.length || n + HEAD + len > patch.length)
                throw new IllegalArgumentException("patch run " + off + "+" + len + " outside the block");
            System.arraycopy(patch, n + HEAD, block, off, len);
            n += HEAD + len;
        }
    }
}
