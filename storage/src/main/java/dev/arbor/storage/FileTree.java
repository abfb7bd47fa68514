package dev.arbor.storage;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * A POSIX-like file tree (a whole PGDATA) presented by one timeline. Paths are absolute and
 * '/'-separated ("/base/5/1259"); "/" always exists. A tree opened at the head is writable; one
 * opened at a past LSN, or as read-only, refuses every change with {@link StorageException.ReadOnly}.
 *
 * <p>Every change becomes one record with one LSN, and is visible to reads at once. Nothing is
 * durable before {@link #sync()} returns; after it returns, every change before it survives a crash.
 *
 * <p>Thread-safe: a FUSE loop calls it from many threads.
 */
public interface FileTree {
    TimelineId timeline();

    boolean readOnly();

    /** The LSN this tree reads at: its head (moving) for a writable tree, fixed otherwise. */
    Lsn lsn();

    /** @throws StorageException.NotFound if the path does not exist */
    FileAttr stat(String path);

    /** Whether {@code path} exists. */
    default boolean exists(String path) {
        try {
            stat(path);
            return true;
        } catch (StorageException.NotFound e) {
            return false;
        }
    }

    /** Entries of a directory, without "." and "..", sorted by name. */
    List<DirEntry> list(String dir);

    /** @throws StorageException.AlreadyExists, StorageException.NotFound (parent) */
    FileAttr mkdir(String path, int mode);

    /** Creates an empty regular file. */
    FileAttr create(String path, int mode);

    /** Reads up to {@code dst.remaining()} bytes at {@code offset}; returns the count, 0 at or past EOF. Holes read as zeros. */
    int read(long inode, long offset, ByteBuffer dst);

    /** Writes all of {@code src} at {@code offset}, growing the file as needed. */
    void write(long inode, long offset, ByteBuffer src);

    void truncate(long inode, long size);

    /** POSIX rename: replaces an existing target file (or empty directory) atomically. */
    void rename(String from, String to);

    /** Removes a file name. */
    void unlink(String path);

    /** Removes an empty directory. @throws StorageException.NotEmpty */
    void rmdir(String path);

    void chmod(String path, int mode);

    void setMtime(String path, long mtimeMillis);

    /** Durability barrier for this timeline (Postgres' fsync). */
    void sync();
}
