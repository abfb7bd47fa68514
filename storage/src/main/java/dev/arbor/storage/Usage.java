package dev.arbor.storage;

/**
 * Space accounting of one timeline.
 *
 * @param logicalSize   sum of the sizes of the regular files its head presents
 * @param writtenBytes  bytes of values ever appended to it (survives restarts)
 * @param physicalBytes bytes of files only it owns: its layers and logs (ancestor data it reads is not counted)
 */
public record Usage(long logicalSize, long writtenBytes, long physicalBytes) {}
