package dev.arbor.storage;

/**
 * A file's metadata as the store keeps it. {@code mode} holds POSIX permission bits only
 * (e.g. 0600); the type is {@link #directory()}.
 */
public record FileAttr(long inode, boolean directory, long size, int mode, long mtimeMillis) {}
