package dev.arbor.provider.tools;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Sets "made by Unix" and the file mode (0755 for the launcher, 0644 otherwise) in a zip's central directory. */
final class UnixModes {
    private UnixModes() {}

    static void apply(byte[] zip, String executable) {
        ByteBuffer buf = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i + 46 <= zip.length; ) {
            if (buf.getInt(i) != 0x02014b50) {
                i++;
                continue;
            }
            int nameLen = Short.toUnsignedInt(buf.getShort(i + 28));
            int extraLen = Short.toUnsignedInt(buf.getShort(i + 30));
            int commentLen = Short.toUnsignedInt(buf.getShort(i + 32));
            String name = new String(zip, i + 46, nameLen, StandardCharsets.UTF_8);
            int mode = (name.equals(executable) ? 0100755 : 0100644);
            buf.putShort(i + 4, (short) ((3 << 8) | 20)); // version made by: Unix, 2.0
            buf.putInt(i + 38, mode << 16);
            i += 46 + nameLen + extraLen + commentLen;
        }
    }
}
