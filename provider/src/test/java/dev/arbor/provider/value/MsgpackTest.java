package dev.arbor.provider.value;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MsgpackTest {
    private static final TfType.ObjectOf TYPE = new TfType.ObjectOf(types());

    private static Map<String, TfType> types() {
        Map<String, TfType> m = new LinkedHashMap<>();
        m.put("id", TfType.STRING);
        m.put("size", TfType.NUMBER);
        m.put("protected", TfType.BOOL);
        m.put("settings", new TfType.MapOf(TfType.STRING));
        m.put("items", new TfType.ListOf(new TfType.ObjectOf(Map.of("name", TfType.STRING))));
        return m;
    }

    @Test
    void roundTripsEveryShapeAndWritesEveryAttribute() {
        Map<String, Object> v = new HashMap<>();
        v.put("id", "br-1");
        v.put("size", new BigDecimal("12.5"));
        v.put("protected", true);
        v.put("settings", Map.of("work_mem", "4MB"));
        v.put("items", List.of(Map.of("name", "a")));
        Object back = Msgpack.decode(Msgpack.encode(v, TYPE), TYPE);
        assertThat(Values.equal(back, v)).isTrue();

        Map<String, Object> sparse = new HashMap<>();
        sparse.put("id", "x");
        @SuppressWarnings("unchecked")
        Map<String, Object> decoded = (Map<String, Object>) Msgpack.decode(Msgpack.encode(sparse, TYPE), TYPE);
        assertThat(decoded).containsOnlyKeys("id", "size", "protected", "settings", "items");
        assertThat(decoded.get("size")).isNull();
    }

    @Test
    void anyExtensionIsUnknownIncludingRefinedUnknowns() {
        // {"id": <ext0 unknown>, "size": 3} with the remaining attributes absent
        byte[] plain = {(byte) 0x82, (byte) 0xa2, 'i', 'd', (byte) 0xd4, 0, 0, (byte) 0xa4, 's', 'i', 'z', 'e', 3};
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) Msgpack.decode(plain, TYPE);
        assertThat(m.get("id")).isSameAs(Unknown.VALUE);
        assertThat(m.get("size")).isEqualTo(new BigDecimal(3));
        // Terraform's refined unknown for "p-${ref}": ext8, length 7, type 12
        byte[] refined = {(byte) 0x81, (byte) 0xa2, 'i', 'd', (byte) 0xc7, 0x07, 0x0c, (byte) 0x82, 0x01,
                (byte) 0xc2, 0x02, (byte) 0xa2, 'p', '-'};
        @SuppressWarnings("unchecked")
        Map<String, Object> r = (Map<String, Object>) Msgpack.decode(refined, TYPE);
        assertThat(r.get("id")).isSameAs(Unknown.VALUE);
    }

    @Test
    void encodesUnknownAsTerraformDoes() {
        byte[] b = Msgpack.encode(Unknown.VALUE, TfType.STRING);
        assertThat(b).containsExactly((byte) 0xd4, 0, 0);
        assertThat(Msgpack.encode(null, TYPE)).containsExactly((byte) 0xc0);
    }

    @Test
    void numbersMayArriveAsIntFloatOrString() {
        assertThat(Msgpack.decode(Msgpack.encode(new BigDecimal("86400"), TfType.NUMBER), TfType.NUMBER))
                .isEqualTo(new BigDecimal(86400));
        byte[] asString = {(byte) 0xa3, '1', '.', '5'};
        assertThat(Msgpack.decode(asString, TfType.NUMBER)).isEqualTo(new BigDecimal("1.5"));
        assertThat(Values.equal(new BigDecimal("1.0"), new BigDecimal("1"))).isTrue();
    }
}
