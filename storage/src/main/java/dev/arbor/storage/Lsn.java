package dev.arbor.storage;

/**
 * A log sequence number: the store-wide, monotonically increasing write position. Every record
 * appended to any timeline takes the next LSN, so LSNs also increase along every lineage (a child's
 * first write is always above its branch point).
 */
public record Lsn(long value) implements Comparable<Lsn> {
    public static final Lsn ZERO = new Lsn(0);
    public static final Lsn MAX = new Lsn(Long.MAX_VALUE);

    public Lsn {
        if (value < 0) throw new IllegalArgumentException("LSN must be >= 0: " + value);
    }

    public static Lsn of(long value) { return new Lsn(value); }

    /** Parses Postgres-style {@code 0/16B3748} or a plain decimal number. */
    public static Lsn parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) return new Lsn(Long.parseLong(text.trim()));
        long hi = Long.parseUnsignedLong(text.substring(0, slash).trim(), 16);
        long lo = Long.parseUnsignedLong(text.substring(slash + 1).trim(), 16);
        return new Lsn((hi << 32) | lo);
    }

    public boolean isAfter(Lsn other) { return value > other.value; }
    public boolean isBefore(Lsn other) { return value < other.value; }
    public Lsn min(Lsn other) { return value <= other.value ? this : other; }
    public Lsn next() { return new Lsn(value + 1); }

    @Override public int compareTo(Lsn o) { return Long.compare(value, o.value); }

    /** Postgres' text form, {@code HI/LO} in hex. */
    @Override public String toString() {
        return Long.toHexString(value >>> 32).toUpperCase() + "/" + Long.toHexString(value & 0xffffffffL).toUpperCase();
    }
}
