package dev.arbor.storage.layer;

import dev.arbor.storage.StorageException;
import dev.arbor.storage.TimelineId;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * An immutable layer file: a delta layer (versions of keys over an LSN range) or an image layer (one
 * version per key: the timeline's own view at one LSN). Same format for both:
 * <pre>
 * header  (64 bytes): magic, version, kind, timeline id, start LSN, end LSN, CRC32C
 * records: [crc32c][key][lsn][vlen (-1 = tombstone)][value]   crc covers key..value
 * index  : [n][(key, lsn, offset, vlen) * n][m][(millis, lsn) * m]   sorted by (key, lsn); LSN/time samples
 * footer (32 bytes): index offset, index length, index crc, magic, footer crc
 * </pre>
 * The index is held in memory (sorted arrays), so a lookup is a binary search and one positional read
 * whose checksum is verified before the value is served.
 */
public final class LayerFile {
    public enum Kind { DELTA, IMAGE }

    static final long MAGIC = 0x4152424c41595231L;      // "ARBLAYR1"
    static final long END_MAGIC = 0x4152424c454e4431L;  // "ARBLEND1"
    static final int VERSION = 1;
    static final int HEADER = 64;
    static final int FOOTER = 32;
    static final int RECORD_HEADER = 24;
    static final int INDEX_ENTRY = 28;

    /** Thrown when a layer was retired (GC) under a reader; the reader retries with a fresh layer map. */
    public static final class Retired extends RuntimeException {
        Retired() { super(null, null, false, false); }
    }

    private final Path path;
    private final String name;
    private final Kind kind;
    private final long startLsn, endLsn;
    private final long[] keys, lsns, offsets;
    private final int[] lens;
    private final long[] sampleMillis, sampleLsns;
    private final long fileSize;
    private volatile FileChannel ch;
    private volatile boolean retired;
    /** Remote layer cache: set when the local file was evicted. */
    public interface Fetcher {
        /** Downloads the whole layer back into {@link #path()}, verified. @throws StorageException.Corruption */
        void fetch(LayerFile layer);

        /** The bytes [offset, offset + length) of the remote object: one record on a cache miss. */
        byte[] readRange(LayerFile layer, long offset, int length);

        /** A read was served remotely: bring the whole layer back (in the background). */
        void missed(LayerFile layer);
    }
    private volatile Fetcher fetcher;
    private volatile boolean evicted;
    private long lastUse;  // racy on purpose: an LRU hint, not state

    private LayerFile(Path path, Kind kind, long startLsn, long endLsn, long[] keys, long[] lsns, long[] offsets,
                      int[] lens, long[] sampleMillis, long[] sampleLsns, long fileSize, FileChannel ch) {
        this.path = path;
        this.name = path.getFileName().toString();
        this.kind = kind;
        this.startLsn = startLsn;
        this.endLsn = endLsn;
        this.keys = keys;
        this.lsns = lsns;
        this.offsets = offsets;
        this.lens = lens;
        this.sampleMillis = sampleMillis;
        this.sampleLsns = sampleLsns;
        this.fileSize = fileSize;
        this.ch = ch;
    }

    /** Opens and verifies header, footer and index. @throws StorageException.Corruption */
    public static LayerFile open(Path path, TimelineId expected, long expectedSize) {
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new StorageException.Corruption("layer file " + path + " is missing or unreadable: " + e, e);
        }
        try {
            return load(path, expected, expectedSize, ch);
        } catch (StorageException.Corruption e) {
            closeQuietly(ch);
            throw e;
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            throw new StorageException.Corruption("layer file " + path + " is malformed: " + e, e);
        }
    }

    private static LayerFile load(Path path, TimelineId expected, long expectedSize, FileChannel ch) throws IOException {
        long size = ch.size();
        if (expectedSize >= 0 && size != expectedSize)
            throw corrupt(path, "size " + size + " differs from the manifest's " + expectedSize + " (truncated?)");
        if (size < HEADER + FOOTER) throw corrupt(path, "truncated to " + size + " bytes");
        ByteBuffer h = ByteBuffer.allocate(HEADER);
        IoUtil.readFully(ch, h, 0);
        h.flip();
        CRC32C crc = new CRC32C();
        crc.update(h.array(), 0, 52);
        if (h.getLong(0) != MAGIC) throw corrupt(path, "bad header magic");
        if ((int) crc.getValue() != h.getInt(52)) throw corrupt(path, "header fails its checksum");
        for (int i = 56; i < HEADER; i++) if (h.get(i) != 0) throw corrupt(path, "header padding is not zero");
        int version = h.getInt(8);
        if (version != VERSION) throw corrupt(path, "unknown format version " + version);
        Kind kind = Kind.values()[h.getInt(12)];
        byte[] tl = new byte[16];
        h.get(16, tl);
        if (expected != null && !java.util.HexFormat.of().formatHex(tl).equals(expected.value()))
            throw corrupt(path, "belongs to another timeline");
        long start = h.getLong(32), end = h.getLong(40);

        ByteBuffer f = ByteBuffer.allocate(FOOTER);
        IoUtil.readFully(ch, f, size - FOOTER);
        crc.reset();
        crc.update(f.array(), 0, 28);
        if ((int) crc.getValue() != f.getInt(28) || f.getLong(20) != END_MAGIC) throw corrupt(path, "footer is torn or fails its checksum");
        long indexOffset = f.getLong(0);
        long indexLen = f.getLong(8);
        int indexCrc = f.getInt(16);
        if (indexOffset < HEADER || indexLen < 8 || indexOffset + indexLen != size - FOOTER || indexLen > Integer.MAX_VALUE)
            throw corrupt(path, "index bounds are invalid");
        ByteBuffer idx = ByteBuffer.allocate((int) indexLen);
        IoUtil.readFully(ch, idx, indexOffset);
        crc.reset();
        crc.update(idx.array());
        if ((int) crc.getValue() != indexCrc) throw corrupt(path, "index fails its checksum");
        idx.flip();
        int n = idx.getInt();
        if (n < 0 || (long) n * INDEX_ENTRY + 8 > indexLen) throw corrupt(path, "index entry count is invalid");
        long[] keys = new long[n], lsns = new long[n], offsets = new long[n];
        int[] lens = new int[n];
        for (int i = 0; i < n; i++) {
            keys[i] = idx.getLong();
            lsns[i] = idx.getLong();
            offsets[i] = idx.getLong();
            lens[i] = idx.getInt();
            if (offsets[i] < HEADER || offsets[i] + RECORD_HEADER + Math.max(lens[i], 0) > indexOffset)
                throw corrupt(path, "index entry " + i + " points outside the records");
        }
        int m = idx.getInt();
        if (m < 0 || (long) m * 16 > idx.remaining()) throw corrupt(path, "sample count is invalid");
        long[] sm = new long[m], sl = new long[m];
        for (int i = 0; i < m; i++) {
            sm[i] = idx.getLong();
            sl[i] = idx.getLong();
        }
        return new LayerFile(path, kind, start, end, keys, lsns, offsets, lens, sm, sl, size, ch);
    }

    private static StorageException.Corruption corrupt(Path path, String what) {
        return new StorageException.Corruption("layer file " + path + ": " + what);
    }

    public String name() { return name; }
    public Path path() { return path; }
    public Kind kind() { return kind; }
    public boolean isImage() { return kind == Kind.IMAGE; }
    /** Lowest LSN of any version in it (the image LSN for an image). */
    public long startLsn() { return startLsn; }
    /** Highest LSN it covers (the image LSN for an image). */
    public long endLsn() { return endLsn; }
    public long fileSize() { return fileSize; }
    public int entryCount() { return keys.length; }
    public long keyAt(int i) { return keys[i]; }
    public long lsnAt(int i) { return lsns[i]; }
    public long[] sampleMillis() { return sampleMillis; }
    public long[] sampleLsns() { return sampleLsns; }

    /** Index of the newest version of {@code key} at or below {@code lsn}, or -1. */
    public int find(long key, long lsn) {
        int lo = 0, hi = keys.length - 1, found = -1;
        while (lo <= hi) {  // last entry with (key, lsn) <= (key, lsn)
            int mid = (lo + hi) >>> 1;
            int c = Long.compare(keys[mid], key);
            if (c == 0) c = Long.compare(lsns[mid], lsn);
            if (c <= 0) { found = mid; lo = mid + 1; } else hi = mid - 1;
        }
        return found >= 0 && keys[found] == key ? found : -1;
    }

    /** Newest version at or below {@code lsn}: {@code null} if none here, {@link Values#TOMBSTONE} if deleted. */
    public byte[] get(long key, long lsn) {
        int i = find(key, lsn);
        return i < 0 ? null : resolved(i);
    }

    /** Whether entry {@code i} is a deletion (known from the index, nothing read). */
    public boolean isTombstone(int i) { return lens[i] < 0; }

    /** Entry {@code i}'s value with its {@link Patch}es applied: their base is an earlier entry of the same key here. */
    public byte[] resolved(int i) {
        return Patch.resolve(keys[i], i, j -> j >= 0 && keys[j] == keys[i] ? value(j) : null, () -> "layer file " + path);
    }

    /** Reads and verifies entry {@code i}'s value. */
    public byte[] value(int i) {
        int vlen = Math.max(lens[i], 0);
        ByteBuffer buf = ByteBuffer.allocate(RECORD_HEADER + vlen);
        // An interrupt of a reading thread closes a FileChannel for everyone: don't let a pending one
        // do it, and reopen the channel if another thread's interrupt closed it under us.
        boolean interrupted = Thread.interrupted();
        try {
            for (int attempt = 0; ; attempt++) {
                FileChannel c = ch;
                try {
                    buf.clear();
                    IoUtil.readFully(c, buf, offsets[i]);
                    lastUse = System.nanoTime();
                    break;
                } catch (ClosedChannelException e) {
                    if (retired) throw new Retired();
                    if (evicted) {  // a cache miss: one ranged GET of the record, checked below like a local read
                        Fetcher f = fetcher;
                        byte[] r = f.readRange(this, offsets[i], buf.capacity());
                        if (r.length != buf.capacity())
                            throw new StorageException.Corruption("layer " + path + ": remote record " + i + " is " + r.length
                                    + " bytes, expected " + buf.capacity());
                        buf.clear();
                        buf.put(r);
                        lastUse = System.nanoTime();
                        f.missed(this);
                        break;
                    }
                    if (attempt >= 3) throw new StorageException("layer " + path + " is closed", e);
                    reopen(c);
                }
            }
        } catch (IOException e) {
            throw new StorageException.Corruption("layer file " + path + ": cannot read record " + i + ": " + e, e);
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
        byte[] a = buf.array();
        CRC32C crc = new CRC32C();
        crc.update(a, 4, RECORD_HEADER - 4 + vlen);
        if ((int) crc.getValue() != buf.getInt(0) || buf.getLong(4) != keys[i] || buf.getLong(12) != lsns[i]
                || buf.getInt(20) != lens[i])
            throw new StorageException.Corruption("layer file " + path + ": record at offset " + offsets[i] + " fails its checksum");
        if (lens[i] < 0) return Values.TOMBSTONE;
        byte[] v = new byte[vlen];
        System.arraycopy(a, RECORD_HEADER, v, 0, vlen);
        return v;
    }

    /**
     * Scrub: verifies every record's checksum and that the records tile the file between header and
     * index, so any damaged byte anywhere in the file is reported. @throws StorageException.Corruption
     */
    public void verifyAll() {
        ensureLocal();  // one download, not a GET per record
        long[] sorted = offsets.clone();
        java.util.Arrays.sort(sorted);
        java.util.Map<Long, Integer> byOffset = new java.util.HashMap<>();
        for (int i = 0; i < offsets.length; i++) byOffset.put(offsets[i], i);
        long expect = HEADER;
        for (long off : sorted) {
            if (off != expect) throw corrupt(path, "records do not tile the file at offset " + expect);
            int i = byOffset.get(off);
            value(i);
            expect = off + RECORD_HEADER + Math.max(lens[i], 0);
        }
        long indexOffset = fileSize - FOOTER - indexLength();
        if (expect != indexOffset) throw corrupt(path, "records end at " + expect + " but the index starts at " + indexOffset);
    }

    private long indexLength() {
        return 4 + (long) keys.length * INDEX_ENTRY + 4 + (long) sampleMillis.length * 16;
    }

    private synchronized void reopen(FileChannel closed) throws IOException {
        if (ch != closed || retired || evicted) return;
        ch = FileChannel.open(path, StandardOpenOption.READ);
    }

    /**
     * Drops the local file (the remote copy stays authoritative); the next read downloads it again through
     * {@code f}. False if retired or already evicted. The in-memory index stays, so lookups that miss the
     * layer cost no download.
     */
    public synchronized boolean evict(Fetcher f) {
        if (retired || evicted) return false;
        fetcher = f;
        evicted = true;
        closeQuietly(ch);
        try {
            java.nio.file.Files.deleteIfExists(path);
        } catch (IOException e) {
            throw IoUtil.io("eviction of " + path, e);
        }
        return true;
    }

    /** Brings an evicted layer's file back (download, full verification, rename). @throws StorageException.Corruption */
    public synchronized void ensureLocal() {
        if (retired || !evicted) return;
        fetcher.fetch(this);  // downloads and verifies into path, or throws Corruption
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            throw IoUtil.io("open of downloaded layer " + path, e);
        }
        evicted = false;
    }

    /** Whether the local file was evicted (the layer is then only in remote storage). */
    public boolean isEvicted() { return evicted; }

    public boolean isRetired() { return retired; }

    /** {@link System#nanoTime()} of the last read, 0 if never read. */
    public long lastUse() { return lastUse; }

    /** Takes the layer out of service; readers racing with this retry against the new layer map. */
    public void retire() {
        retired = true;
        closeQuietly(ch);
    }

    public void close() { closeQuietly(ch); }

    private static void closeQuietly(FileChannel ch) {
        try { ch.close(); } catch (IOException ignored) { }
    }

    @Override public String toString() { return name; }
}
