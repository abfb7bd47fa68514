package dev.arbor.storage.layer;

/** In-memory value conventions shared by layers: {@code null} = no version here, {@link #TOMBSTONE} = deleted. */
public final class Values {
    private Values() {}

    /** Identity-compared marker of a deletion; on disk its length is -1. */
    public static final byte[] TOMBSTONE = new byte[0];

    public static boolean isTombstone(byte[] v) { return v == TOMBSTONE; }
}
