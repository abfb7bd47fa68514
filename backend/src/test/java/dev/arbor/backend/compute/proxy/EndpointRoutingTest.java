package dev.arbor.backend.compute.proxy;

import dev.arbor.storage.BranchPoint;
import dev.arbor.storage.Lsn;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EndpointRoutingTest {
    @Test
    void optionWinsOverSniAndIsStrippedFromTheOptionsPostgresSees() {
        var r = EndpointRouting.of("-c search_path=app endpoint=ep-one-123 -c statement_timeout=5s", "ep-two.example.com");
        assertThat(r.endpointId()).contains("ep-one-123");
        assertThat(r.remainingOptions()).isEqualTo("-c search_path=app -c statement_timeout=5s");
        assertThat(EndpointRouting.of("--endpoint=ep-x", null).endpointId()).contains("ep-x");
    }

    @Test
    void sniFirstLabelRoutesAndPoolerSuffixReachesTheEndpoint() {
        assertThat(EndpointRouting.of(null, "ep-two-456.db.example.com").endpointId()).contains("ep-two-456");
        assertThat(EndpointRouting.of("", "ep-two-456-pooler.localhost").endpointId()).contains("ep-two-456");
        assertThat(EndpointRouting.of("endpoint=ep-a-pooler", null).endpointId()).contains("ep-a");
    }

    @Test
    void noEndpointOrAMalformedOne() {
        assertThat(EndpointRouting.of(null, "localhost").endpointId()).isEqualTo(Optional.empty());
        assertThat(EndpointRouting.of(null, null).endpointId()).isEmpty();
        assertThat(EndpointRouting.of("endpoint=../../etc", null).endpointId()).isEmpty();
    }

    @Test
    void neonTimeTravelOptionsGiveAPointAndAreStripped() {
        var t = EndpointRouting.of("neon_timestamp:2026-01-02T03:04:05Z -c x=1", "br-a-b-1.localhost");
        assertThat(t.target()).contains("br-a-b-1");
        assertThat(t.at()).contains(BranchPoint.at(Instant.parse("2026-01-02T03:04:05Z")));
        assertThat(t.remainingOptions()).isEqualTo("-c x=1");
        assertThat(EndpointRouting.of("neon_lsn:0/16B3748", "br-a.localhost").at()).contains(BranchPoint.at(Lsn.parse("0/16B3748")));
        assertThat(EndpointRouting.of("neon_timestamp:2026-01-02T04:04:05+01:00", "br-a.x").at())
                .contains(BranchPoint.at(Instant.parse("2026-01-02T03:04:05Z")));
        assertThat(EndpointRouting.of(null, "ep-a.localhost").at()).isEmpty();
        assertThatThrownBy(() -> EndpointRouting.of("neon_lsn:nope", "br-a.x")).hasMessageContaining("invalid neon_lsn");
        assertThatThrownBy(() -> EndpointRouting.of("neon_timestamp:yesterday", "br-a.x")).hasMessageContaining("invalid neon_timestamp");
    }

    @Test
    void startupPacketRoundTrips() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("user", "alice");
        p.put("database", "db é");
        p.put("options", "endpoint=ep-1");
        Buffer b = PgWire.startupMessage(p);
        assertThat(b.getInt(0)).isEqualTo(b.length());
        assertThat(b.getInt(4)).isEqualTo(PgWire.PROTOCOL_3);
        assertThat(PgWire.startupParams(b)).isEqualTo(p);
        Buffer err = PgWire.fatal("XX000", "nope");
        assertThat(err.getByte(0)).isEqualTo((byte) 'E');
        assertThat(err.getInt(1)).isEqualTo(err.length() - 1);
    }
}
