package dev.arbor.storage;

/**
 * A versioned key of the store: (kind, inode, block), packed into one long so that layer indexes are
 * plain sorted {@code long[]} arrays. Order: META, ATTR, DIR, BLOCK, then inode, then block.
 */
public record Key(Kind kind, long inode, long block) implements Comparable<Key> {
    /** META holds lineage-wide counters (the next inode); ATTR a file's attributes; DIR a directory's entries; BLOCK an 8 KiB page. */
    public enum Kind { META, ATTR, DIR, BLOCK }

    public static final int BLOCK_SIZE = 8192;
    public static final long MAX_INODE = (1L << 29) - 1;
    public static final long MAX_BLOCK = (1L << 32) - 1;

    public Key {
        if (inode < 0 || inode > MAX_INODE) throw new IllegalArgumentException("inode out of range: " + inode);
        if (block < 0 || block > MAX_BLOCK) throw new IllegalArgumentException("block out of range: " + block);
    }

    public static long meta() { return 0L; }
    public static long attr(long inode) { return pack(Kind.ATTR, inode, 0); }
    public static long dir(long inode) { return pack(Kind.DIR, inode, 0); }
    public static long block(long inode, long block) { return pack(Kind.BLOCK, inode, block); }

    public static long pack(Kind kind, long inode, long block) {
        return ((long) kind.ordinal() << 61) | (inode << 32) | block;
    }

    public static Key unpack(long packed) {
        return new Key(Kind.values()[(int) (packed >>> 61)], (packed >>> 32) & MAX_INODE, packed & MAX_BLOCK);
    }

    public static Kind kindOf(long packed) { return Kind.values()[(int) (packed >>> 61)]; }
    public static long inodeOf(long packed) { return (packed >>> 32) & MAX_INODE; }
    public static long blockOf(long packed) { return packed & MAX_BLOCK; }

    public long packed() { return pack(kind, inode, block); }

    @Override public int compareTo(Key o) { return Long.compare(packed(), o.packed()); }

    @Override public String toString() { return kind + "(" + inode + (kind == Kind.BLOCK ? "," + block : "") + ")"; }
}
