package dev.arbor.storage.layer;

import dev.arbor.storage.StorageException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.*;
import java.util.Comparator;
import java.util.stream.Stream;

/** File helpers for the write-fsync-rename discipline. */
public final class IoUtil {
    private IoUtil() {}

    /** Makes a rename or unlink in {@code dir} durable. */
    public static void fsyncDir(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            throw io("fsync of directory " + dir, e);
        }
    }

    /** Writes {@code data} to {@code target} atomically: tmp file, fsync, rename, fsync of the directory. */
    public static void writeAtomically(Path target, ByteBuffer data) {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (data.hasRemaining()) ch.write(data);
            ch.force(true);
        } catch (IOException e) {
            throw io("write of " + tmp, e);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw io("rename of " + tmp, e);
        }
        fsyncDir(target.getParent());
    }

    public static void readFully(FileChannel ch, ByteBuffer dst, long pos) throws IOException {
        while (dst.hasRemaining()) {
            int n = ch.read(dst, pos);
            if (n < 0) throw new java.io.EOFException("unexpected end of file at " + pos);
            pos += n;
        }
    }

    public static void writeFully(FileChannel ch, ByteBuffer src, long pos) throws IOException {
        while (src.hasRemaining()) pos += ch.write(src, pos);
    }

    /**
     * Deletes {@code dir} and everything in it. A file another thread creates meanwhile (the uploader's record
     * of what it uploaded, a background download) makes the last step fail: the walk is repeated a few times.
     */
    public static void deleteTree(Path dir) {
        for (int attempt = 1; ; attempt++) {
            if (!Files.exists(dir)) return;
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> {
                    try { Files.deleteIfExists(p); } catch (IOException e) { throw new UncheckedIOException(e); }
                });
                return;
            } catch (UncheckedIOException e) {
                if (!(e.getCause() instanceof java.nio.file.DirectoryNotEmptyException) || attempt >= 5)
                    throw new StorageException("cannot delete " + dir + ": " + e.getMessage(), e);
            } catch (IOException e) {
                throw new StorageException("cannot delete " + dir + ": " + e.getMessage(), e);
            }
        }
    }

    public static long sizeOf(Path p) {
        try { return Files.size(p); } catch (IOException e) { return 0; }
    }

    public static StorageException io(String what, IOException e) {
        return new StorageException(what + " failed: " + e, e);
    }
}
