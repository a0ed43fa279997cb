package io.prune4j.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.prune4j.InvalidSettingException;
import org.junit.jupiter.api.Test;

/** {@link Normalization#parse} and {@link Reduction#parse}: names in any case, a setting error otherwise, null refused by name. */
class EnumParseTest {
    @Test
    void namesParseIgnoringCaseAndBlanks() {
        assertEquals(Normalization.MEAN, Normalization.parse(" Mean "));
        assertEquals(Reduction.MAX, Reduction.parse("MAX"));
    }

    @Test
    void unknownNamesAreSettingErrors() {
        assertThrows(InvalidSettingException.class, () -> Normalization.parse("l3"));
        assertThrows(InvalidSettingException.class, () -> Reduction.parse("median"));
    }

    @Test
    void nullIsRefusedByName() {
        assertEquals("s", assertThrows(NullPointerException.class, () -> Normalization.parse(null)).getMessage());
        assertEquals("s", assertThrows(NullPointerException.class, () -> Reduction.parse(null)).getMessage());
    }
}
