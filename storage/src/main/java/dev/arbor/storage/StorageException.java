package dev.arbor.storage;

/** Every failure the store reports; callers map the subtypes to errno values or HTTP statuses. */
public sealed class StorageException extends RuntimeException {
    public StorageException(String message) { super(message); }
    public StorageException(String message, Throwable cause) { super(message, cause); }

    /** A timeline, file or directory that does not exist. */
    public static final class NotFound extends StorageException {
        public NotFound(String message) { super(message); }
    }
    public static final class AlreadyExists extends StorageException {
        public AlreadyExists(String message) { super(message); }
    }
    public static final class NotEmpty extends StorageException {
        public NotEmpty(String message) { super(message); }
    }
    public static final class NotADirectory extends StorageException {
        public NotADirectory(String message) { super(message); }
    }
    public static final class IsADirectory extends StorageException {
        public IsADirectory(String message) { super(message); }
    }
    public static final class ReadOnly extends StorageException {
        public ReadOnly(String message) { super(message); }
    }
    /** An LSN or time outside what can be served: before the history window, or after the head. */
    public static final class InvalidLsn extends StorageException {
        public InvalidLsn(String message) { super(message); }
    }
    /** The request conflicts with the tree of timelines: a delete with children, a cycle, a deleted parent. */
    public static final class Conflict extends StorageException {
        public Conflict(String message) { super(message); }
    }
    /** A layer, log or manifest failed its checksum or is torn. Its data is never served. */
    public static final class Corruption extends StorageException {
        public Corruption(String message) { super(message); }
        public Corruption(String message, Throwable cause) { super(message, cause); }
    }
}
