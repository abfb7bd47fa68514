package dev.arbor.backend.metrics;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ExpositionTest {
    @Test
    void histogramBucketsAreCumulativeWithSumAndCount() {
        Histogram h = new Histogram(new double[]{0.001, 0.01, 0.1});
        h.recordNanos(500_000);      // 0.5 ms  -> le 0.001
        h.recordNanos(1_000_000);    // exactly 1 ms -> le 0.001 (bounds are inclusive)
        h.recordNanos(50_000_000);   // 50 ms   -> le 0.1
        h.recordNanos(2_000_000_000L); // 2 s   -> +Inf only
        String text = new Exposition().family("x_seconds", "histogram", "help")
                .histogram("x_seconds", h.snapshot(), "op", "read").toString();
        assertThat(text).contains("# HELP x_seconds help\n# TYPE x_seconds histogram\n")
                .contains("x_seconds_bucket{op=\"read\",le=\"0.001\"} 2\n")
                .contains("x_seconds_bucket{op=\"read\",le=\"0.01\"} 2\n")
                .contains("x_seconds_bucket{op=\"read\",le=\"0.1\"} 3\n")
                .contains("x_seconds_bucket{op=\"read\",le=\"+Inf\"} 4\n")
                .contains("x_seconds_count{op=\"read\"} 4\n")
                .contains("x_seconds_sum{op=\"read\"} 2.0515\n");
        assertThat(h.count()).isEqualTo(4);
    }

    @Test
    void labelValuesAreEscapedAndFamiliesAreWrittenOnce() {
        Exposition e = new Exposition().family("y", "gauge", "a\nb").sample("y", 1.5, "path", "a\"b\\c\nd");
        assertThat(e.toString()).contains("# HELP y a\\nb\n").contains("y{path=\"a\\\"b\\\\c\\nd\"} 1.5\n");
        assertThatThrownBy(() -> e.family("y", "gauge", "again")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void boundsMustIncrease() {
        assertThatThrownBy(() -> new Histogram(new double[]{0.1, 0.1})).isInstanceOf(IllegalArgumentException.class);
    }
}
