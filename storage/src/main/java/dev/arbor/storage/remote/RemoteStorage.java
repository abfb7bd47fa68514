package dev.arbor.storage.remote;

import java.nio.file.Path;
import java.util.List;

/**
 * An object store holding immutable layer files and timeline manifests under keys such as
 * {@code timelines/<id>/manifest}. Objects are only put after they are durable locally, and a key's
 * content never changes except the manifest's (replaced whole). Implementations are thread safe.
 * Every failure is a {@link dev.arbor.storage.StorageException}; a missing key is
 * {@link dev.arbor.storage.StorageException.NotFound}.
 */
public interface RemoteStorage extends AutoCloseable {
    /** Uploads the whole content of {@code file} under {@code key}. */
    void put(String key, Path file);

    /** Uploads {@code data} under {@code key} (manifests: small, replaced whole). */
    void put(String key, byte[] data);

    /** Downloads {@code key} into {@code target} (overwritten; not fsynced: callers verify, fsync and rename). */
    void get(String key, Path target);

    /** The bytes [offset, offset + length) of {@code key} (fewer if the object is shorter). */
    byte[] getRange(String key, long offset, int length);

    /** Keys starting with {@code prefix}, sorted. */
    List<String> list(String prefix);

    /** Removes {@code key}; removing a missing key is not an error. */
    void delete(String key);

    /** Where the objects live, for logs and errors (never credentials). */
    String describe();

    @Override default void close() {}
}
