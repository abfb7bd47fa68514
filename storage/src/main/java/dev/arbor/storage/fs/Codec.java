package dev.arbor.storage.fs;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/** Value encodings of the file-tree keys: ATTR (a file's attributes), DIR (a directory's names), META (next inode). */
final class Codec {
    private Codec() {}

    record Attr(boolean directory, long size, int mode, long mtimeMillis) {}

    static byte[] attr(boolean dir, long size, int mode, long mtime) {
        return ByteBuffer.allocate(21).put((byte) (dir ? 1 : 0)).putLong(size).putInt(mode).putLong(mtime).array();
    }

    static Attr attr(byte[] v) {
        ByteBuffer b = ByteBuffer.wrap(v);
        return new Attr(b.get() != 0, b.getLong(), b.getInt(), b.getLong());
    }

    /** Sorted names -> inode. */
    static byte[] dir(Map<String, Long> entries) {
        int len = 4;
        byte[][] names = new byte[entries.size()][];
        int i = 0;
        for (String n : entries.keySet()) {
            names[i] = n.getBytes(StandardCharsets.UTF_8);
            len += 2 + names[i].length + 8;
            i++;
        }
        ByteBuffer b = ByteBuffer.allocate(len).putInt(entries.size());
        i = 0;
        for (long inode : entries.values()) {
            b.putShort((short) names[i].length).put(names[i]).putLong(inode);
            i++;
        }
        return b.array();
    }

    static TreeMap<String, Long> dir(byte[] v) {
        ByteBuffer b = ByteBuffer.wrap(v);
        int n = b.getInt();
        TreeMap<String, Long> m = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            byte[] name = new byte[b.getShort() & 0xffff];
            b.get(name);
            m.put(new String(name, StandardCharsets.UTF_8), b.getLong());
        }
        return m;
    }

    static byte[] meta(long nextInode) { return ByteBuffer.allocate(8).putLong(nextInode).array(); }

    static long meta(byte[] v) { return ByteBuffer.wrap(v).getLong(); }
}
