package dev.arbor.storage.layer;

import dev.arbor.storage.Key;
import dev.arbor.storage.StorageException;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.IntFunction;
import java.util.function.Supplier;

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
    // An aligned word of equal bytes ends a run (a shorter gap costs less inside the run than a new head).
    private static final VarHandle WORDS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());
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
            int start = pos + m;
            int room = LIMIT - 1 - n - HEAD;  // bytes the run may have before a full version is smaller
            int end = runEnd(base, next, start, room);
            if ((long) end - start > room) return null;
            int len = end - start;
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

    /**
     * End of the run of changes that starts at {@code start}: before the first aligned 8-byte word after it that is
     * equal in both blocks, less the equal bytes at its tail. Compared a word at a time (a page written back whole
     * differs in thousands of bytes, which a byte loop walked one by one); gives up with {@link Integer#MAX_VALUE}
     * once the run is surely longer than {@code room}.
     */
    private static int runEnd(byte[] a, byte[] b, int start, int room) {
        int bs = Key.BLOCK_SIZE;
        int w = (start + 8) & ~7;  // the aligned word after the one holding start
        while (w < bs && (long) WORDS.get(a, w) != (long) WORDS.get(b, w)) {
            w += 8;
            if (w - start > room + 8) return Integer.MAX_VALUE;  // the word before w differs: the run is longer than room
        }
        int end = Math.min(w, bs);
        while (end > start + 1 && a[end - 1] == b[end - 1]) end--;
        return end;
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

    /**
     * Version {@code i} of {@code key} with the patches before it applied. {@code version} gives the key's versions by
     * index, older ones below (null below the first); a chain ends within one layer at a full version or a patch on
     * zeros, at most {@link #MAX_CHAIN} back. One that does not, or that patches a deletion, is damage in {@code where}.
     */
    public static byte[] resolve(long key, int i, IntFunction<byte[]> version, Supplier<String> where) {
        byte[] v = version.apply(i);
        if (!isPatch(key, v)) return v;
        byte[][] chain = new byte[MAX_CHAIN + 1][];
        int c = 0, j = i;
        while (true) {
            chain[c++] = v;
            if (isOnZeros(v)) {
                v = null;
                break;
            }
            if (c > MAX_CHAIN || (v = version.apply(--j)) == null)
                throw new StorageException.Corruption(where.get() + ": the patch of key " + key + " at " + i + " has no base");
            if (!isPatch(key, v)) break;
        }
        if (v != null && Values.isTombstone(v))
            throw new StorageException.Corruption(where.get() + ": the patch of key " + key + " at " + i + " follows a deletion");
        byte[] b = v == null ? zeros() : v.clone();
        while (c > 0) applyInPlace(b, chain[--c]);
        return b;
    }

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
