package dev.arbor.storage.layer;

import dev.arbor.storage.StorageException;
import dev.arbor.storage.TimelineId;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.zip.CRC32C;

/**
 * Writes a {@link LayerFile}: entries must come sorted by (key, lsn). The file becomes visible under
 * its final name only after it is complete and fsynced.
 */
public final class LayerWriter implements AutoCloseable {
    private final Path tmp, target;
    private final FileChannel ch;
    private final ByteBuffer buf = ByteBuffer.allocate(1 << 20);
    private final CRC32C crc = new CRC32C();
    private long pos;
    private long[] keys = new long[1024], lsns = new long[1024], offsets = new long[1024];
    private int[] lens = new int[1024];
    private int n;
    private long lastKey = Long.MIN_VALUE, lastLsn = Long.MIN_VALUE;
    private long[] sampleMillis = new long[0], sampleLsns = new long[0];
    private boolean done;
    /** Page-cache hints ({@link PageCache}): written bytes are written behind and dropped in steps of {@link #STEP}. */
    private static final long STEP = 8 << 20;
    private int hintFd;
    private long behind, dropped;

    public LayerWriter(Path target, LayerFile.Kind kind, TimelineId timeline, long startLsn, long endLsn) {
        this.target = target;
        this.tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try {
            ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw IoUtil.io("create of " + tmp, e);
        }
        hintFd = PageCache.open(tmp);
        ByteBuffer h = ByteBuffer.allocate(LayerFile.HEADER);
        h.putLong(LayerFile.MAGIC).putInt(LayerFile.VERSION).putInt(kind.ordinal())
                .put(HexFormat.of().parseHex(timeline.value())).putLong(startLsn).putLong(endLsn);
        crc.update(h.array(), 0, 52);
        h.putInt(52, (int) crc.getValue());
        h.position(LayerFile.HEADER);
        h.flip();
        buf.put(h);
        pos = LayerFile.HEADER;
    }

    public void add(long key, long lsn, byte[] value) {
        if (key < lastKey || (key == lastKey && lsn <= lastLsn))
            throw new IllegalStateException("layer entries out of order: " + key + "@" + lsn);
        lastKey = key;
        lastLsn = lsn;
        boolean tomb = Values.isTombstone(value);
        int vlen = tomb ? -1 : value.length;
        int len = LayerFile.RECORD_HEADER + Math.max(vlen, 0);
        if (n == keys.length) grow();
        keys[n] = key; lsns[n] = lsn; offsets[n] = pos; lens[n] = vlen; n++;
        ByteBuffer rec = ByteBuffer.allocate(len);
        rec.putInt(0).putLong(key).putLong(lsn).putInt(vlen);
        if (!tomb) rec.put(value);
        crc.reset();
        crc.update(rec.array(), 4, len - 4);
        rec.putInt(0, (int) crc.getValue());
        rec.flip();
        put(rec);
    }

    public void samples(long[] millis, long[] lsnsOfSamples) {
        this.sampleMillis = millis;
        this.sampleLsns = lsnsOfSamples;
    }

    public int count() { return n; }

    private void grow() {
        int cap = keys.length * 2;
        keys = java.util.Arrays.copyOf(keys, cap);
        lsns = java.util.Arrays.copyOf(lsns, cap);
        offsets = java.util.Arrays.copyOf(offsets, cap);
        lens = java.util.Arrays.copyOf(lens, cap);
    }

    private void put(ByteBuffer src) {
        try {
            while (src.hasRemaining()) {
                if (!buf.hasRemaining()) drain();
                int k = Math.min(buf.remaining(), src.remaining());
                ByteBuffer slice = src.slice(src.position(), k);
                buf.put(slice);
                src.position(src.position() + k);
                pos += k;
            }
        } catch (IOException e) {
            throw IoUtil.io("write of " + tmp, e);
        }
    }

    private void drain() throws IOException {
        buf.flip();
        while (buf.hasRemaining()) ch.write(buf);
        buf.clear();
        // the buffer is empty now, so pos is what the file holds
        if (pos - behind >= STEP) {
            PageCache.drop(hintFd, dropped, behind - dropped);  // written behind one step ago: normally on disk by now
            dropped = behind;
            PageCache.writeBehind(hintFd, behind, pos - behind);
            behind = pos;
        }
    }

    /** Writes index and footer, fsyncs, renames into place and opens the result. */
    public LayerFile finish(TimelineId timeline) {
        long indexOffset = pos;
        long indexLen = 4 + (long) n * LayerFile.INDEX_ENTRY + 4 + (long) sampleMillis.length * 16;
        if (indexLen > Integer.MAX_VALUE) throw new StorageException("layer index too large: " + n + " entries");
        ByteBuffer idx = ByteBuffer.allocate((int) indexLen);
        idx.putInt(n);
        for (int i = 0; i < n; i++) idx.putLong(keys[i]).putLong(lsns[i]).putLong(offsets[i]).putInt(lens[i]);
        idx.putInt(sampleMillis.length);
        for (int i = 0; i < sampleMillis.length; i++) idx.putLong(sampleMillis[i]).putLong(sampleLsns[i]);
        crc.reset();
        crc.update(idx.array());
        int indexCrc = (int) crc.getValue();
        idx.flip();
        put(idx);
        ByteBuffer f = ByteBuffer.allocate(LayerFile.FOOTER);
        f.putLong(indexOffset).putLong(indexLen).putInt(indexCrc).putLong(LayerFile.END_MAGIC);
        crc.reset();
        crc.update(f.array(), 0, 28);
        f.putInt((int) crc.getValue());
        f.flip();
        put(f);
        try {
            drain();
            ch.force(true);
            ch.close();
            PageCache.dropAll(hintFd);
            closeHints();
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw IoUtil.io("finish of layer " + target, e);
        }
        IoUtil.fsyncDir(target.getParent());
        done = true;
        return LayerFile.open(target, timeline, pos);
    }

    private void closeHints() {
        PageCache.close(hintFd);
        hintFd = -1;  // never close a descriptor number twice: another thread may hold it by now
    }

    @Override public void close() {
        if (done) return;
        closeHints();
        try { ch.close(); Files.deleteIfExists(tmp); } catch (IOException ignored) { }
    }
}
