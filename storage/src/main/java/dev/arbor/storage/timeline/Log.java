package dev.arbor.storage.timeline;

import dev.arbor.storage.StorageException;
import dev.arbor.storage.layer.IoUtil;
import dev.arbor.storage.layer.Values;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * A timeline's append-only durable log backing its open layer. One record per change:
 * <pre>[payload length][crc32c of payload][lsn][millis][n | DURABLE][durable offset][(key, vlen (-1 = tombstone), value) * n]</pre>
 * The durable offset (present when the DURABLE bit of n is set) is how much of this log had been fsynced
 * when the record was appended: recovery uses it to tell damage of synced records from a torn tail.
 * Appends go to a user-space buffer; {@link #sync()} writes it out and fsyncs (concurrent syncs share
 * one fsync: group commit). On recovery a torn or failing tail record ends the log and is cut off;
 * a bad record with valid records after it is reported as {@link StorageException.Corruption}.
 */
public final class Log implements AutoCloseable {
    static final int BUFFER = 1 << 20;
    private static final int DURABLE = 1 << 30;
    private static final int MAX_RECORD = 512 << 20;

    /** @param durableUpTo bytes of the log that were fsynced when this record was appended (0: unknown) */
    public record Record(long lsn, long millis, long[] keys, byte[][] values, long durableUpTo) {
        public Record(long lsn, long millis, long[] keys, byte[][] values) { this(lsn, millis, keys, values, 0); }

        public long valueBytes() {
            long b = 0;
            for (byte[] v : values) b += v.length;
            return b;
        }
    }

    final Path path;
    final long startLsn;
    private final FileChannel ch;
    // Allocated at the first append and dropped when the log is frozen, so the many idle timelines of a store
    // hold no buffer; direct, because FileChannel writes a heap buffer through a temporary direct copy of it.
    private ByteBuffer buf;
    private final Object syncMonitor = new Object();
    private long filePos;            // bytes handed to the OS
    private long allocated;          // the file is zero-filled up to here, ahead of filePos
    private long lastLsn;
    private volatile long syncedPos;
    private volatile long syncedLsn;

    private Log(Path path, long startLsn, FileChannel ch, long size, long lastLsn) {
        this.path = path;
        this.startLsn = startLsn;
        this.ch = ch;
        this.filePos = size;
        this.allocated = size;
        this.syncedPos = size;
        this.lastLsn = lastLsn;
        this.syncedLsn = lastLsn;
    }

    static String fileName(long startLsn) { return String.format("log-%016x", startLsn); }

    static Log create(Path dir, long startLsn) { return create(dir, startLsn, true); }

