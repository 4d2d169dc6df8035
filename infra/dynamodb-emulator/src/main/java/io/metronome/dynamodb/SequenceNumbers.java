package io.metronome.dynamodb;

import java.math.BigInteger;

/**
 * Sequence numbers as DynamoDB Streams writes them: decimal strings of 21 to 40 digits that grow with each record.
 * Here an ordinal (a counter of the whole emulator, so unique across its streams) written as 10^20 plus the ordinal:
 * always 21 digits with no leading zero, so numeric and string order agree.
 */
final class SequenceNumbers {
    private static final BigInteger BASE = BigInteger.TEN.pow(20);
    private static final BigInteger LONGEST = BigInteger.valueOf(Long.MAX_VALUE);

    private SequenceNumbers() {
    }

    static String format(long ordinal) {
        return "1" + String.format("%020d", ordinal);
    }

    /** Whether a string has the documented form (digits only, 21 to 40 of them). */
    static boolean wellFormed(String s) {
        if (s.length() < 21 || s.length() > 40) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /**
     * The ordinal of a well-formed sequence number; one this emulator cannot have written comes out below every
     * ordinal ({@code -1}) or above them ({@code Long.MAX_VALUE}), so a range check refuses it.
     */
    static long ordinal(String s) {
        BigInteger n = new BigInteger(s).subtract(BASE);
        if (n.signum() < 0) {
            return -1;
        }
        return n.compareTo(LONGEST) > 0 ? Long.MAX_VALUE : n.longValueExact();
    }
}
