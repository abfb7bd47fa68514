package dev.arbor.storage;

/** One name in a directory. */
public record DirEntry(String name, long inode, boolean directory) {}