    /** @param durableName fsync the directory so the new file's name survives a crash (a new timeline's manifest write does it instead) */
    static Log create(Path dir, long startLsn, boolean durableName) {
        Path p = dir.resolve(fileName(startLsn));
        try {
            FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.READ, StandardOpenOption.TRUNCATE_EXISTING);
            if (durableName) IoUtil.fsyncDir(dir);
            return new Log(p, startLsn, ch, 0, startLsn - 1);
        } catch (IOException e) {
            throw IoUtil.io("create of log " + p, e);
        }
    }

    /**
     * Replays a log file: every valid record goes to {@code sink}. A bad record in the unsynced part is a
     * torn tail (a crash during an unsynced write; page writeback may even have stored later records
     * but not this one): the file is truncated there. A bad record that a later valid record says was
     * already fsynced (its durable offset lies beyond the bad record) is damage to synced records:
     * recovery refuses the log with {@link StorageException.Corruption} and leaves the file as it is.
     * Returns the log, open for appends.
     */
    static Log recover(Path p, long startLsn, Consumer<Record> sink) {
        FileChannel ch = null;
        try {
            ch = FileChannel.open(p, StandardOpenOption.WRITE, StandardOpenOption.READ);
            long size = ch.size(), pos = 0, last = startLsn - 1;
            ByteBuffer head = ByteBuffer.allocate(8);
            while (pos + 8 <= size) {
                head.clear();
                IoUtil.readFully(ch, head, pos);
                int len = head.getInt(0);
                if (len < 20 || len > MAX_RECORD || pos + 8 + len > size) break;
                ByteBuffer body = ByteBuffer.allocate(len);
                IoUtil.readFully(ch, body, pos + 8);
                Record r = check(body, head.getInt(4), last);
                if (r == null) break;
                sink.accept(r);
                last = r.lsn();
                pos += 8 + len;
            }
            if (pos < size) {
                long next = laterRecordVouchingFor(ch, pos, size, last);
                if (next >= 0)
                    throw new StorageException.Corruption("log " + p + " is damaged at offset " + pos + ": the record at offset "
                            + next + " says it was synced (synced records after LSN " + last + " would be lost)");
                ch.truncate(pos);  // torn tail: never served, cut off so new records follow valid ones
            }
            ch.force(true);  // what recovery served must stay served after another crash
            return new Log(p, startLsn, ch, pos, last);
        } catch (IOException e) {
            closeQuietly(ch);
            throw IoUtil.io("recovery of log " + p, e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    /** The record in {@code body} if its checksum matches, it decodes and its LSN is above {@code last}; else null. */
    private static Record check(ByteBuffer body, int sum, long last) {
        CRC32C crc = new CRC32C();
        crc.update(body.duplicate().position(0));
        if ((int) crc.getValue() != sum) return null;
        Record r = decode(body.duplicate().position(0));
        return r == null || r.lsn() <= last ? null : r;
    }

    /**
     * Offset of a valid record (checksum, decode, LSN above {@code last}) after {@code bad} whose durable
     * offset is beyond {@code bad}, i.e. one appended after the bad record's bytes were fsynced; or -1.
     */
    private static long laterRecordVouchingFor(FileChannel ch, long bad, long size, long last) throws IOException {
        // Scanned in windows, not read whole (what follows a torn record can be most of a 256 MiB log): the header
        // and LSN at every offset are checked in the window, a candidate's body is read on its own.
        final int window = 8 << 20, head = 8 + 20;
        ByteBuffer w = ByteBuffer.allocate(window + head);
        for (long base = bad + 1; base + head <= size; base += window) {
            w.clear().limit((int) Math.min(w.capacity(), size - base));
            IoUtil.readFully(ch, w, base);
            byte[] a = w.array();
            int n = w.limit();
            for (int q = 0; q < window && q + head <= n; q++) {
                if (a[q] == 0 && a[q + 1] == 0 && a[q + 2] == 0 && a[q + 3] == 0) continue;  // len 0: zero fill
                int len = w.getInt(q);
                long at = base + q;
                if (len < 20 || len > MAX_RECORD || at + 8 + len > size) continue;
                long lsn = w.getLong(q + 8);
                if (lsn <= last || lsn - last > (1L << 48)) continue;  // cheap filter before the checksum
                ByteBuffer body = ByteBuffer.allocate(len);
                IoUtil.readFully(ch, body, at + 8);
                Record r = check(body, w.getInt(q + 4), last);
                if (r == null) continue;
                if (r.durableUpTo() > bad) return at;
                long next = at + 8 + len;  // valid but unsynced when written: keep looking after it
                if (next >= base + window) { base = next - window; break; }  // the loop adds the window back
                q = (int) (next - base) - 1;
            }
        }
        return -1;
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch == null) return;
        try { ch.close(); } catch (IOException ignored) { }
    }

    private static Record decode(ByteBuffer b) {
        try {
            long lsn = b.getLong(), millis = b.getLong();
            int n = b.getInt();
            long durable = 0;
            if (n >= 0 && (n & DURABLE) != 0) {
                n &= ~DURABLE;
                durable = b.getLong();
                if (durable < 0) return null;
            }
            if (n < 0 || n > b.remaining() / 12) return null;
            long[] keys = new long[n];
            byte[][] values = new byte[n][];
            for (int i = 0; i < n; i++) {
                keys[i] = b.getLong();
                int vlen = b.getInt();
                if (vlen < 0) values[i] = Values.TOMBSTONE;
                else {
                    values[i] = new byte[vlen];
                    b.get(values[i]);
                }
            }
            return b.hasRemaining() ? null : new Record(lsn, millis, keys, values, durable);
        } catch (RuntimeException e) {
            return null;
        }
    }

    static byte[] encode(Record r) {
        boolean durable = r.durableUpTo() > 0;
        int len = durable ? 28 : 20;
        for (byte[] v : r.values()) len += 12 + v.length;
        ByteBuffer b = ByteBuffer.allocate(8 + len);
        b.putInt(len).putInt(0).putLong(r.lsn()).putLong(r.millis()).putInt(durable ? r.keys().length | DURABLE : r.keys().length);
        if (durable) b.putLong(r.durableUpTo());
        for (int i = 0; i < r.keys().length; i++) {
            byte[] v = r.values()[i];
            b.putLong(r.keys()[i]);
            if (Values.isTombstone(v)) b.putInt(-1);
            else b.putInt(v.length).put(v);
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 8, len);
        b.putInt(4, (int) crc.getValue());
        return b.array();
    }

    /** Appends an encoded record (caller holds the timeline's write lock, so LSNs are in order). */
    synchronized void append(byte[] rec, long lsn) {
        boolean interrupted = Thread.interrupted();  // a pending interrupt would close the log's channel
        try {
            if (buf == null) buf = ByteBuffer.allocateDirect(BUFFER);
            if (rec.length > buf.remaining()) drain();
            if (rec.length > buf.capacity()) {
                preallocate(filePos + rec.length);
                IoUtil.writeFully(ch, ByteBuffer.wrap(rec), filePos);
                filePos += rec.length;
            } else buf.put(rec);
            lastLsn = lsn;
        } catch (IOException e) {
            throw IoUtil.io("append to log " + path, e);
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    private void drain() throws IOException {
        if (buffered() == 0) return;
        buf.flip();
        int n = buf.remaining();
        preallocate(filePos + n);
        IoUtil.writeFully(ch, buf, filePos);
        filePos += n;
        buf.clear();
    }

    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(16 << 10);

    /**
     * Zero-fills the file ahead of the write position (like Postgres' WAL segments), so a sync of
     * records that do not grow the file is a pure data fdatasync without a metadata journal commit.
     * Recovery stops at the zeros (an invalid record) and cuts them off.
     */
    private void preallocate(long upTo) throws IOException {
        if (allocated >= upTo) return;
        // ahead by a sixteenth of the log (16 KiB .. 4 MiB): small logs of many branches stay small
        long target = upTo + Math.clamp(upTo / 16, 16 << 10, 4 << 20);
        while (allocated < target) {
            IoUtil.writeFully(ch, ZEROS.duplicate(), allocated);
            allocated += ZEROS.capacity();
        }
    }

    /** Durability barrier: every record appended before this call is on disk when it returns. */
    void sync() {
        boolean interrupted = Thread.interrupted();  // a pending interrupt would close the log's channel
        try {
            syncUninterrupted();
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    private void syncUninterrupted() {
        long target;
        synchronized (this) {
            target = filePos + buffered();
        }
        if (syncedPos >= target) return;
        synchronized (syncMonitor) {
            if (syncedPos >= target) return;  // another syncer's fsync covered us
            long pos, lsn;
            synchronized (this) {
                try { drain(); } catch (IOException e) { throw IoUtil.io("write of log " + path, e); }
                pos = filePos;
                lsn = lastLsn;
            }
            try {
                ch.force(false);
            } catch (IOException e) {
                throw IoUtil.io("fsync of log " + path, e);
            }
            syncedPos = pos;
            syncedLsn = lsn;
        }
    }

    long syncedLsn() { return syncedLsn; }

    /** Bytes of this log known to be on disk (recorded in each new record, see {@link #recover}). */
    long durablePos() { return syncedPos; }

    synchronized long lastLsn() { return lastLsn; }

    synchronized long size() { return filePos + buffered(); }

    private int buffered() { return buf == null ? 0 : buf.position(); }

    /** Writes the buffer out and frees it: the log takes no more appends (frozen). */
    synchronized void seal() {
        try {
            drain();
        } catch (IOException e) {
            throw IoUtil.io("write of log " + path, e);
        }
        buf = null;
    }

    /**
     * Test hook for power loss: drops the buffer (or writes it out first) and keeps only a random prefix of the unsynced file tail,
     * or (one time in three) all of it but one 4 KiB page that never reached the disk (out-of-order
     * writeback: records after the hole survive, which recovery must still treat as a torn tail).
     */
    synchronized void crash(Random random) {
        try {
            // Half the time as if the buffer had been handed to the OS before the power loss (as a smaller
            // buffer would have): then the unsynced part of the file is torn, not the buffer simply lost.
            if (random != null && random.nextBoolean()) drain();
            buf = null;
            long keep = syncedPos;
            long unsynced = filePos - syncedPos;
            if (unsynced > 0 && random != null) {
                if (random.nextInt(3) == 0) {
                    long page = (syncedPos + (long) (random.nextDouble() * unsynced)) & ~4095L;
                    long from = Math.max(page, syncedPos), to = Math.min(page + 4096, filePos);
                    IoUtil.writeFully(ch, ByteBuffer.allocate((int) (to - from)), from);
                    keep = filePos;
                } else keep += (long) (random.nextDouble() * (unsynced + 1));
            }
            ch.truncate(Math.min(keep, filePos));
            ch.close();
        } catch (java.nio.channels.ClosedChannelException e) {
            // frozen and flushed under us by the background thread (idle rule, memory relief): its records are in a
            // delta layer, so the power loss has nothing left to take from this log
        } catch (IOException e) {
            throw new StorageException("crash simulation failed: " + e, e);
        }
    }

    @Override public synchronized void close() {
        try {
            if (ch.isOpen()) {
                drain();
                buf = null;
                if (allocated > filePos) ch.truncate(filePos);  // a clean shutdown leaves no zero tail
                ch.close();
            }
        } catch (IOException e) {
            throw IoUtil.io("close of log " + path, e);
        }
    }

    void closeQuietly() {
        try { ch.close(); } catch (IOException ignored) { }
    }
}
