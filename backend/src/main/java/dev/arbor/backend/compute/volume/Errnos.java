package dev.arbor.backend.compute.volume;

import dev.arbor.storage.StorageException;
import org.cryptomator.jfuse.api.Errno;

/** Maps the store's typed failures onto negative errno values, as FUSE callbacks return them. */
final class Errnos {
    private final Errno errno;

    Errnos(Errno errno) { this.errno = errno; }

    int of(RuntimeException e) {
        return -switch (e) {
            case StorageException.NotFound x -> errno.enoent();
            case StorageException.AlreadyExists x -> errno.eexist();
            case StorageException.NotEmpty x -> errno.enotempty();
            case StorageException.NotADirectory x -> errno.enotdir();
            case StorageException.IsADirectory x -> errno.eisdir();
            case StorageException.ReadOnly x -> errno.erofs();
            case StorageException.InvalidLsn x -> errno.einval();
            case IllegalArgumentException x -> errno.einval();
            // Corruption, Conflict and anything unexpected: Postgres must see a hard I/O error, never wrong data.
            default -> errno.eio();
        };
    }

    int enoent() { return -errno.enoent(); }
    int eexist() { return -errno.eexist(); }
    int einval() { return -errno.einval(); }
    int erofs() { return -errno.erofs(); }
    int eio() { return -errno.eio(); }
}
