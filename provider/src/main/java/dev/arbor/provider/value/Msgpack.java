package dev.arbor.provider.value;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;

/**
 * Terraform's DynamicValue msgpack encoding, decoded and encoded against a schema type.
 * Java shapes: null, {@link Unknown#VALUE}, String, BigDecimal, Boolean, List, Map (objects and maps).
 * Any extension value is unknown (type 0 is plain unknown, type 12 a refined one).
 */
public final class Msgpack {
    private Msgpack() {}

    public static Object decode(byte[] bytes, TfType type) {
        if (bytes == null || bytes.length == 0) {
            return null;
        }
        try (MessageUnpacker in = MessagePack.newDefaultUnpacker(bytes)) {
            return read(in, type);
        } catch (IOException e) {
            throw new UncheckedIOException("malformed msgpack value", e);
        }
    }

    public static byte[] encode(Object value, TfType type) {
        try (MessageBufferPacker out = MessagePack.newDefaultBufferPacker()) {
            write(out, value, type);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Object read(MessageUnpacker in, TfType type) throws IOException {
        ValueType vt = in.getNextFormat().getValueType();
        if (vt == ValueType.NIL) {
            in.unpackNil();
            return null;
        }
        if (vt == ValueType.EXTENSION) {
            var header = in.unpackExtensionTypeHeader();
            in.readPayload(header.getLength());
            return Unknown.VALUE;
        }
        return switch (type) {
            case TfType.Primitive p -> switch (p.name()) {
                case "string" -> readString(in, vt);
                case "number" -> readNumber(in, vt);
                case "bool" -> in.unpackBoolean();
                default -> throw new IOException("unsupported primitive " + p.name());
            };
            case TfType.ListOf l -> {
                int n = in.unpackArrayHeader();
                List<Object> list = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    list.add(read(in, l.element()));
                }
                yield list;
            }
            case TfType.MapOf m -> {
                int n = in.unpackMapHeader();
                Map<String, Object> map = new LinkedHashMap<>();
                for (int i = 0; i < n; i++) {
                    String k = in.unpackString();
                    map.put(k, read(in, m.element()));
                }
                yield map;
            }
            case TfType.ObjectOf o -> {
                int n = in.unpackMapHeader();
                Map<String, Object> map = new LinkedHashMap<>();
                for (String name : o.attributes().keySet()) {
                    map.put(name, null);
                }
                for (int i = 0; i < n; i++) {
                    String k = in.unpackString();
                    TfType at = o.attributes().get(k);
                    if (at == null) {
                        in.skipValue();
                    } else {
                        map.put(k, read(in, at));
                    }
                }
                yield map;
            }
        };
    }

    private static String readString(MessageUnpacker in, ValueType vt) throws IOException {
        return switch (vt) {
            case STRING -> in.unpackString();
            case INTEGER -> in.unpackBigInteger().toString();
            case FLOAT -> BigDecimal.valueOf(in.unpackDouble()).toPlainString();
            case BOOLEAN -> Boolean.toString(in.unpackBoolean());
            default -> throw new IOException("expected a string, got " + vt);
        };
    }

    private static BigDecimal readNumber(MessageUnpacker in, ValueType vt) throws IOException {
        return switch (vt) {
            case INTEGER -> new BigDecimal(in.unpackBigInteger());
            case FLOAT -> BigDecimal.valueOf(in.unpackDouble());
            case STRING -> new BigDecimal(in.unpackString());
            default -> throw new IOException("expected a number, got " + vt);
        };
    }

    @SuppressWarnings("unchecked")
    private static void write(MessageBufferPacker out, Object v, TfType type) throws IOException {
        if (v == null) {
            out.packNil();
            return;
        }
        if (v == Unknown.VALUE) {
            out.packExtensionTypeHeader((byte) 0, 1);
            out.writePayload(new byte[] {0});
            return;
        }
        switch (type) {
            case TfType.Primitive p -> {
                switch (p.name()) {
                    case "string" -> out.packString(v.toString());
                    case "bool" -> out.packBoolean((Boolean) v);
                    case "number" -> writeNumber(out, v);
                    default -> throw new IllegalArgumentException(p.name());
                }
            }
            case TfType.ListOf l -> {
                List<Object> list = (List<Object>) v;
                out.packArrayHeader(list.size());
                for (Object e : list) {
                    write(out, e, l.element());
                }
            }
            case TfType.MapOf m -> {
                Map<String, Object> map = (Map<String, Object>) v;
                out.packMapHeader(map.size());
                for (var e : map.entrySet()) {
                    out.packString(e.getKey());
                    write(out, e.getValue(), m.element());
                }
            }
            case TfType.ObjectOf o -> {
                Map<String, Object> map = (Map<String, Object>) v;
                // Terraform requires every attribute to be present, even when null.
                out.packMapHeader(o.attributes().size());
                for (var e : o.attributes().entrySet()) {
                    out.packString(e.getKey());
                    write(out, map.get(e.getKey()), e.getValue());
                }
            }
        }
    }

    private static void writeNumber(MessageBufferPacker out, Object v) throws IOException {
        BigDecimal d = v instanceof BigDecimal b ? b : new BigDecimal(v.toString());
        BigDecimal stripped = d.stripTrailingZeros();
        if (stripped.scale() <= 0 && stripped.precision() - stripped.scale() <= 18) {
            out.packLong(stripped.longValueExact());
        } else if (stripped.scale() <= 0) {
            out.packBigInteger(stripped.toBigIntegerExact());
        } else {
            double dd = d.doubleValue();
            if (BigDecimal.valueOf(dd).compareTo(d) == 0) {
                out.packDouble(dd);
            } else {
                out.packString(d.toPlainString());
            }
        }
    }

}
