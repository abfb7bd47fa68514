package dev.arbor.storage.layer;

import dev.arbor.storage.StorageException;
import dev.arbor.storage.TimelineId;

import java.io.*;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * A timeline's durable metadata and list of layer files. Replaced atomically (tmp, fsync, rename,
 * fsync dir) and checksummed, so a reader sees the old or the new manifest, never a mix.
 *
 * @param flushedLsn   every record up to this LSN is in a layer; logs are replayed above it
 * @param floorLsn     nothing below this LSN is served (GC cutoff, detach point)
 * @param lsnHighWater the store-wide LSN counter when written, so LSNs are never reused after a restart
 */
public record Manifest(TimelineId id, TimelineId ancestor, long ancestorLsn, long createdAtMillis,
                       long historyWindowMillis, long floorLsn, long floorMillis, long flushedLsn, long headLsn,
                       long lsnHighWater, long writtenBytes, List<LayerRef> layers) {
    public static final String FILE = "manifest";
    private static final long MAGIC = 0x4152424d414e4631L; // "ARBMANF1"

    public record LayerRef(String name, long size) {}

    public Manifest {
        layers = List.copyOf(layers);
    }

    public void write(Path timelineDir) {
        IoUtil.writeAtomically(timelineDir.resolve(FILE), ByteBuffer.wrap(encode()));
    }

    /** The file's bytes: [length][body][crc32c]. */
    public byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeLong(MAGIC);
            out.writeUTF(id.value());
            out.writeUTF(ancestor == null ? "" : ancestor.value());
            out.writeLong(ancestorLsn);
            out.writeLong(createdAtMillis);
            out.writeLong(historyWindowMillis);
            out.writeLong(floorLsn);
            out.writeLong(floorMillis);
            out.writeLong(flushedLsn);
            out.writeLong(headLsn);
            out.writeLong(lsnHighWater);
            out.writeLong(writtenBytes);
            out.writeInt(layers.size());
            for (LayerRef l : layers) {
                out.writeUTF(l.name());
                out.writeLong(l.size());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] body = bytes.toByteArray();
        CRC32C crc = new CRC32C();
        crc.update(body);
        ByteBuffer buf = ByteBuffer.allocate(8 + body.length);
        buf.putInt(body.length).put(body).putInt((int) crc.getValue());
        return buf.array();
    }

    public static boolean exists(Path timelineDir) {
        return Files.exists(timelineDir.resolve(FILE));
    }

    /** @throws StorageException.Corruption if torn, truncated or failing its checksum */
    public static Manifest read(Path timelineDir) {
        Path file = timelineDir.resolve(FILE);
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new StorageException.NotFound("no manifest in " + timelineDir);
        } catch (IOException e) {
            throw IoUtil.io("read of " + file, e);
        }
        return decode(all, file.toString());
    }

    /** Parses and checks a manifest's bytes; {@code file} names it in errors. @throws StorageException.Corruption */
    public static Manifest decode(byte[] all, String file) {
        if (all.length < 8) throw new StorageException.Corruption("manifest " + file + " is truncated (" + all.length + " bytes)");
        ByteBuffer buf = ByteBuffer.wrap(all);
        int len = buf.getInt();
        if (len < 0 || len != all.length - 8)
            throw new StorageException.Corruption("manifest " + file + " is torn: length field " + len + ", file " + all.length);
        CRC32C crc = new CRC32C();
        crc.update(all, 4, len);
        if ((int) crc.getValue() != ByteBuffer.wrap(all, 4 + len, 4).getInt())
            throw new StorageException.Corruption("manifest " + file + " fails its checksum");
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(all, 4, len))) {
            if (in.readLong() != MAGIC) throw new StorageException.Corruption("manifest " + file + " has a bad magic number");
            TimelineId id = new TimelineId(in.readUTF());
            String anc = in.readUTF();
            long ancestorLsn = in.readLong(), created = in.readLong(), window = in.readLong(), floor = in.readLong(),
                    floorMillis = in.readLong(), flushed = in.readLong(), head = in.readLong(), high = in.readLong(),
                    written = in.readLong();
            int n = in.readInt();
            List<LayerRef> layers = new ArrayList<>(n);
            for (int i = 0; i < n; i++) layers.add(new LayerRef(in.readUTF(), in.readLong()));
            return new Manifest(id, anc.isEmpty() ? null : new TimelineId(anc), ancestorLsn, created, window, floor,
                    floorMillis, flushed, head, high, written, layers);
        } catch (IOException | IllegalArgumentException e) {
            throw new StorageException.Corruption("manifest " + file + " is malformed: " + e.getMessage(), e);
        }
    }
}
