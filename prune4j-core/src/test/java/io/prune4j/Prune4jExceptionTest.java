package io.prune4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A message stays one line and of bounded length, keeping its start and its end, and a long list of what is supported fits whole. */
class Prune4jExceptionTest {
    @Test
    void controlCharactersAreEscaped() {
        assertEquals("a\\nb\\tc\\u0000d", Prune4jException.oneLine("a\nb\tc\u0000d"));
    }

    @Test
    void aMessageLongerThanTheLimitKeepsItsStartAndEnd() {
        String start = "file.onnx: node 'x' (Op): ";
        String end = " ... and that is the verdict";
        String message = start + "q".repeat(10 * Prune4jException.MAX_LENGTH) + end;
        String line = Prune4jException.oneLine(message);
        assertEquals(Prune4jException.MAX_LENGTH, line.length());
        assertTrue(line.startsWith(start) && line.endsWith(end) && line.contains(" … "), line);
    }

    /** The ONNX reader's list of supported operators, which its refusals end with, is not cut. */
    @Test
    void theSupportedOperatorsFit() {
        String message = "model.onnx: node 'some/long/node/name/from/an/export/Resize_17' (Resize): operator Resize is not supported;"
                + " supported: " + io.prune4j.onnx.OnnxReader.SUPPORTED;
        assertEquals(message, Prune4jException.oneLine(message));
    }
}
